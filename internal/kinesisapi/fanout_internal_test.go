package kinesisapi

import (
	"testing"

	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/storage"
)

func TestRecordsCache(t *testing.T) {
	var c recordsCache
	a, b := storage.ShardID{Stream: 1, Index: 0}, storage.ShardID{Stream: 1, Index: 1}

	// Without a subscription nothing is kept.
	c.put(a, 0, 3, []byte("[1,2,3]"))
	if got := c.get(a, 0, 3); got != nil {
		t.Fatalf("kept records of a shard without subscribers: %s", got)
	}

	c.acquire(a)
	c.acquire(a)
	c.acquire(b)
	c.put(a, 0, 3, []byte("[1,2,3]"))
	tests := []struct {
		id          storage.ShardID
		first, next uint64
		want        string
	}{
		{a, 0, 3, "[1,2,3]"},
		{a, 0, 4, ""}, // more records read: a different event
		{a, 1, 3, ""}, // a prefix expired: a different event
		{b, 0, 3, ""}, // another shard
	}
	for _, tt := range tests {
		if got := string(c.get(tt.id, tt.first, tt.next)); got != tt.want {
			t.Errorf("get(%v, %d, %d) = %q, want %q", tt.id, tt.first, tt.next, got, tt.want)
		}
	}
	c.put(a, 3, 5, []byte("[4,5]"))
	if c.get(a, 0, 3) != nil || string(c.get(a, 3, 5)) != "[4,5]" {
		t.Fatal("put did not replace the shard's entry")
	}
	c.release(a)
	if string(c.get(a, 3, 5)) != "[4,5]" {
		t.Fatal("entry dropped while a subscription remains")
	}
	c.release(a)
	if c.get(a, 3, 5) != nil || len(c.shards) != 1 {
		t.Fatalf("entry kept after the last subscription: %d shards cached", len(c.shards))
	}
}

func TestEventJSON(t *testing.T) {
	tests := []struct {
		name string
		ev   event
		want string
	}{
		{"records", event{records: []byte(`[{"a":1}]`), continuation: "4967", behind: 12},
			`{"Records":[{"a":1}],"ContinuationSequenceNumber":"4967","MillisBehindLatest":12}`},
		{"heartbeat", event{records: []byte(`[]`), continuation: "4968"},
			`{"Records":[],"ContinuationSequenceNumber":"4968","MillisBehindLatest":0}`},
		{"shard end", event{records: []byte(`[]`), children: []shape.ChildShard{{ShardId: str("shardId-000000000001"), ParentShards: []string{"shardId-000000000000"}}}},
			`{"Records":[],"MillisBehindLatest":0,"ChildShards":[{"ShardId":"shardId-000000000001","ParentShards":["shardId-000000000000"],"HashKeyRange":null}]}`},
	}
	for _, tt := range tests {
		got, err := tt.ev.appendJSON(nil)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %s, %v; want %s", tt.name, got, err, tt.want)
		}
	}
}
