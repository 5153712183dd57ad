package bench

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Codes for failures that carry no AWS error code.
const (
	codeTimeout         = "Timeout"              // the call's context expired
	codeCanceled        = "Canceled"             // the run was canceled
	codeNetwork         = "NetworkError"         // dial, read or write failed
	codeDeserialization = "DeserializationError" // the response did not parse
	codeInvalidResponse = "InvalidResponse"      // parsed, but breaks the API contract
	codeClient          = "ClientError"          // anything else
)

// errInvalidResponse reports a response that parsed but contradicts the API,
// such as a PutRecords result with a different number of entries.
var errInvalidResponse = errors.New("bench: invalid response")

// unknownCode is the code the SDK gives an error response that names none.
const unknownCode = "UnknownError"

// errorCode classifies a failed call: the AWS error code when the server sent
// one, else "HTTP<status>" for an error status, else one of the codes above.
// The message is for the report's examples.
func errorCode(err error) (code, message string) {
	var apiErr smithy.APIError
	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	var deserErr *smithy.DeserializationError
	hasAPIErr := errors.As(err, &apiErr)
	status := httpStatus(err)
	switch {
	case hasAPIErr && apiErr.ErrorCode() != unknownCode:
		return apiErr.ErrorCode(), apiErr.ErrorMessage()
	case errors.Is(err, errInvalidResponse):
		return codeInvalidResponse, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return codeTimeout, err.Error()
	case errors.Is(err, context.Canceled):
		return codeCanceled, err.Error()
	case errors.As(err, &sendErr), errors.As(err, &netErr):
		return codeNetwork, err.Error()
	case status >= 300:
		return fmt.Sprintf("HTTP%d", status), err.Error()
	case errors.As(err, &deserErr):
		return codeDeserialization, err.Error()
	case hasAPIErr:
		return unknownCode, err.Error()
	}
	return codeClient, err.Error()
}

// httpStatus returns the status of the response that err came with, or 0.
func httpStatus(err error) int {
	var respErr *smithyhttp.ResponseError
	if !errors.As(err, &respErr) || respErr.Response == nil || respErr.Response.Response == nil {
		return 0
	}
	return respErr.HTTPStatusCode()
}
