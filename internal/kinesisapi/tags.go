package kinesisapi

import (
	"context"

	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/stream"
)

// AddTagsToStream adds or overwrites tags on a stream.
func (s *Service) AddTagsToStream(ctx context.Context, in *shape.AddTagsToStreamInput) (*struct{}, error) {
	return nil, s.update(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		return reg.AddTags(st, in.Tags)
	})
}

// RemoveTagsFromStream removes tags from a stream.
func (s *Service) RemoveTagsFromStream(ctx context.Context, in *shape.RemoveTagsFromStreamInput) (*struct{}, error) {
	return nil, s.update(ctx, in.StreamName, in.StreamARN, func(reg *stream.Registry, st *stream.Stream, now int64) error {
		reg.RemoveTags(st, in.TagKeys)
		return nil
	})
}

// listTagsLimit is ListTagsForStream's default page size.
const listTagsLimit = 50

// ListTagsForStream lists a stream's tags in key order, a page at a time.
func (s *Service) ListTagsForStream(ctx context.Context, in *shape.ListTagsForStreamInput) (*shape.ListTagsForStreamOutput, error) {
	var out *shape.ListTagsForStreamOutput
	err := s.view(func(reg *stream.Registry, now int64) error {
		st, err := reg.Resolve(deref(in.StreamName), deref(in.StreamARN), now)
		if err != nil {
			return err
		}
		limit := listTagsLimit
		if in.Limit != nil {
			limit = int(*in.Limit)
		}
		more := false
		out = &shape.ListTagsForStreamOutput{Tags: []shape.Tag{}, HasMoreTags: &more}
		for _, kv := range stream.SortedTags(st.Tags) {
			if in.ExclusiveStartTagKey != nil && kv[0] <= *in.ExclusiveStartTagKey {
				continue
			}
			if len(out.Tags) == limit {
				more = true
				break
			}
			out.Tags = append(out.Tags, shape.Tag{Key: str(kv[0]), Value: str(kv[1])})
		}
		return nil
	})
	return out, err
}

// TagResource adds tags to a stream or consumer.
func (s *Service) TagResource(ctx context.Context, in *shape.TagResourceInput) (*struct{}, error) {
	return nil, s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		res, err := reg.ResolveResource(deref(in.ResourceARN), now)
		if err != nil {
			return err
		}
		return reg.AddResourceTags(res, in.Tags)
	})
}

// UntagResource removes tags from a stream or consumer.
func (s *Service) UntagResource(ctx context.Context, in *shape.UntagResourceInput) (*struct{}, error) {
	return nil, s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		res, err := reg.ResolveResource(deref(in.ResourceARN), now)
		if err != nil {
			return err
		}
		reg.RemoveResourceTags(res, in.TagKeys)
		return nil
	})
}

// ListTagsForResource lists the tags of a stream or consumer.
func (s *Service) ListTagsForResource(ctx context.Context, in *shape.ListTagsForResourceInput) (*shape.ListTagsForResourceOutput, error) {
	var out *shape.ListTagsForResourceOutput
	err := s.view(func(reg *stream.Registry, now int64) error {
		res, err := reg.ResolveResource(deref(in.ResourceARN), now)
		if err != nil {
			return err
		}
		out = &shape.ListTagsForResourceOutput{Tags: []shape.Tag{}}
		for _, kv := range stream.SortedTags(res.Tags()) {
			out.Tags = append(out.Tags, shape.Tag{Key: str(kv[0]), Value: str(kv[1])})
		}
		return nil
	})
	return out, err
}

// PutResourcePolicy attaches a resource policy to a stream or consumer.
func (s *Service) PutResourcePolicy(ctx context.Context, in *shape.PutResourcePolicyInput) (*struct{}, error) {
	return nil, s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		res, err := reg.ResolveResource(deref(in.ResourceARN), now)
		if err != nil {
			return err
		}
		res.SetPolicy(deref(in.Policy))
		return nil
	})
}

// GetResourcePolicy returns a resource's policy; "{}" when it has none.
func (s *Service) GetResourcePolicy(ctx context.Context, in *shape.GetResourcePolicyInput) (*shape.GetResourcePolicyOutput, error) {
	var out *shape.GetResourcePolicyOutput
	err := s.view(func(reg *stream.Registry, now int64) error {
		res, err := reg.ResolveResource(deref(in.ResourceARN), now)
		if err != nil {
			return err
		}
		policy := res.Policy()
		if policy == "" {
			policy = "{}"
		}
		out = &shape.GetResourcePolicyOutput{Policy: &policy}
		return nil
	})
	return out, err
}

// DeleteResourcePolicy removes a resource's policy.
func (s *Service) DeleteResourcePolicy(ctx context.Context, in *shape.DeleteResourcePolicyInput) (*struct{}, error) {
	return nil, s.mutate(ctx, func(reg *stream.Registry, now int64) error {
		res, err := reg.ResolveResource(deref(in.ResourceARN), now)
		if err != nil {
			return err
		}
		res.SetPolicy("")
		return nil
	})
}
