package stream

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/runnel-dev/runnel/internal/apierr"
)

// Consumer statuses.
const (
	ConsumerCreating = "CREATING"
	ConsumerActive   = "ACTIVE"
	ConsumerDeleting = "DELETING"
)

// MaxConsumersCreating is how many consumers of a stream may be CREATING at once.
const MaxConsumersCreating = 5

// Consumer is a registered enhanced fan-out consumer. Times are Unix ms.
type Consumer struct {
	Name    string `json:"name"`
	Created int64  `json:"created"`
	// DeleteRequested is when DeregisterStreamConsumer was called (0: never).
	DeleteRequested int64             `json:"deleteRequested,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	Policy          string            `json:"policy,omitempty"`
}

// ARN returns the consumer's ARN: the stream ARN, "/consumer/", the name
// and the creation time in Unix seconds.
func (c *Consumer) ARN(cfg *Config, s *Stream) string {
	return fmt.Sprintf("%s/consumer/%s:%d", s.ARN(cfg), c.Name, c.Created/1000)
}

// Status returns the consumer's status at time now.
func (c *Consumer) Status(cfg *Config, now int64) string {
	switch {
	case c.DeleteRequested != 0:
		return ConsumerDeleting
	case now < c.Created+cfg.ConsumerDelay.Milliseconds():
		return ConsumerCreating
	}
	return ConsumerActive
}

func (c *Consumer) gone(cfg *Config, now int64) bool {
	return c.DeleteRequested != 0 && now >= c.DeleteRequested+cfg.ConsumerDelay.Milliseconds()
}

// LiveConsumers returns the stream's consumers that are not gone at now.
// It does not change the stream, so that readers sharing the registry can
// call it; RegisterConsumer drops the gone ones.
func (r *Registry) LiveConsumers(s *Stream, now int64) []*Consumer {
	var live []*Consumer
	for _, c := range s.Consumers {
		if !c.gone(&r.cfg, now) {
			live = append(live, c)
		}
	}
	return live
}

// RegisterConsumer registers a new consumer on the stream.
func (r *Registry) RegisterConsumer(s *Stream, name string, tags map[string]string, now int64) (*Consumer, error) {
	if st := s.Status(&r.cfg, now); st != StatusActive && st != StatusUpdating {
		return nil, apierr.Errorf(apierr.ResourceInUse, "Stream %s under account %s not ACTIVE, instead in state %s",
			s.Name, r.cfg.AccountID, st)
	}
	live := r.LiveConsumers(s, now)
	creating := 0
	for _, c := range live {
		if c.Name == name {
			return nil, apierr.Errorf(apierr.ResourceInUse, "Consumer %s under stream %s already exists for account %s.",
				c.ARN(&r.cfg, s), s.Name, r.cfg.AccountID)
		}
		if c.Status(&r.cfg, now) == ConsumerCreating {
			creating++
		}
	}
	if len(live) >= MaxConsumers {
		return nil, apierr.Errorf(apierr.LimitExceeded,
			"Consumer limit of %d exceeded for stream %s under account %s.", MaxConsumers, s.Name, r.cfg.AccountID)
	}
	if creating >= MaxConsumersCreating {
		return nil, apierr.Errorf(apierr.LimitExceeded,
			"Cannot have more than %d consumers in CREATING state for stream %s under account %s.",
			MaxConsumersCreating, s.Name, r.cfg.AccountID)
	}
	c := &Consumer{Name: name, Created: now}
	if err := mergeTags(&c.Tags, tags, func() error { return tooManyTags(s.Name, r.cfg.AccountID) }); err != nil {
		return nil, err
	}
	s.Consumers = append(live, c)
	return c, nil
}

// Consumer finds a live consumer of s by name.
func (r *Registry) Consumer(s *Stream, name string, now int64) (*Consumer, error) {
	for _, c := range r.LiveConsumers(s, now) {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, apierr.Errorf(apierr.ResourceNotFound, "Consumer %s under stream %s not found for account %s.",
		name, s.Name, r.cfg.AccountID)
}

// ConsumerByARN finds a live consumer and its stream by consumer ARN.
func (r *Registry) ConsumerByARN(arn string, now int64) (*Stream, *Consumer, error) {
	notFound := apierr.Errorf(apierr.ResourceNotFound, "Consumer %s not found.", arn)
	streamARN, rest, ok := strings.Cut(arn, "/consumer/")
	if !ok {
		return nil, nil, notFound
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return nil, nil, notFound
	}
	name := rest[:i]
	secs, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil {
		return nil, nil, notFound
	}
	sname, err := r.nameFromARN(streamARN)
	if err != nil {
		return nil, nil, notFound
	}
	s, err := r.Lookup(sname, now)
	if err != nil {
		return nil, nil, notFound
	}
	c, err := r.Consumer(s, name, now)
	if err != nil || c.Created/1000 != secs {
		return nil, nil, notFound
	}
	return s, c, nil
}

// DeregisterConsumer starts the deregistration of a consumer.
func (r *Registry) DeregisterConsumer(c *Consumer, now int64) {
	if c.DeleteRequested == 0 {
		c.DeleteRequested = now
	}
}

// Resource is the target of the resource-ARN operations (tags, policies):
// a stream, or one of its consumers.
type Resource struct {
	Stream   *Stream
	Consumer *Consumer // nil for the stream itself
}

// ResolveResource finds the stream or consumer named by a resource ARN.
func (r *Registry) ResolveResource(arn string, now int64) (Resource, error) {
	if strings.Contains(arn, "/consumer/") {
		s, c, err := r.ConsumerByARN(arn, now)
		return Resource{Stream: s, Consumer: c}, err
	}
	name, err := r.nameFromARN(arn)
	if err != nil {
		return Resource{}, err
	}
	s, err := r.Lookup(name, now)
	return Resource{Stream: s}, err
}

// Tags returns the resource's tags.
func (res Resource) Tags() map[string]string {
	if res.Consumer != nil {
		return res.Consumer.Tags
	}
	return res.Stream.Tags
}

// AddResourceTags adds tags to a stream or consumer.
func (r *Registry) AddResourceTags(res Resource, tags map[string]string) error {
	if res.Consumer == nil {
		return r.AddTags(res.Stream, tags)
	}
	return mergeTags(&res.Consumer.Tags, tags, func() error { return tooManyTags(res.Stream.Name, r.cfg.AccountID) })
}

// RemoveResourceTags removes tag keys from a stream or consumer.
func (r *Registry) RemoveResourceTags(res Resource, keys []string) {
	tags := res.Tags()
	for _, k := range keys {
		delete(tags, k)
	}
}

// policy returns a pointer to the resource's policy document.
func (res Resource) policy() *string {
	if res.Consumer != nil {
		return &res.Consumer.Policy
	}
	return &res.Stream.Policy
}

// Policy returns the resource policy ("" if none).
func (res Resource) Policy() string { return *res.policy() }

// SetPolicy replaces the resource policy ("" deletes it).
func (res Resource) SetPolicy(doc string) { *res.policy() = doc }
