package bench

import (
	"context"
	"encoding/base64"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

const testStream = "bench-test"

// testConfig is a small, fast run of mode against endpoint.
func testConfig(endpoint string, mode Mode) Config {
	return Config{
		Mode:         mode,
		Endpoint:     endpoint,
		Stream:       testStream,
		Create:       true,
		Shards:       2,
		RecordSize:   100,
		BatchSize:    10,
		Concurrency:  2,
		Duration:     200 * time.Millisecond,
		Records:      500,
		PollInterval: time.Millisecond,
	}
}

func run(t *testing.T, cfg Config) *Report {
	t.Helper()
	report, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return report
}

// phase returns the report's phase of that name.
func phase(t *testing.T, r *Report, name string) Phase {
	t.Helper()
	for _, p := range r.Phases {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("report has no %s phase: %+v", name, r.Phases)
	return Phase{}
}

// checkConsistent checks what holds for every phase: bytes follow from
// records, the latency count from calls, the totals from the maps.
func checkConsistent(t *testing.T, p Phase, recordSize int) {
	t.Helper()
	if p.Bytes != p.Records*int64(recordSize) {
		t.Errorf("%s: bytes = %d, want %d records x %d", p.Name, p.Bytes, p.Records, recordSize)
	}
	if p.Latency.Count != p.Calls {
		t.Errorf("%s: latency count = %d, want one per call (%d)", p.Name, p.Latency.Count, p.Calls)
	}
	if sum(p.CallErrors) != p.Failed || sum(p.RecordErrors) != p.Rejected {
		t.Errorf("%s: failed %d, rejected %d do not match %v, %v", p.Name, p.Failed, p.Rejected, p.CallErrors, p.RecordErrors)
	}
	l := p.Latency
	if p.Calls > 0 && !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("%s: latency percentiles out of order: %+v", p.Name, l)
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func TestPutModes(t *testing.T) {
	tests := []struct {
		mode      Mode
		operation string
		perCall   int64 // records per call without failures
	}{
		{ModePutRecord, "PutRecord", 1},
		{ModePutRecords, "PutRecords", 10},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			cfg := testConfig(startEndpoint(t), tt.mode)
			report := run(t, cfg)
			p := phase(t, report, PhasePut)
			checkConsistent(t, p, cfg.RecordSize)
			if p.Operation != tt.operation {
				t.Errorf("operation = %s, want %s", p.Operation, tt.operation)
			}
			if p.Calls == 0 || p.Records != p.Calls*tt.perCall {
				t.Errorf("records = %d, calls = %d: want %d records per call", p.Records, p.Calls, tt.perCall)
			}
			if p.Failed+p.Rejected != 0 {
				t.Errorf("errors: %v %v", p.CallErrors, p.RecordErrors)
			}
			if p.Seconds < cfg.Duration.Seconds() {
				t.Errorf("ran %.3fs, less than the duration %s", p.Seconds, cfg.Duration)
			}
		})
	}
}

// A fake that rejects every third PutRecords entry: only the others count.
func TestPutRecordsCountsOnlyAcknowledgedEntries(t *testing.T) {
	const throttled = "ProvisionedThroughputExceededException"
	fake := newFake(t, fakeFaults{entryError: func(n int) string {
		if n%3 == 0 {
			return throttled
		}
		return ""
	}})
	cfg := testConfig(fake.URL(), ModePutRecords)
	p := phase(t, run(t, cfg), PhasePut)
	got := fake.tally(testStream)

	checkConsistent(t, p, cfg.RecordSize)
	sent := int(p.Calls) * cfg.BatchSize
	if got.entries != sent || got.calls["PutRecords"] != int(p.Calls) {
		t.Fatalf("fake saw %d entries in %d calls; tool made %d calls of %d", got.entries, got.calls["PutRecords"], p.Calls, cfg.BatchSize)
	}
	if p.Records != got.stored || p.Records != int64(sent-sent/3) {
		t.Errorf("records = %d, want %d stored by the fake, %d of %d sent", p.Records, got.stored, sent-sent/3, sent)
	}
	want := map[string]int64{throttled: int64(sent / 3)}
	if !maps.Equal(p.RecordErrors, want) || !maps.Equal(got.rejects, want) {
		t.Errorf("record errors = %v, fake rejected %v, want %v", p.RecordErrors, got.rejects, want)
	}
	if len(p.CallErrors) != 0 {
		t.Errorf("call errors = %v, want none", p.CallErrors)
	}
}

// Failed calls are counted by code, once each: the SDK does not retry.
func TestFailedCallsCountedByCode(t *testing.T) {
	fake := newFake(t, fakeFaults{callError: func(op string, n int) string {
		switch {
		case op != "PutRecord":
			return ""
		case n%7 == 0:
			return "InternalFailure" // HTTP 500, which the SDK would retry
		case n%4 == 0:
			return "ProvisionedThroughputExceededException"
		case n%5 == 0:
			return "KMSThrottlingException"
		}
		return ""
	}})
	cfg := testConfig(fake.URL(), ModePutRecord)
	p := phase(t, run(t, cfg), PhasePut)
	got := fake.tally(testStream)

	checkConsistent(t, p, cfg.RecordSize)
	if !maps.Equal(p.CallErrors, got.failed) || len(got.failed) != 3 {
		t.Errorf("call errors = %v, fake failed %v", p.CallErrors, got.failed)
	}
	if int(p.Calls+p.Failed) != got.calls["PutRecord"] {
		t.Errorf("%d calls + %d failed, but the fake saw %d requests", p.Calls, p.Failed, got.calls["PutRecord"])
	}
	if p.Records != got.stored || p.Records != p.Calls {
		t.Errorf("records = %d, calls = %d, fake stored %d", p.Records, p.Calls, got.stored)
	}
	if msg := p.ErrorExamples["InternalFailure"]; msg != "injected InternalFailure" {
		t.Errorf("InternalFailure example = %q", msg)
	}
}

func TestDroppedConnectionIsNetworkError(t *testing.T) {
	fake := newFake(t, fakeFaults{callError: func(op string, n int) string {
		if op == "PutRecord" && n%2 == 0 {
			return closeConnection
		}
		return ""
	}})
	p := phase(t, run(t, testConfig(fake.URL(), ModePutRecord)), PhasePut)
	if p.CallErrors[codeNetwork] == 0 || len(p.CallErrors) != 1 {
		t.Errorf("call errors = %v, want only %s", p.CallErrors, codeNetwork)
	}
	if p.Records != p.Calls || p.Calls == 0 {
		t.Errorf("records = %d, calls = %d", p.Records, p.Calls)
	}
}

// Every tenth call is held 30ms: p99 and max must see it, p50 must not.
func TestLatencyPercentilesSeeSlowCalls(t *testing.T) {
	const slow = 30 * time.Millisecond
	fake := newFake(t, fakeFaults{delay: func(op string, n int) time.Duration {
		if op == "PutRecord" && n%10 == 0 {
			return slow
		}
		return 0
	}})
	cfg := testConfig(fake.URL(), ModePutRecord)
	cfg.Concurrency = 1
	cfg.Duration = 500 * time.Millisecond
	l := phase(t, run(t, cfg), PhasePut).Latency
	slowMs := float64(slow) / float64(time.Millisecond)
	if l.P99 < slowMs || l.Max < slowMs {
		t.Errorf("p99 %.3fms, max %.3fms: want at least %.0fms", l.P99, l.Max, slowMs)
	}
	if l.P50 >= slowMs {
		t.Errorf("p50 = %.3fms, want under %.0fms", l.P50, slowMs)
	}
}

func TestGetRecordsFillsThenReads(t *testing.T) {
	cfg := testConfig(startEndpoint(t), ModeGetRecords)
	cfg.Shards = 4
	cfg.Records = 1234
	cfg.BatchSize = 100
	cfg.ReadLimit = 50
	report := run(t, cfg)
	fill, read := phase(t, report, PhaseFill), phase(t, report, PhaseRead)
	checkConsistent(t, fill, cfg.RecordSize)
	checkConsistent(t, read, cfg.RecordSize)
	if fill.Records != 1234 || read.Records != 1234 {
		t.Errorf("filled %d, read %d: want 1234 each", fill.Records, read.Records)
	}
	if report.Shards != 4 {
		t.Errorf("read %d shards, want 4", report.Shards)
	}
	if min := int64(1234 / 50); read.Calls < min {
		t.Errorf("read in %d calls; a limit of 50 needs at least %d", read.Calls, min)
	}
}

// get-records with SkipFill reads what the stream holds, from every shard.
func TestGetRecordsReadsExistingStream(t *testing.T) {
	fake := newFake(t, fakeFaults{})
	fake.add(testStream, 5, 777, 64) // five shards: ListShards needs two pages
	cfg := testConfig(fake.URL(), ModeGetRecords)
	cfg.Create = false
	cfg.SkipFill = true
	cfg.Records = 1000 // more than there is: readers stop when caught up
	cfg.ReadLimit = 100
	report := run(t, cfg)
	if len(report.Phases) != 1 {
		t.Fatalf("phases = %+v, want only a read", report.Phases)
	}
	read := phase(t, report, PhaseRead)
	checkConsistent(t, read, 64)
	if read.Records != 777 || report.Shards != 5 {
		t.Errorf("read %d records from %d shards, want 777 from 5", read.Records, report.Shards)
	}
	if got := fake.tally(testStream).calls["PutRecords"]; got != 0 {
		t.Errorf("SkipFill made %d PutRecords calls", got)
	}
}

// A fill re-sends rejected entries: the stream ends up with exactly Records.
func TestFillResendsRejectedEntries(t *testing.T) {
	fake := newFake(t, fakeFaults{entryError: func(n int) string {
		if n%3 == 0 {
			return "ProvisionedThroughputExceededException"
		}
		return ""
	}})
	cfg := testConfig(fake.URL(), ModeGetRecords)
	report := run(t, cfg)
	fill, read := phase(t, report, PhaseFill), phase(t, report, PhaseRead)
	got := fake.tally(testStream)
	if got.stored != int64(cfg.Records) || fill.Records != got.stored || read.Records != got.stored {
		t.Errorf("fake stored %d, fill counted %d, read %d; want %d", got.stored, fill.Records, read.Records, cfg.Records)
	}
	if !maps.Equal(fill.RecordErrors, got.rejects) || fill.Rejected == 0 {
		t.Errorf("fill record errors = %v, fake rejected %v", fill.RecordErrors, got.rejects)
	}
}

// A fill that the server never lets through fails instead of spinning.
func TestFillStallFails(t *testing.T) {
	fake := newFake(t, fakeFaults{callError: func(op string, n int) string {
		if op == "PutRecords" {
			return "LimitExceededException"
		}
		return ""
	}})
	cfg := testConfig(fake.URL(), ModeGetRecords)
	_, err := Run(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "LimitExceededException") {
		t.Fatalf("Run = %v, want a stalled fill naming LimitExceededException", err)
	}
}

// A reader whose iterator expires starts again after its last record.
func TestReaderRenewsExpiredIterator(t *testing.T) {
	fake := newFake(t, fakeFaults{callError: func(op string, n int) string {
		if op == "GetRecords" && n == 3 {
			return "ExpiredIteratorException"
		}
		return ""
	}})
	fake.add(testStream, 1, 300, 10)
	cfg := testConfig(fake.URL(), ModeGetRecords)
	cfg.SkipFill = true
	cfg.ReadLimit = 40
	read := phase(t, run(t, cfg), PhaseRead)
	if read.Records != 300 {
		t.Errorf("read %d records, want 300, each once", read.Records)
	}
	if want := map[string]int64{"ExpiredIteratorException": 1}; !maps.Equal(read.CallErrors, want) {
		t.Errorf("call errors = %v, want %v", read.CallErrors, want)
	}
	if got := fake.tally(testStream).calls["GetShardIterator"]; got != 2 {
		t.Errorf("GetShardIterator calls = %d, want 2", got)
	}
}

func TestMixed(t *testing.T) {
	tests := []struct {
		batch     int
		operation string
	}{
		{1, "PutRecord"},
		{25, "PutRecords"},
	}
	for _, tt := range tests {
		t.Run(tt.operation, func(t *testing.T) {
			cfg := testConfig(startEndpoint(t), ModeMixed)
			cfg.BatchSize = tt.batch
			cfg.Rate = 2000
			cfg.Duration = 300 * time.Millisecond
			report := run(t, cfg)
			put, read := phase(t, report, PhasePut), phase(t, report, PhaseRead)
			checkConsistent(t, put, cfg.RecordSize)
			checkConsistent(t, read, cfg.RecordSize)
			if put.Operation != tt.operation {
				t.Errorf("operation = %s, want %s", put.Operation, tt.operation)
			}
			if put.Records == 0 || read.Records != put.Records || read.Unread != 0 {
				t.Errorf("put %d, read %d, unread %d", put.Records, read.Records, read.Unread)
			}
			// The limiter allows one batch of burst on top of the rate.
			if limit := cfg.Rate*put.Seconds + float64(tt.batch); float64(put.Records) > limit {
				t.Errorf("put %d records in %.3fs at a cap of %.0f/s", put.Records, put.Seconds, cfg.Rate)
			}
			e2e := read.EndToEnd
			if e2e == nil || e2e.Count != read.Records || e2e.P50 <= 0 {
				t.Errorf("end-to-end latency = %+v, want one sample per record read", e2e)
			}
		})
	}
}

func TestCreateWaitsForActiveAndDeleteRemoves(t *testing.T) {
	fake := newFake(t, fakeFaults{creatingDescribes: 3})
	cfg := testConfig(fake.URL(), ModePutRecords)
	cfg.Delete = true
	p := phase(t, run(t, cfg), PhasePut)
	got := fake.tally(testStream)
	if p.Failed != 0 || p.Records == 0 {
		t.Errorf("put %d records with errors %v: the stream was used before it was ACTIVE", p.Records, p.CallErrors)
	}
	if got.exists || got.calls["DeleteStream"] != 1 {
		t.Errorf("stream exists = %v after %d DeleteStream calls", got.exists, got.calls["DeleteStream"])
	}
	if got.calls["DescribeStreamSummary"] < 4 {
		t.Errorf("%d DescribeStreamSummary calls; CREATING needs at least 4", got.calls["DescribeStreamSummary"])
	}
}

// A run whose stream cannot be deleted keeps its figures; Main prints them
// and fails.
func TestDeleteFailureKeepsReport(t *testing.T) {
	fake := newFake(t, fakeFaults{callError: func(op string, n int) string {
		if op == "DeleteStream" {
			return "LimitExceededException"
		}
		return ""
	}})
	args := []string{"put-record", "--endpoint", fake.URL(), "--create", "--delete", "--duration", "50ms", "--json"}
	var stdout, stderr strings.Builder
	if exit := Main(t.Context(), args, &stdout, &stderr); exit != exitError {
		t.Fatalf("exit = %d, want %d", exit, exitError)
	}
	if !strings.Contains(stdout.String(), `"records_per_second"`) || !strings.Contains(stderr.String(), "delete stream") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
}

func TestMissingStreamWithoutCreateFails(t *testing.T) {
	cfg := testConfig(newFake(t, fakeFaults{}).URL(), ModePutRecords)
	cfg.Create = false
	if _, err := Run(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("Run = %v, want ResourceNotFoundException", err)
	}
}

func TestPartitionKeysSpreadRecords(t *testing.T) {
	tests := []struct {
		name       string
		keys       int
		usedShards int
	}{
		{"one key", 1, 1},
		{"random", 0, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fakeFaults{})
			cfg := testConfig(fake.URL(), ModePutRecords)
			cfg.Shards = 4
			cfg.PartitionKeys = tt.keys
			p := phase(t, run(t, cfg), PhasePut)
			used := 0
			for _, n := range fake.tally(testStream).shards {
				if n > 0 {
					used++
				}
			}
			if used != tt.usedShards || p.Records < 40 {
				t.Errorf("%d records landed on %d shards, want %d", p.Records, used, tt.usedShards)
			}
		})
	}
}

func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Run(ctx, testConfig(startEndpoint(t), ModePutRecords)); err == nil {
		t.Fatal("Run with a canceled context succeeded")
	}
}

func TestRunRejectsInvalidConfig(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:1", ModeMixed)
	cfg.RecordSize = stampSize - 1
	if _, err := Run(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "mixed mode") {
		t.Fatalf("Run = %v, want a configuration error", err)
	}
}

// BenchmarkProducerPutBatch measures the client side of one PutRecords call
// of 500 x 1 KiB, SDK and HTTP included: the load tool's own cost. The
// server discards the request and answers with a canned response.
func BenchmarkProducerPutBatch(b *testing.B) {
	cfg := Config{Mode: ModePutRecords, Stream: testStream, Concurrency: 1}.withDefaults()
	entry := `{"ShardId":"shardId-000000000000","SequenceNumber":"1"}`
	response := []byte(`{"FailedRecordCount":0,"Records":[` + strings.Repeat(entry+",", cfg.BatchSize-1) + entry + `]}`)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write(response)
	}))
	defer server.Close()
	cfg.Endpoint = server.URL
	p := newProducers(newClient(cfg, newHTTPClient(1)), cfg, nil)[0]
	b.ReportAllocs()
	b.SetBytes(int64(cfg.BatchSize * cfg.RecordSize))
	for b.Loop() {
		if acked := p.put(b.Context(), cfg.BatchSize); acked != cfg.BatchSize {
			b.Fatalf("acknowledged %d of %d: %v %v", acked, cfg.BatchSize, p.rec.callErrors, p.rec.examples)
		}
	}
}

// BenchmarkReaderGetRecords measures the client side of one GetRecords call
// returning 1,000 x 1 KiB, SDK and HTTP included. The server answers with a
// canned response.
func BenchmarkReaderGetRecords(b *testing.B) {
	const records, size = 1000, 1024
	data := base64.StdEncoding.EncodeToString(make([]byte, size))
	entry := `{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898",` +
		`"ApproximateArrivalTimestamp":1.7e9,"Data":"` + data + `","PartitionKey":"pk-1"}`
	response := []byte(`{"Records":[` + strings.Repeat(entry+",", records-1) + entry +
		`],"NextShardIterator":"it","MillisBehindLatest":0}`)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write(response)
	}))
	defer server.Close()
	cfg := Config{Mode: ModeGetRecords, Endpoint: server.URL, Stream: testStream}.withDefaults()
	var total atomic.Int64
	r := newReaders(newClient(cfg, newHTTPClient(1)), cfg, []string{"shardId-0"}, types.ShardIteratorTypeTrimHorizon, nil, &total)[0]
	r.untilCaughtUp = false
	b.ReportAllocs()
	b.SetBytes(records * size)
	for b.Loop() {
		calls := r.rec.calls
		// done after one call: reads exactly one response.
		r.read(b.Context(), b.Context(), aws.String("it"), func() bool { return r.rec.calls > calls })
		if r.rec.calls != calls+1 {
			b.Fatalf("GetRecords failed: %v", r.rec.examples)
		}
	}
}
