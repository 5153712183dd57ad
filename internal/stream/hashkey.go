package stream

import (
	"crypto/md5"
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
)

// HashKey is a point of Kinesis's 128-bit hash-key space [0, 2^128-1].
type HashKey struct{ Hi, Lo uint64 }

// MaxHashKey is 2^128-1, the end of the hash-key space.
var MaxHashKey = HashKey{Hi: ^uint64(0), Lo: ^uint64(0)}

// errHashKey is returned by ParseHashKey for anything that is not a decimal
// integer in [0, 2^128-1].
var errHashKey = errors.New("stream: hash key out of range")

// PartitionHash maps a partition key to its hash key: the MD5 digest of the
// key's UTF-8 bytes read as a big-endian unsigned integer, as AWS does.
func PartitionHash(partitionKey string) HashKey {
	sum := md5.Sum([]byte(partitionKey))
	return HashKey{Hi: binary.BigEndian.Uint64(sum[:8]), Lo: binary.BigEndian.Uint64(sum[8:])}
}

// ParseHashKey parses a decimal hash key. Leading zeros are accepted (the
// API's pattern has already rejected them where AWS does).
func ParseHashKey(s string) (HashKey, error) {
	if s == "" {
		return HashKey{}, errHashKey
	}
	var k HashKey
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return HashKey{}, errHashKey
		}
		var ok bool
		if k, ok = k.mulAdd(10, uint64(c-'0')); !ok {
			return HashKey{}, errHashKey
		}
	}
	return k, nil
}

// mulAdd returns k*m + a and whether it fits in 128 bits.
func (k HashKey) mulAdd(m, a uint64) (HashKey, bool) {
	hiCarry, lo := bits.Mul64(k.Lo, m)
	hiHi, hi := bits.Mul64(k.Hi, m)
	hi, c := bits.Add64(hi, hiCarry, 0)
	if hiHi != 0 || c != 0 {
		return HashKey{}, false
	}
	lo, c = bits.Add64(lo, a, 0)
	hi, c = bits.Add64(hi, 0, c)
	if c != 0 {
		return HashKey{}, false
	}
	return HashKey{Hi: hi, Lo: lo}, true
}

// divmod returns k/d and k%d for a 64-bit divisor d > 0.
func (k HashKey) divmod(d uint64) (HashKey, uint64) {
	qHi, r := bits.Div64(0, k.Hi, d)
	qLo, r := bits.Div64(r, k.Lo, d)
	return HashKey{Hi: qHi, Lo: qLo}, r
}

// String returns k in decimal, as the API sends hash keys.
func (k HashKey) String() string {
	if k.Hi == 0 {
		return strconv.FormatUint(k.Lo, 10)
	}
	var buf [40]byte
	i := len(buf)
	for k.Hi != 0 || k.Lo != 0 {
		var r uint64
		k, r = k.divmod(1e19)
		s := strconv.FormatUint(r, 10)
		i -= len(s)
		copy(buf[i:], s)
		if k.Hi != 0 || k.Lo != 0 {
			for j := len(s); j < 19; j++ {
				i--
				buf[i] = '0'
			}
		}
	}
	return string(buf[i:])
}

// Cmp returns -1, 0 or +1 as k is less than, equal to or greater than o.
func (k HashKey) Cmp(o HashKey) int {
	switch {
	case k.Hi < o.Hi:
		return -1
	case k.Hi > o.Hi:
		return 1
	case k.Lo < o.Lo:
		return -1
	case k.Lo > o.Lo:
		return 1
	}
	return 0
}

// Add returns k+n, wrapping at 2^128.
func (k HashKey) Add(n uint64) HashKey {
	lo, c := bits.Add64(k.Lo, n, 0)
	return HashKey{Hi: k.Hi + c, Lo: lo}
}

// Sub returns k-n, wrapping below 0.
func (k HashKey) Sub(n uint64) HashKey {
	lo, b := bits.Sub64(k.Lo, n, 0)
	return HashKey{Hi: k.Hi - b, Lo: lo}
}

// mul returns k*m, wrapping at 2^128.
func (k HashKey) mul(m uint64) HashKey {
	hi, lo := bits.Mul64(k.Lo, m)
	return HashKey{Hi: hi + k.Hi*m, Lo: lo}
}

// MarshalText and UnmarshalText let hash keys sit in the metadata document
// as decimal strings.
func (k HashKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (k *HashKey) UnmarshalText(b []byte) error {
	v, err := ParseHashKey(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Range is a closed interval [Start, End] of hash keys.
type Range struct {
	Start HashKey `json:"start"`
	End   HashKey `json:"end"`
}

// Contains reports whether k lies in r.
func (r Range) Contains(k HashKey) bool { return r.Start.Cmp(k) <= 0 && k.Cmp(r.End) <= 0 }

// EvenRanges divides the hash-key space into n contiguous ranges as AWS and
// kinesalite do at stream creation: range i starts at floor(2^128/n)*i and
// the last range ends at 2^128-1.
func EvenRanges(n int) []Range {
	// floor(2^128/n) = floor((2^128-1)/n), except when n divides 2^128
	// (n a power of two), where it is one more.
	step, rem := MaxHashKey.divmod(uint64(n))
	if rem == uint64(n)-1 {
		step = step.Add(1)
	}
	out := make([]Range, n)
	for i := range out {
		start := step.mul(uint64(i))
		end := MaxHashKey
		if i < n-1 {
			end = step.mul(uint64(i + 1)).Sub(1)
		}
		out[i] = Range{Start: start, End: end}
	}
	return out
}
