package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

var (
	// ErrInvalid reports a token this Sealer did not seal: garbage, a
	// truncated or altered token, one sealed under another key, or one of
	// another kind.
	ErrInvalid = errors.New("token: invalid token")
	// ErrKeySize reports a key that is not KeySize bytes long.
	ErrKeySize = errors.New("token: key must be 32 bytes")
)

// KeySize is the length of a sealing key in bytes.
const KeySize = 32

// TTL is how long iterators and page tokens stay valid, in milliseconds:
// AWS expires both five minutes after issue ("tolerated delay of 300000
// milliseconds"). Frozen AWS behaviour.
const TTL = 300_000

// MaxPageLen is the longest page token OpenPage accepts, the Kinesis API's
// limit on NextToken. SealPage output stays within it for cursors of up to
// 786,399 bytes.
const MaxPageLen = 1 << 20

// iteratorTextLen is the length of an iterator in text form:
// encoding.EncodedLen(iteratorLen).
const iteratorTextLen = (iteratorLen*8 + 5) / 6

// NewKey returns a new random sealing key.
func NewKey() []byte {
	key := make([]byte, KeySize)
	rand.Read(key) // never fails, see its doc
	return key
}

// Expired reports whether a token issued at issuedAt is more than ttl
// milliseconds old at now, both Unix milliseconds. A token issued after now
// (the clock stepped back) has not expired. ttl must not be negative.
func Expired(issuedAt, now, ttl int64) bool {
	// The difference of two int64s always fits in a uint64.
	return now > issuedAt && uint64(now)-uint64(issuedAt) > uint64(ttl)
}

// Iterator is what a shard iterator refers to.
type Iterator struct {
	StreamID   uint64 // internal, never-reused stream identifier
	ShardIndex uint32 // N of shardId-%012d
	Position   uint64 // index in the shard log of the next record to read
	IssuedAt   int64  // Unix milliseconds when the iterator was issued
}

// A Sealer seals and opens tokens with one key. It is safe for concurrent
// use. The zero value is not usable; call NewSealer.
type Sealer struct {
	pool sync.Pool // of *scratch
}

// scratch is the state of one seal or open. The HMAC is not safe for
// concurrent use, and buffers handed to it through the hash.Hash interface
// would otherwise escape to the heap on every call.
type scratch struct {
	mac  hash.Hash
	sum  [sha256.Size]byte
	n    [binary.MaxVarintLen64]byte
	raw  [iteratorLen]byte
	text [iteratorTextLen]byte
}

// NewSealer returns a Sealer for key, which must be KeySize bytes long
// (see NewKey). It keeps a copy of key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: got %d", ErrKeySize, len(key))
	}
	key = append([]byte(nil), key...)
	s := &Sealer{}
	s.pool.New = func() any {
		return &scratch{mac: hmac.New(sha256.New, key)}
	}
	return s, nil
}

// tag returns the tag of token, whose last tagLen bytes are the tag's
// place, as a page token of kind name ("" for an iterator). The result
// aliases sc.
func (sc *scratch) tag(token []byte, name string) []byte {
	msg := token[:len(token)-tagLen]
	sc.mac.Reset()
	sc.mac.Write(msg[:headerLen])
	sc.mac.Write(binary.AppendUvarint(sc.n[:0], uint64(len(name))))
	io.WriteString(sc.mac, name)
	sc.mac.Write(msg[headerLen:])
	return sc.mac.Sum(sc.sum[:0])[:tagLen]
}

// sign writes the tag of token into its last tagLen bytes.
func (sc *scratch) sign(token []byte, name string) {
	copy(token[len(token)-tagLen:], sc.tag(token, name))
}

// verify reports whether token carries its tag, in constant time.
func (sc *scratch) verify(token []byte, name string) bool {
	return hmac.Equal(token[len(token)-tagLen:], sc.tag(token, name))
}

// SealIterator returns it as a shard iterator.
func (s *Sealer) SealIterator(it Iterator) string {
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	raw := sc.raw[:]
	putHeader(raw, kindIterator)
	putIterator(raw[headerLen:], it)
	sc.sign(raw, "")
	encoding.Encode(sc.text[:], raw)
	return string(sc.text[:])
}

// OpenIterator returns the iterator sealed in tok, or ErrInvalid if tok
// is not a shard iterator sealed with this Sealer's key. It does not check
// expiry.
func (s *Sealer) OpenIterator(tok string) (Iterator, error) {
	if len(tok) != iteratorTextLen {
		return Iterator{}, ErrInvalid
	}
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	raw := sc.raw[:]
	// Decode skips newlines, so a short n means a non-canonical text.
	n, err := encoding.Decode(raw, sc.text[:copy(sc.text[:], tok)])
	if err != nil || n != iteratorLen || !hasHeader(raw, kindIterator) || !sc.verify(raw, "") {
		return Iterator{}, ErrInvalid
	}
	return readIterator(raw[headerLen:]), nil
}

// SealPage returns a page token of the given kind (one per list operation,
// say "ListShards") that carries cursor, the caller's position in the
// listing, and issuedAt, Unix milliseconds.
func (s *Sealer) SealPage(kind, cursor string, issuedAt int64) string {
	raw := make([]byte, pageMinLen+len(cursor))
	putHeader(raw, kindPage)
	binary.BigEndian.PutUint64(raw[headerLen:], uint64(issuedAt))
	copy(raw[headerLen+8:], cursor)
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	sc.sign(raw, kind)
	return encoding.EncodeToString(raw)
}

// OpenPage returns the cursor and issue time sealed in tok, or ErrInvalid
// if tok is not a page token of this kind sealed with this Sealer's key.
// It does not check expiry.
func (s *Sealer) OpenPage(kind, tok string) (cursor string, issuedAt int64, err error) {
	if len(tok) > MaxPageLen {
		return "", 0, ErrInvalid
	}
	raw := make([]byte, encoding.DecodedLen(len(tok)))
	n, err := encoding.Decode(raw, []byte(tok))
	// Decode skips newlines; only the canonical text has the full length.
	if err != nil || encoding.EncodedLen(n) != len(tok) {
		return "", 0, ErrInvalid
	}
	raw = raw[:n]
	if len(raw) < pageMinLen || !hasHeader(raw, kindPage) {
		return "", 0, ErrInvalid
	}
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	if !sc.verify(raw, kind) {
		return "", 0, ErrInvalid
	}
	body := raw[headerLen : len(raw)-tagLen]
	return string(body[8:]), int64(binary.BigEndian.Uint64(body)), nil
}
