// Package eventstream writes the messages of a SubscribeToShard response:
// the application/vnd.amazon.eventstream framing, with the message types
// and headers Kinesis clients expect.
//
// The framing is AWS's (frozen wire format); the byte-level encoding is
// done by aws-sdk-go-v2's eventstream package, the same code the Go SDK
// decodes with. Each message is:
//
//	offset 0   uint32 BE  total length (12 + headers length + payload length + 4)
//	offset 4   uint32 BE  headers length
//	offset 8   uint32 BE  prelude CRC: CRC-32 (IEEE) of bytes 0..7
//	offset 12  headers    repeated: uint8 name length | name | uint8 type | value
//	           payload
//	last 4     uint32 BE  message CRC: CRC-32 (IEEE) of everything before it
//
// Header value types: 0 true, 1 false, 2 int8, 3 int16, 4 int32, 5 int64,
// 6 bytes (uint16 BE length + bytes), 7 string (uint16 BE length + UTF-8),
// 8 timestamp (int64 ms), 9 UUID (16 bytes). Kinesis uses only strings.
//
// A SubscribeToShard response is one initial-response event (aws-sdk-go-v2
// and botocore wait for it before anything else), then SubscribeToShardEvent
// events with JSON payloads, whatever codec the request used, and at most one
// exception message, after which the stream ends.
package eventstream

import (
	"fmt"
	"io"

	awses "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Header names and values of Kinesis event-stream messages (frozen).
const (
	headerMessageType   = ":message-type"
	headerEventType     = ":event-type"
	headerExceptionType = ":exception-type"
	headerContentType   = ":content-type"

	messageTypeEvent     = "event"
	messageTypeException = "exception"

	// EventInitialResponse is the first event of every subscription.
	EventInitialResponse = "initial-response"
	// EventSubscribeToShard carries records (SubscribeToShardEvent).
	EventSubscribeToShard = "SubscribeToShardEvent"

	jsonContentType = "application/x-amz-json-1.1"
	// ContentType is the HTTP Content-Type of an event-stream response.
	ContentType = "application/vnd.amazon.eventstream"
)

// MaxPayload is the largest payload a message may carry: aws-sdk-go-v2
// refuses payloads over 16 MiB, so stay well below.
const MaxPayload = 15 << 20

// Writer writes messages to an HTTP response, flushing after each so that
// every message reaches the client at once.
type Writer struct {
	enc   *awses.Encoder
	w     io.Writer
	flush func()
}

// NewWriter returns a Writer on w; flush, if non-nil, is called after each
// message (http.ResponseController.Flush, say).
func NewWriter(w io.Writer, flush func()) *Writer {
	return &Writer{enc: awses.NewEncoder(), w: w, flush: flush}
}

// InitialResponse writes the initial-response event.
func (w *Writer) InitialResponse() error {
	return w.Event(EventInitialResponse, []byte("{}"))
}

// Event writes an event of the given type with a JSON payload.
func (w *Writer) Event(eventType string, payload []byte) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("eventstream: payload of %d bytes exceeds %d", len(payload), MaxPayload)
	}
	var h awses.Headers
	h.Set(headerEventType, awses.StringValue(eventType))
	h.Set(headerContentType, awses.StringValue(jsonContentType))
	h.Set(headerMessageType, awses.StringValue(messageTypeEvent))
	return w.write(awses.Message{Headers: h, Payload: payload})
}

// Exception writes an exception message, e.g. ResourceInUseException, with
// AWS's {"message": ...} payload. It is the last message of a stream.
func (w *Writer) Exception(exceptionType, message string) error {
	payload, err := jsonMessage(message)
	if err != nil {
		return err
	}
	var h awses.Headers
	h.Set(headerExceptionType, awses.StringValue(exceptionType))
	h.Set(headerContentType, awses.StringValue("application/json"))
	h.Set(headerMessageType, awses.StringValue(messageTypeException))
	return w.write(awses.Message{Headers: h, Payload: payload})
}

func (w *Writer) write(m awses.Message) error {
	if err := w.enc.Encode(w.w, m); err != nil {
		return fmt.Errorf("eventstream: %w", err)
	}
	if w.flush != nil {
		w.flush()
	}
	return nil
}
