// Package seqnum formats and parses Kinesis sequence numbers in AWS's
// version-2 layout: a 188-bit unsigned integer written as a 56-digit
// decimal string.
//
// # Layout (frozen)
//
// The layout was reverse-engineered from real AWS sequence numbers by
// kinesalite (db/index.js, stringifySequence/parseSequence) and is also
// used by kinesis-mock (models/SequenceNumber.scala). The KCL's
// SequenceNumberValidator relies on part of it: bit length 186, version 2 in
// bits 184-187, shard index in bits 4-35. Bit 0 is the least significant,
// and every field starts and ends on a hex nibble of the 47-nibble number:
//
//	bits     187..184  183..148      147..144   143..80   79..72    71..36   35..4        3..0
//	        +-------+-------------+----------+---------+--------+---------+------------+-------+
//	        |   2   | ShardCreated| index&0xf| Counter |   00   | Arrival | ShardIndex |   2   |
//	        +-------+-------------+----------+---------+--------+---------+------------+-------+
//	width      4         36            4         64        8        36         32          4
//
// The times are Unix seconds. The top bit of Counter and of ShardIndex is
// always 0 (kinesalite rejects numbers where it is set, and the KCL reads
// the shard index as a signed 32-bit int), so Counter has 63 usable bits and
// ShardIndex 31. Bits 72-79 are of unknown meaning and 0 in every number AWS
// has been seen to issue. Every version-2 number lies in [2^185, 3·2^184),
// so it has exactly 56 decimal digits and a bit length of 186.
//
// Sequence numbers are persisted by clients (KCL lease tables, Lambda
// checkpoints), so the layout and the constants in layout.go are frozen.
//
// # Order
//
// Kinesis clients compare sequence numbers as decimal integers. Compare
// gives that order without formatting. Within one shard ShardCreated and
// ShardIndex are fixed, so numbers order by Counter, then by Arrival: a
// number that keeps a record's Counter and advances Arrival (as a
// SubscribeToShard ContinuationSequenceNumber for an idle shard may) sorts
// after that record and before the next one.
//
// A shard's StartingSequenceNumber is Start(created, index): Counter 0 and
// Arrival equal to ShardCreated. Records arrive after their shard is created,
// so no record of the shard has a smaller number.
//
// The package does no I/O and reads no clock; callers pass times in.
package seqnum
