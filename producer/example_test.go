package producer_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/runnel-dev/runnel/producer"
)

func Example() {
	ctx := context.Background()
	// Any *kinesis.Client works, for AWS or for runnel; this one talks to
	// a runnel server started in this process.
	client, stop := exampleClient()
	defer stop()
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("orders"), ShardCount: aws.Int32(1)}); err != nil {
		log.Fatal(err)
	}

	p, err := producer.New(ctx, client, "orders",
		producer.WithLinger(50*time.Millisecond),
		producer.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		log.Fatal(err)
	}
	// Put returns at once; the record waits up to the linger for others
	// to share its aggregate.
	h, err := p.Put(ctx, producer.Record{PartitionKey: "customer-17", Data: []byte(`{"order":1}`)})
	if err != nil {
		log.Fatal(err)
	}
	// PutSync waits for its record's result.
	res, err := p.PutSync(ctx, producer.Record{PartitionKey: "customer-17", Data: []byte(`{"order":2}`)})
	if err != nil {
		log.Fatal(err)
	}
	// Close delivers whatever is still buffered.
	if err := p.Close(ctx); err != nil {
		log.Fatal(err)
	}
	first := h.Result()
	fmt.Println(first.ShardID, first.Aggregated, first.SubSequenceNumber, first.Err)
	fmt.Println(res.ShardID, res.Aggregated, res.SubSequenceNumber, res.SequenceNumber == first.SequenceNumber)
	// Output:
	// shardId-000000000000 true 0 <nil>
	// shardId-000000000000 true 1 true
}
