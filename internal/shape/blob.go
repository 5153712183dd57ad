package shape

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/segmentio/asm/base64"
)

// unmarshalBlob decodes a JSON blob member (a record's Data) as
// go-json-experiment does by default, with the same rules (RFC 4648
// standard alphabet, padding required, no line breaks; null leaves the
// slice nil), but with segmentio/asm's SIMD base64 decoder, which decodes
// a 1 KiB record about nine times faster than encoding/base64. Base64
// decoding was the largest single cost of a PutRecords request.
// FuzzUnmarshalBlob checks that both decoders agree.
var unmarshalBlob = json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *[]byte) error {
	if dec.PeekKind() != '"' {
		return errors.ErrUnsupported // null and the wrong kinds: the default behaviour and errors
	}
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	s := val[1 : len(val)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		if s, err = jsontext.AppendUnquote(nil, val); err != nil {
			return err
		}
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, s)
	if err == nil && len(s) != base64.StdEncoding.EncodedLen(n) {
		err = fmt.Errorf("illegal line break in base64 data") // the decoder skips \r and \n; RFC 4648 does not
	}
	if err != nil {
		return &SerializationError{Message: "Invalid Base64 encoded blob", Err: err}
	}
	*v = b[:n]
	return nil
})
