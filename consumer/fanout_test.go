package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/consumer/leases"
	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// TestFanOutRegistration: the first worker registers the stream consumer
// and waits while it is CREATING; the second reuses it.
func TestFanOutRegistration(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Stream: stream.Config{ConsumerDelay: 500 * time.Millisecond}})
	client := srv.Client()
	createStream(t, client, "reg", 2)
	store, rec := leases.NewMemory(), newRecorder()
	start := time.Now()
	w1 := startWorker(t, client, "reg", store, rec, "w1", WithEnhancedFanOut("app"))
	p := newProducer(client, "reg")
	p.put(t, 50)
	eventually(t, 10*time.Second, "records", func() bool { return rec.count() == 50 })
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("records processed %v after start, before the consumer could be ACTIVE", d)
	}
	w2 := startWorker(t, client, "reg", store, rec, "w2", WithEnhancedFanOut("app"))
	eventually(t, 10*time.Second, "leases shared", func() bool { return w2.c.Metrics().LeasesHeld == 1 })
	p.put(t, 50)
	eventually(t, 10*time.Second, "records", func() bool { return rec.count() == 100 })
	w1.halt(t)
	w2.halt(t)
	rec.checkAtLeastOnce(t, p.sent())
	out, err := client.ListStreamConsumers(context.Background(), &kinesis.ListStreamConsumersInput{StreamARN: streamARN(t, client, "reg")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Consumers) != 1 || aws.ToString(out.Consumers[0].ConsumerName) != "app" || out.Consumers[0].ConsumerStatus != types.ConsumerStatusActive {
		t.Errorf("stream consumers %+v, want app alone, ACTIVE", out.Consumers)
	}
}

func streamARN(t *testing.T, client *kinesis.Client, name string) *string {
	t.Helper()
	out, err := client.DescribeStreamSummary(context.Background(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return out.StreamDescriptionSummary.StreamARN
}
