package seqnum

import (
	"cmp"
	"math/bits"
)

// uint192 is an unsigned 192-bit integer; a sequence number needs 188 bits.
// It is a struct rather than an array so that the compiler keeps the words
// in registers.
type uint192 struct {
	hi, mid, lo uint64 // bits 128-191, 64-127, 0-63
}

// cmp returns -1, 0 or +1 as x is less than, equal to or greater than y.
func (x uint192) cmp(y uint192) int {
	if c := cmp.Compare(x.hi, y.hi); c != 0 {
		return c
	}
	if c := cmp.Compare(x.mid, y.mid); c != 0 {
		return c
	}
	return cmp.Compare(x.lo, y.lo)
}

// pow19 is 10^19, the largest power of ten that fits in a uint64. Decimal
// conversion works in limbs of 19 digits.
const pow19 = 10_000_000_000_000_000_000

// divPow19 returns x / 10^19 and x % 10^19.
func (x uint192) divPow19() (q uint192, r uint64) {
	// Each remainder is below 10^19, so Div64 cannot panic.
	q.hi, r = bits.Div64(0, x.hi, pow19)
	q.mid, r = bits.Div64(r, x.mid, pow19)
	q.lo, r = bits.Div64(r, x.lo, pow19)
	return q, r
}

// mulAddPow19 returns x*10^19 + a, discarding bits beyond 192.
func (x uint192) mulAddPow19(a uint64) uint192 {
	h0, l0 := bits.Mul64(x.lo, pow19)
	h1, l1 := bits.Mul64(x.mid, pow19)
	var z uint192
	var c uint64
	z.lo, c = bits.Add64(l0, a, 0)
	z.mid, c = bits.Add64(l1, h0, c)
	z.hi = x.hi*pow19 + h1 + c
	return z
}

// twoDigits holds "00" through "99".
const twoDigits = "" +
	"00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// putDigits writes v in decimal into all of b, zero-padded on the left.
// Digits of v that do not fit are dropped.
func putDigits(b []byte, v uint64) {
	i := len(b)
	for i >= 2 {
		q := v / 100
		d := (v - q*100) * 2
		b[i-1], b[i-2] = twoDigits[d+1], twoDigits[d]
		v = q
		i -= 2
	}
	if i == 1 {
		b[0] = byte('0' + v%10)
	}
}

// parseDigits returns the value of s, which holds at most 19 ASCII digits.
func parseDigits(s string) uint64 {
	var v uint64
	for i := 0; i < len(s); i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	return v
}
