package consumer

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/consumer/leases"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// BenchmarkConsume measures records per second read from runnel by one
// worker over a four-shard stream holding b.N records, from the start of
// Run to the last record processed (each batch checkpointed). Run it with
// a fixed count, e.g. -benchtime=200000x.
func BenchmarkConsume(b *testing.B) {
	for _, rt := range []retrieval{{name: "polling"}, {name: "fanout", opts: []Option{WithEnhancedFanOut("bench")}}} {
		b.Run(rt.name, func(b *testing.B) {
			srv := testserver.Start(b, testserver.Options{})
			client := srv.Client()
			createStream(b, client, "bench", 4)
			newProducer(client, "bench").put(b, b.N)
			var processed atomic.Int64
			process := func(ctx context.Context, in ProcessRecordsInput) error {
				processed.Add(int64(len(in.Records)))
				return in.Checkpointer.Checkpoint(ctx, in.Records[len(in.Records)-1])
			}
			opts := append([]Option{
				WithInitialPosition(TrimHorizon), WithLogger(slog.New(slog.DiscardHandler)), WithPollInterval(MinPollGap),
			}, rt.opts...)
			c, err := New(client, "bench", leases.NewMemory(), func(string) Processor { return BatchFunc(process) }, opts...)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			b.ResetTimer()
			start := time.Now()
			go func() { done <- c.Run(ctx) }()
			for processed.Load() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
		})
	}
}
