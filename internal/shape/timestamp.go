package shape

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Timestamp is a point in time with millisecond precision, the Kinesis
// timestamp type. Its JSON form is epoch seconds as a number with a
// millisecond fraction; its CBOR form is tag 1 wrapping epoch milliseconds
// (see the package documentation).
type Timestamp struct {
	time.Time
}

// NewTimestamp returns t truncated to milliseconds.
func NewTimestamp(t time.Time) *Timestamp {
	return &Timestamp{t.Truncate(time.Millisecond)}
}

// cborTagEpoch is the tag AWS puts before epoch milliseconds. RFC 8949
// defines tag 1 as epoch seconds; AWS's CBOR protocol uses milliseconds.
const cborTagEpoch = 1

// msgTimestampRange reports a number outside the range of time.Time.
const msgTimestampRange = "Timestamp out of range"

// maxMillis bounds accepted timestamps (about 285,000 years either side
// of 1970) so that every accepted value converts exactly from float64.
const maxMillis = 1 << 53

// MarshalJSON writes epoch seconds with exactly three decimals, e.g.
// 1607497475.123, never in exponent form.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return t.AppendJSON(nil), nil
}

// AppendJSON appends what MarshalJSON returns to b, for encoders that
// write JSON by hand.
func (t Timestamp) AppendJSON(b []byte) []byte {
	return appendEpochSeconds(b, t.UnixMilli())
}

func appendEpochSeconds(b []byte, ms int64) []byte {
	abs := uint64(ms)
	if ms < 0 {
		b = append(b, '-')
		abs = -abs
	}
	b = strconv.AppendUint(b, abs/1000, 10)
	frac := abs % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// UnmarshalJSON accepts any JSON number of epoch seconds: integers,
// decimals and exponent forms such as 1.45979992648E9.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if kind := jsonKind(b); kind != valueNumber {
		return &SerializationError{Message: msgTimestamp(kind)}
	}
	if ms, ok := parseDecimalMillis(b); ok {
		return t.setMillis(float64(ms))
	}
	secs, err := strconv.ParseFloat(string(b), 64)
	if err != nil { // a JSON number out of float64 range
		return &SerializationError{Message: msgTimestampRange, Err: err}
	}
	return t.setMillis(secs * 1000)
}

// parseDecimalMillis converts a plain decimal number of seconds (no
// exponent) to milliseconds exactly, rounding half away from zero. It
// reports false for other forms and for numbers too large to convert.
func parseDecimalMillis(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	intPart, frac, _ := strings.Cut(string(b), ".")
	if len(intPart) == 0 || len(intPart) > 15 {
		return 0, false
	}
	var ms int64
	for _, digits := range []string{intPart, (frac + "000")[:3]} {
		for i := 0; i < len(digits); i++ {
			c := digits[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			ms = ms*10 + int64(c-'0')
		}
	}
	if strings.ContainsFunc(frac, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	if len(frac) > 3 && frac[3] >= '5' {
		ms++
	}
	if neg {
		ms = -ms
	}
	return ms, true
}

// setMillis sets t from a possibly fractional count of epoch milliseconds,
// rounding to the nearest millisecond.
func (t *Timestamp) setMillis(ms float64) error {
	ms = math.Round(ms)
	if math.IsNaN(ms) || ms > maxMillis || ms < -maxMillis {
		return &SerializationError{Message: msgTimestampRange}
	}
	t.Time = time.UnixMilli(int64(ms))
	return nil
}

// MarshalCBOR writes tag 1 followed by an integer of epoch milliseconds,
// as the AWS SDKs for Java do.
func (t Timestamp) MarshalCBOR() ([]byte, error) {
	return cborEnc.Marshal(cbor.Tag{Number: cborTagEpoch, Content: t.UnixMilli()})
}

// UnmarshalCBOR accepts epoch milliseconds as an integer or a float,
// bare or wrapped in tag 1.
func (t *Timestamp) UnmarshalCBOR(b []byte) error {
	var raw cbor.RawTag
	if len(b) > 0 && b[0]>>5 == cborMajorTag {
		if err := cborDec.Unmarshal(b, &raw); err != nil {
			return serializationError(err)
		}
		if raw.Number != cborTagEpoch {
			return &SerializationError{Message: "Unexpected CBOR tag " + strconv.FormatUint(raw.Number, 10) + " for a timestamp"}
		}
		b = raw.Content
	}
	var v any
	if err := cborDec.Unmarshal(b, &v); err != nil {
		return serializationError(err)
	}
	switch v := v.(type) {
	case uint64:
		if v > maxMillis {
			return &SerializationError{Message: msgTimestampRange}
		}
		t.Time = time.UnixMilli(int64(v))
		return nil
	case int64:
		if v < -maxMillis {
			return &SerializationError{Message: msgTimestampRange}
		}
		t.Time = time.UnixMilli(v)
		return nil
	case float64:
		return t.setMillis(v)
	}
	return &SerializationError{Message: msgTimestamp(anyKind(v))}
}
