// Package kinesisapi implements the Kinesis_20131202 API: the HTTP handler
// that authenticates, decodes and dispatches requests, and the operations
// themselves, which combine the stream registry (package stream), the
// storage engine (package storage), sequence numbers (package seqnum) and
// sealed tokens (package token).
//
// Concurrency: Service.mu guards the registry. Control-plane operations hold
// it exclusively, persist the registry and release it. PutRecord(s) hold it
// shared for the whole append, so that a reshard (exclusive) never closes a
// shard while records are being appended to it; reads hold it shared only
// to copy the shard's metadata. Lock order: Service.mu, then the engine's
// internal locks, then throttle buckets.
package kinesisapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runnel-dev/runnel/internal/apierr"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/throttle"
	"github.com/runnel-dev/runnel/internal/token"
)

// Config configures a Service. The zero value of each field is usable
// except Engine, which is required.
type Config struct {
	Stream stream.Config
	Engine storage.Engine
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Throttle enables AWS's per-shard throughput limits.
	Throttle bool
	// JanitorInterval is how often expired records, closed shards and
	// deleted streams are reclaimed; 0 means one minute.
	JanitorInterval time.Duration
	// SubscriptionLifetime and Heartbeat shape SubscribeToShard streams;
	// 0 means DefaultSubscriptionLifetime and DefaultHeartbeat. Tests
	// shorten them.
	SubscriptionLifetime, Heartbeat time.Duration
}

// Service serves the Kinesis API over a storage engine.
type Service struct {
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	engine storage.Engine
	sealer *token.Sealer
	limits *throttle.Limits // nil when throttling is off

	hub       hub           // wakes fan-out readers on append
	subs      subscriptions // live SubscribeToShard streams
	encoded   recordsCache  // fan-out events' records, encoded once per shard
	lifetime  time.Duration
	heartbeat time.Duration

	// generation counts registry changes, so that long-lived readers
	// (fan-out) re-read metadata only when it may have changed.
	generation atomic.Uint64

	mu struct {
		sync.RWMutex
		reg *stream.Registry
		// saved is the registry document last persisted; a mutation
		// whose save fails is rolled back to it.
		saved []byte
	}

	stop chan struct{}
	wg   sync.WaitGroup
}

// New loads (or initialises) the registry from the engine's metadata,
// deletes shard logs the registry no longer references, and starts the
// janitor goroutine. Close stops it.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Engine == nil {
		return nil, errors.New("kinesisapi: no storage engine")
	}
	s := &Service{cfg: cfg, now: cfg.Now, log: cfg.Logger, engine: cfg.Engine, stop: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Throttle {
		s.limits = throttle.New()
	}
	s.lifetime = cmp.Or(cfg.SubscriptionLifetime, DefaultSubscriptionLifetime)
	s.heartbeat = cmp.Or(cfg.Heartbeat, DefaultHeartbeat)
	reg, err := s.loadRegistry(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.reg = reg
	if s.sealer, err = token.NewSealer(reg.TokenKey()); err != nil {
		return nil, fmt.Errorf("kinesisapi: %w", err)
	}
	if err := s.collectOrphans(ctx); err != nil {
		return nil, err
	}
	interval := cfg.JanitorInterval
	if interval <= 0 {
		interval = time.Minute
	}
	s.wg.Add(1)
	go s.janitor(interval)
	return s, nil
}

func (s *Service) loadRegistry(ctx context.Context) (*stream.Registry, error) {
	doc, err := s.engine.LoadMeta(ctx)
	if err != nil {
		return nil, fmt.Errorf("kinesisapi: load metadata: %w", err)
	}
	if doc == nil {
		reg := stream.New(s.cfg.Stream, token.NewKey())
		return reg, s.saveLocked(ctx, reg)
	}
	s.mu.saved = doc
	return stream.Load(s.cfg.Stream, doc)
}

// saveLocked persists the registry. The caller holds mu exclusively (or
// owns reg before publishing it).
func (s *Service) saveLocked(ctx context.Context, reg *stream.Registry) error {
	doc, err := reg.MarshalJSON()
	if err != nil {
		return fmt.Errorf("kinesisapi: encode metadata: %w", err)
	}
	if err := s.engine.SaveMeta(ctx, doc); err != nil {
		return fmt.Errorf("kinesisapi: save metadata: %w", err)
	}
	s.mu.saved = doc
	return nil
}

// Close stops the janitor. It does not close the engine, which the caller
// owns.
func (s *Service) Close() error {
	close(s.stop)
	s.wg.Wait()
	return nil
}

// nowMS returns the current time in Unix milliseconds.
func (s *Service) nowMS() int64 { return s.now().UnixMilli() }

// mutate runs fn with the registry locked exclusively and persists the
// registry if fn succeeds. Registry methods check everything before they
// change anything, so a failed fn leaves nothing to undo; if persisting
// fails, the registry is rolled back to the last saved document, so that
// memory never runs ahead of disk.
func (s *Service) mutate(ctx context.Context, fn func(reg *stream.Registry, now int64) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := fn(s.mu.reg, s.nowMS())
	if err == nil {
		err = s.saveLocked(ctx, s.mu.reg)
	}
	s.generation.Add(1)
	if err != nil && !isAPIError(err) {
		s.rollbackLocked()
	}
	return err
}

// rollbackLocked restores the registry to the last saved document.
func (s *Service) rollbackLocked() {
	restored, err := stream.Load(s.cfg.Stream, s.mu.saved)
	if err != nil {
		s.log.Error("rolling back the registry", "err", err)
		return
	}
	s.mu.reg = restored
}

// isAPIError reports whether err is a client error, which registry methods
// return before changing anything.
func isAPIError(err error) bool {
	var e *apierr.Error
	return errors.As(err, &e) && e.Kind != apierr.InternalFailure
}

// createLogs creates the logs of st's shards with index >= from: the shards
// a create or reshard just added.
func (s *Service) createLogs(ctx context.Context, st *stream.Stream, from uint32) error {
	for _, sh := range st.Shards {
		if sh.Index < from {
			continue
		}
		if err := s.engine.CreateShard(ctx, storage.ShardID{Stream: st.ID, Index: sh.Index}); err != nil {
			return fmt.Errorf("kinesisapi: create shard log: %w", err)
		}
	}
	return nil
}

// view runs fn with the registry locked shared.
func (s *Service) view(fn func(reg *stream.Registry, now int64) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(s.mu.reg, s.nowMS())
}
