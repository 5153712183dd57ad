package kinesisapi_test

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// amzTime formats a time as AWS's iterator messages do.
func amzTime(t time.Time) string { return t.UTC().Format("Mon Jan 02 15:04:05 UTC 2006") }

// timeline writes r0..r2 at epoch, r3..r4 1.5 s later and r5 3 s after
// epoch, leaving the clock at epoch+3s, and returns their sequence numbers.
func timeline(e *env, name string) []string {
	e.t.Helper()
	var seqs []string
	for i := range 6 {
		switch i {
		case 3, 5:
			e.advance(1500 * time.Millisecond)
		}
		seqs = append(seqs, aws.ToString(e.put(name, "k", []byte(fmt.Sprintf("r%d", i))).SequenceNumber))
	}
	checkIncreasing(e.t, seqs, 0)
	return seqs
}

func TestSDKShardIteratorPositions(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("pos", 1)
	seqs := timeline(e, "pos")
	shard := shardID(0)
	start := aws.ToString(e.describe("pos").Shards[0].SequenceNumberRange.StartingSequenceNumber)

	for _, tc := range []struct {
		name string
		in   kinesis.GetShardIteratorInput
		want []string
	}{
		{"TRIM_HORIZON", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon},
			[]string{"r0", "r1", "r2", "r3", "r4", "r5"}},
		{"LATEST", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeLatest}, nil},
		{"AT r2", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: &seqs[2]},
			[]string{"r2", "r3", "r4", "r5"}},
		{"AFTER r2", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: &seqs[2]},
			[]string{"r3", "r4", "r5"}},
		{"AT r0", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: &seqs[0]},
			[]string{"r0", "r1", "r2", "r3", "r4", "r5"}},
		{"AFTER r5", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: &seqs[5]}, nil},
		// The shard's StartingSequenceNumber sorts before every record.
		{"AT start", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: &start},
			[]string{"r0", "r1", "r2", "r3", "r4", "r5"}},
		{"AFTER start", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: &start},
			[]string{"r0", "r1", "r2", "r3", "r4", "r5"}},
		{"AT_TIMESTAMP epoch", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(epoch)},
			[]string{"r0", "r1", "r2", "r3", "r4", "r5"}},
		{"AT_TIMESTAMP before retention", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(epoch.Add(-48 * time.Hour))},
			[]string{"r0", "r1", "r2", "r3", "r4", "r5"}},
		{"AT_TIMESTAMP between", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(epoch.Add(time.Millisecond))},
			[]string{"r3", "r4", "r5"}},
		{"AT_TIMESTAMP exact", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(epoch.Add(1500 * time.Millisecond))},
			[]string{"r3", "r4", "r5"}},
		{"AT_TIMESTAMP now", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(epoch.Add(3 * time.Second))},
			[]string{"r5"}},
	} {
		in := tc.in
		in.StreamName, in.ShardId = aws.String("pos"), aws.String(shard)
		out, err := e.c.GetShardIterator(e.ctx, &in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := dataOf(e.drain(aws.ToString(out.ShardIterator))); !equalStrings(got, tc.want) {
			t.Fatalf("%s: read %q, want %q", tc.name, got, tc.want)
		}
	}

	// A LATEST iterator taken now sees only what is written after it.
	latest := e.iterator("pos", shard, types.ShardIteratorTypeLatest)
	e.put("pos", "k", []byte("r6"))
	if got := dataOf(e.drain(latest)); !equalStrings(got, []string{"r6"}) {
		t.Fatalf("LATEST then put: read %q, want [r6]", got)
	}
}

func TestSDKShardIteratorErrors(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("it", 2)
	lo1, _ := evenRange(1, 2)
	on0 := aws.ToString(e.putTo("it", big.NewInt(0), "zero").SequenceNumber)
	on1 := aws.ToString(e.putTo("it", lo1, "one").SequenceNumber)
	// Another stream created a second later: same shard index, different
	// shard creation time in its sequence numbers.
	e.advance(time.Second)
	e.create("other", 1)
	foreign := aws.ToString(e.put("other", "k", []byte("x")).SequenceNumber)

	call := func(typ types.ShardIteratorType, shard string, seq *string, ts *time.Time) error {
		_, err := e.c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String("it"), ShardId: aws.String(shard), ShardIteratorType: typ, StartingSequenceNumber: seq, Timestamp: ts,
		})
		return err
	}
	typeError := func(typ, seq string) string {
		return "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or " +
			"(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified " + typ + " and " + seq + " StartingSequenceNumber."
	}
	now := epoch.Add(time.Second)
	future := now.Add(time.Millisecond)
	for _, tc := range []struct {
		name string
		err  error
		msg  string
	}{
		{"wrong shard", call(types.ShardIteratorTypeAtSequenceNumber, shardID(0), &on1, nil),
			"Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in a call to a shard with shardId-000000000000"},
		{"wrong shard after", call(types.ShardIteratorTypeAfterSequenceNumber, shardID(1), &on0, nil),
			"Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a call to a shard with shardId-000000000001"},
		{"other stream", call(types.ShardIteratorTypeAtSequenceNumber, shardID(0), &foreign, nil),
			"StartingSequenceNumber " + foreign + " used in GetShardIterator on shard shardId-000000000000 in stream it under account 123456789012 is invalid because it did not come from this stream."},
		{"not ours", call(types.ShardIteratorTypeAtSequenceNumber, shardID(0), aws.String("12345"), nil),
			"StartingSequenceNumber 12345 used in GetShardIterator on shard shardId-000000000000 in stream it under account 123456789012 is invalid."},
		{"AT without number", call(types.ShardIteratorTypeAtSequenceNumber, shardID(0), nil, nil), typeError("AT_SEQUENCE_NUMBER", "no")},
		{"AFTER without number", call(types.ShardIteratorTypeAfterSequenceNumber, shardID(0), nil, nil), typeError("AFTER_SEQUENCE_NUMBER", "no")},
		{"TRIM_HORIZON with number", call(types.ShardIteratorTypeTrimHorizon, shardID(0), &on0, nil), typeError("TRIM_HORIZON", "also a")},
		{"LATEST with number", call(types.ShardIteratorTypeLatest, shardID(0), &on0, nil), typeError("LATEST", "also a")},
		{"AT_TIMESTAMP without timestamp", call(types.ShardIteratorTypeAtTimestamp, shardID(0), nil, nil),
			"Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter."},
		{"AT_TIMESTAMP in the future", call(types.ShardIteratorTypeAtTimestamp, shardID(0), nil, &future),
			fmt.Sprintf("The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: %d, currentTimestampInMillis: %d",
				future.UnixMilli(), now.UnixMilli())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr[*types.InvalidArgumentException](t, tc.err, "InvalidArgumentException", tc.msg)
		})
	}

	// Shard ids: AWS reads the number after the dash and names the shard
	// canonically; an id it cannot read is named as given.
	for _, id := range []string{shardID(2), "shardId-2", "2", "x-00002"} {
		wantErr[*types.ResourceNotFoundException](t, call(types.ShardIteratorTypeTrimHorizon, id, nil, nil),
			"ResourceNotFoundException", "Shard shardId-000000000002 in stream it under account 123456789012 does not exist")
	}
	for _, id := range []string{"garbage", "2147483648", "shardId-1x"} {
		wantErr[*types.ResourceNotFoundException](t, call(types.ShardIteratorTypeTrimHorizon, id, nil, nil),
			"ResourceNotFoundException", "Could not find shard "+id+" in stream it under account 123456789012.")
	}
	for _, id := range []string{"shardId-1", "1", "shard-000001"} {
		out, err := e.c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String("it"), ShardId: aws.String(id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			t.Fatalf("ShardId %q: %v", id, err)
		}
		if got := dataOf(e.drain(aws.ToString(out.ShardIterator))); !equalStrings(got, []string{"one"}) {
			t.Fatalf("ShardId %q read %q, want shard 1's [one]", id, got)
		}
	}
	_, err := e.c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{
		StreamName: aws.String("nope"), ShardId: aws.String(shardID(0)), ShardIteratorType: types.ShardIteratorTypeLatest,
	})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("nope"))
	_, err = e.c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{
		StreamName: aws.String("it"), ShardId: aws.String(shardID(0)), ShardIteratorType: "FIRST",
	})
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value 'FIRST' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]")
}

func TestSDKGetRecordsLimitAndLag(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("lag", 1)
	timeline(e, "lag") // now = epoch+3s
	it := e.iterator("lag", shardID(0), types.ShardIteratorTypeTrimHorizon)
	for _, want := range []struct {
		data   []string
		behind int64
	}{
		{[]string{"r0", "r1"}, 3000}, // the last record returned arrived 3 s ago
		{[]string{"r2", "r3"}, 1500},
		{[]string{"r4", "r5"}, 0}, // caught up
		{nil, 0},
	} {
		out := e.get(it, 2)
		if got := dataOf(out.Records); !equalStrings(got, want.data) {
			t.Fatalf("read %q, want %q", got, want.data)
		}
		if got := aws.ToInt64(out.MillisBehindLatest); out.MillisBehindLatest == nil || got != want.behind {
			t.Fatalf("after %q: MillisBehindLatest %d, want %d", want.data, got, want.behind)
		}
		if out.NextShardIterator == nil || out.ChildShards != nil {
			t.Fatalf("open shard: NextShardIterator %v ChildShards %v", out.NextShardIterator, out.ChildShards)
		}
		it = *out.NextShardIterator
	}
	for _, limit := range []int32{0, 10001} {
		_, err := e.c.GetRecords(e.ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it), Limit: aws.Int32(limit)})
		want := "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
		if limit > 0 {
			want = "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"
		}
		wantErr[*types.ValidationException](t, err, "ValidationException", want)
	}
}

func TestSDKGetRecordsRecordFields(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("fields", 1)
	e.advance(1234 * time.Millisecond) // arrival times keep their milliseconds
	out := e.put("fields", "the-key", []byte{0, 1, 2, 0xff, 'z'})
	recs := e.readAll("fields", shardID(0))
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if aws.ToString(r.SequenceNumber) != aws.ToString(out.SequenceNumber) || aws.ToString(r.PartitionKey) != "the-key" ||
		string(r.Data) != "\x00\x01\x02\xffz" || r.EncryptionType != types.EncryptionTypeNone ||
		!r.ApproximateArrivalTimestamp.Equal(epoch.Add(1234*time.Millisecond)) {
		t.Fatalf("record %+v", r)
	}
}

func TestSDKIteratorExpiry(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("exp", 1)
	e.put("exp", "k", []byte("a"))
	it := e.iterator("exp", shardID(0), types.ShardIteratorTypeTrimHorizon)
	issued := e.clock.Now()

	// Valid for exactly 300,000 ms.
	e.advance(5 * time.Minute)
	out := e.get(it, 0)
	if got := dataOf(out.Records); !equalStrings(got, []string{"a"}) {
		t.Fatalf("read %q at the last valid instant, want [a]", got)
	}
	next := *out.NextShardIterator // issued now, valid for another 5 minutes

	e.advance(time.Millisecond)
	_, err := e.c.GetRecords(e.ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it)})
	wantErr[*types.ExpiredIteratorException](t, err, "ExpiredIteratorException",
		"Iterator expired. The iterator was created at time "+amzTime(issued)+" while right now it is "+amzTime(e.clock.Now())+
			" which is further in the future than the tolerated delay of 300000 milliseconds.")

	e.put("exp", "k", []byte("b"))
	if got := dataOf(e.get(next, 0).Records); !equalStrings(got, []string{"b"}) {
		t.Fatalf("NextShardIterator read %q, want [b]", got)
	}
}

func TestSDKInvalidIterators(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("bad", 1)
	it := e.iterator("bad", shardID(0), types.ShardIteratorTypeTrimHorizon)
	other := newEnv(t, testserver.Options{})
	other.create("bad", 1)
	foreign := other.iterator("bad", shardID(0), types.ShardIteratorTypeTrimHorizon)

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for name, bad := range map[string]string{
		"garbage":         "garbage",
		"tampered start":  flip(it, 0),
		"tampered middle": flip(it, len(it)/2),
		"tampered end":    flip(it, len(it)-1),
		"truncated":       it[:len(it)-4],
		"other server":    foreign,
	} {
		_, err := e.c.GetRecords(e.ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(bad)})
		if err == nil {
			t.Fatalf("%s iterator accepted", name)
		}
		wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", "Invalid ShardIterator.")
	}

	// An iterator outlives its stream only as a not-found error. The name
	// of a deleted stream is no longer known: runnel says "(deleted)".
	if _, err := e.c.DeleteStream(e.ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("bad")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.GetRecords(e.ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it)})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException",
		"Shard shardId-000000000000 in stream (deleted) under account 123456789012 does not exist")
	// A new stream under the old name does not adopt old iterators.
	e.create("bad", 1)
	e.put("bad", "k", []byte("new"))
	_, err = e.c.GetRecords(e.ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it)})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException",
		"Shard shardId-000000000000 in stream (deleted) under account 123456789012 does not exist")
}

func TestSDKGetRecordsSizeCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("cap", 1)
	// Eleven records of exactly 1 MiB (data plus 1-byte key): a response
	// holds at most 10 MiB, so the first read returns ten of them.
	for _, n := range []int{6, 5} {
		recs := make([]types.PutRecordsRequestEntry, n)
		for i := range recs {
			recs[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: payload(1<<20-1, byte('a'+i))}
		}
		out, err := e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("cap"), Records: recs})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("PutRecords: %v", err)
		}
	}
	first := e.get(e.iterator("cap", shardID(0), types.ShardIteratorTypeTrimHorizon), 0)
	if len(first.Records) != 10 {
		t.Fatalf("first read returned %d records, want 10 (10 MiB)", len(first.Records))
	}
	for i, r := range first.Records {
		want := payload(1<<20-1, byte('a'+i%6))
		if string(r.Data) != string(want) {
			t.Fatalf("record %d differs", i)
		}
	}
	rest := e.get(*first.NextShardIterator, 0)
	if len(rest.Records) != 1 || string(rest.Records[0].Data) != string(payload(1<<20-1, 'e')) {
		t.Fatalf("second read returned %d records, want the eleventh", len(rest.Records))
	}
}

func TestSDKGetRecordsClosedShard(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("split", 1)
	var parentSeqs []string
	for _, d := range []string{"a", "b", "c"} {
		parentSeqs = append(parentSeqs, aws.ToString(e.put("split", "k", []byte(d)).SequenceNumber))
	}
	e.advance(time.Second)
	// A reader caught up at the tip of the open shard: after the split,
	// its next call finds the shard closed and gets the children.
	tip := e.get(e.iterator("split", shardID(0), types.ShardIteratorTypeLatest), 0)
	mid := new(big.Int).Lsh(big.NewInt(1), 127)
	_, err := e.c.SplitShard(e.ctx, &kinesis.SplitShardInput{
		StreamName: aws.String("split"), ShardToSplit: aws.String(shardID(0)), NewStartingHashKey: aws.String(mid.String()),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.putTo("split", big.NewInt(7), "low child")
	e.putTo("split", maxHashKey, "high child")
	atTip := e.get(*tip.NextShardIterator, 0)
	if len(atTip.Records) != 0 || atTip.NextShardIterator != nil {
		t.Fatalf("reader at the tip: %d records, next %v after the split", len(atTip.Records), atTip.NextShardIterator)
	}
	checkChildren(t, atTip.ChildShards, mid)

	// Read the parent two records at a time: the response that reaches the
	// end of the closed shard has the children and no next iterator.
	it := e.iterator("split", shardID(0), types.ShardIteratorTypeTrimHorizon)
	var got []string
	var last *kinesis.GetRecordsOutput
	for range 10 {
		last = e.get(it, 2)
		got = append(got, dataOf(last.Records)...)
		if last.NextShardIterator == nil {
			break
		}
		if len(last.ChildShards) != 0 {
			t.Fatal("ChildShards before the end of the shard")
		}
		it = *last.NextShardIterator
	}
	if !equalStrings(got, []string{"a", "b", "c"}) || last.NextShardIterator != nil {
		t.Fatalf("parent read %q, end reached: %v", got, last.NextShardIterator == nil)
	}
	checkChildren(t, last.ChildShards, mid)

	// Positions at the end of the closed shard also yield the children.
	for _, in := range []*kinesis.GetShardIteratorInput{
		{ShardIteratorType: types.ShardIteratorTypeLatest},
		{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: &parentSeqs[2]},
		{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(e.clock.Now())},
	} {
		in.StreamName, in.ShardId = aws.String("split"), aws.String(shardID(0))
		out, err := e.c.GetShardIterator(e.ctx, in)
		if err != nil {
			t.Fatalf("%s on a closed shard: %v", in.ShardIteratorType, err)
		}
		end := e.get(aws.ToString(out.ShardIterator), 0)
		if len(end.Records) != 0 || end.NextShardIterator != nil {
			t.Fatalf("%s on a closed shard: %d records, next %v", in.ShardIteratorType, len(end.Records), end.NextShardIterator)
		}
		checkChildren(t, end.ChildShards, mid)
	}

	if got := dataOf(e.readAll("split", shardID(1))); !equalStrings(got, []string{"low child"}) {
		t.Fatalf("child 1 holds %q", got)
	}
	if got := dataOf(e.readAll("split", shardID(2))); !equalStrings(got, []string{"high child"}) {
		t.Fatalf("child 2 holds %q", got)
	}
}

// checkChildren checks the ChildShards of shard 0 of a one-shard stream
// split at mid.
func checkChildren(t *testing.T, children []types.ChildShard, mid *big.Int) {
	t.Helper()
	want := []struct {
		id     string
		lo, hi *big.Int
	}{
		{shardID(1), big.NewInt(0), new(big.Int).Sub(mid, big.NewInt(1))},
		{shardID(2), mid, maxHashKey},
	}
	if len(children) != len(want) {
		t.Fatalf("%d ChildShards, want 2", len(children))
	}
	for i, c := range children {
		w := want[i]
		if aws.ToString(c.ShardId) != w.id || len(c.ParentShards) != 1 || c.ParentShards[0] != shardID(0) {
			t.Fatalf("child %d: %s parents %v, want %s parents [%s]", i, aws.ToString(c.ShardId), c.ParentShards, w.id, shardID(0))
		}
		lo, hi := bigInt(t, aws.ToString(c.HashKeyRange.StartingHashKey)), bigInt(t, aws.ToString(c.HashKeyRange.EndingHashKey))
		if lo.Cmp(w.lo) != 0 || hi.Cmp(w.hi) != 0 {
			t.Fatalf("child %s range [%s, %s], want [%s, %s]", w.id, lo, hi, w.lo, w.hi)
		}
	}
}
