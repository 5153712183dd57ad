package e2e

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// jmap is a CBOR map written the way the AWS SDKs for Java write request
// objects: Jackson's CBOR generator emits indefinite-length maps (0xbf ...
// 0xff) with members in declaration order. It holds alternating keys and
// values.
type jmap []any

func (m jmap) MarshalCBOR() ([]byte, error) {
	b := []byte{0xbf}
	for _, v := range m {
		enc, err := cbor.Marshal(v)
		if err != nil {
			return nil, err
		}
		b = append(b, enc...)
	}
	return append(b, 0xff), nil
}

// javaTime is a timestamp as the Java SDKs encode it: CBOR tag 1 around
// integer epoch milliseconds (RFC 8949 says seconds; AWS uses millis).
func javaTime(t time.Time) cbor.Tag {
	return cbor.Tag{Number: 1, Content: t.UnixMilli()}
}

// javaClient sends CBOR requests to one server the way the Java SDK does.
type javaClient struct {
	t   *testing.T
	url string
}

// call sends op with the CBOR encoding of body and returns the reply.
func (c javaClient) call(op string, body jmap) reply {
	c.t.Helper()
	enc, err := cbor.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	return post(c.t, http.DefaultClient, c.url, contentCBOR, op, enc)
}

// ok sends op, requires a 200 CBOR reply and returns its top-level members
// undecoded, so that tests can check how each was encoded.
func (c javaClient) ok(op string, body jmap) map[string]cbor.RawMessage {
	c.t.Helper()
	r := c.call(op, body)
	if r.status != http.StatusOK {
		c.t.Fatalf("%s: status %d, body %x", op, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != contentCBOR {
		c.t.Errorf("%s: Content-Type %q", op, ct)
	}
	if len(r.body) == 0 {
		return nil
	}
	return rawMembers(c.t, r.body)
}

// rawMembers decodes a CBOR map, leaving its values encoded.
func rawMembers(t *testing.T, b []byte) map[string]cbor.RawMessage {
	t.Helper()
	var m map[string]cbor.RawMessage
	if err := cbor.Unmarshal(b, &m); err != nil {
		t.Fatalf("reply %x is not a CBOR map: %v", b, err)
	}
	return m
}

// rawList decodes a CBOR array of maps, leaving their values encoded.
func rawList(t *testing.T, b cbor.RawMessage) []map[string]cbor.RawMessage {
	t.Helper()
	var l []map[string]cbor.RawMessage
	if err := cbor.Unmarshal(b, &l); err != nil {
		t.Fatalf("%x is not a CBOR array of maps: %v", []byte(b), err)
	}
	return l
}

// CBOR major types, the top three bits of an item's first byte.
const (
	majorUint  = 0
	majorBytes = 2
	majorText  = 3
)

// wantTimestamp checks that raw is tag 1 around an integer (major type 0)
// of epoch milliseconds equal to want.
func wantTimestamp(t *testing.T, what string, raw cbor.RawMessage, want time.Time) {
	t.Helper()
	var tag cbor.RawTag
	if err := cbor.Unmarshal(raw, &tag); err != nil || tag.Number != 1 {
		t.Errorf("%s: %x is not CBOR tag 1", what, []byte(raw))
		return
	}
	if len(tag.Content) == 0 || tag.Content[0]>>5 != majorUint {
		t.Errorf("%s: tag 1 holds %x, want an unsigned integer", what, []byte(tag.Content))
		return
	}
	var ms int64
	if err := cbor.Unmarshal(tag.Content, &ms); err != nil || ms != want.UnixMilli() {
		t.Errorf("%s: %d ms, want %d (%v)", what, ms, want.UnixMilli(), want)
	}
}

// wantText decodes raw, which must be a text string, and compares it.
func wantText(t *testing.T, what string, raw cbor.RawMessage, want string) string {
	t.Helper()
	var s string
	if len(raw) == 0 || raw[0]>>5 != majorText || cbor.Unmarshal(raw, &s) != nil {
		t.Fatalf("%s: %x is not a text string", what, []byte(raw))
	}
	if want != "" && s != want {
		t.Errorf("%s = %q, want %q", what, s, want)
	}
	return s
}

// TestCBORJavaSDK drives a stream with requests encoded as the AWS SDK for
// Java (and so the KCL) encodes them and checks the encoding of every
// timestamp and blob in the replies. The server's clock is manual, so every
// timestamp is known exactly.
func TestCBORJavaSDK(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(fixedStart)
	srv := testserver.Start(t, testserver.Options{Clock: clock})
	java := javaClient{t: t, url: srv.URL}

	if out := java.ok("CreateStream", jmap{"StreamName", "java", "ShardCount", 2}); out != nil {
		t.Fatalf("CreateStream replied %v, want an empty body", out)
	}
	summary := rawMembers(t, java.ok("DescribeStreamSummary", jmap{"StreamName", "java"})["StreamDescriptionSummary"])
	wantTimestamp(t, "StreamCreationTimestamp", summary["StreamCreationTimestamp"], fixedStart)
	wantText(t, "StreamStatus", summary["StreamStatus"], "ACTIVE")
	wantText(t, "StreamARN", summary["StreamARN"], "arn:aws:kinesis:us-east-1:123456789012:stream/java")

	// One record at +1 s, two at +2 s; all on shard 0.
	first := make([]byte, 256)
	for i := range first {
		first[i] = byte(i)
	}
	clock.Advance(time.Second)
	put := java.ok("PutRecord", jmap{"StreamName", "java", "Data", first, "PartitionKey", "pk", "ExplicitHashKey", "0"})
	wantText(t, "PutRecord ShardId", put["ShardId"], "shardId-000000000000")
	firstSeq := wantText(t, "PutRecord SequenceNumber", put["SequenceNumber"], "")
	clock.Advance(time.Second)
	java.ok("PutRecords", jmap{"StreamName", "java", "Records", []jmap{
		{"Data", []byte("second"), "PartitionKey", "pk", "ExplicitHashKey", "1"},
		{"Data", []byte{}, "PartitionKey", "pk", "ExplicitHashKey", "2"},
	}})

	t.Run("GetRecords", func(t *testing.T) {
		it := java.ok("GetShardIterator", jmap{"StreamName", "java", "ShardId", "shardId-000000000000",
			"ShardIteratorType", "AT_TIMESTAMP", "Timestamp", javaTime(fixedStart)})
		out := java.ok("GetRecords", jmap{"ShardIterator", wantText(t, "ShardIterator", it["ShardIterator"], "")})
		records := rawList(t, out["Records"])
		want := []struct {
			data    []byte
			arrival time.Time
		}{{first, fixedStart.Add(time.Second)}, {[]byte("second"), fixedStart.Add(2 * time.Second)}, {[]byte{}, fixedStart.Add(2 * time.Second)}}
		if len(records) != len(want) {
			t.Fatalf("GetRecords returned %d records, want %d", len(records), len(want))
		}
		for i, r := range records {
			wantTimestamp(t, "ApproximateArrivalTimestamp", r["ApproximateArrivalTimestamp"], want[i].arrival)
			data := r["Data"]
			var got []byte
			if len(data) == 0 || data[0]>>5 != majorBytes || cbor.Unmarshal(data, &got) != nil {
				t.Errorf("record %d: Data %x is not a byte string", i, []byte(data))
			} else if !bytes.Equal(got, want[i].data) {
				t.Errorf("record %d: Data %x, want %x", i, got, want[i].data)
			}
			wantText(t, "PartitionKey", r["PartitionKey"], "pk")
		}
		wantText(t, "first SequenceNumber", records[0]["SequenceNumber"], firstSeq)
		if raw := out["MillisBehindLatest"]; len(raw) == 0 || raw[0]>>5 != majorUint {
			t.Errorf("MillisBehindLatest %x is not an unsigned integer", []byte(raw))
		}
	})

	// The server also takes the forms other CBOR encoders use: bare
	// integer or floating-point milliseconds.
	t.Run("AT_TIMESTAMP forms", func(t *testing.T) {
		at := fixedStart.Add(time.Second + time.Millisecond) // just after the first record
		for _, ts := range []any{javaTime(at), at.UnixMilli(), float64(at.UnixMilli()), cbor.Tag{Number: 1, Content: float64(at.UnixMilli())}} {
			it := java.ok("GetShardIterator", jmap{"StreamName", "java", "ShardId", "shardId-000000000000",
				"ShardIteratorType", "AT_TIMESTAMP", "Timestamp", ts})
			out := java.ok("GetRecords", jmap{"ShardIterator", wantText(t, "ShardIterator", it["ShardIterator"], ""), "Limit", 1})
			records := rawList(t, out["Records"])
			if len(records) != 1 {
				t.Fatalf("timestamp %#v: %d records, want 1", ts, len(records))
			}
			wantTimestamp(t, "ApproximateArrivalTimestamp", records[0]["ApproximateArrivalTimestamp"], fixedStart.Add(2*time.Second))
		}
	})

	t.Run("ListShards AT_TIMESTAMP", func(t *testing.T) {
		beforeSplit := fixedStart.Add(2 * time.Second)
		clock.Advance(time.Second)
		java.ok("SplitShard", jmap{"StreamName", "java", "ShardToSplit", "shardId-000000000000",
			"NewStartingHashKey", "85070591730234615865843651857942052864"})
		clock.Advance(time.Second)
		for _, tt := range []struct {
			at   time.Time
			want []string
		}{
			{beforeSplit, []string{"shardId-000000000000", "shardId-000000000001"}},
			{clock.Now(), []string{"shardId-000000000001", "shardId-000000000002", "shardId-000000000003"}},
		} {
			out := java.ok("ListShards", jmap{"StreamName", "java", "ShardFilter", jmap{"Type", "AT_TIMESTAMP", "Timestamp", javaTime(tt.at)}})
			var got []string
			for _, sh := range rawList(t, out["Shards"]) {
				got = append(got, wantText(t, "ShardId", sh["ShardId"], ""))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("shards at %v: %v, want %v", tt.at, got, tt.want)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			op   string
			body jmap
			want apiError
		}{
			{"validation", "DescribeStreamSummary", jmap{"StreamName", "bad name!"}, apiError{"ValidationException",
				"1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: " +
					"Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"}},
			{"not found", "DescribeStreamSummary", jmap{"StreamName", "nope"}, apiError{"ResourceNotFoundException",
				"Stream nope under account 123456789012 not found."}},
			{"blob as number", "PutRecord", jmap{"StreamName", "java", "PartitionKey", "pk", "Data", 7}, apiError{
				"SerializationException", "NUMBER_VALUE can not be converted to a Blob"}},
			{"bad iterator", "GetRecords", jmap{"ShardIterator", "AAAAAAAAAAE="}, apiError{"InvalidArgumentException", "Invalid ShardIterator."}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got := checkError(t, java.call(tt.op, tt.body), contentCBOR, http.StatusBadRequest)
				if got != tt.want {
					t.Errorf("got %+v\nwant %+v", got, tt.want)
				}
			})
		}
	})
}
