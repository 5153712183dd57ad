package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestFormatCount(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {999.4, "999"}, {999.5, "1,000"}, {1234567.8, "1,234,568"}, {100000, "100,000"},
	}
	for _, tt := range tests {
		if got := formatCount(tt.in); got != tt.want {
			t.Errorf("formatCount(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewPhaseRates(t *testing.T) {
	rec := newRecorder()
	for range 4 {
		rec.callSucceeded(time.Millisecond)
	}
	rec.acknowledged(2000, 2*mib)
	rec.recordRejected("A", "")
	rec.callFailed(errInvalidResponse)
	p := newPhase(PhasePut, "PutRecords", rec, 2*time.Second, 0)
	if p.CallsPerSecond != 2 || p.RecordsPerSecond != 1000 || p.MiBPerSecond != 1 {
		t.Errorf("rates = %v calls/s, %v records/s, %v MiB/s", p.CallsPerSecond, p.RecordsPerSecond, p.MiBPerSecond)
	}
	if p.Failed != 1 || p.Rejected != 1 {
		t.Errorf("failed %d, rejected %d; want 1, 1", p.Failed, p.Rejected)
	}
	if zero := newPhase(PhasePut, "PutRecords", newRecorder(), 0, 0); zero.RecordsPerSecond != 0 {
		t.Errorf("rate over no time = %v", zero.RecordsPerSecond)
	}
}

func testReport() *Report {
	rec := newRecorder()
	rec.callSucceeded(2 * time.Millisecond)
	rec.acknowledged(334, 334*1024)
	rec.recordRejected("ProvisionedThroughputExceededException", "Rate exceeded for shard")
	read := newPhase(PhaseRead, "GetRecords", rec, time.Second, 0)
	read.EndToEnd = &Latency{Count: 1, P50: 5, P90: 5, P99: 5, Max: 5}
	read.Unread = 3
	return &Report{
		Mode: ModeMixed, Endpoint: "http://127.0.0.1:4567", Stream: "s", Shards: 4,
		RecordSize: 1024, BatchSize: 500, Concurrency: 4, PartitionKeys: "random", Rate: 1000,
		Phases: []Phase{read},
	}
}

func TestWriteText(t *testing.T) {
	var out strings.Builder
	if err := testReport().WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"mixed against http://127.0.0.1:4567, stream s (4 shards)",
		"capped at 1,000 records/s",
		"read: GetRecords for 1.00s",
		"records   334 (334 records/s, 0.33 MiB/s)",
		"latency   p50 2.000ms",
		"end2end   p50 5.000ms",
		"unread    3 acknowledged records never read",
		"errors    calls none; records ProvisionedThroughputExceededException=1",
		"ProvisionedThroughputExceededException: Rate exceeded for shard",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestWriteJSONRoundTrips(t *testing.T) {
	var buf bytes.Buffer
	want := testReport()
	if err := want.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Phases[0].Records != 334 || got.Phases[0].EndToEnd.P99 != 5 || got.Phases[0].RecordErrors["ProvisionedThroughputExceededException"] != 1 {
		t.Errorf("decoded %+v", got.Phases[0])
	}
	for _, key := range []string{`"records_per_second"`, `"mib_per_second"`, `"latency_ms"`, `"end_to_end_ms"`, `"p99"`} {
		if !bytes.Contains(buf.Bytes(), []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}
