package kinesisapi

import (
	"context"
	"errors"
	"sync"

	"github.com/runnel-dev/runnel/internal/storage"
)

// hub wakes the readers of a shard when records are appended to it, so that
// enhanced fan-out pushes records instead of polling for them.
//
// A reader takes the shard's channel with watch before it reads; an append
// closes the channel (waking every reader at once) and forgets it, so the
// next watch makes a new one. Taking the channel before reading means an
// append between the read and the wait is never missed.
type hub struct {
	mu      sync.Mutex
	waiters map[storage.ShardID]chan struct{} // guarded by mu
}

func (h *hub) watch(id storage.ShardID) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.waiters == nil {
		h.waiters = map[storage.ShardID]chan struct{}{}
	}
	ch := h.waiters[id]
	if ch == nil {
		ch = make(chan struct{})
		h.waiters[id] = ch
	}
	return ch
}

func (h *hub) notify(id storage.ShardID) {
	h.mu.Lock()
	ch := h.waiters[id]
	delete(h.waiters, id)
	h.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// subKey identifies a subscription slot: one consumer on one shard.
type subKey struct {
	consumerARN string
	shard       storage.ShardID
}

// subscription is a live SubscribeToShard call.
type subscription struct {
	key     subKey
	started int64 // Unix ms
	cancel  context.CancelCauseFunc
}

// Reasons a subscription ends early; each becomes the exception event that
// closes the stream.
var (
	errTakenOver    = errors.New("kinesisapi: subscription taken over")
	errDeregistered = errors.New("kinesisapi: consumer deregistered")
)

// takeoverDelay is how long a subscription holds its slot before a new
// SubscribeToShard for the same consumer and shard may take it over (AWS:
// 5 seconds; before that the new call fails with ResourceInUseException).
const takeoverDelay = 5000

// subscriptions tracks the live subscriptions, one per slot.
type subscriptions struct {
	mu    sync.Mutex
	slots map[subKey]*subscription // guarded by mu
}

// claim registers sub in its slot. If the slot is held by a subscription
// younger than takeoverDelay it fails; an older holder is cancelled.
func (ss *subscriptions) claim(sub *subscription) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.slots == nil {
		ss.slots = map[subKey]*subscription{}
	}
	if old := ss.slots[sub.key]; old != nil {
		if sub.started-old.started < takeoverDelay {
			return false
		}
		old.cancel(errTakenOver)
	}
	ss.slots[sub.key] = sub
	return true
}

// release frees sub's slot unless another subscription has taken it.
func (ss *subscriptions) release(sub *subscription) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.slots[sub.key] == sub {
		delete(ss.slots, sub.key)
	}
}

// cancelConsumer ends every subscription of a consumer.
func (ss *subscriptions) cancelConsumer(consumerARN string, cause error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, sub := range ss.slots {
		if k.consumerARN == consumerARN {
			sub.cancel(cause)
			delete(ss.slots, k)
		}
	}
}

// recordsCache keeps, per shard, the JSON of the last Records array a
// subscription sent, so that the subscribers of a shard, which an append
// wakes together and which then read the same records, encode them once
// instead of once each. It holds at most one event's records for each shard
// that has a subscription.
type recordsCache struct {
	mu     sync.Mutex
	shards map[storage.ShardID]*encodedRecords // guarded by mu
}

// encodedRecords is the JSON array of the records with indexes
// [first, next) of a shard. A record's encoding never changes, so the range
// identifies the bytes.
type encodedRecords struct {
	subscribers int // subscriptions reading the shard
	first, next uint64
	json        []byte
}

// acquire registers a subscription to a shard; release undoes it and drops
// the shard's entry with its last subscription.
func (c *recordsCache) acquire(id storage.ShardID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shards == nil {
		c.shards = map[storage.ShardID]*encodedRecords{}
	}
	e := c.shards[id]
	if e == nil {
		e = &encodedRecords{}
		c.shards[id] = e
	}
	e.subscribers++
}

func (c *recordsCache) release(id storage.ShardID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.shards[id]; e != nil {
		if e.subscribers--; e.subscribers == 0 {
			delete(c.shards, id)
		}
	}
}

// get returns the cached encoding of [first, next) of a shard, or nil.
func (c *recordsCache) get(id storage.ShardID, first, next uint64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.shards[id]; e != nil && e.json != nil && e.first == first && e.next == next {
		return e.json
	}
	return nil
}

// put remembers the encoding of [first, next) of a shard, replacing the
// shard's previous one.
func (c *recordsCache) put(id storage.ShardID, first, next uint64, json []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.shards[id]; e != nil {
		e.first, e.next, e.json = first, next, json
	}
}
