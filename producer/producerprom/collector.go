// Package producerprom exports a producer's metrics to Prometheus, so that
// package producer itself does not depend on client_golang.
//
//	reg.MustRegister(producerprom.New(p, "orders"))
package producerprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/runnel-dev/runnel/producer"
)

// Collector is a prometheus.Collector of one producer's metrics. Each
// scrape takes one producer.Metrics snapshot.
type Collector struct {
	p     *producer.Producer
	descs descs
}

type descs struct {
	userPut, userDelivered, userFailed        *prometheus.Desc
	kinesisSent, kinesisDelivered             *prometheus.Desc
	calls, callErrors, retries, throttles     *prometheus.Desc
	refreshes, bufferedBytes, bufferedRecords *prometheus.Desc
	latency                                   *prometheus.Desc
}

// New returns a collector of p's metrics, labelled stream="<stream>".
func New(p *producer.Producer, stream string) *Collector {
	labels := prometheus.Labels{"stream": stream}
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("runnel_producer_"+name, help, nil, labels)
	}
	return &Collector{p: p, descs: descs{
		userPut:          d("user_records_put_total", "User records accepted by Put."),
		userDelivered:    d("user_records_delivered_total", "User records stored in the stream."),
		userFailed:       d("user_records_failed_total", "User records that completed with an error."),
		kinesisSent:      d("kinesis_records_sent_total", "PutRecords entries sent, retries included."),
		kinesisDelivered: d("kinesis_records_delivered_total", "PutRecords entries stored."),
		calls:            d("put_records_calls_total", "PutRecords calls."),
		callErrors:       d("put_records_call_errors_total", "PutRecords calls that failed as a whole."),
		retries:          d("retries_total", "Kinesis records sent again."),
		throttles:        d("throttles_total", "Entries refused with ProvisionedThroughputExceededException."),
		refreshes:        d("shard_map_refreshes_total", "Shard map refreshes."),
		bufferedBytes:    d("buffered_bytes", "Data and partition key bytes between Put and result."),
		bufferedRecords:  d("buffered_records", "User records between Put and result."),
		latency:          d("put_latency_seconds", "Time from Put to a user record's result."),
	}}
}

var _ prometheus.Collector = (*Collector)(nil)

// Describe sends the descriptors of every metric.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	d := c.descs
	for _, desc := range []*prometheus.Desc{d.userPut, d.userDelivered, d.userFailed, d.kinesisSent, d.kinesisDelivered,
		d.calls, d.callErrors, d.retries, d.throttles, d.refreshes, d.bufferedBytes, d.bufferedRecords, d.latency} {
		ch <- desc
	}
}

// Collect sends a snapshot of the producer's metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	m := c.p.Metrics()
	d := c.descs
	counter := func(desc *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v))
	}
	counter(d.userPut, m.UserRecordsPut)
	counter(d.userDelivered, m.UserRecordsDelivered)
	counter(d.userFailed, m.UserRecordsFailed)
	counter(d.kinesisSent, m.KinesisRecordsSent)
	counter(d.kinesisDelivered, m.KinesisRecordsDelivered)
	counter(d.calls, m.PutRecordsCalls)
	counter(d.callErrors, m.PutRecordsCallErrors)
	counter(d.retries, m.Retries)
	counter(d.throttles, m.Throttles)
	counter(d.refreshes, m.ShardMapRefreshes)
	ch <- prometheus.MustNewConstMetric(d.bufferedBytes, prometheus.GaugeValue, float64(m.BufferedBytes))
	ch <- prometheus.MustNewConstMetric(d.bufferedRecords, prometheus.GaugeValue, float64(m.BufferedRecords))
	ch <- prometheus.MustNewConstHistogram(d.latency, m.PutLatency.Count, m.PutLatency.SumSeconds, cumulative(m.PutLatency))
}

// cumulative turns the histogram's per-bucket counts into Prometheus's
// cumulative ones.
func cumulative(h producer.Histogram) map[float64]uint64 {
	out := make(map[float64]uint64, len(h.UpperBounds))
	var sum uint64
	for i, le := range h.UpperBounds {
		sum += h.Counts[i]
		out[le] = sum
	}
	return out
}
