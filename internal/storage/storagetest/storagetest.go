// Package storagetest is a conformance suite for storage.Engine
// implementations.
//
// An engine's test calls Run with a constructor for empty engines; a durable
// engine also calls RunDurable, which adds close-and-reopen checks. Every
// check follows the contract written in package storage, not the behaviour of
// one engine: where the contract leaves a choice (Trim may discard lazily, in
// whole segments), the suite accepts every allowed outcome.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
)

// Run runs the conformance suite. open must return a new, empty engine;
// the suite closes it.
func Run(t *testing.T, open func(t *testing.T) storage.Engine) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, storage.Engine)
	}{
		{"CreateShard", testCreateShard},
		{"AppendAssignsIndexes", testAppendAssignsIndexes},
		{"AppendClampsArrival", testAppendClampsArrival},
		{"AppendEmpty", testAppendEmpty},
		{"RoundTrip", testRoundTrip},
		{"Read", testRead},
		{"SeekArrival", testSeekArrival},
		{"Trim", testTrim},
		{"TrimAll", testTrimAll},
		{"DeleteShard", testDeleteShard},
		{"ShardNotFound", testShardNotFound},
		{"Shards", testShards},
		{"Meta", testMeta},
		{"ShardsIndependent", testShardsIndependent},
		{"ConcurrentOneShard", testConcurrentOneShard},
		{"ConcurrentManyShards", testConcurrentManyShards},
		{"ConcurrentReadWrite", testConcurrentReadWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := open(t)
			defer closeQuietly(t, e)
			tt.fn(t, e)
		})
	}
	t.Run("Closed", func(t *testing.T) { testClosed(t, open(t)) })
}

// closeQuietly closes e, accepting ErrClosed from a test that closed it.
func closeQuietly(t *testing.T, e storage.Engine) {
	t.Helper()
	if err := e.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Close: %v", err)
	}
}

// record returns a record whose content is derived from (tag, n), with a
// CRC of the content in the first four bytes of Data so that any damage is
// visible. size is the length of Data (at least 4).
func record(tag string, n int, arrival int64, size int) storage.Record {
	key := fmt.Sprintf("%s-%d", tag, n)
	data := make([]byte, max(size, 4))
	for i := 4; i < len(data); i++ {
		data[i] = byte(n*31 + i + len(tag))
	}
	crc := crc32.ChecksumIEEE(append([]byte(key), data[4:]...))
	data[0], data[1], data[2], data[3] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return storage.Record{Arrival: arrival, Flags: uint8(n % 2), PartitionKey: key, Data: data}
}

// intact reports whether r's Data matches the CRC that record wrote.
func intact(r storage.Record) bool {
	if len(r.Data) < 4 {
		return false
	}
	crc := crc32.ChecksumIEEE(append([]byte(r.PartitionKey), r.Data[4:]...))
	return r.Data[0] == byte(crc>>24) && r.Data[1] == byte(crc>>16) &&
		r.Data[2] == byte(crc>>8) && r.Data[3] == byte(crc)
}

// batch returns count records tagged tag, numbered from start, all with
// the given arrival.
func batch(tag string, start, count int, arrival int64, size int) []storage.Record {
	recs := make([]storage.Record, count)
	for i := range recs {
		recs[i] = record(tag, start+i, arrival, size)
	}
	return recs
}

// clone deep-copies recs: the engine owns what it is given, so a test keeps
// its own copy of what it expects.
func clone(recs []storage.Record) []storage.Record {
	out := make([]storage.Record, len(recs))
	for i, r := range recs {
		r.Data = bytes.Clone(r.Data)
		out[i] = r
	}
	return out
}

// equal reports the first difference between got and want, or "".
func equal(got, want []storage.Record) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d records, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		switch {
		case g.Index != w.Index:
			return fmt.Sprintf("record %d: Index %d, want %d", i, g.Index, w.Index)
		case g.Arrival != w.Arrival:
			return fmt.Sprintf("record %d: Arrival %d, want %d", i, g.Arrival, w.Arrival)
		case g.Flags != w.Flags:
			return fmt.Sprintf("record %d: Flags %#x, want %#x", i, g.Flags, w.Flags)
		case g.PartitionKey != w.PartitionKey:
			return fmt.Sprintf("record %d: PartitionKey %q, want %q", i, g.PartitionKey, w.PartitionKey)
		case !bytes.Equal(g.Data, w.Data):
			return fmt.Sprintf("record %d: Data differs (%d bytes, want %d)", i, len(g.Data), len(w.Data))
		}
	}
	return ""
}

// mustCreate creates shard id.
func mustCreate(t *testing.T, e storage.Engine, id storage.ShardID) {
	t.Helper()
	if err := e.CreateShard(context.Background(), id); err != nil {
		t.Fatalf("CreateShard(%v): %v", id, err)
	}
}

// mustAppend appends recs to id and returns a copy of them as stored
// (indexes and arrivals set).
func mustAppend(t *testing.T, e storage.Engine, id storage.ShardID, recs []storage.Record) []storage.Record {
	t.Helper()
	want := clone(recs)
	if err := e.Append(context.Background(), id, recs); err != nil {
		t.Fatalf("Append(%v, %d records): %v", id, len(recs), err)
	}
	for i := range recs {
		want[i].Index, want[i].Arrival = recs[i].Index, recs[i].Arrival
	}
	return want
}

// readAll reads id from index from to the end, in pages of at most page
// records.
func readAll(t *testing.T, e storage.Engine, id storage.ShardID, from uint64, page int) []storage.Record {
	t.Helper()
	var all []storage.Record
	for {
		recs, err := e.Read(context.Background(), id, from, storage.ReadOptions{MaxRecords: page})
		if err != nil {
			t.Fatalf("Read(%v, %d): %v", id, from, err)
		}
		if len(recs) == 0 {
			return all
		}
		all = append(all, recs...)
		from = recs[len(recs)-1].Index + 1
	}
}

// mustInfo returns id's Info.
func mustInfo(t *testing.T, e storage.Engine, id storage.ShardID) storage.ShardInfo {
	t.Helper()
	info, err := e.Info(context.Background(), id)
	if err != nil {
		t.Fatalf("Info(%v): %v", id, err)
	}
	return info
}
