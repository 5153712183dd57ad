package bench

import (
	"time"
	"unicode/utf8"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range, in microseconds: 1µs to one hour at three significant
// digits. Longer latencies are recorded as one hour; Max stays exact.
const (
	histogramLowest  = 1
	histogramHighest = int64(time.Hour / time.Microsecond)
	histogramDigits  = 3
)

// latencies is a latency distribution. It is not safe for concurrent use:
// each worker owns one and they are merged when the workers are done.
type latencies struct {
	hist *hdrhistogram.Histogram
	max  time.Duration
}

func newLatencies() *latencies {
	return &latencies{hist: hdrhistogram.New(histogramLowest, histogramHighest, histogramDigits)}
}

// observe records d; it does not allocate.
func (l *latencies) observe(d time.Duration) {
	l.max = max(l.max, d)
	us := min(max(d.Microseconds(), histogramLowest), histogramHighest)
	// us is within the histogram's range, so RecordValue cannot fail.
	_ = l.hist.RecordValue(us)
}

func (l *latencies) merge(other *latencies) {
	l.max = max(l.max, other.max)
	l.hist.Merge(other.hist) // same range on both sides: nothing is dropped
}

func (l *latencies) count() int64 { return l.hist.TotalCount() }

// summary returns the distribution's percentiles in milliseconds.
func (l *latencies) summary() Latency {
	if l.count() == 0 {
		return Latency{}
	}
	maxMs := float64(l.max) / float64(time.Millisecond)
	// The histogram reports the top of a value's bucket, which can lie above
	// the exact maximum.
	quantile := func(q float64) float64 {
		return min(float64(l.hist.ValueAtQuantile(q))/1e3, maxMs)
	}
	return Latency{
		Count: l.count(),
		P50:   quantile(50),
		P90:   quantile(90),
		P99:   quantile(99),
		Max:   maxMs,
	}
}

// recorder accumulates one worker's measurements of one phase. It is not
// safe for concurrent use; see merge.
type recorder struct {
	calls   int64 // successful calls
	records int64 // acknowledged (put) or received (get) records
	bytes   int64 // payload bytes of those records

	latency  *latencies // per successful call
	endToEnd *latencies // put to read, mixed mode readers only

	callErrors   map[string]int64  // failed calls by error code
	recordErrors map[string]int64  // rejected PutRecords entries by code
	examples     map[string]string // first message seen per error code
}

func newRecorder() *recorder {
	return &recorder{
		latency:      newLatencies(),
		endToEnd:     newLatencies(),
		callErrors:   make(map[string]int64),
		recordErrors: make(map[string]int64),
		examples:     make(map[string]string),
	}
}

// callSucceeded counts a call that returned a response.
func (r *recorder) callSucceeded(latency time.Duration) {
	r.calls++
	r.latency.observe(latency)
}

// acknowledged counts records the server accepted or returned.
func (r *recorder) acknowledged(records, bytes int) {
	r.records += int64(records)
	r.bytes += int64(bytes)
}

// callFailed counts a call that returned an error and reports its code.
func (r *recorder) callFailed(err error) string {
	code, message := errorCode(err)
	r.callErrors[code]++
	r.example(code, message)
	return code
}

// recordRejected counts one PutRecords entry that came back with an error.
func (r *recorder) recordRejected(code, message string) {
	r.recordErrors[code]++
	r.example(code, message)
}

// maxExampleLen bounds the error messages kept for the report.
const maxExampleLen = 200

func (r *recorder) example(code, message string) {
	if _, ok := r.examples[code]; !ok {
		if len(message) > maxExampleLen {
			cut := maxExampleLen
			for cut > 0 && !utf8.RuneStart(message[cut]) {
				cut--
			}
			message = message[:cut] + "..."
		}
		r.examples[code] = message
	}
}

// merge adds other's measurements to r.
func (r *recorder) merge(other *recorder) {
	r.calls += other.calls
	r.records += other.records
	r.bytes += other.bytes
	r.latency.merge(other.latency)
	r.endToEnd.merge(other.endToEnd)
	for code, n := range other.callErrors {
		r.callErrors[code] += n
	}
	for code, n := range other.recordErrors {
		r.recordErrors[code] += n
	}
	for code, message := range other.examples {
		r.example(code, message)
	}
}

// mergeAll returns the sum of recorders.
func mergeAll(recorders []*recorder) *recorder {
	total := newRecorder()
	for _, r := range recorders {
		total.merge(r)
	}
	return total
}
