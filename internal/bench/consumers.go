package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// consumerName returns the name of a run's ith consumer.
func consumerName(i int) string { return "runnel-bench-" + strconv.Itoa(i) }

// registerConsumers registers n consumers on the stream and waits until
// they are all ACTIVE. It returns the ARNs of the consumers it registered,
// also when it fails, so that the caller can deregister them.
//
// Kinesis lets at most 5 consumers of a stream be CREATING at once and
// refuses more with LimitExceededException; then registerConsumers waits
// for its consumers to become ACTIVE and tries once more.
func registerConsumers(ctx context.Context, client *kinesis.Client, streamARN string, n int) ([]string, error) {
	arns := make([]string, 0, n)
	for i := range n {
		arn, err := registerConsumer(ctx, client, streamARN, consumerName(i))
		var limit *types.LimitExceededException
		if errors.As(err, &limit) {
			if err := waitForConsumers(ctx, client, arns); err != nil {
				return arns, err
			}
			arn, err = registerConsumer(ctx, client, streamARN, consumerName(i))
		}
		if err != nil {
			return arns, err
		}
		arns = append(arns, arn)
	}
	return arns, waitForConsumers(ctx, client, arns)
}

// registerConsumer registers a consumer and returns its ARN. A consumer of
// that name that exists already, left over from a run that could not clean
// up, is taken over; one that is being deleted is waited for.
func registerConsumer(ctx context.Context, client *kinesis.Client, streamARN, name string) (string, error) {
	out, err := client.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{
		StreamARN:    aws.String(streamARN),
		ConsumerName: aws.String(name),
	})
	if err == nil {
		return aws.ToString(out.Consumer.ConsumerARN), nil
	}
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		return "", fmt.Errorf("bench: register consumer %s: %w", name, err)
	}
	existing, err := client.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{
		StreamARN:    aws.String(streamARN),
		ConsumerName: aws.String(name),
	})
	if err != nil {
		return "", fmt.Errorf("bench: describe consumer %s: %w", name, err)
	}
	arn := aws.ToString(existing.ConsumerDescription.ConsumerARN)
	if existing.ConsumerDescription.ConsumerStatus != types.ConsumerStatusDeleting {
		return arn, nil
	}
	if err := waitForConsumerDeletion(ctx, client, arn); err != nil {
		return "", err
	}
	return registerConsumer(ctx, client, streamARN, name)
}

// waitForConsumers polls until every consumer is ACTIVE.
func waitForConsumers(ctx context.Context, client *kinesis.Client, arns []string) error {
	for _, arn := range arns {
		err := poll(ctx, "consumer "+arn, func() (bool, error) {
			out, err := client.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{ConsumerARN: aws.String(arn)})
			if err != nil {
				return false, fmt.Errorf("bench: describe consumer %s: %w", arn, err)
			}
			return out.ConsumerDescription.ConsumerStatus == types.ConsumerStatusActive, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// deregisterConsumers deregisters the consumers and waits until they are
// gone, so that a following run can register them again.
func deregisterConsumers(ctx context.Context, client *kinesis.Client, arns []string) error {
	var errs []error
	for _, arn := range arns {
		_, err := client.DeregisterStreamConsumer(ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: aws.String(arn)})
		var notFound *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &notFound) {
			errs = append(errs, fmt.Errorf("bench: deregister consumer %s: %w", arn, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, arn := range arns {
		if err := waitForConsumerDeletion(ctx, client, arn); err != nil {
			return err
		}
	}
	return nil
}

// waitForConsumerDeletion polls until the consumer is gone.
func waitForConsumerDeletion(ctx context.Context, client *kinesis.Client, arn string) error {
	return poll(ctx, "deletion of consumer "+arn, func() (bool, error) {
		_, err := client.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{ConsumerARN: aws.String(arn)})
		var notFound *types.ResourceNotFoundException
		if errors.As(err, &notFound) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("bench: describe consumer %s: %w", arn, err)
		}
		return false, nil
	})
}
