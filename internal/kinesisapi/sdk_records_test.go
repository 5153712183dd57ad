package kinesisapi_test

import (
	"bytes"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// putRecord is one record written, with where the test expects it to land.
type putRecord struct {
	pk, data string
	shard    string
	seq      string
}

func TestSDKPutRecordRouting(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("route", 4)
	shards := e.describe("route").Shards

	// Keys hash as their UTF-8 bytes; 256 characters is the limit,
	// whatever their encoded length.
	keys := []string{strings.Repeat("я", 256), "ключ-🔑", "a"}
	for i := range 37 {
		keys = append(keys, fmt.Sprintf("user-%d", i))
	}
	var puts []putRecord
	perShard := map[string]int{}
	for i, pk := range keys {
		want := shardFor(t, shards, partitionHash(pk))
		data := fmt.Sprintf("record %d", i)
		out := e.put("route", pk, []byte(data))
		if got := aws.ToString(out.ShardId); got != want {
			t.Fatalf("key %q (hash %s) went to %s, want %s", pk, partitionHash(pk), got, want)
		}
		if out.EncryptionType != types.EncryptionTypeNone {
			t.Fatalf("EncryptionType %q, want NONE", out.EncryptionType)
		}
		puts = append(puts, putRecord{pk: pk, data: data, shard: want, seq: aws.ToString(out.SequenceNumber)})
		perShard[want]++
	}
	if len(perShard) != 4 {
		t.Fatalf("40 keys reached %d of 4 shards: %v", len(perShard), perShard)
	}
	checkShardContents(t, e, "route", puts, 4)
}

// checkShardContents reads every shard of the stream and checks it holds
// exactly the puts routed to it, in put order, with the sequence numbers
// the puts returned, strictly increasing.
func checkShardContents(t *testing.T, e *env, name string, puts []putRecord, n int) {
	t.Helper()
	for i := range n {
		id := shardID(i)
		var want []putRecord
		for _, p := range puts {
			if p.shard == id {
				want = append(want, p)
			}
		}
		recs := e.readAll(name, id)
		if len(recs) != len(want) {
			t.Fatalf("%s holds %d records, want %d", id, len(recs), len(want))
		}
		seqs := make([]string, len(recs))
		for j, r := range recs {
			w := want[j]
			seqs[j] = aws.ToString(r.SequenceNumber)
			if string(r.Data) != w.data || aws.ToString(r.PartitionKey) != w.pk || seqs[j] != w.seq {
				t.Fatalf("%s record %d = (%q, %q, %s), want (%q, %q, %s)", id, j, r.Data, aws.ToString(r.PartitionKey), seqs[j], w.data, w.pk, w.seq)
			}
			if r.EncryptionType != types.EncryptionTypeNone {
				t.Fatalf("%s record %d EncryptionType %q, want NONE", id, j, r.EncryptionType)
			}
			if e.clock != nil && !r.ApproximateArrivalTimestamp.Equal(e.clock.Now()) {
				t.Fatalf("%s record %d arrived %v, want %v", id, j, r.ApproximateArrivalTimestamp, e.clock.Now())
			}
		}
		checkIncreasing(t, seqs, i)
	}
}

func TestSDKExplicitHashKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("ehk", 4)
	lo2, _ := evenRange(2, 4)
	_, hi1 := evenRange(1, 4)
	for _, tc := range []struct {
		key   *big.Int
		shard string
	}{
		{big.NewInt(0), shardID(0)},
		{hi1, shardID(1)},
		{lo2, shardID(2)},
		{maxHashKey, shardID(3)},
	} {
		// The partition key hashes elsewhere; the explicit key wins.
		pk := "key-for-shard-0"
		if shardFor(t, e.describe("ehk").Shards, partitionHash(pk)) == tc.shard {
			pk = "another-key"
		}
		out, err := e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{
			StreamName: aws.String("ehk"), PartitionKey: aws.String(pk), ExplicitHashKey: aws.String(tc.key.String()), Data: []byte("x"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.ShardId); got != tc.shard {
			t.Fatalf("ExplicitHashKey %s went to %s, want %s", tc.key, got, tc.shard)
		}
	}

	tooBig := new(big.Int).Add(maxHashKey, big.NewInt(1)).String() // 2^128: 39 digits, passes the pattern
	outOfRange := "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was " + tooBig
	_, err := e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{
		StreamName: aws.String("ehk"), PartitionKey: aws.String("k"), ExplicitHashKey: aws.String(tooBig), Data: []byte("x"),
	})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", outOfRange)
	_, err = e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("ehk"), Records: []types.PutRecordsRequestEntry{
		{PartitionKey: aws.String("k"), Data: []byte("ok")},
		{PartitionKey: aws.String("k"), ExplicitHashKey: aws.String(tooBig), Data: []byte("x")},
	}})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", outOfRange)
	// The rejected batch wrote nothing, not even its valid entry.
	for i := range 4 {
		if recs := e.readAll("ehk", shardID(i)); len(recs) != 1 {
			t.Fatalf("%s holds %d records, want the 1 PutRecord wrote", shardID(i), len(recs))
		}
	}

	_, err = e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{
		StreamName: aws.String("ehk"), PartitionKey: aws.String("k"), ExplicitHashKey: aws.String("-1"), Data: []byte("x"),
	})
	wantErr[*types.ValidationException](t, err, "ValidationException",
		`1 validation error detected: Value '-1' at 'explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})`)
}

func TestSDKSequenceNumbers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("seq", 1)
	first := e.put("seq", "k", []byte("first"))
	out, err := e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{
		StreamName: aws.String("seq"), PartitionKey: aws.String("k"), Data: []byte("second"),
		SequenceNumberForOrdering: first.SequenceNumber,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkIncreasing(t, []string{aws.ToString(first.SequenceNumber), aws.ToString(out.SequenceNumber)}, 0)
	_, err = e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{
		StreamName: aws.String("seq"), PartitionKey: aws.String("k"), Data: []byte("x"),
		SequenceNumberForOrdering: aws.String("12345"),
	})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException",
		"ExclusiveMinimumSequenceNumber 12345 used in PutRecord on stream seq under account 123456789012 is invalid.")

	// Concurrent writers: every record gets a distinct sequence number and
	// the shard reads back in strictly increasing order.
	const writers, each = 8, 25
	var mu sync.Mutex
	issued := map[string]string{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				data := fmt.Sprintf("w%d-%d", w, i)
				out, err := e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: aws.String("seq"), PartitionKey: aws.String(data), Data: []byte(data)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				issued[aws.ToString(out.SequenceNumber)] = data
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	recs := e.readAll("seq", shardID(0))
	if len(recs) != 2+writers*each || len(issued) != writers*each {
		t.Fatalf("read %d records, %d distinct sequence numbers issued; want %d and %d", len(recs), len(issued), 2+writers*each, writers*each)
	}
	seqs := make([]string, len(recs))
	for i, r := range recs {
		seqs[i] = aws.ToString(r.SequenceNumber)
		if i >= 2 && issued[seqs[i]] != string(r.Data) {
			t.Fatalf("record %s holds %q, PutRecord returned that number for %q", seqs[i], r.Data, issued[seqs[i]])
		}
	}
	checkIncreasing(t, seqs, 0)
}

func TestSDKPutRecords(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("batch", 3)
	shards := e.describe("batch").Shards
	lo1, _ := evenRange(1, 3)
	var entries []types.PutRecordsRequestEntry
	var puts []putRecord
	for i := range 30 {
		pk := fmt.Sprintf("pk-%d", i)
		entry := types.PutRecordsRequestEntry{PartitionKey: aws.String(pk), Data: []byte(fmt.Sprintf("batch %d", i))}
		want := shardFor(t, shards, partitionHash(pk))
		if i%7 == 3 {
			entry.ExplicitHashKey = aws.String(lo1.String())
			want = shardID(1)
		}
		entries = append(entries, entry)
		puts = append(puts, putRecord{pk: pk, data: string(entry.Data), shard: want})
	}
	out, err := e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("batch"), Records: entries})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedRecordCount) != 0 || out.EncryptionType != types.EncryptionTypeNone || len(out.Records) != len(entries) {
		t.Fatalf("FailedRecordCount %d EncryptionType %q, %d results for %d entries",
			aws.ToInt32(out.FailedRecordCount), out.EncryptionType, len(out.Records), len(entries))
	}
	for i, r := range out.Records {
		if aws.ToString(r.ShardId) != puts[i].shard || r.ErrorCode != nil || r.ErrorMessage != nil {
			t.Fatalf("result %d: shard %s error %v, want shard %s", i, aws.ToString(r.ShardId), aws.ToString(r.ErrorCode), puts[i].shard)
		}
		puts[i].seq = aws.ToString(r.SequenceNumber)
	}
	checkShardContents(t, e, "batch", puts, 3)
}

func TestSDKPutRecordsLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("limits", 2)
	entries := func(n, size int) []types.PutRecordsRequestEntry {
		out := make([]types.PutRecordsRequestEntry, n)
		for i := range out {
			out[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint(i % 10)), Data: payload(size, byte(i))}
		}
		return out
	}
	out, err := e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("limits"), Records: entries(500, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 500 || aws.ToInt32(out.FailedRecordCount) != 0 {
		t.Fatalf("500 entries: %d results, %d failed", len(out.Records), aws.ToInt32(out.FailedRecordCount))
	}
	_, err = e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("limits"), Records: entries(501, 1)})
	// AWS renders the list with Java's toString (object hashes, which
	// cannot be reproduced); runnel renders each entry's fields.
	rendered := make([]string, 501)
	for i := range rendered {
		rendered[i] = fmt.Sprintf("PutRecordsRequestEntry(data=java.nio.HeapByteBuffer[pos=0 lim=1 cap=1], partitionKey=%d)", i%10)
	}
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value '["+strings.Join(rendered, ", ")+"]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500")
	_, err = e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("limits"), Records: []types.PutRecordsRequestEntry{}})
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1")

	// 10 MiB of data plus partition keys per request: 10 records of
	// 1 MiB - 1 byte with 1-byte keys are exactly 10 MiB.
	at := entries(10, 1<<20-1)
	if _, err := e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("limits"), Records: at}); err != nil {
		t.Fatalf("PutRecords of exactly 10 MiB: %v", err)
	}
	over := append(entries(10, 1<<20-1), types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: []byte{}})
	_, err = e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("limits"), Records: over})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException",
		"Records size exceeds 10485760 bytes limit: 10485761 bytes given.")
}

func TestSDKRecordSize(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("size", 1)
	// Data plus partition key up to 1 MiB.
	max := payload(1<<20-1, 'm')
	e.put("size", "k", max)
	tooBig := func(limit, given int) string {
		return fmt.Sprintf("1 validation error detected: Value at 'data' failed to satisfy constraint: "+
			"Member must have length less than or equal to %d bytes including the partition key (%d bytes given).", limit, given)
	}
	_, err := e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: aws.String("size"), PartitionKey: aws.String("kk"), Data: max})
	wantErr[*types.ValidationException](t, err, "ValidationException", tooBig(1<<20, 1<<20+1))
	_, err = e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("size"), Records: []types.PutRecordsRequestEntry{
		{PartitionKey: aws.String("kk"), Data: max},
	}})
	wantErr[*types.ValidationException](t, err, "ValidationException", tooBig(1<<20, 1<<20+1))

	// Empty data is a record too.
	e.put("size", "empty", []byte{})

	// Raise the limit to 2 MiB and write 1.5 MiB.
	_, err = e.c.UpdateMaxRecordSize(e.ctx, &kinesis.UpdateMaxRecordSizeInput{StreamARN: aws.String(streamARN("size")), MaxRecordSizeInKiB: aws.Int32(2048)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt32(e.summary("size").MaxRecordSizeInKiB); got != 2048 {
		t.Fatalf("MaxRecordSizeInKiB %d after update, want 2048", got)
	}
	large := payload(3<<19, 'L')
	e.put("size", "large", large)
	_, err = e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: aws.String("size"), PartitionKey: aws.String("k"), Data: payload(2<<20, 'x')})
	wantErr[*types.ValidationException](t, err, "ValidationException", tooBig(2<<20, 2<<20+1))
	_, err = e.c.UpdateMaxRecordSize(e.ctx, &kinesis.UpdateMaxRecordSizeInput{StreamARN: aws.String(streamARN("size")), MaxRecordSizeInKiB: aws.Int32(10241)})
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value '10241' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must have value less than or equal to 10240")

	recs := e.readAll("size", shardID(0))
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for i, want := range [][]byte{max, {}, large} {
		if !bytes.Equal(recs[i].Data, want) {
			t.Fatalf("record %d: %d bytes, want %d (contents differ)", i, len(recs[i].Data), len(want))
		}
	}
	if aws.ToString(recs[1].PartitionKey) != "empty" || len(recs[1].Data) != 0 {
		t.Fatalf("empty record read back as %q/%q", aws.ToString(recs[1].PartitionKey), recs[1].Data)
	}
}

func TestSDKPartitionKeyLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("pk", 1)
	e.put("pk", strings.Repeat("k", 256), []byte("x"))
	long := strings.Repeat("k", 257)
	_, err := e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: aws.String("pk"), PartitionKey: aws.String(long), Data: []byte("x")})
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value '"+long+"' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256")
	_, err = e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: aws.String("pk"), PartitionKey: aws.String(""), Data: []byte("x")})
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1")
	_, err = e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("pk"), Records: []types.PutRecordsRequestEntry{
		{PartitionKey: aws.String("ok"), Data: []byte("x")},
		{PartitionKey: aws.String(long), Data: []byte("x")},
	}})
	// AWS (as captured by kinesalite) names list members
	// 'records.2.member.partitionKey'.
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value '"+long+"' at 'records.2.member.partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256")
}

func TestSDKThrottling(t *testing.T) {
	t.Parallel()
	// The clock stands still, so the token buckets refill only when the
	// test advances it.
	e := newClockEnv(t, testserver.Options{Throttle: true})
	e.create("hot", 2)
	lo1, _ := evenRange(1, 2)
	to := func(shard int, data string) types.PutRecordsRequestEntry {
		entry := types.PutRecordsRequestEntry{PartitionKey: aws.String("pk"), Data: []byte(data)}
		key := big.NewInt(0)
		if shard == 1 {
			key = lo1
		}
		entry.ExplicitHashKey = aws.String(key.String())
		return entry
	}
	// 1,000 records use up shard 0's records-per-second budget.
	for batch := range 2 {
		recs := make([]types.PutRecordsRequestEntry, 500)
		for i := range recs {
			recs[i] = to(0, fmt.Sprintf("fill-%d-%d", batch, i))
		}
		out, err := e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("hot"), Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		if n := aws.ToInt32(out.FailedRecordCount); n != 0 {
			t.Fatalf("fill batch %d: %d failed", batch, n)
		}
	}
	rateExceeded := "Rate exceeded for shard shardId-000000000000 in stream hot under account 123456789012."
	batch := []types.PutRecordsRequestEntry{to(0, "a"), to(1, "b"), to(0, "c"), to(1, "d"), to(1, "e")}
	out, err := e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("hot"), Records: batch})
	if err != nil {
		t.Fatal(err)
	}
	if n := aws.ToInt32(out.FailedRecordCount); n != 2 || len(out.Records) != 5 {
		t.Fatalf("FailedRecordCount %d with %d results, want 2 of 5", n, len(out.Records))
	}
	var okSeqs []string
	for i, r := range out.Records {
		if i == 0 || i == 2 {
			if aws.ToString(r.ErrorCode) != "ProvisionedThroughputExceededException" || aws.ToString(r.ErrorMessage) != rateExceeded ||
				r.ShardId != nil || r.SequenceNumber != nil {
				t.Fatalf("result %d: %+v, want a throttling failure", i, r)
			}
			continue
		}
		if r.ErrorCode != nil || aws.ToString(r.ShardId) != shardID(1) {
			t.Fatalf("result %d: %+v, want success on shard 1", i, r)
		}
		okSeqs = append(okSeqs, aws.ToString(r.SequenceNumber))
	}
	// The partially failed batch's other entries are stored, in order.
	recs := e.readAll("hot", shardID(1))
	if got := dataOf(recs); !equalStrings(got, []string{"b", "d", "e"}) {
		t.Fatalf("shard 1 holds %q, want [b d e]", got)
	}
	for i, r := range recs {
		if aws.ToString(r.SequenceNumber) != okSeqs[i] {
			t.Fatalf("shard 1 record %d: sequence number %s, PutRecords returned %s", i, aws.ToString(r.SequenceNumber), okSeqs[i])
		}
	}

	_, err = e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: aws.String("hot"), PartitionKey: aws.String("pk"), ExplicitHashKey: aws.String("0"), Data: []byte("x")})
	wantErr[*types.ProvisionedThroughputExceededException](t, err, "ProvisionedThroughputExceededException", rateExceeded)
	e.advance(time.Second)
	e.putTo("hot", big.NewInt(0), "after a second")

	// Reads: 5 GetRecords calls per second per shard (readAll above used
	// some of shard 1's budget a second ago; shard 0's is untouched).
	it := e.iterator("hot", shardID(0), types.ShardIteratorTypeLatest)
	for range 5 {
		e.get(it, 1)
	}
	_, err = e.c.GetRecords(e.ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it)})
	wantErr[*types.ProvisionedThroughputExceededException](t, err, "ProvisionedThroughputExceededException", rateExceeded)
	e.advance(time.Second)
	e.get(it, 1)
}
