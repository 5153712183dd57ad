package shape

import (
	"strconv"
	"strings"
)

// SerializationError reports a request body that could not be decoded into
// its shape: malformed JSON or CBOR, or a member of the wrong type. The
// handler answers it with a SerializationException.
type SerializationError struct {
	// Message is AWS's message for the problem, or "" where AWS sends a
	// SerializationException without one (a body that does not parse).
	Message string
	// Err is the decoder's error, if any.
	Err error
}

func (e *SerializationError) Error() string {
	switch {
	case e.Message != "":
		return "shape: " + e.Message
	case e.Err != nil:
		return "shape: malformed body: " + e.Err.Error()
	}
	return "shape: malformed body"
}

func (e *SerializationError) Unwrap() error { return e.Err }

// maxListedErrors is how many violations AWS lists in one message.
const maxListedErrors = 10

// ValidationError reports input that violates the model's constraints.
// The handler answers it with a ValidationException whose message is
// Error().
type ValidationError struct {
	// Errors holds one entry per violated constraint, in the order AWS
	// checks them, at most ten.
	Errors []string
}

// Error returns AWS's message, e.g. "1 validation error detected: Value
// null at 'streamName' failed to satisfy constraint: Member must not be
// null".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(e.Errors)))
	if len(e.Errors) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	b.WriteString(strings.Join(e.Errors, "; "))
	return b.String()
}
