package shape

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// blobDecodeReference is jsonDecodeOptions without unmarshalBlob: the
// default blob decoder that unmarshalBlob must agree with.
var blobDecodeReference = jsontext.AllowDuplicateNames(true)

type blobTarget struct {
	Data []byte
}

// checkBlobAgrees decodes {"Data":<value>} with unmarshalBlob and with the
// default decoder and fails unless both give the same bytes or the same
// error message.
func checkBlobAgrees(t *testing.T, value []byte) {
	t.Helper()
	body := fmt.Appendf(nil, `{"Data":%s}`, value)
	var got, want blobTarget
	gotErr := decodeJSON(body, &got)
	wantErr := decodeJSONWith(body, &want, blobDecodeReference)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, default decoder %v", body, gotErr, wantErr)
	}
	if gotErr != nil {
		var g, w *SerializationError
		if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) || g.Message != w.Message {
			t.Fatalf("%s: error %q, default decoder %q", body, gotErr, wantErr)
		}
		return
	}
	if !bytes.Equal(got.Data, want.Data) || (got.Data == nil) != (want.Data == nil) {
		t.Fatalf("%s: decoded %q, default decoder %q", body, got.Data, want.Data)
	}
}

func TestUnmarshalBlob(t *testing.T) {
	long := bytes.Repeat([]byte{0xfe, 0x01, 'x'}, 700)
	for _, tc := range []struct{ name, value string }{
		{"empty", `""`},
		{"null", `null`},
		{"one byte", `"AA=="`},
		{"two bytes", `"AAA="`},
		{"three bytes", `"QUJD"`},
		{"2100 bytes", `"` + base64.StdEncoding.EncodeToString(long) + `"`},
		{"1000 bytes", `"` + base64.StdEncoding.EncodeToString(long[:1000]) + `"`},
		{"escape", `"QUJD\u0044=="`},
		{"line feed", `"QUJ\nD"`}, // RFC 4648 rejects line breaks
		{"crlf", `"QUJD\r\n"`},
		{"short", `"QUJ"`},
		{"unpadded", `"QQ"`},
		{"over-padded", `"Q==="`},
		{"trailing padding", `"QUJD="`},
		{"inner padding", `"QU=D"`},
		{"outside the alphabet", `"@@@@"`},
		{"url alphabet", `"QUJD-_=="`},
		{"non-zero trailing bits", `"QR=="`}, // accepted, as RFC 4648 allows
		{"number", `12`},
		{"bool", `true`},
		{"array", `[1,2]`},
		{"object", `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) { checkBlobAgrees(t, []byte(tc.value)) })
	}
}

// FuzzUnmarshalBlob checks that unmarshalBlob decodes every JSON string
// as the default decoder does.
func FuzzUnmarshalBlob(f *testing.F) {
	f.Add([]byte(`"QUJD"`))
	f.Add([]byte(`"QUJD\u0044=="`))
	f.Add([]byte(`"QR=="`))
	f.Add([]byte(`null`))
	f.Add([]byte(`"` + base64.StdEncoding.EncodeToString(make([]byte, 100)) + `"`))
	f.Fuzz(func(t *testing.T, value []byte) {
		if !jsontext.Value(value).IsValid() {
			return
		}
		checkBlobAgrees(t, value)
	})
}
