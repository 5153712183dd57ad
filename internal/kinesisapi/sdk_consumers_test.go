package kinesisapi_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// consumerARN is AWS's consumer ARN format: the stream ARN, the name and
// the creation time in seconds.
func consumerARN(streamName, name string, created time.Time) string {
	return fmt.Sprintf("%s/consumer/%s:%d", streamARN(streamName), name, created.Unix())
}

func (e *env) register(streamName, name string, tags map[string]string) *types.Consumer {
	e.t.Helper()
	out, err := e.c.RegisterStreamConsumer(e.ctx, &kinesis.RegisterStreamConsumerInput{
		StreamARN: aws.String(streamARN(streamName)), ConsumerName: aws.String(name), Tags: tags,
	})
	if err != nil {
		e.t.Fatalf("RegisterStreamConsumer %s: %v", name, err)
	}
	return out.Consumer
}

func TestSDKConsumerLifecycle(t *testing.T) {
	t.Parallel()
	const delay = 5 * time.Second
	e := newClockEnv(t, testserver.Options{Stream: stream.Config{ConsumerDelay: delay}})
	e.create("fan", 2)
	e.advance(1500 * time.Millisecond) // consumer ARNs carry whole seconds
	created := e.clock.Now()
	arn := consumerARN("fan", "app", created)

	c := e.register("fan", "app", map[string]string{"owner": "team-a"})
	if aws.ToString(c.ConsumerName) != "app" || aws.ToString(c.ConsumerARN) != arn || c.ConsumerStatus != types.ConsumerStatusCreating ||
		!c.ConsumerCreationTimestamp.Equal(created) {
		t.Fatalf("registered %+v, want app %s CREATING at %v", c, arn, created)
	}
	describe := func(in *kinesis.DescribeStreamConsumerInput) *types.ConsumerDescription {
		t.Helper()
		out, err := e.c.DescribeStreamConsumer(e.ctx, in)
		if err != nil {
			t.Fatalf("DescribeStreamConsumer: %v", err)
		}
		return out.ConsumerDescription
	}
	byARN := &kinesis.DescribeStreamConsumerInput{ConsumerARN: aws.String(arn)}
	byName := &kinesis.DescribeStreamConsumerInput{StreamARN: aws.String(streamARN("fan")), ConsumerName: aws.String("app")}
	for _, in := range []*kinesis.DescribeStreamConsumerInput{byARN, byName} {
		d := describe(in)
		if aws.ToString(d.ConsumerName) != "app" || aws.ToString(d.ConsumerARN) != arn || d.ConsumerStatus != types.ConsumerStatusCreating ||
			aws.ToString(d.StreamARN) != streamARN("fan") || !d.ConsumerCreationTimestamp.Equal(created) {
			t.Fatalf("described %+v", d)
		}
	}
	if n := aws.ToInt32(e.summary("fan").ConsumerCount); n != 1 {
		t.Fatalf("ConsumerCount %d, want 1", n)
	}
	tags, err := e.c.ListTagsForResource(e.ctx, &kinesis.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagList(tags.Tags); got != "owner=team-a" {
		t.Fatalf("consumer tags %s", got)
	}

	// A consumer cannot subscribe until it is ACTIVE.
	sub := func(consumer, shard string) error {
		_, err := e.c.SubscribeToShard(e.ctx, &kinesis.SubscribeToShardInput{
			ConsumerARN: aws.String(consumer), ShardId: aws.String(shard),
			StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest},
		})
		return err
	}
	wantErr[*types.ResourceInUseException](t, sub(arn, shardID(0)), "ResourceInUseException",
		"Consumer "+arn+" is not ACTIVE, instead in state CREATING.")

	e.advance(delay)
	if got := describe(byARN).ConsumerStatus; got != types.ConsumerStatusActive {
		t.Fatalf("status %s after the delay, want ACTIVE", got)
	}
	// SubscribeToShard checks the consumer and the shard first.
	wantErr[*types.ResourceNotFoundException](t, sub(arn, shardID(5)), "ResourceNotFoundException",
		"Shard shardId-000000000005 in stream fan under account 123456789012 does not exist")
	unknown := consumerARN("fan", "nobody", created)
	wantErr[*types.ResourceNotFoundException](t, sub(unknown, shardID(0)), "ResourceNotFoundException", "Consumer "+unknown+" not found.")
	stale := consumerARN("fan", "app", created.Add(-time.Hour)) // right name, other incarnation
	wantErr[*types.ResourceNotFoundException](t, sub(stale, shardID(0)), "ResourceNotFoundException", "Consumer "+stale+" not found.")

	_, err = e.c.RegisterStreamConsumer(e.ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(streamARN("fan")), ConsumerName: aws.String("app")})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException",
		"Consumer "+arn+" under stream fan already exists for account 123456789012.")

	// A stream with consumers is deleted only on request.
	_, err = e.c.DeleteStream(e.ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("fan")})
	wantErr[*types.ResourceInUseException](t, err, "ResourceInUseException",
		"Stream fan under account 123456789012 has registered consumers. Deregister them, or set EnforceConsumerDeletion.")

	// Deregistering: DELETING for the delay, then gone.
	if _, err := e.c.DeregisterStreamConsumer(e.ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if got := describe(byName).ConsumerStatus; got != types.ConsumerStatusDeleting {
		t.Fatalf("status %s after deregistering, want DELETING", got)
	}
	e.advance(delay)
	_, err = e.c.DescribeStreamConsumer(e.ctx, byARN)
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", "Consumer "+arn+" not found.")
	_, err = e.c.DescribeStreamConsumer(e.ctx, byName)
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException",
		"Consumer app under stream fan not found for account 123456789012.")
	_, err = e.c.DeregisterStreamConsumer(e.ctx, &kinesis.DeregisterStreamConsumerInput{StreamARN: aws.String(streamARN("fan")), ConsumerName: aws.String("app")})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException",
		"Consumer app under stream fan not found for account 123456789012.")
	if n := aws.ToInt32(e.summary("fan").ConsumerCount); n != 0 {
		t.Fatalf("ConsumerCount %d after deregistering, want 0", n)
	}
	_, err = e.c.DescribeStreamConsumer(e.ctx, &kinesis.DescribeStreamConsumerInput{ConsumerName: aws.String("app")})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", "Either ConsumerARN or both ConsumerName and StreamARN must be provided.")

	// The name is free again; the new consumer has a new ARN.
	e.advance(time.Second)
	again := e.register("fan", "app", nil)
	if aws.ToString(again.ConsumerARN) != consumerARN("fan", "app", e.clock.Now()) || aws.ToString(again.ConsumerARN) == arn {
		t.Fatalf("re-registered ARN %s", aws.ToString(again.ConsumerARN))
	}
	if _, err := e.c.DeleteStream(e.ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("fan"), EnforceConsumerDeletion: aws.Bool(true)}); err != nil {
		t.Fatalf("DeleteStream with EnforceConsumerDeletion: %v", err)
	}
}

func TestSDKConsumerLimits(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	e := newClockEnv(t, testserver.Options{Stream: stream.Config{ConsumerDelay: delay}})
	e.create("many", 1)
	for i := range 5 {
		e.register("many", fmt.Sprintf("c%02d", i), nil)
	}
	register := func(name string) error {
		_, err := e.c.RegisterStreamConsumer(e.ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(streamARN("many")), ConsumerName: aws.String(name)})
		return err
	}
	wantErr[*types.LimitExceededException](t, register("c05"), "LimitExceededException",
		"Cannot have more than 5 consumers in CREATING state for stream many under account 123456789012.")
	for i := 5; i < 20; i++ {
		if i%5 == 0 {
			e.advance(delay)
		}
		e.register("many", fmt.Sprintf("c%02d", i), nil)
	}
	e.advance(delay)
	wantErr[*types.LimitExceededException](t, register("c20"), "LimitExceededException",
		"Consumer limit of 20 exceeded for stream many under account 123456789012.")
	_, err := e.c.RegisterStreamConsumer(e.ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(streamARN("nope")), ConsumerName: aws.String("x")})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("nope"))

	// ListStreamConsumers pages in registration order.
	var names []string
	pages := 0
	in := &kinesis.ListStreamConsumersInput{StreamARN: aws.String(streamARN("many")), MaxResults: aws.Int32(7)}
	var first *string
	for {
		out, err := e.c.ListStreamConsumers(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range out.Consumers {
			names = append(names, aws.ToString(c.ConsumerName))
			if c.ConsumerStatus != types.ConsumerStatusActive {
				t.Fatalf("consumer %s is %s", aws.ToString(c.ConsumerName), c.ConsumerStatus)
			}
		}
		if out.NextToken == nil {
			break
		}
		if first == nil {
			first = out.NextToken
		}
		in = &kinesis.ListStreamConsumersInput{StreamARN: aws.String(streamARN("many")), MaxResults: aws.Int32(7), NextToken: out.NextToken}
	}
	want := make([]string, 20)
	for i := range want {
		want[i] = fmt.Sprintf("c%02d", i)
	}
	if pages != 3 || !equalStrings(names, want) {
		t.Fatalf("%d pages: %v", pages, names)
	}
	e.advance(300*time.Second + time.Millisecond)
	_, err = e.c.ListStreamConsumers(e.ctx, &kinesis.ListStreamConsumersInput{StreamARN: aws.String(streamARN("many")), NextToken: first})
	wantErr[*types.ExpiredNextTokenException](t, err, "ExpiredNextTokenException", expiredTokenMessage(e.clock.Now().Add(-300*time.Second-time.Millisecond)))
}

func TestSDKListConsumersAfterDeregister(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("pages", 1)
	for i := range 3 {
		e.register("pages", fmt.Sprintf("c%d", i), nil)
	}
	first, err := e.c.ListStreamConsumers(e.ctx, &kinesis.ListStreamConsumersInput{StreamARN: aws.String(streamARN("pages")), MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Consumers) != 1 || aws.ToString(first.Consumers[0].ConsumerName) != "c0" || first.NextToken == nil {
		t.Fatalf("first page %+v", first)
	}
	// The consumer the token points after goes away between pages.
	if _, err := e.c.DeregisterStreamConsumer(e.ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: first.Consumers[0].ConsumerARN}); err != nil {
		t.Fatal(err)
	}
	rest, err := e.c.ListStreamConsumers(e.ctx, &kinesis.ListStreamConsumersInput{StreamARN: aws.String(streamARN("pages")), NextToken: first.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range rest.Consumers {
		got = append(got, aws.ToString(c.ConsumerName))
	}
	if !equalStrings(got, []string{"c1", "c2"}) || rest.NextToken != nil {
		t.Fatalf("second page %v (token %v), want [c1 c2]", got, rest.NextToken)
	}
}

// TestSDKConcurrentReadsWithGoneConsumer runs read-only operations in
// parallel on a stream that has a consumer past DELETING (go test -race
// checks that reads do not write shared state).
func TestSDKConcurrentReadsWithGoneConsumer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("busy", 1)
	e.register("busy", "kept", nil)
	gone := e.register("busy", "gone", nil)
	if _, err := e.c.DeregisterStreamConsumer(e.ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: gone.ConsumerARN}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				s, err := e.c.DescribeStreamSummary(e.ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("busy")})
				if err != nil || aws.ToInt32(s.StreamDescriptionSummary.ConsumerCount) != 1 {
					t.Errorf("DescribeStreamSummary: %v", err)
					return
				}
				l, err := e.c.ListStreamConsumers(e.ctx, &kinesis.ListStreamConsumersInput{StreamARN: aws.String(streamARN("busy"))})
				if err != nil || len(l.Consumers) != 1 {
					t.Errorf("ListStreamConsumers: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
