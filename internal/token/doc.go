// Package token seals and opens the opaque strings runnel gives clients and
// takes back from them: shard iterators (GetShardIterator, GetRecords'
// NextShardIterator) and the NextToken of ListShards, ListStreams and
// ListStreamConsumers.
//
// A token is authenticated, not encrypted: its fields are followed by a
// 16-byte tag, the truncated HMAC-SHA256 of the token under the server's
// 32-byte key. A client that decodes a token can read its fields but cannot
// make the server accept one it changed, forged, or got from a server with
// another key. Nothing in a token is secret (stream ids are internal
// identifiers, positions are visible as sequence numbers). Leaving out a nonce
// makes sealing a pure function of its inputs: no randomness on the
// GetRecords path and no limit on tokens per key, where random-nonce
// AES-GCM must not seal more than 2^32 messages under one key, a count a
// busy server reaches in days.
//
// The key is persisted with the server's metadata, so tokens stay valid
// across restarts; that is why the layout below is frozen.
//
// # Layout (frozen)
//
// Integers are big-endian; IssuedAt is two's complement.
//
//	shard iterator, 53 bytes:
//	+-------------------------+------+----------+------------+----------+----------+-----+
//	| 00 00 00 00 00 00 00 01 | 0x01 | StreamID | ShardIndex | Position | IssuedAt | tag |
//	+-------------------------+------+----------+------------+----------+----------+-----+
//	             8                1       8           4           8          8       16
//
//	page token, 33 bytes + cursor:
//	+-------------------------+------+----------+--------+-----+
//	| 00 00 00 00 00 00 00 01 | 0x02 | IssuedAt | cursor | tag |
//	+-------------------------+------+----------+--------+-----+
//	             8                1       8         n      16
//
// The first eight bytes are the prefix of AWS's own shard iterators; the
// ninth is the kind, which also versions the layout (a new layout takes a
// new kind). The tag is the first 16 bytes of
//
//	HMAC-SHA256(key, header ‖ uvarint(len(name)) ‖ name ‖ body)
//
// where header is the first nine bytes, body the bytes between header and
// tag, and name the page kind given to SealPage ("" for iterators). The
// kind byte and the name keep kinds apart: an iterator does not open as a
// page token, nor a ListShards token as a ListStreams one.
//
// # Text form
//
// The bytes are written in unpadded base64url (RFC 4648 §5: A-Z a-z 0-9 - _),
// which needs no escaping in JSON, URLs or headers. Only the canonical
// encoding is accepted. An iterator is 71 characters (AWS allows 512) and,
// like AWS's, starts with "AAAAAAAAAAE".
//
// # Expiry
//
// Tokens carry the Unix millisecond at which they were issued; the caller,
// which owns the clock, checks Expired(issuedAt, now, TTL). The package does
// no I/O and reads no clock.
package token
