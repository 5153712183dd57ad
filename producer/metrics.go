package producer

import (
	"sync/atomic"
	"time"
)

// latencyBuckets are the upper bounds, in seconds, of the put-latency
// histogram (Prometheus's default buckets).
var latencyBuckets = [...]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics is a snapshot of a producer's counters, from Producer.Metrics.
// Counters count since New; gauges are current values.
type Metrics struct {
	UserRecordsPut       uint64 // accepted by Put
	UserRecordsDelivered uint64
	UserRecordsFailed    uint64 // completed with an error (TTL, Close, refused)

	KinesisRecordsSent      uint64 // PutRecords entries sent, retries included
	KinesisRecordsDelivered uint64
	PutRecordsCalls         uint64
	PutRecordsCallErrors    uint64 // calls that failed as a whole
	Retries                 uint64 // Kinesis records sent again
	Throttles               uint64 // entries refused with ProvisionedThroughputExceededException
	ShardMapRefreshes       uint64

	BufferedBytes   int64 // gauge: data and partition keys between Put and result
	BufferedRecords int64 // gauge

	// PutLatency is the time from Put to a user record's result.
	PutLatency Histogram
}

// Histogram is a latency histogram: Counts[i] counts observations of at
// most UpperBounds[i] seconds and above UpperBounds[i-1]; the last count
// is above every bound.
type Histogram struct {
	UpperBounds [len(latencyBuckets)]float64
	Counts      [len(latencyBuckets) + 1]uint64
	Count       uint64
	SumSeconds  float64
}

// metrics are the live counters behind Metrics.
type metrics struct {
	userPut, userDelivered, userFailed          atomic.Uint64
	kinesisSent, kinesisDelivered               atomic.Uint64
	calls, callErrors, retries, throttles, maps atomic.Uint64
	latency                                     [len(latencyBuckets) + 1]atomic.Uint64
	latencyCount                                atomic.Uint64
	latencySumNanos                             atomic.Int64
}

func (m *metrics) observeLatency(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(latencyBuckets) && s > latencyBuckets[i] {
		i++
	}
	m.latency[i].Add(1)
	m.latencyCount.Add(1)
	m.latencySumNanos.Add(int64(d))
}

func (m *metrics) snapshot() Metrics {
	s := Metrics{
		UserRecordsPut:          m.userPut.Load(),
		UserRecordsDelivered:    m.userDelivered.Load(),
		UserRecordsFailed:       m.userFailed.Load(),
		KinesisRecordsSent:      m.kinesisSent.Load(),
		KinesisRecordsDelivered: m.kinesisDelivered.Load(),
		PutRecordsCalls:         m.calls.Load(),
		PutRecordsCallErrors:    m.callErrors.Load(),
		Retries:                 m.retries.Load(),
		Throttles:               m.throttles.Load(),
		ShardMapRefreshes:       m.maps.Load(),
	}
	s.PutLatency.UpperBounds = latencyBuckets
	for i := range m.latency {
		s.PutLatency.Counts[i] = m.latency[i].Load()
	}
	s.PutLatency.Count = m.latencyCount.Load()
	s.PutLatency.SumSeconds = time.Duration(m.latencySumNanos.Load()).Seconds()
	return s
}
