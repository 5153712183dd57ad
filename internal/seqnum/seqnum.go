package seqnum

import (
	"errors"
	"fmt"
)

// Errors returned by Parse and Validate, wrapped with detail; match them
// with errors.Is.
var (
	// ErrMalformed reports a string that is not a canonical decimal
	// (empty, a non-digit, a leading zero, more than 129 digits), or a
	// version-2 number whose fields are inconsistent, so runnel cannot
	// have issued it.
	ErrMalformed = errors.New("seqnum: malformed sequence number")
	// ErrVersion reports a well-formed decimal that is not a version-2
	// sequence number, such as a legacy or made-up one.
	ErrVersion = errors.New("seqnum: not a version 2 sequence number")
	// ErrRange reports a field that does not fit its width in the layout.
	ErrRange = errors.New("seqnum: field out of range")
)

// maxDigits is the longest sequence number the Kinesis API model accepts
// (pattern 0|([1-9]\d{0,128})).
const maxDigits = 129

// Fields are the parts of a version-2 sequence number. The zero value is
// valid: shard 0 created at the Unix epoch.
type Fields struct {
	ShardCreated int64  // shard creation time, Unix seconds (36 bits)
	ShardIndex   uint32 // N of shardId-%012d (31 bits)
	Counter      uint64 // per-shard record counter (63 bits)
	Arrival      int64  // record arrival time, Unix seconds (36 bits)
}

// Start returns the fields of the StartingSequenceNumber of the shard with
// the given index created at the given Unix second: Counter 0, Arrival equal
// to the creation time.
func Start(shardCreated int64, shardIndex uint32) Fields {
	return Fields{ShardCreated: shardCreated, ShardIndex: shardIndex, Arrival: shardCreated}
}

// Validate reports, wrapping ErrRange, the first field that String would
// truncate: a time outside [0, MaxTime], a Counter above MaxCounter or a
// ShardIndex above MaxShardIndex.
func (f Fields) Validate() error {
	switch {
	case f.ShardCreated < 0 || f.ShardCreated > MaxTime:
		return fmt.Errorf("%w: shard creation time %d", ErrRange, f.ShardCreated)
	case f.ShardIndex > MaxShardIndex:
		return fmt.Errorf("%w: shard index %d", ErrRange, f.ShardIndex)
	case f.Counter > MaxCounter:
		return fmt.Errorf("%w: counter %d", ErrRange, f.Counter)
	case f.Arrival < 0 || f.Arrival > MaxTime:
		return fmt.Errorf("%w: arrival time %d", ErrRange, f.Arrival)
	}
	return nil
}

// String returns the sequence number as Digits decimal digits. Each field
// is truncated to its width (two's complement for negative times), so for
// fields that fail Validate the result does not round-trip through Parse.
// It allocates only the returned string.
func (f Fields) String() string {
	var b [Digits]byte
	f.format(&b)
	return string(b[:])
}

// Append appends the decimal sequence number to dst, as String does, and
// returns the extended buffer.
func (f Fields) Append(dst []byte) []byte {
	var b [Digits]byte
	f.format(&b)
	return append(dst, b[:]...)
}

// format writes the decimal digits of f into b.
func (f Fields) format(b *[Digits]byte) {
	x, low := f.pack().divPow19()
	x, mid := x.divPow19()
	// The number lies in [2^185, 3·2^184), so what is left of x after
	// removing 38 digits is a single word of exactly 18 digits.
	putDigits(b[37:], low)
	putDigits(b[18:37], mid)
	putDigits(b[:18], x.lo)
}

// Compare returns -1, 0 or +1 as the sequence number of a is numerically
// less than, equal to or greater than that of b. Fields are truncated as
// String truncates them, so Compare always agrees with the decimal strings.
func Compare(a, b Fields) int {
	return a.pack().cmp(b.pack())
}

// Parse returns the fields of a version-2 sequence number. It accepts
// exactly the strings String returns for valid Fields: anything else is an
// error wrapping ErrMalformed or ErrVersion.
func Parse(s string) (Fields, error) {
	if err := checkDecimal(s); err != nil {
		return Fields{}, err
	}
	if len(s) != Digits {
		return Fields{}, fmt.Errorf("%w: %d digits, want %d", ErrVersion, len(s), Digits)
	}
	x := uint192{lo: parseDigits(s[:18])}
	x = x.mulAddPow19(parseDigits(s[18:37]))
	x = x.mulAddPow19(parseDigits(s[37:]))
	return unpack(x)
}

// checkDecimal reports whether s is a canonical decimal the Kinesis API
// would accept as a sequence number.
func checkDecimal(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty", ErrMalformed)
	case len(s) > maxDigits:
		return fmt.Errorf("%w: longer than %d digits", ErrMalformed, maxDigits)
	case s[0] == '0' && len(s) > 1:
		return fmt.Errorf("%w: leading zero", ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%w: non-digit at offset %d", ErrMalformed, i)
		}
	}
	return nil
}
