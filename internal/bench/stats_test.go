package bench

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// within reports whether got is within HDR's precision of three significant
// digits of want.
func within(got, want float64) bool {
	return math.Abs(got-want) <= want*1e-3
}

func TestLatencySummary(t *testing.T) {
	tests := []struct {
		name               string
		values             []time.Duration
		p50, p90, p99, max float64 // ms
	}{
		{"empty", nil, 0, 0, 0, 0},
		{"one value", []time.Duration{1500 * time.Microsecond}, 1.5, 1.5, 1.5, 1.5},
		{"1..1000ms", ramp(1000, time.Millisecond), 500, 900, 990, 1000},
		{"one outlier in a hundred", append(repeat(99, 2*time.Millisecond), 250*time.Millisecond), 2, 2, 2, 250},
		{"sub-microsecond counts as 1µs", []time.Duration{100 * time.Nanosecond}, 0.0001, 0.0001, 0.0001, 0.0001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLatencies()
			for _, v := range tt.values {
				l.observe(v)
			}
			got := l.summary()
			if got.Count != int64(len(tt.values)) {
				t.Errorf("count = %d, want %d", got.Count, len(tt.values))
			}
			if !within(got.P50, tt.p50) || !within(got.P90, tt.p90) || !within(got.P99, tt.p99) {
				t.Errorf("p50/p90/p99 = %v/%v/%v, want %v/%v/%v", got.P50, got.P90, got.P99, tt.p50, tt.p90, tt.p99)
			}
			if got.Max != tt.max {
				t.Errorf("max = %v, want exactly %v", got.Max, tt.max)
			}
		})
	}
}

func TestLatencyBeyondRangeIsClamped(t *testing.T) {
	l := newLatencies()
	l.observe(2 * time.Hour)
	got := l.summary()
	if got.Count != 1 || got.Max != float64(2*time.Hour/time.Millisecond) || got.P99 > got.Max {
		t.Errorf("summary = %+v, want one sample, exact max of two hours", got)
	}
}

func TestLatencyMergeEqualsWhole(t *testing.T) {
	whole, a, b := newLatencies(), newLatencies(), newLatencies()
	for i, v := range ramp(2000, 37*time.Microsecond) {
		whole.observe(v)
		if i%3 == 0 {
			a.observe(v)
		} else {
			b.observe(v)
		}
	}
	a.merge(b)
	if got, want := a.summary(), whole.summary(); got != want {
		t.Errorf("merged %+v, want %+v", got, want)
	}
}

func TestRecorderMerge(t *testing.T) {
	a, b := newRecorder(), newRecorder()
	a.callSucceeded(time.Millisecond)
	a.acknowledged(7, 700)
	a.recordRejected("ProvisionedThroughputExceededException", "first")
	b.callSucceeded(3 * time.Millisecond)
	b.acknowledged(3, 300)
	b.recordRejected("ProvisionedThroughputExceededException", "second")
	b.callFailed(errors.New("boom"))

	total := mergeAll([]*recorder{a, b})
	if total.calls != 2 || total.records != 10 || total.bytes != 1000 || total.latency.count() != 2 {
		t.Errorf("merged calls %d, records %d, bytes %d, latencies %d", total.calls, total.records, total.bytes, total.latency.count())
	}
	if total.recordErrors["ProvisionedThroughputExceededException"] != 2 || total.callErrors[codeClient] != 1 {
		t.Errorf("merged errors %v %v", total.recordErrors, total.callErrors)
	}
	if total.examples["ProvisionedThroughputExceededException"] != "first" {
		t.Errorf("example = %q, want the first one", total.examples["ProvisionedThroughputExceededException"])
	}
}

func TestExampleIsTruncatedOnARuneBoundary(t *testing.T) {
	r := newRecorder()
	r.recordRejected("X", "a"+strings.Repeat("é", maxExampleLen))
	got := r.examples["X"]
	if len(got) > maxExampleLen+len("...") || !utf8.ValidString(got) || !strings.HasSuffix(got, "é...") {
		t.Errorf("example %q (%d bytes): want at most %d bytes of valid UTF-8", got, len(got), maxExampleLen)
	}
}

func ramp(n int, step time.Duration) []time.Duration {
	values := make([]time.Duration, n)
	for i := range values {
		values[i] = time.Duration(i+1) * step
	}
	return values
}

func repeat(n int, v time.Duration) []time.Duration {
	values := make([]time.Duration, n)
	for i := range values {
		values[i] = v
	}
	return values
}
