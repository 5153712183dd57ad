package shape

import (
	"bytes"
	jsonv1 "encoding/json"
	"errors"
	"mime"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Codec is a wire encoding of request and response bodies.
type Codec uint8

const (
	// JSON is AWS JSON 1.1: application/x-amz-json-1.1.
	JSON Codec = iota
	// CBOR is AWS CBOR 1.1: application/x-amz-cbor-1.1, spoken by the AWS
	// SDKs for Java (and so by the KCL) by default.
	CBOR
)

// Content types of the codecs.
const (
	ContentTypeJSON = "application/x-amz-json-1.1"
	ContentTypeCBOR = "application/x-amz-cbor-1.1"
)

// CodecFor returns the codec for a request's Content-Type header. Like
// kinesalite, it accepts application/x-amz-json-1.1, application/json and
// application/x-amz-cbor-1.1, ignoring parameters and case; it rejects
// application/x-amz-json-1.0, which Kinesis does not speak.
func CodecFor(contentType string) (Codec, bool) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch mediaType {
	case ContentTypeJSON, "application/json":
		return JSON, true
	case ContentTypeCBOR:
		return CBOR, true
	}
	return JSON, false
}

// ContentType returns the Content-Type of bodies the codec encodes.
func (c Codec) ContentType() string {
	if c == CBOR {
		return ContentTypeCBOR
	}
	return ContentTypeJSON
}

// String returns "json" or "cbor".
func (c Codec) String() string {
	if c == CBOR {
		return "cbor"
	}
	return "json"
}

// Decode decodes a request body into v, a pointer to a shape struct.
// Unknown members are ignored. The body must be a single JSON object or
// CBOR map; an empty body is malformed, as on AWS. Every failure is a
// *SerializationError.
func (c Codec) Decode(body []byte, v any) error {
	if c == CBOR {
		return decodeCBOR(body, v)
	}
	return decodeJSON(body, v)
}

// Encode encodes v, a pointer to a shape struct (or any map or struct of
// the same kinds of values), as a response body.
func (c Codec) Encode(v any) ([]byte, error) {
	if c == CBOR {
		return cborEnc.Marshal(v)
	}
	return encodeJSON(v)
}

// jsonDecodeOptions are the decoding rules of AWS's JSON 1.1 front end:
// member names match exactly, unknown members are ignored, and a repeated
// member takes its last value. Blobs decode with unmarshalBlob.
var jsonDecodeOptions = json.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	json.WithUnmarshalers(unmarshalBlob),
)

// decodeJSON decodes with github.com/go-json-experiment/json (the
// encoding/json/v2 design), which decodes PutRecords bodies about four times
// faster than encoding/json: this is the hottest code of the write path.
func decodeJSON(body []byte, v any) error { return decodeJSONWith(body, v, jsonDecodeOptions) }

func decodeJSONWith(body []byte, v any, opts json.Options) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return &SerializationError{}
	}
	err := json.Unmarshal(body, v, opts)
	if err == nil {
		return nil
	}
	var serr *SerializationError
	if errors.As(err, &serr) {
		return serr
	}
	var semErr *json.SemanticError
	if errors.As(err, &semErr) && semErr.GoType != nil {
		if semErr.GoType.String() == "[]uint8" && semErr.JSONKind == '"' {
			return &SerializationError{Message: "Invalid Base64 encoded blob", Err: err}
		}
		return &SerializationError{Message: typeMessage(kindOfJSON(semErr.JSONKind), semErr.GoType.String()), Err: err}
	}
	return &SerializationError{Err: err}
}

// kindOfJSON classifies a JSON value kind as AWS's messages name it. A
// jsontext.Kind is the first byte of the value ('0' for any number).
func kindOfJSON(k jsontext.Kind) valueKind { return jsonKind([]byte{byte(k)}) }

func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := jsonv1.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
