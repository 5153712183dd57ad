package consumer_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/runnel-dev/runnel/consumer"
	"github.com/runnel-dev/runnel/consumer/leases"
)

// Reading a stream: each batch is printed and checkpointed. A real
// application shares a leases.DynamoDB store among its workers and gives
// Run a context that ends on SIGTERM.
func Example() {
	endpoint, stop := startRunnel()
	defer stop()
	client := kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("orders"), ShardCount: aws.Int32(1)}); err != nil {
		panic(err)
	}
	for i := 1; i <= 3; i++ {
		_, err := client.PutRecord(ctx, &kinesis.PutRecordInput{
			StreamName: aws.String("orders"), PartitionKey: aws.String("customer-7"), Data: fmt.Appendf(nil, "order %d", i),
		})
		if err != nil {
			panic(err)
		}
	}

	processed := 0
	process := func(ctx context.Context, in consumer.ProcessRecordsInput) error {
		for _, r := range in.Records {
			fmt.Printf("%s: %s\n", in.ShardID, r.Data)
		}
		if processed += len(in.Records); processed == 3 {
			cancel() // done: shut down
		}
		return in.Checkpointer.Checkpoint(ctx, in.Records[len(in.Records)-1])
	}
	c, err := consumer.New(client, "orders", leases.NewMemory(),
		func(string) consumer.Processor { return consumer.BatchFunc(process) },
		consumer.WithInitialPosition(consumer.TrimHorizon),
		consumer.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	if err := c.Run(ctx); err != nil {
		panic(err)
	}
	// Output:
	// shardId-000000000000: order 1
	// shardId-000000000000: order 2
	// shardId-000000000000: order 3
}
