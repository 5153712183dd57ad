// Integration tests of the Kinesis API through aws-sdk-go-v2: a real client
// talking HTTP to the real server (package testserver). Files sdk_*_test.go.
//
// The tests assert exact values (shard ids, hash ranges, sequence-number
// order, record contents, error codes and AWS's messages), so that a broken
// server cannot pass them. Where AWS's behaviour is unknown, they pin the
// choice runnel made and say so.
package kinesisapi_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/runnel-dev/runnel/internal/testserver"
)

const (
	account = testserver.AccountID
	region  = testserver.Region
)

// epoch is where test clocks start: a whole second, so that sequence
// numbers and messages derived from it are easy to predict.
var epoch = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// env is one server under test and a client for it.
type env struct {
	t     *testing.T
	ctx   context.Context
	srv   *testserver.Server
	c     *kinesis.Client
	clock *testserver.Clock // nil when the server runs on the real clock
}

// newEnv starts a server with opts and returns a client for it.
func newEnv(t *testing.T, opts testserver.Options) *env {
	t.Helper()
	srv := testserver.Start(t, opts)
	return &env{t: t, ctx: context.Background(), srv: srv, c: srv.Client(), clock: opts.Clock}
}

// newClockEnv starts a server whose clock stands at epoch until advanced.
func newClockEnv(t *testing.T, opts testserver.Options) *env {
	t.Helper()
	opts.Clock = testserver.NewClock(epoch)
	return newEnv(t, opts)
}

func streamARN(name string) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", region, account, name)
}

// create creates a PROVISIONED stream with n shards; the server under test
// has no create delay unless the test says so, so it is ACTIVE at once.
func (e *env) create(name string, n int) {
	e.t.Helper()
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(n))})
	if err != nil {
		e.t.Fatalf("CreateStream %s: %v", name, err)
	}
}

// put writes one record and returns its result.
func (e *env) put(name, pk string, data []byte) *kinesis.PutRecordOutput {
	e.t.Helper()
	out, err := e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String(pk), Data: data})
	if err != nil {
		e.t.Fatalf("PutRecord %s: %v", name, err)
	}
	return out
}

// putTo writes one record to the shard that holds hash key hk.
func (e *env) putTo(name string, hk *big.Int, data string) *kinesis.PutRecordOutput {
	e.t.Helper()
	out, err := e.c.PutRecord(e.ctx, &kinesis.PutRecordInput{
		StreamName: aws.String(name), PartitionKey: aws.String("pk"), ExplicitHashKey: aws.String(hk.String()), Data: []byte(data),
	})
	if err != nil {
		e.t.Fatalf("PutRecord %s: %v", name, err)
	}
	return out
}

// iterator returns a shard iterator of the given type.
func (e *env) iterator(name, shard string, typ types.ShardIteratorType) string {
	e.t.Helper()
	out, err := e.c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{
		StreamName: aws.String(name), ShardId: aws.String(shard), ShardIteratorType: typ,
	})
	if err != nil {
		e.t.Fatalf("GetShardIterator %s %s %s: %v", name, shard, typ, err)
	}
	return aws.ToString(out.ShardIterator)
}

// iteratorAt returns an AT_ or AFTER_SEQUENCE_NUMBER iterator.
func (e *env) iteratorAt(name, shard string, typ types.ShardIteratorType, seq string) string {
	e.t.Helper()
	out, err := e.c.GetShardIterator(e.ctx, &kinesis.GetShardIteratorInput{
		StreamName: aws.String(name), ShardId: aws.String(shard), ShardIteratorType: typ, StartingSequenceNumber: aws.String(seq),
	})
	if err != nil {
		e.t.Fatalf("GetShardIterator %s %s %s %s: %v", name, shard, typ, seq, err)
	}
	return aws.ToString(out.ShardIterator)
}

// get calls GetRecords once.
func (e *env) get(it string, limit int32) *kinesis.GetRecordsOutput {
	e.t.Helper()
	in := &kinesis.GetRecordsInput{ShardIterator: aws.String(it)}
	if limit > 0 {
		in.Limit = aws.Int32(limit)
	}
	out, err := e.c.GetRecords(e.ctx, in)
	if err != nil {
		e.t.Fatalf("GetRecords: %v", err)
	}
	checkShardEnd(e.t, out)
	return out
}

// readAll reads a shard from TRIM_HORIZON until GetRecords returns no
// records (open shard) or no next iterator (closed shard).
func (e *env) readAll(name, shard string) []types.Record {
	e.t.Helper()
	return e.drain(e.iterator(name, shard, types.ShardIteratorTypeTrimHorizon))
}

// drain reads from it until the end of the data (or of a closed shard).
func (e *env) drain(it string) []types.Record {
	e.t.Helper()
	var recs []types.Record
	for range 1000 {
		out := e.get(it, 0)
		recs = append(recs, out.Records...)
		if out.NextShardIterator == nil || len(out.Records) == 0 {
			return recs
		}
		it = *out.NextShardIterator
	}
	e.t.Fatal("drain: no end after 1000 calls")
	return nil
}

// describe returns the stream's description (first page of shards).
func (e *env) describe(name string) *types.StreamDescription {
	e.t.Helper()
	out, err := e.c.DescribeStream(e.ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("DescribeStream %s: %v", name, err)
	}
	return out.StreamDescription
}

// summary returns the stream's summary.
func (e *env) summary(name string) *types.StreamDescriptionSummary {
	e.t.Helper()
	out, err := e.c.DescribeStreamSummary(e.ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("DescribeStreamSummary %s: %v", name, err)
	}
	return out.StreamDescriptionSummary
}

// shards lists every shard of the stream with ListShards' default filter.
func (e *env) shards(name string) []types.Shard {
	e.t.Helper()
	out, err := e.c.ListShards(e.ctx, &kinesis.ListShardsInput{StreamName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("ListShards %s: %v", name, err)
	}
	if out.NextToken != nil {
		e.t.Fatalf("ListShards %s: unexpected NextToken", name)
	}
	return out.Shards
}

// advance moves the server's clock.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if e.clock == nil {
		e.t.Fatal("advance: server runs on the real clock")
	}
	e.clock.Advance(d)
}

// checkShardEnd checks the KCL invariant of a GetRecords result:
// NextShardIterator is nil exactly when ChildShards is non-empty (AWS
// returns an empty ChildShards list for a closed shard without children
// too, which runnel never has), and every child names its parents.
func checkShardEnd(t testing.TB, out *kinesis.GetRecordsOutput) {
	t.Helper()
	if (out.NextShardIterator == nil) != (len(out.ChildShards) > 0) {
		t.Fatalf("GetRecords: NextShardIterator nil=%v with %d ChildShards", out.NextShardIterator == nil, len(out.ChildShards))
	}
	for _, c := range out.ChildShards {
		if len(c.ParentShards) == 0 {
			t.Fatalf("GetRecords: child %s has no parents", aws.ToString(c.ShardId))
		}
	}
}

// wantErr checks that err is the SDK's typed error E, sent with HTTP 400,
// with AWS code code and exactly the message msg, and returns it.
func wantErr[E smithy.APIError](t testing.TB, err error, code, msg string) E {
	t.Helper()
	var typed E
	if !errors.As(err, &typed) {
		t.Fatalf("error = %v (%T), want %T", err, err, typed)
	}
	wantCode(t, err, code, msg)
	return typed
}

// wantCode checks the AWS code, the message and the HTTP status of an error
// through smithy.APIError, for codes with no typed SDK error.
func wantCode(t testing.TB, err error, code, msg string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("error = %v (%T), want an API error %s", err, err, code)
	}
	if api.ErrorCode() != code {
		t.Fatalf("error code = %q, want %q (message %q)", api.ErrorCode(), code, api.ErrorMessage())
	}
	if api.ErrorMessage() != msg {
		t.Fatalf("%s message =\n  %q\nwant\n  %q", code, clip(api.ErrorMessage()), clip(msg))
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if re.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("%s: HTTP status %d, want 400", code, re.HTTPStatusCode())
	}
}

// clip shortens long messages in failure reports.
func clip(s string) string {
	if len(s) <= 600 {
		return s
	}
	return s[:300] + " ... " + s[len(s)-300:]
}

// notFound is AWS's message for an unknown stream.
func notFound(name string) string {
	return fmt.Sprintf("Stream %s under account %s not found.", name, account)
}

// partitionHash is the hash key of a partition key: the MD5 digest read as
// an unsigned big-endian integer, computed independently of the server.
func partitionHash(pk string) *big.Int {
	sum := md5.Sum([]byte(pk))
	return new(big.Int).SetBytes(sum[:])
}

// hashRange parses a shard's hash-key range.
func hashRange(t testing.TB, sh types.Shard) (lo, hi *big.Int) {
	t.Helper()
	return bigInt(t, aws.ToString(sh.HashKeyRange.StartingHashKey)), bigInt(t, aws.ToString(sh.HashKeyRange.EndingHashKey))
}

func bigInt(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("%q is not a decimal integer", s)
	}
	return n
}

// shardFor returns the id of the shard among shards (open ones only)
// whose range holds hash key k.
func shardFor(t testing.TB, shards []types.Shard, k *big.Int) string {
	t.Helper()
	for _, sh := range shards {
		if sh.SequenceNumberRange.EndingSequenceNumber != nil {
			continue
		}
		lo, hi := hashRange(t, sh)
		if lo.Cmp(k) <= 0 && k.Cmp(hi) <= 0 {
			return aws.ToString(sh.ShardId)
		}
	}
	t.Fatalf("no open shard holds hash key %s", k)
	return ""
}

// maxHashKey is 2^128-1.
var maxHashKey = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// evenRange returns the hash range of shard i of n at stream creation:
// [floor(2^128/n)*i, floor(2^128/n)*(i+1)-1], the last ending at 2^128-1.
func evenRange(i, n int) (lo, hi *big.Int) {
	step := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(int64(n)))
	lo = new(big.Int).Mul(step, big.NewInt(int64(i)))
	if i == n-1 {
		return lo, new(big.Int).Set(maxHashKey)
	}
	hi = new(big.Int).Sub(new(big.Int).Mul(step, big.NewInt(int64(i+1))), big.NewInt(1))
	return lo, hi
}

// checkRange checks a shard's id and hash-key range.
func checkRange(t testing.TB, sh types.Shard, id string, lo, hi *big.Int) {
	t.Helper()
	if got := aws.ToString(sh.ShardId); got != id {
		t.Fatalf("shard id %s, want %s", got, id)
	}
	gotLo, gotHi := hashRange(t, sh)
	if gotLo.Cmp(lo) != 0 || gotHi.Cmp(hi) != 0 {
		t.Fatalf("%s: range [%s, %s], want [%s, %s]", id, gotLo, gotHi, lo, hi)
	}
}

func shardID(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// seq parses a sequence number and checks the version-2 layout that KCL's
// SequenceNumberValidator relies on: 56 digits, bit length 186, version 2
// in the top and bottom nibbles, and the shard index in bits 4-35.
func seq(t testing.TB, s string, shardIndex int) *big.Int {
	t.Helper()
	if len(s) != 56 {
		t.Fatalf("sequence number %q has %d digits, want 56", s, len(s))
	}
	n := bigInt(t, s)
	if n.BitLen() != 186 {
		t.Fatalf("sequence number %s has bit length %d, want 186", s, n.BitLen())
	}
	low := new(big.Int).And(n, big.NewInt(0xf)).Int64()
	high := new(big.Int).Rsh(n, 184).Int64()
	idx := new(big.Int).And(new(big.Int).Rsh(n, 4), big.NewInt(1<<32-1)).Int64()
	if low != 2 || high != 2 || idx != int64(shardIndex) {
		t.Fatalf("sequence number %s: version %d/%d shard %d, want 2/2 shard %d", s, high, low, idx, shardIndex)
	}
	return n
}

// checkIncreasing checks that sequence numbers are strictly increasing.
func checkIncreasing(t testing.TB, seqs []string, shardIndex int) {
	t.Helper()
	var prev *big.Int
	for i, s := range seqs {
		n := seq(t, s, shardIndex)
		if prev != nil && n.Cmp(prev) <= 0 {
			t.Fatalf("sequence number %d (%s) is not greater than the one before (%s)", i, s, prev)
		}
		prev = n
	}
}

// dataOf returns the records' data as strings, in order.
func dataOf(recs []types.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Data)
	}
	return out
}

// equalStrings compares two string slices.
func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// payload returns n bytes of a recognisable pattern seeded by tag.
func payload(n int, tag byte) []byte {
	b := bytes.Repeat([]byte{tag}, n)
	for i := 0; i < n; i += 4096 {
		b[i] = byte(i / 4096)
	}
	return b
}

// fixedEndpoint resolves every operation to the test server, bypassing the
// SDK's endpoint rules (which ignore a custom endpoint for requests with a
// StreamId, as they would send them to AWS's per-stream endpoints).
type fixedEndpoint struct{ url string }

func (f fixedEndpoint) ResolveEndpoint(ctx context.Context, p kinesis.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(f.url)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}
