package token

import (
	"encoding/base64"
	"encoding/binary"
)

// Layout constants. Frozen: see the package doc.
const (
	kindIterator = 0x01
	kindPage     = 0x02

	headerLen   = 9  // magic and kind
	tagLen      = 16 // truncated HMAC-SHA256
	iteratorLen = headerLen + 28 + tagLen
	pageMinLen  = headerLen + 8 + tagLen // empty cursor
)

// magic is the prefix of every token: the first eight bytes of AWS's shard
// iterators.
var magic = [8]byte{0, 0, 0, 0, 0, 0, 0, 1}

// encoding is unpadded base64url, rejecting non-zero trailing bits so that
// each token has a single text form.
var encoding = base64.RawURLEncoding.Strict()

// putHeader writes the magic and kind into the start of b.
func putHeader(b []byte, kind byte) {
	copy(b, magic[:])
	b[len(magic)] = kind
}

// hasHeader reports whether b starts with the magic and kind.
func hasHeader(b []byte, kind byte) bool {
	return len(b) >= headerLen && [8]byte(b) == magic && b[len(magic)] == kind
}

// putIterator writes the fields of it into b, which has room for them.
func putIterator(b []byte, it Iterator) {
	binary.BigEndian.PutUint64(b[0:], it.StreamID)
	binary.BigEndian.PutUint32(b[8:], it.ShardIndex)
	binary.BigEndian.PutUint64(b[12:], it.Position)
	binary.BigEndian.PutUint64(b[20:], uint64(it.IssuedAt))
}

// readIterator is the inverse of putIterator.
func readIterator(b []byte) Iterator {
	return Iterator{
		StreamID:   binary.BigEndian.Uint64(b[0:]),
		ShardIndex: binary.BigEndian.Uint32(b[8:]),
		Position:   binary.BigEndian.Uint64(b[12:]),
		IssuedAt:   int64(binary.BigEndian.Uint64(b[20:])),
	}
}
