package shape

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// The CBOR modes are built once; they are safe for concurrent use.
var (
	cborEnc cbor.EncMode
	cborDec cbor.DecMode
)

func init() {
	var err error
	cborEnc, err = cbor.EncOptions{
		// Required lists and maps are never nil in responses; should one
		// be, send it empty rather than null.
		NilContainers: cbor.NilContainerAsEmpty,
	}.EncMode()
	if err != nil {
		panic(fmt.Sprintf("shape: cbor encode options: %v", err))
	}
	cborDec, err = cbor.DecOptions{
		// Match member names exactly, as AWS does.
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		// Bound what hostile input can make us allocate; no request has
		// more than 500 list entries or 200 map pairs.
		MaxArrayElements: 65536,
		MaxMapPairs:      65536,
		DefaultMapType:   reflect.TypeFor[map[string]any](),
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("shape: cbor decode options: %v", err))
	}
}

// CBOR major types of the first byte of an item.
const (
	cborMajorUint   = 0
	cborMajorNegint = 1
	cborMajorBytes  = 2
	cborMajorText   = 3
	cborMajorArray  = 4
	cborMajorMap    = 5
	cborMajorTag    = 6
	cborNull        = 0xf6
	cborUndefined   = 0xf7
)

func decodeCBOR(body []byte, v any) error {
	if len(body) == 0 || body[0]>>5 != cborMajorMap {
		return &SerializationError{}
	}
	if err := cborDec.Unmarshal(body, v); err != nil {
		return serializationError(err)
	}
	return nil
}

// serializationError converts a CBOR decoding error.
func serializationError(err error) error {
	var serr *SerializationError
	if errors.As(err, &serr) {
		return serr
	}
	var typeErr *cbor.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &SerializationError{Message: typeMessage(cborKind(typeErr.CBORType), typeErr.GoType), Err: err}
	}
	return &SerializationError{Err: err}
}

// cborKind classifies a CBOR type as fxamacker/cbor names it.
func cborKind(cborType string) valueKind {
	switch cborType {
	case "UTF-8 text string":
		return valueString
	case "positive integer", "negative integer":
		return valueNumber
	case "array":
		return valueList
	case "map":
		return valueStruct
	}
	return valueOther // byte strings, tags, floats and booleans
}

// cborBlob is a blob member as decoded from CBOR: a byte string, or a text
// string holding standard base64 (which the AWS SDK for Java also accepts).
type cborBlob []byte

func (b *cborBlob) UnmarshalCBOR(data []byte) error {
	if len(data) == 0 {
		return &SerializationError{}
	}
	switch {
	case data[0] == cborNull || data[0] == cborUndefined:
		*b = nil
		return nil
	case data[0]>>5 == cborMajorBytes:
		var raw []byte
		if err := cborDec.Unmarshal(data, &raw); err != nil {
			return serializationError(err)
		}
		if raw == nil {
			raw = []byte{}
		}
		*b = raw
		return nil
	case data[0]>>5 == cborMajorText:
		var s string
		if err := cborDec.Unmarshal(data, &s); err != nil {
			return serializationError(err)
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return &SerializationError{Message: "Invalid Base64 encoded blob", Err: err}
		}
		*b = raw
		return nil
	}
	var v any
	if err := cborDec.Unmarshal(data, &v); err != nil {
		return serializationError(err)
	}
	return &SerializationError{Message: typeMessage(anyKind(v), "[]uint8")}
}

// anyKind classifies a decoded CBOR value.
func anyKind(v any) valueKind {
	switch v := v.(type) {
	case string:
		return valueString
	case uint64, int64, float64:
		return valueNumber
	case bool:
		if v {
			return valueTrue
		}
		return valueFalse
	case []any:
		return valueList
	case map[string]any, map[any]any:
		return valueStruct
	}
	return valueOther
}
