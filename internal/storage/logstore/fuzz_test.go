package logstore

import (
	"bytes"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
)

// FuzzDecodeFrame checks that any bytes either fail to decode or decode to
// a record that encodes back to the same frame.
func FuzzDecodeFrame(f *testing.F) {
	r := storage.Record{Arrival: 42, Flags: storage.FlagEncrypted, PartitionKey: "key", Data: []byte("data")}
	frame := appendFrame(nil, &r)
	sealFrame(frame, 7, 42)
	f.Add(frame)
	f.Add(frame[:len(frame)-1])
	f.Add([]byte{27, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, n, err := decodeFrame(b)
		if err != nil {
			return
		}
		again := appendFrame(nil, &rec)
		sealFrame(again, rec.Index, rec.Arrival)
		if !bytes.Equal(again, b[:n]) {
			t.Fatalf("frame %x decodes to %+v, which encodes to %x", b[:n], rec, again)
		}
	})
}

// FuzzReadEntry feeds arbitrary bytes to the log entry reader used by
// recovery.
func FuzzReadEntry(f *testing.F) {
	r := storage.Record{Arrival: 1, PartitionKey: "k", Data: []byte("v")}
	frame := appendFrame(nil, &r)
	sealFrame(frame, 3, 1)
	g := newGroup()
	g.addEntry(walEntry{lsn: 5, op: walOpAppend, shard: storage.ShardID{Stream: 1}, arg: 3}, frame)
	g.addEntry(walEntry{lsn: 6, op: walOpTrim, shard: storage.ShardID{Stream: 1}, arg: 3}, nil)
	f.Add(g.wal)
	f.Add(g.wal[:50])
	f.Fuzz(func(t *testing.T, b []byte) {
		rd := bytes.NewReader(b)
		for range 100 {
			h, payload, err := readEntry(rd, 0)
			if err != nil {
				return
			}
			if int(h.size) != walHeaderSize+len(payload) || (h.op == walOpAppend && checkFrames(payload, h.arg) != nil) {
				t.Fatalf("accepted an inconsistent entry %+v with %d payload bytes", h, len(payload))
			}
		}
	})
}

// FuzzDecodeCheckpoint checks that damaged checkpoints are rejected
// without panicking or allocating without bound, and that valid ones round
// trip.
func FuzzDecodeCheckpoint(f *testing.F) {
	cp := &checkpoint{walSeq: 3, walOffset: 100, nextLSN: 9, shards: []shardCheckpoint{{
		id: storage.ShardID{Stream: 2, Index: 1}, incarnation: 4, next: 10, lastArrival: 77,
		segs: []segmentCheckpoint{{base: 0, size: 900, tail: 800, indexCount: 2, lastArrival: 50}, {base: 5, size: 16, lastArrival: 77}},
	}}}
	f.Add(cp.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := decodeCheckpoint(b)
		if err != nil {
			return
		}
		if again := cp.encode(); !bytes.Equal(again, b) {
			t.Fatalf("checkpoint does not round trip")
		}
	})
}

// FuzzDecodeIndex checks that a decoded index is always usable: strictly
// increasing indexes and offsets.
func FuzzDecodeIndex(f *testing.F) {
	var b []byte
	b = appendIndexEntry(b, indexEntry{index: 1, arrival: 5, offset: 16})
	b = appendIndexEntry(b, indexEntry{index: 9, arrival: 6, offset: 4000})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		entries := decodeIndex(b)
		for i := 1; i < len(entries); i++ {
			if entries[i].index <= entries[i-1].index || entries[i].offset <= entries[i-1].offset || entries[i].arrival < entries[i-1].arrival {
				t.Fatalf("entries out of order: %+v", entries)
			}
		}
	})
}
