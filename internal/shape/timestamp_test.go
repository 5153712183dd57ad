package shape

import (
	"encoding/hex"
	"errors"
	"math"
	"testing"
	"time"
)

func TestTimestampJSON(t *testing.T) {
	tests := []struct {
		ms   int64
		json string
	}{
		{1607497475123, "1607497475.123"},
		{1607497475000, "1607497475.000"},
		{1607497475001, "1607497475.001"},
		{1607497475010, "1607497475.010"},
		{0, "0.000"},
		{-1, "-0.001"},
		{-1500, "-1.500"},
		{-62135596800000, "-62135596800.000"}, // the zero time.Time
		{253402300799999, "253402300799.999"},
	}
	for _, tt := range tests {
		got, err := Timestamp{time.UnixMilli(tt.ms)}.MarshalJSON()
		if err != nil || string(got) != tt.json {
			t.Errorf("MarshalJSON(%d) = %s, %v; want %s", tt.ms, got, err, tt.json)
		}
		var ts Timestamp
		if err := ts.UnmarshalJSON([]byte(tt.json)); err != nil || ts.UnixMilli() != tt.ms {
			t.Errorf("UnmarshalJSON(%s) = %d, %v; want %d", tt.json, ts.UnixMilli(), err, tt.ms)
		}
	}
}

func TestTimestampJSONInputForms(t *testing.T) {
	tests := []struct {
		json string
		ms   int64
	}{
		{"1607497475", 1607497475000},
		{"1607497475.1", 1607497475100},
		{"1607497475.123456", 1607497475123},
		{"1607497475.1236", 1607497475124}, // rounds to the nearest millisecond
		{"1.45979992648E9", 1459799926480}, // Jackson's BigDecimal form
		{"1.45979992648e+9", 1459799926480},
		{"14597999264.8e-1", 1459799926480},
		{"-0.5", -500},
		{"-1.0005", -1001},
		{"0.0004", 0},
		{"1e3", 1000000},
	}
	for _, tt := range tests {
		var in GetShardIteratorInput
		if err := JSON.Decode([]byte(`{"Timestamp":`+tt.json+`}`), &in); err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		if got := in.Timestamp.UnixMilli(); got != tt.ms {
			t.Errorf("%s: got %d ms, want %d", tt.json, got, tt.ms)
		}
	}
}

func TestTimestampCBOR(t *testing.T) {
	const ms = 1607497475123
	tests := []struct {
		name string
		hex  string
		ms   int64
	}{
		{"tag 1, uint64", "c11b000001764650e433", ms},
		{"tag 1, uint32", "c11a05f5e100", 100000000},
		{"tag 1, negative", "c13903e7", -1000},
		{"bare uint64", "1b000001764650e433", ms},
		{"bare small", "0a", 10},
		{"bare float64", "fb427764650e433000", ms},
		{"tag 1, float64", "c1fb427764650e433000", ms},
		{"bare float16", "f93c00", 1},
		{"tag 1, float fraction", "c1fb3ff8000000000000", 2}, // 1.5 rounds half away from zero
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		var ts Timestamp
		if err := ts.UnmarshalCBOR(b); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := ts.UnixMilli(); got != tt.ms {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.ms)
		}
	}
	got, err := Timestamp{time.UnixMilli(ms)}.MarshalCBOR()
	if err != nil || hex.EncodeToString(got) != "c11b000001764650e433" {
		t.Errorf("MarshalCBOR = %x, %v; want tag 1 + uint64 millis", got, err)
	}
	got, err = Timestamp{time.UnixMilli(-1000)}.MarshalCBOR()
	if err != nil || hex.EncodeToString(got) != "c13903e7" {
		t.Errorf("MarshalCBOR(-1000) = %x, %v", got, err)
	}
}

func TestTimestampCBORErrors(t *testing.T) {
	for _, h := range []string{
		"",                   // nothing
		"c2410a",             // tag 2 (bignum)
		"c16131",             // tag 1 wrapping text
		"6131",               // text
		"f5",                 // true
		"80",                 // array
		"a0",                 // map
		"1bffffffffffffffff", // beyond time.Time
		"3bfffffffffffffffe", // far negative
		"fb7ff8000000000000", // NaN
		"fb7ff0000000000000", // +Inf
		"c1",                 // truncated tag
		"c1c101",             // tag in tag
	} {
		b, _ := hex.DecodeString(h)
		var ts Timestamp
		err := ts.UnmarshalCBOR(b)
		var serr *SerializationError
		if !errors.As(err, &serr) {
			t.Errorf("%s: got %v, want a *SerializationError", h, err)
		}
	}
}

func TestAppendEpochSecondsExtremes(t *testing.T) {
	if got := string(appendEpochSeconds(nil, math.MinInt64)); got != "-9223372036854775.808" {
		t.Errorf("MinInt64: got %s", got)
	}
	if got := string(appendEpochSeconds(nil, math.MaxInt64)); got != "9223372036854775.807" {
		t.Errorf("MaxInt64: got %s", got)
	}
}

func TestNewTimestampTruncates(t *testing.T) {
	ts := NewTimestamp(time.Unix(1, 999999999))
	if ts.UnixNano() != 1999000000 {
		t.Errorf("NewTimestamp kept sub-millisecond precision: %v", ts.Time)
	}
}
