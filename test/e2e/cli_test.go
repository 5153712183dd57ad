package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// equalJSON fails the test unless got, marshalled to JSON, equals the JSON
// document want.
func equalJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	raw, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation for %s: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		pretty, _ := json.MarshalIndent(g, "", "  ")
		t.Errorf("%s:\n%s\nwant:\n%s", what, pretty, want)
	}
}

// cliTime is how the CLI prints fixedStart (+d) with
// cli_timestamp_format = iso8601.
func cliTime(d time.Duration) string {
	return fixedStart.Add(d).Format("2006-01-02T15:04:05.000000-07:00")
}

// startCLIServer starts a server with the given lifecycle delays (none:
// instant) on a manual clock, with streams created through the Go SDK, and
// a CLI pointed at it.
func startCLIServer(t *testing.T, cfg stream.Config, streams map[string]int32) (*cli, *testserver.Clock) {
	t.Helper()
	clock := testserver.NewClock(fixedStart)
	srv := testserver.Start(t, testserver.Options{Clock: clock, Stream: cfg})
	client := srv.Client()
	for name, shards := range streams {
		_, err := client.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)})
		if err != nil {
			t.Fatalf("CreateStream %s: %v", name, err)
		}
	}
	return newCLI(t, srv.URL), clock
}

// TestCLIStreamLifecycle creates a stream with the CLI, waits for it with
// `aws kinesis wait stream-exists` while it is CREATING, then deletes it and
// waits with `wait stream-not-exists` while it is DELETING. The server's
// clock moves only when the test moves it, so neither waiter can succeed
// before the test ends the transient state.
func TestCLIStreamLifecycle(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(fixedStart)
	srv := testserver.Start(t, testserver.Options{Clock: clock, Stream: stream.Config{
		CreateDelay: 1500 * time.Millisecond,
		DeleteDelay: time.Second,
	}})
	c := newCLI(t, srv.URL)

	c.ok(nil, "create-stream", "--stream-name", "life", "--shard-count", "2")
	var summary any
	c.ok(&summary, "describe-stream-summary", "--stream-name", "life")
	equalJSON(t, "describe-stream-summary", summary, `{"StreamDescriptionSummary": {
		"StreamName": "life",
		"StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/life",
		"StreamStatus": "CREATING",
		"StreamModeDetails": {"StreamMode": "PROVISIONED"},
		"RetentionPeriodHours": 24,
		"StreamCreationTimestamp": "`+cliTime(0)+`",
		"EnhancedMonitoring": [{"ShardLevelMetrics": []}],
		"EncryptionType": "NONE",
		"OpenShardCount": 2,
		"ConsumerCount": 0,
		"MaxRecordSizeInKiB": 1024}}`)

	c.waitAcross(clock, 1500*time.Millisecond, "wait", "stream-exists", "--stream-name", "life")

	var streams any
	c.ok(&streams, "list-streams")
	// The CLI pages through list-streams itself and drops HasMoreStreams.
	equalJSON(t, "list-streams", streams, `{
		"StreamNames": ["life"],
		"StreamSummaries": [{
			"StreamName": "life",
			"StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/life",
			"StreamStatus": "ACTIVE",
			"StreamModeDetails": {"StreamMode": "PROVISIONED"},
			"StreamCreationTimestamp": "`+cliTime(0)+`"}]}`)

	c.ok(nil, "delete-stream", "--stream-name", "life")
	c.waitAcross(clock, time.Second, "wait", "stream-not-exists", "--stream-name", "life")
	c.fail("ResourceNotFoundException", "Stream life under account 123456789012 not found.",
		"describe-stream-summary", "--stream-name", "life")
}

// TestCLIRecords writes records with put-record and put-records and reads
// them back with get-shard-iterator and get-records.
func TestCLIRecords(t *testing.T) {
	t.Parallel()
	c, _ := startCLIServer(t, stream.Config{}, map[string]int32{"cli-records": 2})

	var put struct{ ShardId, SequenceNumber, EncryptionType string }
	c.ok(&put, "put-record", "--stream-name", "cli-records", "--partition-key", "pk-a",
		"--data", "hello from the cli", "--explicit-hash-key", "0")
	if put.ShardId != "shardId-000000000000" || put.EncryptionType != "NONE" || !seqPattern.MatchString(put.SequenceNumber) {
		t.Fatalf("put-record returned %+v", put)
	}

	var puts struct {
		FailedRecordCount int
		EncryptionType    string
		Records           []struct{ ShardId, SequenceNumber string }
	}
	c.ok(&puts, "put-records", "--stream-name", "cli-records", "--records",
		`[{"Data":"first","PartitionKey":"k1","ExplicitHashKey":"1"},`+
			`{"Data":"second","PartitionKey":"k2","ExplicitHashKey":"340282366920938463463374607431768211455"}]`)
	if puts.FailedRecordCount != 0 || puts.EncryptionType != "NONE" || len(puts.Records) != 2 {
		t.Fatalf("put-records returned %+v", puts)
	}
	for i, wantShard := range []string{"shardId-000000000000", "shardId-000000000001"} {
		if r := puts.Records[i]; r.ShardId != wantShard || !seqPattern.MatchString(r.SequenceNumber) {
			t.Errorf("put-records entry %d: %+v, want shard %s", i, r, wantShard)
		}
	}
	if puts.Records[0].SequenceNumber <= put.SequenceNumber {
		t.Errorf("sequence numbers do not grow: %s then %s", put.SequenceNumber, puts.Records[0].SequenceNumber)
	}

	var it struct{ ShardIterator string }
	c.ok(&it, "get-shard-iterator", "--stream-name", "cli-records",
		"--shard-id", "shardId-000000000000", "--shard-iterator-type", "TRIM_HORIZON")
	var got map[string]any
	c.ok(&got, "get-records", "--shard-iterator", it.ShardIterator)
	if next, _ := got["NextShardIterator"].(string); next == "" {
		t.Errorf("get-records returned no NextShardIterator: %v", got)
	}
	delete(got, "NextShardIterator")
	b64 := base64.StdEncoding.EncodeToString
	equalJSON(t, "get-records", got, `{
		"Records": [
			{"SequenceNumber": "`+put.SequenceNumber+`",
			 "ApproximateArrivalTimestamp": "`+cliTime(0)+`",
			 "Data": "`+b64([]byte("hello from the cli"))+`",
			 "PartitionKey": "pk-a",
			 "EncryptionType": "NONE"},
			{"SequenceNumber": "`+puts.Records[0].SequenceNumber+`",
			 "ApproximateArrivalTimestamp": "`+cliTime(0)+`",
			 "Data": "`+b64([]byte("first"))+`",
			 "PartitionKey": "k1",
			 "EncryptionType": "NONE"}],
		"MillisBehindLatest": 0}`)
}

// TestCLIResharding lists shards, splits one and lists the new lineage.
func TestCLIResharding(t *testing.T) {
	t.Parallel()
	c, _ := startCLIServer(t, stream.Config{}, map[string]int32{"cli-shards": 2})

	var before struct {
		Shards []map[string]any
	}
	c.ok(&before, "list-shards", "--stream-name", "cli-shards")
	starts := make([]string, len(before.Shards))
	for i, sh := range before.Shards {
		r, _ := sh["SequenceNumberRange"].(map[string]any)
		starts[i], _ = r["StartingSequenceNumber"].(string)
		if !seqPattern.MatchString(starts[i]) {
			t.Fatalf("shard %d: StartingSequenceNumber %q", i, starts[i])
		}
	}
	equalJSON(t, "list-shards", before, `{"Shards": [
		{"ShardId": "shardId-000000000000",
		 "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "170141183460469231731687303715884105727"},
		 "SequenceNumberRange": {"StartingSequenceNumber": "`+starts[0]+`"}},
		{"ShardId": "shardId-000000000001",
		 "HashKeyRange": {"StartingHashKey": "170141183460469231731687303715884105728", "EndingHashKey": "340282366920938463463374607431768211455"},
		 "SequenceNumberRange": {"StartingSequenceNumber": "`+starts[1]+`"}}]}`)

	c.ok(nil, "split-shard", "--stream-name", "cli-shards", "--shard-to-split", "shardId-000000000000",
		"--new-starting-hash-key", "85070591730234615865843651857942052864")

	var after struct {
		Shards []struct {
			ShardId             string
			ParentShardId       string
			HashKeyRange        struct{ StartingHashKey, EndingHashKey string }
			SequenceNumberRange struct{ StartingSequenceNumber, EndingSequenceNumber string }
		}
	}
	c.ok(&after, "list-shards", "--stream-name", "cli-shards")
	type shard struct{ id, parent, start, end string }
	want := []shard{
		{"shardId-000000000000", "", "0", "170141183460469231731687303715884105727"},
		{"shardId-000000000001", "", "170141183460469231731687303715884105728", "340282366920938463463374607431768211455"},
		{"shardId-000000000002", "shardId-000000000000", "0", "85070591730234615865843651857942052863"},
		{"shardId-000000000003", "shardId-000000000000", "85070591730234615865843651857942052864", "170141183460469231731687303715884105727"},
	}
	if len(after.Shards) != len(want) {
		t.Fatalf("list-shards after the split returned %d shards, want %d: %+v", len(after.Shards), len(want), after.Shards)
	}
	for i, sh := range after.Shards {
		got := shard{sh.ShardId, sh.ParentShardId, sh.HashKeyRange.StartingHashKey, sh.HashKeyRange.EndingHashKey}
		if got != want[i] {
			t.Errorf("shard %d: %+v, want %+v", i, got, want[i])
		}
		closed := sh.SequenceNumberRange.EndingSequenceNumber != ""
		if closed != (i == 0) {
			t.Errorf("%s: EndingSequenceNumber %q; only the split parent is closed", sh.ShardId, sh.SequenceNumberRange.EndingSequenceNumber)
		}
		if !seqPattern.MatchString(sh.SequenceNumberRange.StartingSequenceNumber) {
			t.Errorf("%s: StartingSequenceNumber %q", sh.ShardId, sh.SequenceNumberRange.StartingSequenceNumber)
		}
	}
}

// TestCLITagsAndConsumers tags a stream and registers a consumer, which
// stays CREATING for a second of the server's clock.
func TestCLITagsAndConsumers(t *testing.T) {
	t.Parallel()
	c, clock := startCLIServer(t, stream.Config{ConsumerDelay: time.Second}, map[string]int32{"cli-tags": 1})
	arn := "arn:aws:kinesis:us-east-1:123456789012:stream/cli-tags"

	c.ok(nil, "add-tags-to-stream", "--stream-name", "cli-tags", "--tags", "team=data,env=test")
	var tags any
	c.ok(&tags, "list-tags-for-stream", "--stream-name", "cli-tags")
	equalJSON(t, "list-tags-for-stream", tags, `{
		"Tags": [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "data"}],
		"HasMoreTags": false}`)

	var reg struct{ Consumer map[string]any }
	c.ok(&reg, "register-stream-consumer", "--stream-arn", arn, "--consumer-name", "cli-consumer")
	consumerARN := fmt.Sprintf("%s/consumer/cli-consumer:%d", arn, fixedStart.Unix())
	equalJSON(t, "register-stream-consumer", reg, `{"Consumer": {
		"ConsumerName": "cli-consumer",
		"ConsumerARN": "`+consumerARN+`",
		"ConsumerStatus": "CREATING",
		"ConsumerCreationTimestamp": "`+cliTime(0)+`"}}`)

	clock.Advance(time.Second)
	var desc any
	c.ok(&desc, "describe-stream-consumer", "--consumer-arn", consumerARN)
	equalJSON(t, "describe-stream-consumer", desc, `{"ConsumerDescription": {
		"ConsumerName": "cli-consumer",
		"ConsumerARN": "`+consumerARN+`",
		"ConsumerStatus": "ACTIVE",
		"ConsumerCreationTimestamp": "`+cliTime(0)+`",
		"StreamARN": "`+arn+`"}}`)
}

// TestCLIErrors checks that the CLI reports the server's errors: the exit
// code of a service error and AWS's code and message on stderr.
func TestCLIErrors(t *testing.T) {
	t.Parallel()
	c, _ := startCLIServer(t, stream.Config{}, map[string]int32{"cli-errors": 1})
	tests := []struct {
		name          string
		code, message string
		args          []string
	}{
		{"missing stream", "ResourceNotFoundException", "Stream cli-missing under account 123456789012 not found.",
			[]string{"describe-stream-summary", "--stream-name", "cli-missing"}},
		{"existing stream", "ResourceInUseException", "Stream cli-errors under account 123456789012 already exists.",
			[]string{"create-stream", "--stream-name", "cli-errors", "--shard-count", "1"}},
		{"bad stream name", "ValidationException",
			"1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: " +
				"Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
			[]string{"describe-stream-summary", "--stream-name", "bad name!"}},
		{"missing shard", "ResourceNotFoundException",
			"Shard shardId-000000000009 in stream cli-errors under account 123456789012 does not exist",
			[]string{"get-shard-iterator", "--stream-name", "cli-errors", "--shard-id", "shardId-000000000009", "--shard-iterator-type", "LATEST"}},
		{"bad iterator", "InvalidArgumentException", "Invalid ShardIterator.",
			[]string{"get-records", "--shard-iterator", "AAAAAAAAAAGy7gVTq8EW0H0WDrI5lnNT0C0Ik6I4LX8Ri9ml5iuNJ3iGLn/GLfa8lGh8xZbgxO"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c.forTest(t).fail(tt.code, tt.message, tt.args...)
		})
	}
}
