package fanout

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// record is a Kinesis record as it was put and as a client delivered it.
type record struct {
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	// ApproximateArrivalTimestamp is in Unix milliseconds.
	ApproximateArrivalTimestamp int64
}

func (r record) String() string {
	data := r.Data
	if len(data) > 24 {
		data = data[:24]
	}
	return fmt.Sprintf("{seq %s pk %q data %q (%d bytes) at %d}", r.SequenceNumber, r.PartitionKey, data, len(r.Data), r.ApproximateArrivalTimestamp)
}

type hashKeyRange struct {
	StartingHashKey, EndingHashKey string
}

type childShard struct {
	ShardId      string
	ParentShards []string
	HashKeyRange hashKeyRange
}

// event is one SubscribeToShardEvent as a client decoded it.
type event struct {
	Records                    []record
	ContinuationSequenceNumber *string
	MillisBehindLatest         *int64
	ChildShards                []childShard
}

// delivery is what a subscription yields next: an event, or (event nil)
// the end of the stream, with the error it ended with: "" for a normal
// end, otherwise "ErrorCode: message".
type delivery struct {
	event *event
	err   string
}

// A subscription is one SubscribeToShard call as a client library sees it.
type subscription interface {
	// protocol is what the response arrived over: "http/1.1", "h2" (TLS
	// with ALPN) or "h2c" (cleartext, prior knowledge).
	protocol() string
	// next waits up to timeout for the next delivery; false if none came.
	next(timeout time.Duration) (delivery, bool)
	// close ends the subscription from the client's side and returns once
	// the client has let go of it.
	close(t *testing.T)
}

// A consumerClient subscribes the way one client library does.
type consumerClient interface {
	// subscribe calls SubscribeToShard; a refused call yields a non-empty
	// error text ("ErrorCode: message").
	subscribe(t *testing.T, consumerARN, shardID string, pos position) (subscription, string)
}

// position is a SubscribeToShard StartingPosition.
type position struct {
	Type           types.ShardIteratorType
	SequenceNumber string
}

// Timeouts of the scenario; generous, as the clients share two cores.
const (
	eventTimeout     = 15 * time.Second
	subscribeTimeout = 60 * time.Second // includes a client's start-up
)

// Shards of the scenario's stream and the key that splits it.
const (
	parentShard = "shardId-000000000000"
	lowShard    = "shardId-000000000001"
	highShard   = "shardId-000000000002"
	splitKey    = "170141183460469231731687303715884105728" // 2^127
	maxHashKey  = "340282366920938463463374607431768211455" // 2^128-1
)

// runScenario drives client through what every fan-out consumer must get
// right, asserting that each SubscribeToShard response arrives over proto:
//
//  1. records put before it subscribed (TRIM_HORIZON), then records put
//     while it is subscribed;
//  2. it closes the subscription; records are put while nobody reads; a
//     new subscription AFTER_SEQUENCE_NUMBER of the last continuation gets
//     exactly those, then live ones;
//  3. the shard is split: the parent's stream ends with an event that
//     names both children and has no continuation, then ends normally;
//  4. subscriptions to both children get the records put to each before
//     and after they subscribed.
//
// Every delivered record must equal the one put, in order, with no gaps or
// duplicates; heartbeats may come in between.
func runScenario(t *testing.T, fx *fixture, client consumerClient, proto string) {
	sub := func(shard string, pos position) subscription {
		t.Helper()
		s, errText := client.subscribe(t, fx.consumerARN, shard, pos)
		if errText != "" {
			t.Fatalf("SubscribeToShard %s %s: %s", shard, pos.Type, errText)
		}
		if got := s.protocol(); got != proto {
			t.Errorf("SubscribeToShard %s arrived over %s, want %s", shard, got, proto)
		}
		return s
	}

	backlog := fx.put(t, "backlog", 3)
	first := sub(parentShard, position{Type: types.ShardIteratorTypeTrimHorizon})
	expectRecords(t, first, backlog)
	live := fx.put(t, "live", 3)
	cont := expectRecords(t, first, live)
	first.close(t)

	unread := fx.put(t, "unread", 3)
	fx.clock.Advance(6 * time.Second) // past the 5 s takeover rule
	resumed := sub(parentShard, position{Type: types.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: cont})
	expectRecords(t, resumed, unread)
	expectRecords(t, resumed, fx.put(t, "resumed", 2))

	fx.split(t)
	expectShardEnd(t, resumed, []childShard{
		{ShardId: lowShard, ParentShards: []string{parentShard}, HashKeyRange: hashKeyRange{"0", "170141183460469231731687303715884105727"}},
		{ShardId: highShard, ParentShards: []string{parentShard}, HashKeyRange: hashKeyRange{splitKey, maxHashKey}},
	})

	lowBefore := fx.putTo(t, lowShard, "0", "low", 2)
	highBefore := fx.putTo(t, highShard, maxHashKey, "high", 2)
	low := sub(lowShard, position{Type: types.ShardIteratorTypeTrimHorizon})
	high := sub(highShard, position{Type: types.ShardIteratorTypeTrimHorizon})
	expectRecords(t, low, lowBefore)
	expectRecords(t, high, highBefore)
	expectRecords(t, high, fx.putTo(t, highShard, splitKey, "high-live", 2))
	expectRecords(t, low, fx.putTo(t, lowShard, "1", "low-live", 2))
	low.close(t)
	high.close(t)
}

// nextEvent returns the next event of s, failing the test if the stream
// ends or stays silent.
func nextEvent(t *testing.T, s subscription) *event {
	t.Helper()
	d, ok := s.next(eventTimeout)
	switch {
	case !ok:
		t.Fatalf("no event within %v", eventTimeout)
	case d.event == nil:
		t.Fatalf("stream ended (error %q), want an event", d.err)
	}
	return d.event
}

// expectRecords reads s until it has delivered exactly want, in order, and
// returns the continuation sequence number of the event that held the last
// of them. Events without records (heartbeats) may come in between; every
// event of an open shard must carry a continuation.
func expectRecords(t *testing.T, s subscription, want []record) string {
	t.Helper()
	var got []record
	cont := ""
	for len(got) < len(want) {
		ev := nextEvent(t, s)
		if ev.ContinuationSequenceNumber == nil || len(ev.ChildShards) > 0 {
			t.Fatalf("event of an open shard without continuation or with children: %+v", ev)
		}
		got = append(got, ev.Records...)
		cont = *ev.ContinuationSequenceNumber
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range want {
		if !equalRecord(got[i], want[i]) {
			t.Fatalf("record %d of %d:\n got %v\nwant %v", i, len(want), got[i], want[i])
		}
	}
	return cont
}

func equalRecord(a, b record) bool {
	return a.SequenceNumber == b.SequenceNumber && a.PartitionKey == b.PartitionKey &&
		bytes.Equal(a.Data, b.Data) && a.ApproximateArrivalTimestamp == b.ApproximateArrivalTimestamp
}

// expectShardEnd reads s to the end of a closed shard: heartbeats, then one
// event with the shard's children and no continuation, then a normal end.
func expectShardEnd(t *testing.T, s subscription, children []childShard) {
	t.Helper()
	for {
		ev := nextEvent(t, s)
		if len(ev.Records) > 0 {
			t.Fatalf("records after the last one put: %v", ev.Records)
		}
		if len(ev.ChildShards) == 0 {
			if ev.ContinuationSequenceNumber == nil {
				t.Fatalf("event with neither children nor continuation: %+v", ev)
			}
			continue
		}
		if ev.ContinuationSequenceNumber != nil {
			t.Errorf("shard-end event has continuation %s", *ev.ContinuationSequenceNumber)
		}
		if !reflect.DeepEqual(ev.ChildShards, children) {
			t.Errorf("child shards\n got %+v\nwant %+v", ev.ChildShards, children)
		}
		break
	}
	d, ok := s.next(eventTimeout)
	switch {
	case !ok:
		t.Fatalf("stream still open %v after its shard-end event", eventTimeout)
	case d.event != nil:
		t.Fatalf("event after the shard-end event: %+v", d.event)
	case d.err != "":
		t.Fatalf("stream ended with %s, want a normal end", d.err)
	}
}

// payload returns the data of the i-th record of a batch: short text,
// every byte value, or 48 KiB, so that each client's base64 and JSON
// handling is exercised.
func payload(label string, i int) []byte {
	switch i % 3 {
	case 1:
		b := []byte(label)
		for v := range 256 {
			b = append(b, byte(v))
		}
		return b
	case 2:
		return append([]byte(label), bytes.Repeat([]byte(strings.ToUpper(label)+"."), 48<<10/(len(label)+1))...)
	}
	return fmt.Appendf(nil, "%s-%d", label, i)
}
