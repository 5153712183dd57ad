package kinesisapi

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

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
		// AWS always answers a registration with CREATING, however quickly
		// the consumer then becomes ACTIVE.
		out.Consumer.ConsumerStatus = str(stream.ConsumerCreating)
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

// ListStreamConsumers lists a stream's consumers, a page at a time, by
// creation time then name. A NextToken holds the creation time and name of
// the last consumer listed, so a page resumes in place even if that
// consumer has gone since.
func (s *Service) ListStreamConsumers(ctx context.Context, in *shape.ListStreamConsumersInput) (*shape.ListStreamConsumersOutput, error) {
	var after *consumerCursor
	if in.NextToken != nil {
		tok, err := s.openPage("ListStreamConsumers", *in.NextToken)
		if err != nil {
			return nil, err
		}
		cur, ok := parseConsumerCursor(tok)
		if !ok {
			return nil, apierr.New(apierr.InvalidArgument, "Invalid NextToken.")
		}
		after = &cur
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
		consumers := reg.LiveConsumers(st, now)
		slices.SortStableFunc(consumers, func(a, b *stream.Consumer) int { return cursorOf(a).compare(cursorOf(b)) })
		out = &shape.ListStreamConsumersOutput{Consumers: []shape.Consumer{}}
		var last consumerCursor
		for _, c := range consumers {
			if after != nil && cursorOf(c).compare(*after) <= 0 {
				continue
			}
			if len(out.Consumers) == limit {
				out.NextToken = str(s.sealer.SealPage("ListStreamConsumers", last.String(), now))
				break
			}
			out.Consumers = append(out.Consumers, *toConsumer(reg, st, c, now))
			last = cursorOf(c)
		}
		return nil
	})
	return out, err
}

// consumerCursor is a position in ListStreamConsumers' order.
type consumerCursor struct {
	created int64
	name    string
}

func cursorOf(c *stream.Consumer) consumerCursor { return consumerCursor{c.Created, c.Name} }

func (c consumerCursor) compare(o consumerCursor) int {
	if n := cmp.Compare(c.created, o.created); n != 0 {
		return n
	}
	return strings.Compare(c.name, o.name)
}

// String encodes the cursor as "created/name" (names cannot hold a '/').
func (c consumerCursor) String() string { return strconv.FormatInt(c.created, 10) + "/" + c.name }

func parseConsumerCursor(s string) (consumerCursor, bool) {
	created, name, ok := strings.Cut(s, "/")
	n, err := strconv.ParseInt(created, 10, 64)
	return consumerCursor{n, name}, ok && err == nil
}
