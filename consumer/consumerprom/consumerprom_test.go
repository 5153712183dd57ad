package consumerprom

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/runnel-dev/runnel/consumer"
)

type fixed consumer.Metrics

func (f fixed) Metrics() consumer.Metrics { return consumer.Metrics(f) }

func TestCollector(t *testing.T) {
	src := fixed{
		WorkerID:   "w1",
		LeasesHeld: 1,
		Shards: []consumer.ShardMetrics{
			{ShardID: "shardId-000000000000", Held: true, MillisBehindLatest: 1500, Records: 42, Bytes: 4200},
			{ShardID: "shardId-000000000001", Records: 7, Bytes: 70},
		},
	}
	want := `
# HELP runnel_consumer_bytes_processed_total Data bytes delivered to the shard's processors.
# TYPE runnel_consumer_bytes_processed_total counter
runnel_consumer_bytes_processed_total{shard="shardId-000000000000",worker="w1"} 4200
runnel_consumer_bytes_processed_total{shard="shardId-000000000001",worker="w1"} 70
# HELP runnel_consumer_leases_held Shard leases the worker holds.
# TYPE runnel_consumer_leases_held gauge
runnel_consumer_leases_held{worker="w1"} 1
# HELP runnel_consumer_millis_behind_latest How far the last batch read from the shard was behind its tip, in milliseconds.
# TYPE runnel_consumer_millis_behind_latest gauge
runnel_consumer_millis_behind_latest{shard="shardId-000000000000",worker="w1"} 1500
runnel_consumer_millis_behind_latest{shard="shardId-000000000001",worker="w1"} 0
# HELP runnel_consumer_records_processed_total Records (user records, for KPL aggregates) delivered to the shard's processors.
# TYPE runnel_consumer_records_processed_total counter
runnel_consumer_records_processed_total{shard="shardId-000000000000",worker="w1"} 42
runnel_consumer_records_processed_total{shard="shardId-000000000001",worker="w1"} 7
`
	if err := testutil.CollectAndCompare(New(src), strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
