package kinesisapi

import (
	"context"

	"github.com/runnel-dev/runnel/internal/apierr"
	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/stream"
)

// listConsumersLimit is ListStreamConsumers' default page size.
const listConsumersLimit = 100

// RegisterStreamConsumer registers an enhanced fan-out consumer.
func (s *Service) RegisterStreamConsumer(ctx context.Context, in *shape.RegisterStreamConsumerInput) (*shape.RegisterStreamConsumerOutput, error) {
	var out *shape.RegisterStreamConsumerOutput
	err := s.update(ctx, nil, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		c, err := reg.RegisterConsumer(st, deref(in.ConsumerName), in.Tags, now)
		if err != nil {
			return err
		}
		out = &shape.RegisterStreamConsumerOutput{Consumer: toConsumer(reg, st, c, now)}
		return nil
	})
	return out, err
}

func toConsumer(reg *stream.Registry, st *stream.Stream, c *stream.Consumer, now int64) *shape.Consumer {
	cfg := reg.Config()
	return &shape.Consumer{
		ConsumerName:              str(c.Name),
		ConsumerARN:               str(c.ARN(cfg, st)),
		ConsumerStatus:            str(c.Status(cfg, now)),
		ConsumerCreationTimestamp: shape.NewTimestamp(msTime(c.Created)),
	}
}

// findConsumer resolves a consumer named by its ARN, or by stream ARN and
// consumer name, as DescribeStreamConsumer and DeregisterStreamConsumer
// accept.
func findConsumer(reg *stream.Registry, streamARN, name, consumerARN *string, now int64) (*stream.Stream, *stream.Consumer, error) {
	if consumerARN != nil {
		return reg.ConsumerByARN(*consumerARN, now)
	}
	if streamARN == nil || name == nil {
		return nil, nil, apierr.New(apierr.InvalidArgument,
			"Either ConsumerARN or both ConsumerName and StreamARN must be provided.")
	}
	st, err := reg.Resolve("", *streamARN, now)
	if err != nil {
		return nil, nil, err
	}
	c, err := reg.Consumer(st, *name, now)
	return st, c, err
}

// DescribeStreamConsumer describes a registered consumer.
func (s *Service) DescribeStreamConsumer(ctx context.Context, in *shape.DescribeStreamConsumerInput) (*shape.DescribeStreamConsumerOutput, error) {
	var out *shape.DescribeStreamConsumerOutput
	err := s.view(func(reg *stream.Registry, now int64) error {
		st, c, err := findConsumer(reg, in.StreamARN, in.ConsumerName, in.ConsumerARN, now)
		if err != nil {
			return err
		}
		sc := toConsumer(reg, st, c, now)
		out = &shape.DescribeStreamConsumerOutput{ConsumerDescription: &shape.ConsumerDescription{
			ConsumerName:              sc.ConsumerName,
			ConsumerARN:               sc.ConsumerARN,
			ConsumerStatus:            sc.ConsumerStatus,
			ConsumerCreationTimestamp: sc.ConsumerCreationTimestamp,
			StreamARN:                 str(st.ARN(reg.Config())),
		}}
		return nil
	})
	return out, err
}

// DeregisterStreamConsumer starts deregistering a consumer.
func (s *Service) DeregisterStreamConsumer(ctx context.Context, in *shape.DeregisterStreamConsumerInput) (*struct{}, error) {
	var arn string
	err := s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		st, c, err := findConsumer(reg, in.StreamARN, in.ConsumerName, in.ConsumerARN, now)
		if err != nil {
			return err
		}
		reg.DeregisterConsumer(c, now)
		arn = c.ARN(reg.Config(), st)
		return nil
	})
	if err == nil {
		s.subs.cancelConsumer(arn, errDeregistered)
	}
	return nil, err
}

// ListStreamConsumers lists a stream's consumers, a page at a time.
func (s *Service) ListStreamConsumers(ctx context.Context, in *shape.ListStreamConsumersInput) (*shape.ListStreamConsumersOutput, error) {
	after := ""
	if in.NextToken != nil {
		var err error
		if after, err = s.openPage("ListStreamConsumers", *in.NextToken); err != nil {
			return nil, err
		}
	}
	limit := listConsumersLimit
	if in.MaxResults != nil && int(*in.MaxResults) < limit {
		limit = int(*in.MaxResults)
	}
	var out *shape.ListStreamConsumersOutput
	err := s.view(func(reg *stream.Registry, now int64) error {
		st, err := reg.Resolve("", deref(in.StreamARN), now)
		if err != nil {
			return err
		}
		out = &shape.ListStreamConsumersOutput{Consumers: []shape.Consumer{}}
		started := after == ""
		for _, c := range reg.LiveConsumers(st, now) {
			arn := c.ARN(reg.Config(), st)
			if !started {
				started = arn == after
				continue
			}
			if len(out.Consumers) == limit {
				out.NextToken = str(s.sealer.SealPage("ListStreamConsumers", deref(out.Consumers[limit-1].ConsumerARN), now))
				break
			}
			out.Consumers = append(out.Consumers, *toConsumer(reg, st, c, now))
		}
		return nil
	})
	return out, err
}
