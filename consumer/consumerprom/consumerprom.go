// Package consumerprom exports a consumer's metrics to Prometheus.
package consumerprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/runnel-dev/runnel/consumer"
)

// Source is what the collector reads; *consumer.Consumer is one.
type Source interface {
	Metrics() consumer.Metrics
}

var _ Source = (*consumer.Consumer)(nil)

// Collector is a prometheus.Collector of a consumer's metrics, labelled
// by worker and shard:
//
//	runnel_consumer_millis_behind_latest{worker,shard}  gauge
//	runnel_consumer_records_processed_total{worker,shard} counter
//	runnel_consumer_bytes_processed_total{worker,shard}   counter
//	runnel_consumer_leases_held{worker}                   gauge
type Collector struct {
	src                    Source
	behind, records, bytes *prometheus.Desc
	leases                 *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// New returns a collector of src's metrics; register it with a
// prometheus.Registerer.
func New(src Source) *Collector {
	shard := []string{"worker", "shard"}
	return &Collector{
		src: src,
		behind: prometheus.NewDesc("runnel_consumer_millis_behind_latest",
			"How far the last batch read from the shard was behind its tip, in milliseconds.", shard, nil),
		records: prometheus.NewDesc("runnel_consumer_records_processed_total",
			"Records (user records, for KPL aggregates) delivered to the shard's processors.", shard, nil),
		bytes: prometheus.NewDesc("runnel_consumer_bytes_processed_total",
			"Data bytes delivered to the shard's processors.", shard, nil),
		leases: prometheus.NewDesc("runnel_consumer_leases_held",
			"Shard leases the worker holds.", []string{"worker"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.behind, c.records, c.bytes, c.leases} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	m := c.src.Metrics()
	ch <- prometheus.MustNewConstMetric(c.leases, prometheus.GaugeValue, float64(m.LeasesHeld), m.WorkerID)
	for _, s := range m.Shards {
		ch <- prometheus.MustNewConstMetric(c.behind, prometheus.GaugeValue, float64(s.MillisBehindLatest), m.WorkerID, s.ShardID)
		ch <- prometheus.MustNewConstMetric(c.records, prometheus.CounterValue, float64(s.Records), m.WorkerID, s.ShardID)
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(s.Bytes), m.WorkerID, s.ShardID)
	}
}
