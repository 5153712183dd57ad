package seqnum

import "fmt"

// Version is the layout version written in both version nibbles. Frozen.
const Version = 2

// Digits is the length of every version-2 sequence number in decimal.
const Digits = 56

// Field limits. Fields beyond them are truncated by String; see Validate.
const (
	MaxTime       = 1<<36 - 1 // largest ShardCreated or Arrival, Unix seconds (year 4147)
	MaxCounter    = 1<<63 - 1 // largest Counter
	MaxShardIndex = 1<<31 - 1 // largest ShardIndex
)

// Bit offsets of the fields, least significant bit 0. Frozen.
const (
	versionLowOff  = 0   // 4 bits
	shardIndexOff  = 4   // 32 bits
	arrivalOff     = 36  // 36 bits
	reservedOff    = 72  // 8 bits
	counterOff     = 80  // 64 bits
	shardNibbleOff = 144 // 4 bits
	createdOff     = 148 // 36 bits
	versionHighOff = 184 // 4 bits
)

// pack lays the fields out as a 188-bit integer, truncating each to its
// width. Reserved bits 72-79 stay 0.
func (f Fields) pack() uint192 {
	index := uint64(f.ShardIndex & MaxShardIndex)
	arrival := uint64(f.Arrival) & MaxTime
	counter := f.Counter & MaxCounter
	created := uint64(f.ShardCreated) & MaxTime
	return uint192{
		hi: counter>>(128-counterOff) | (index&0xf)<<(shardNibbleOff-128) |
			created<<(createdOff-128) | Version<<(versionHighOff-128),
		mid: arrival>>(64-arrivalOff) | counter<<(counterOff-64),
		lo:  Version<<versionLowOff | index<<shardIndexOff | arrival<<arrivalOff,
	}
}

// unpack extracts the fields of x, checking everything pack fixes.
func unpack(x uint192) (Fields, error) {
	// Bits 188-191 must be 0, so the whole top byte is the version.
	if x.hi>>(versionHighOff-128) != Version || x.lo>>versionLowOff&0xf != Version {
		return Fields{}, ErrVersion
	}
	counter := x.hi<<(128-counterOff) | x.mid>>(counterOff-64)
	index := x.lo >> shardIndexOff & (1<<32 - 1)
	switch {
	case x.mid>>(reservedOff-64)&0xff != 0:
		return Fields{}, fmt.Errorf("%w: reserved bits 72-79 set", ErrMalformed)
	case counter > MaxCounter:
		return Fields{}, fmt.Errorf("%w: counter top bit set", ErrMalformed)
	case index > MaxShardIndex:
		return Fields{}, fmt.Errorf("%w: shard index top bit set", ErrMalformed)
	case x.hi>>(shardNibbleOff-128)&0xf != index&0xf:
		return Fields{}, fmt.Errorf("%w: shard index nibbles disagree", ErrMalformed)
	}
	return Fields{
		ShardCreated: int64(x.hi >> (createdOff - 128) & MaxTime),
		ShardIndex:   uint32(index),
		Counter:      counter,
		Arrival:      int64((x.mid<<(64-arrivalOff) | x.lo>>arrivalOff) & MaxTime),
	}, nil
}
