// Package apierr defines the kinds of error the Kinesis API reports and the
// one table that maps each kind to its AWS error code and HTTP status.
//
// Code below the HTTP edge reports an API error by returning an *Error made
// with New or Errorf: its Kind selects the AWS code, its message is sent to
// the client verbatim, so it must be AWS's text. Any other error that reaches
// the edge is an InternalFailure; its text is logged, never sent.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind is a class of API error; it maps to exactly one AWS error code.
type Kind uint8

// The kinds, one per AWS error code runnel sends.
const (
	InternalFailure Kind = iota
	AccessDenied
	ExpiredIterator
	ExpiredNextToken
	IncompleteSignature
	InvalidArgument
	InvalidSignature
	KMSAccessDenied
	KMSDisabled
	KMSInvalidState
	KMSNotFound
	KMSOptInRequired
	KMSThrottling
	LimitExceeded
	MissingAuthenticationToken
	ProvisionedThroughputExceeded
	ResourceInUse
	ResourceNotFound
	Serialization
	UnknownOperation
	Validation
	numKinds
)

// table maps each Kind to the AWS error code and HTTP status. AWS answers
// every client error, throttling included, with 400; only InternalFailure is
// a server fault.
var table = [numKinds]struct {
	code   string
	status int
}{
	InternalFailure:               {"InternalFailure", http.StatusInternalServerError},
	AccessDenied:                  {"AccessDeniedException", http.StatusBadRequest},
	ExpiredIterator:               {"ExpiredIteratorException", http.StatusBadRequest},
	ExpiredNextToken:              {"ExpiredNextTokenException", http.StatusBadRequest},
	IncompleteSignature:           {"IncompleteSignatureException", http.StatusBadRequest},
	InvalidArgument:               {"InvalidArgumentException", http.StatusBadRequest},
	InvalidSignature:              {"InvalidSignatureException", http.StatusBadRequest},
	KMSAccessDenied:               {"KMSAccessDeniedException", http.StatusBadRequest},
	KMSDisabled:                   {"KMSDisabledException", http.StatusBadRequest},
	KMSInvalidState:               {"KMSInvalidStateException", http.StatusBadRequest},
	KMSNotFound:                   {"KMSNotFoundException", http.StatusBadRequest},
	KMSOptInRequired:              {"KMSOptInRequired", http.StatusBadRequest},
	KMSThrottling:                 {"KMSThrottlingException", http.StatusBadRequest},
	LimitExceeded:                 {"LimitExceededException", http.StatusBadRequest},
	MissingAuthenticationToken:    {"MissingAuthenticationTokenException", http.StatusBadRequest},
	ProvisionedThroughputExceeded: {"ProvisionedThroughputExceededException", http.StatusBadRequest},
	ResourceInUse:                 {"ResourceInUseException", http.StatusBadRequest},
	ResourceNotFound:              {"ResourceNotFoundException", http.StatusBadRequest},
	Serialization:                 {"SerializationException", http.StatusBadRequest},
	UnknownOperation:              {"UnknownOperationException", http.StatusBadRequest},
	Validation:                    {"ValidationException", http.StatusBadRequest},
}

// Code returns the AWS error code of k, e.g. "ResourceNotFoundException".
func (k Kind) Code() string { return table[k].code }

// Status returns the HTTP status AWS answers errors of kind k with.
func (k Kind) Status() int { return table[k].status }

func (k Kind) String() string { return table[k].code }

// Error is an API error: a kind and the message the client sees.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Kind.Code() + ": " + e.Message }

// Is reports whether target is an *Error of the same kind, so that
// errors.Is(err, apierr.ResourceNotFound.Err()) works; prefer AsKind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Message == ""
}

// Err returns a message-less error of kind k, for use with errors.Is.
func (k Kind) Err() error { return &Error{Kind: k} }

// New returns an API error of kind k with message msg.
func New(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// Errorf returns an API error of kind k with a formatted message.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err: the kind of the first *Error in its chain,
// or InternalFailure if there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return InternalFailure
}

// internalMessage is what clients see for an InternalFailure; the cause is
// only logged.
const internalMessage = "Internal service failure."

// Describe returns what the client is told about err: the AWS code, the HTTP
// status and the message. Errors that are not *Error become InternalFailure
// with a generic message.
func Describe(err error) (code string, status int, message string) {
	var e *Error
	if !errors.As(err, &e) || e.Kind == InternalFailure {
		return InternalFailure.Code(), InternalFailure.Status(), internalMessage
	}
	return e.Kind.Code(), e.Kind.Status(), e.Message
}
