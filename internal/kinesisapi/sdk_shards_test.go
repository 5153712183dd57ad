package kinesisapi_test

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// pow2 returns 2^n.
func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

func minus1(x *big.Int) *big.Int { return new(big.Int).Sub(x, big.NewInt(1)) }

// wantShard is what a test expects of one shard in a listing.
type wantShard struct {
	index            int
	lo, hi           *big.Int
	parent, adjacent int // -1 for none
	closed           bool
}

// checkShards checks a listing against want, shard by shard, and that
// closed shards end after every record the test wrote to them.
func checkShards(t *testing.T, got []types.Shard, want []wantShard, lastSeq map[int]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d shards (%s), want %d", len(got), shardIDs(got), len(want))
	}
	for i, w := range want {
		sh := got[i]
		checkRange(t, sh, shardID(w.index), w.lo, w.hi)
		id := shardID(w.index)
		if parent := aws.ToString(sh.ParentShardId); (w.parent < 0 && sh.ParentShardId != nil) || (w.parent >= 0 && parent != shardID(w.parent)) {
			t.Fatalf("%s: ParentShardId %q, want index %d", id, parent, w.parent)
		}
		if adj := aws.ToString(sh.AdjacentParentShardId); (w.adjacent < 0 && sh.AdjacentParentShardId != nil) || (w.adjacent >= 0 && adj != shardID(w.adjacent)) {
			t.Fatalf("%s: AdjacentParentShardId %q, want index %d", id, adj, w.adjacent)
		}
		start := seq(t, aws.ToString(sh.SequenceNumberRange.StartingSequenceNumber), w.index)
		end := sh.SequenceNumberRange.EndingSequenceNumber
		if (end != nil) != w.closed {
			t.Fatalf("%s: EndingSequenceNumber %v, want present=%v", id, aws.ToString(end), w.closed)
		}
		if end == nil {
			continue
		}
		endN := seq(t, *end, w.index)
		if endN.Cmp(start) <= 0 {
			t.Fatalf("%s: EndingSequenceNumber %s not after StartingSequenceNumber %s", id, endN, start)
		}
		if last, ok := lastSeq[w.index]; ok && endN.Cmp(seq(t, last, w.index)) <= 0 {
			t.Fatalf("%s: EndingSequenceNumber %s not after its last record %s", id, endN, last)
		}
	}
}

func TestSDKSplitAndMerge(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("rs", 2)
	last := map[int]string{
		0: aws.ToString(e.putTo("rs", big.NewInt(1), "in 0").SequenceNumber),
		1: aws.ToString(e.putTo("rs", maxHashKey, "in 1").SequenceNumber),
	}
	e.advance(time.Second)

	q1 := pow2(126) // splits shard 0 [0, 2^127-1] in half
	_, err := e.c.SplitShard(e.ctx, &kinesis.SplitShardInput{
		StreamName: aws.String("rs"), ShardToSplit: aws.String(shardID(0)), NewStartingHashKey: aws.String(q1.String()),
	})
	if err != nil {
		t.Fatal(err)
	}
	afterSplit := []wantShard{
		{0, big.NewInt(0), minus1(pow2(127)), -1, -1, true},
		{1, pow2(127), maxHashKey, -1, -1, false},
		{2, big.NewInt(0), minus1(q1), 0, -1, false},
		{3, q1, minus1(pow2(127)), 0, -1, false},
	}
	checkShards(t, e.describe("rs").Shards, afterSplit, last)
	checkShards(t, e.shards("rs"), afterSplit, last)
	if n := aws.ToInt32(e.summary("rs").OpenShardCount); n != 3 {
		t.Fatalf("OpenShardCount %d after split, want 3", n)
	}

	// Merge shard 3 with shard 1, naming the right-hand shard first.
	_, err = e.c.MergeShards(e.ctx, &kinesis.MergeShardsInput{
		StreamName: aws.String("rs"), ShardToMerge: aws.String(shardID(1)), AdjacentShardToMerge: aws.String(shardID(3)),
	})
	if err != nil {
		t.Fatal(err)
	}
	afterMerge := []wantShard{
		afterSplit[0],
		{1, pow2(127), maxHashKey, -1, -1, true},
		afterSplit[2],
		{3, q1, minus1(pow2(127)), 0, -1, true},
		{4, q1, maxHashKey, 1, 3, false},
	}
	checkShards(t, e.describe("rs").Shards, afterMerge, last)
	checkShards(t, e.shards("rs"), afterMerge, last)

	// New records go to the open shards only.
	for _, tc := range []struct {
		key   *big.Int
		shard string
	}{{big.NewInt(0), shardID(2)}, {minus1(q1), shardID(2)}, {q1, shardID(4)}, {maxHashKey, shardID(4)}} {
		if got := aws.ToString(e.putTo("rs", tc.key, "new").ShardId); got != tc.shard {
			t.Fatalf("hash key %s went to %s, want %s", tc.key, got, tc.shard)
		}
	}

	// The merged parents end with the child, both parents named.
	out := e.get(e.iterator("rs", shardID(1), types.ShardIteratorTypeTrimHorizon), 0)
	if got := dataOf(out.Records); !equalStrings(got, []string{"in 1"}) || len(out.ChildShards) != 1 {
		t.Fatalf("shard 1 read %q with %d children", got, len(out.ChildShards))
	}
	child := out.ChildShards[0]
	if aws.ToString(child.ShardId) != shardID(4) || fmt.Sprint(child.ParentShards) != fmt.Sprint([]string{shardID(1), shardID(3)}) ||
		aws.ToString(child.HashKeyRange.StartingHashKey) != q1.String() || aws.ToString(child.HashKeyRange.EndingHashKey) != maxHashKey.String() {
		t.Fatalf("child of shard 1: %s parents %v range %+v", aws.ToString(child.ShardId), child.ParentShards, child.HashKeyRange)
	}
}

func TestSDKReshardErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("re", 3)
	split := func(shard, key string) error {
		_, err := e.c.SplitShard(e.ctx, &kinesis.SplitShardInput{StreamName: aws.String("re"), ShardToSplit: aws.String(shard), NewStartingHashKey: aws.String(key)})
		return err
	}
	merge := func(a, b string) error {
		_, err := e.c.MergeShards(e.ctx, &kinesis.MergeShardsInput{StreamName: aws.String("re"), ShardToMerge: aws.String(a), AdjacentShardToMerge: aws.String(b)})
		return err
	}
	lo, hi := evenRange(1, 3)
	bounds := func(key *big.Int) string {
		return fmt.Sprintf("NewStartingHashKey %s used in SplitShard() on shard shardId-000000000001 in stream re under account 123456789012 "+
			"is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s.", key, lo, hi)
	}
	plus := func(x *big.Int, n int64) *big.Int { return new(big.Int).Add(x, big.NewInt(n)) }
	for _, key := range []*big.Int{lo, plus(lo, 1), hi, plus(hi, 1)} {
		wantErr[*types.InvalidArgumentException](t, split(shardID(1), key.String()), "InvalidArgumentException", bounds(key))
	}
	wantErr[*types.ResourceNotFoundException](t, split(shardID(9), "5"), "ResourceNotFoundException",
		"Could not find shard shardId-000000000009 in stream re under account 123456789012.")
	wantErr[*types.InvalidArgumentException](t, merge(shardID(0), shardID(2)), "InvalidArgumentException",
		"Shards shardId-000000000000 and shardId-000000000002 in stream re under account 123456789012 are not an adjacent pair of shards eligible for merging")
	wantErr[*types.InvalidArgumentException](t, merge(shardID(1), shardID(1)), "InvalidArgumentException",
		"Shards shardId-000000000001 and shardId-000000000001 in stream re under account 123456789012 are not an adjacent pair of shards eligible for merging")
	wantErr[*types.ResourceNotFoundException](t, merge(shardID(0), shardID(7)), "ResourceNotFoundException",
		"Could not find shard shardId-000000000007 in stream re under account 123456789012.")

	// Closed shards cannot be split or merged again.
	if err := split(shardID(1), plus(lo, 2).String()); err != nil {
		t.Fatalf("split at StartingHashKey+2: %v", err)
	}
	wantErr[*types.InvalidArgumentException](t, split(shardID(1), plus(lo, 5).String()), "InvalidArgumentException",
		"Shard shardId-000000000001 in stream re under account 123456789012 has already been merged or split, and thus is not eligible for splitting.")
	wantErr[*types.InvalidArgumentException](t, merge(shardID(0), shardID(1)), "InvalidArgumentException",
		"Shard shardId-000000000001 in stream re under account 123456789012 has already been merged or split, and thus is not eligible for merging.")

	// ON_DEMAND streams reshard themselves.
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{StreamName: aws.String("od"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}})
	if err != nil {
		t.Fatal(err)
	}
	onDemand := func(op string) string {
		return op + " is not supported for stream od under account 123456789012 because it is in ON_DEMAND capacity mode."
	}
	_, err = e.c.SplitShard(e.ctx, &kinesis.SplitShardInput{StreamName: aws.String("od"), ShardToSplit: aws.String(shardID(0)), NewStartingHashKey: aws.String("100")})
	wantErr[*types.ValidationException](t, err, "ValidationException", onDemand("SplitShard"))
	_, err = e.c.MergeShards(e.ctx, &kinesis.MergeShardsInput{StreamName: aws.String("od"), ShardToMerge: aws.String(shardID(0)), AdjacentShardToMerge: aws.String(shardID(1))})
	wantErr[*types.ValidationException](t, err, "ValidationException", onDemand("MergeShards"))
	_, err = e.c.UpdateShardCount(e.ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String("od"), TargetShardCount: aws.Int32(8), ScalingType: types.ScalingTypeUniformScaling})
	wantErr[*types.ValidationException](t, err, "ValidationException", onDemand("UpdateShardCount"))
}

// openShards returns the open shards of a listing.
func openShards(shards []types.Shard) []types.Shard {
	var open []types.Shard
	for _, sh := range shards {
		if sh.SequenceNumberRange.EndingSequenceNumber == nil {
			open = append(open, sh)
		}
	}
	return open
}

// checkEven checks that the open shards of a listing divide the key space
// into n even ranges, and that every shard has at most two parents.
func checkEven(t *testing.T, shards []types.Shard, n int) {
	t.Helper()
	open := openShards(shards)
	if len(open) != n {
		t.Fatalf("%d open shards, want %d", len(open), n)
	}
	byStart := map[string]types.Shard{}
	for _, sh := range open {
		byStart[aws.ToString(sh.HashKeyRange.StartingHashKey)] = sh
	}
	for i := range n {
		lo, hi := evenRange(i, n)
		sh, ok := byStart[lo.String()]
		if !ok {
			t.Fatalf("no open shard starts at %s (range %d of %d)", lo, i, n)
		}
		checkRange(t, sh, aws.ToString(sh.ShardId), lo, hi)
	}
}

func TestSDKUpdateShardCount(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("usc", 2)
	update := func(target int32) (*kinesis.UpdateShardCountOutput, error) {
		return e.c.UpdateShardCount(e.ctx, &kinesis.UpdateShardCountInput{
			StreamARN: aws.String(streamARN("usc")), TargetShardCount: aws.Int32(target), ScalingType: types.ScalingTypeUniformScaling,
		})
	}
	before := e.putTo("usc", pow2(127), "before")

	out, err := update(4)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.StreamName) != "usc" || aws.ToString(out.StreamARN) != streamARN("usc") ||
		aws.ToInt32(out.CurrentShardCount) != 2 || aws.ToInt32(out.TargetShardCount) != 4 {
		t.Fatalf("UpdateShardCount output %+v", out)
	}
	// Doubling splits each shard in two: children 2,3 of shard 0 and 4,5
	// of shard 1.
	checkShards(t, e.shards("usc"), []wantShard{
		{0, big.NewInt(0), minus1(pow2(127)), -1, -1, true},
		{1, pow2(127), maxHashKey, -1, -1, true},
		{2, big.NewInt(0), minus1(pow2(126)), 0, -1, false},
		{3, pow2(126), minus1(pow2(127)), 0, -1, false},
		{4, pow2(127), minus1(new(big.Int).Mul(big.NewInt(3), pow2(126))), 1, -1, false},
		{5, new(big.Int).Mul(big.NewInt(3), pow2(126)), maxHashKey, 1, -1, false},
	}, map[int]string{1: aws.ToString(before.SequenceNumber)})

	// 4 -> 3: uneven cuts, reached by splits then merges.
	out, err = update(3)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.CurrentShardCount) != 4 || aws.ToInt32(out.TargetShardCount) != 3 {
		t.Fatalf("UpdateShardCount output %+v", out)
	}
	shards := e.shards("usc")
	checkEven(t, shards, 3)
	for _, sh := range shards {
		if sh.SequenceNumberRange.EndingSequenceNumber == nil && sh.ParentShardId == nil {
			t.Fatalf("open shard %s has no parent", aws.ToString(sh.ShardId))
		}
	}
	if n := aws.ToInt32(e.summary("usc").OpenShardCount); n != 3 {
		t.Fatalf("OpenShardCount %d, want 3", n)
	}

	// At most double, at least half.
	_, err = update(7)
	wantErr[*types.LimitExceededException](t, err, "LimitExceededException",
		"UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: 3, Target shard count: 7")
	_, err = update(1)
	wantErr[*types.LimitExceededException](t, err, "LimitExceededException",
		"UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: 3, Target shard count: 1")
	if _, err := update(6); err != nil {
		t.Fatalf("exactly double: %v", err)
	}
	checkEven(t, e.shards("usc"), 6)
	if _, err := update(3); err != nil {
		t.Fatalf("exactly half: %v", err)
	}
	checkEven(t, e.shards("usc"), 3)

	// Ten scalings in a rolling 24 hours (four so far).
	for i := range 6 {
		if _, err := update(int32(4 - i%2)); err != nil {
			t.Fatalf("scaling %d: %v", 5+i, err)
		}
	}
	_, err = update(4)
	wantErr[*types.LimitExceededException](t, err, "LimitExceededException",
		"Stream usc under account 123456789012 has exceeded its limit of 10 UpdateShardCount calls in a rolling 24-hour period.")
	e.advance(24*time.Hour + time.Millisecond)
	if _, err := update(4); err != nil {
		t.Fatalf("a day later: %v", err)
	}
}

func TestSDKUpdateShardCountLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{Stream: stream.Config{ShardLimit: 5}})
	e.create("lim", 2)
	e.create("other", 2) // leaves room for 3 open shards in "lim"
	update := func(target int32) error {
		_, err := e.c.UpdateShardCount(e.ctx, &kinesis.UpdateShardCountInput{
			StreamName: aws.String("lim"), TargetShardCount: aws.Int32(target), ScalingType: types.ScalingTypeUniformScaling,
		})
		return err
	}
	wantErr[*types.LimitExceededException](t, update(4), "LimitExceededException",
		"Target shard count or number of open shards cannot be greater than 5. Current open shard count: 2, Target shard count: 4")
	if err := update(3); err != nil {
		t.Fatalf("up to the limit: %v", err)
	}
	checkEven(t, e.shards("lim"), 3)
}

// listShards lists with the given filter, paging with maxResults, and
// returns the shard indexes of each page.
func (e *env) listShards(name string, filter *types.ShardFilter, maxResults int32) []string {
	e.t.Helper()
	in := &kinesis.ListShardsInput{StreamName: aws.String(name), ShardFilter: filter}
	if maxResults > 0 {
		in.MaxResults = aws.Int32(maxResults)
	}
	var pages []string
	for range 100 {
		out, err := e.c.ListShards(e.ctx, in)
		if err != nil {
			e.t.Fatalf("ListShards %+v: %v", filter, err)
		}
		pages = append(pages, shardIDs(out.Shards))
		if out.NextToken == nil {
			return pages
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
		if maxResults > 0 {
			in.MaxResults = aws.Int32(maxResults)
		}
	}
	e.t.Fatal("ListShards: no end after 100 pages")
	return nil
}

func TestSDKListShardsFilters(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	t0 := epoch
	e.create("lf", 2) // shards 0 [0, 2^127-1] and 1 [2^127, max] at t0
	e.advance(time.Hour)
	t1 := e.clock.Now()
	_, err := e.c.SplitShard(e.ctx, &kinesis.SplitShardInput{
		StreamName: aws.String("lf"), ShardToSplit: aws.String(shardID(0)), NewStartingHashKey: aws.String(pow2(126).String()),
	}) // 0 closes at t1; 2 and 3 open at t1
	if err != nil {
		t.Fatal(err)
	}
	e.advance(time.Hour)
	t2 := e.clock.Now()
	_, err = e.c.MergeShards(e.ctx, &kinesis.MergeShardsInput{
		StreamName: aws.String("lf"), ShardToMerge: aws.String(shardID(3)), AdjacentShardToMerge: aws.String(shardID(1)),
	}) // 1 and 3 close at t2; 4 opens at t2
	if err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)

	filter := func(typ types.ShardFilterType, ts *time.Time, id *string) *types.ShardFilter {
		return &types.ShardFilter{Type: typ, Timestamp: ts, ShardId: id}
	}
	at := func(t time.Time) *time.Time { return &t }
	for _, tc := range []struct {
		name   string
		filter *types.ShardFilter
		want   string
	}{
		{"default", nil, "0,1,2,3,4"},
		{"FROM_TRIM_HORIZON", filter(types.ShardFilterTypeFromTrimHorizon, nil, nil), "0,1,2,3,4"},
		{"AT_TRIM_HORIZON", filter(types.ShardFilterTypeAtTrimHorizon, nil, nil), "0,1"},
		{"AT_LATEST", filter(types.ShardFilterTypeAtLatest, nil, nil), "2,4"},
		{"AFTER_SHARD_ID", filter(types.ShardFilterTypeAfterShardId, nil, aws.String(shardID(1))), "2,3,4"},
		{"AT_TIMESTAMP before t1", filter(types.ShardFilterTypeAtTimestamp, at(t1.Add(-time.Millisecond)), nil), "0,1"},
		// A shard closed at exactly the timestamp still counts: "end
		// timestamp is greater than or equal to the given timestamp".
		{"AT_TIMESTAMP t1", filter(types.ShardFilterTypeAtTimestamp, at(t1), nil), "0,1,2,3"},
		{"AT_TIMESTAMP between", filter(types.ShardFilterTypeAtTimestamp, at(t1.Add(30*time.Minute)), nil), "1,2,3"},
		{"AT_TIMESTAMP after t2", filter(types.ShardFilterTypeAtTimestamp, at(t2.Add(time.Millisecond)), nil), "2,4"},
		{"AT_TIMESTAMP before creation", filter(types.ShardFilterTypeAtTimestamp, at(t0.Add(-time.Hour)), nil), "0,1"},
		{"FROM_TIMESTAMP t0", filter(types.ShardFilterTypeFromTimestamp, at(t0), nil), "0,1,2,3,4"},
		{"FROM_TIMESTAMP between", filter(types.ShardFilterTypeFromTimestamp, at(t1.Add(time.Millisecond)), nil), "1,2,3,4"},
		{"FROM_TIMESTAMP t2", filter(types.ShardFilterTypeFromTimestamp, at(t2), nil), "1,2,3,4"},
		{"FROM_TIMESTAMP after t2", filter(types.ShardFilterTypeFromTimestamp, at(t2.Add(time.Millisecond)), nil), "2,4"},
	} {
		if got := fmt.Sprint(e.listShards("lf", tc.filter, 0)); got != "["+tc.want+"]" {
			t.Errorf("%s: %s, want [%s]", tc.name, got, tc.want)
		}
	}

	// Paging carries the filter.
	if got := fmt.Sprint(e.listShards("lf", nil, 2)); got != "[0,1 2,3 4]" {
		t.Errorf("pages of 2: %s", got)
	}
	if got := fmt.Sprint(e.listShards("lf", filter(types.ShardFilterTypeAtLatest, nil, nil), 1)); got != "[2 4]" {
		t.Errorf("AT_LATEST pages of 1: %s", got)
	}
	if got := fmt.Sprint(e.listShards("lf", filter(types.ShardFilterTypeFromTimestamp, at(t1.Add(time.Millisecond)), nil), 3)); got != "[1,2,3 4]" {
		t.Errorf("FROM_TIMESTAMP pages of 3: %s", got)
	}
	out, err := e.c.ListShards(e.ctx, &kinesis.ListShardsInput{StreamName: aws.String("lf"), ExclusiveStartShardId: aws.String(shardID(2))})
	if err != nil {
		t.Fatal(err)
	}
	if got := shardIDs(out.Shards); got != "3,4" {
		t.Errorf("ExclusiveStartShardId 2: %s", got)
	}
}

func TestSDKListShardsErrors(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("le", 3)
	first, err := e.c.ListShards(e.ctx, &kinesis.ListShardsInput{StreamName: aws.String("le"), MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if first.NextToken == nil || shardIDs(first.Shards) != "0" {
		t.Fatalf("first page %s, token %v", shardIDs(first.Shards), first.NextToken)
	}
	token := first.NextToken

	list := func(in *kinesis.ListShardsInput) error {
		_, err := e.c.ListShards(e.ctx, in)
		return err
	}
	for _, tc := range []struct {
		in  *kinesis.ListShardsInput
		msg string
	}{
		{&kinesis.ListShardsInput{NextToken: token, StreamName: aws.String("le")}, "NextToken and StreamName cannot be provided together."},
		{&kinesis.ListShardsInput{NextToken: token, StreamARN: aws.String(streamARN("le"))}, "NextToken and StreamName cannot be provided together."},
		{&kinesis.ListShardsInput{NextToken: token, ExclusiveStartShardId: aws.String(shardID(0))}, "NextToken and ExclusiveStartShardId cannot be provided together."},
		{&kinesis.ListShardsInput{NextToken: token, ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}}, "NextToken and ShardFilter cannot be provided together."},
		{&kinesis.ListShardsInput{NextToken: token, StreamCreationTimestamp: aws.Time(epoch)}, "NextToken and StreamCreationTimestamp cannot be provided together."},
		{&kinesis.ListShardsInput{}, "Either NextToken or StreamName should be provided."},
		{&kinesis.ListShardsInput{NextToken: aws.String("bm90IGEgdG9rZW4")}, "Invalid NextToken."},
		{&kinesis.ListShardsInput{StreamName: aws.String("le"), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAfterShardId}},
			"Must specify ShardId in ShardFilter of type AFTER_SHARD_ID."},
		{&kinesis.ListShardsInput{StreamName: aws.String("le"), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp}},
			"Must specify Timestamp in ShardFilter of type AT_TIMESTAMP."},
		{&kinesis.ListShardsInput{StreamName: aws.String("le"), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeFromTimestamp}},
			"Must specify Timestamp in ShardFilter of type FROM_TIMESTAMP."},
		{&kinesis.ListShardsInput{StreamName: aws.String("le"), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest, ShardId: aws.String(shardID(0))}},
			"ShardId cannot be specified in ShardFilter of type AT_LATEST."},
	} {
		wantErr[*types.InvalidArgumentException](t, list(tc.in), "InvalidArgumentException", tc.msg)
	}
	wantErr[*types.ResourceNotFoundException](t, list(&kinesis.ListShardsInput{StreamName: aws.String("nope")}), "ResourceNotFoundException", notFound("nope"))
	wantErr[*types.ValidationException](t, list(&kinesis.ListShardsInput{StreamName: aws.String("le"), MaxResults: aws.Int32(0)}), "ValidationException",
		"1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1")

	// A NextToken is good for 300 s.
	e.advance(300 * time.Second)
	out, err := e.c.ListShards(e.ctx, &kinesis.ListShardsInput{NextToken: token})
	if err != nil {
		t.Fatalf("token at 300 s: %v", err)
	}
	if got := shardIDs(out.Shards); got != "1,2" || out.NextToken != nil {
		t.Fatalf("second page %s (token %v), want 1,2 and no token", got, out.NextToken)
	}
	e.advance(time.Millisecond)
	wantErr[*types.ExpiredNextTokenException](t, list(&kinesis.ListShardsInput{NextToken: token}), "ExpiredNextTokenException", expiredTokenMessage(epoch))
}
