package leases

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Memory is a Store held in memory, for workers that share a process. The
// zero value is an empty table ready to use.
type Memory struct {
	mu     sync.Mutex
	leases map[string]Lease // guarded by mu
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory lease table.
func NewMemory() *Memory { return &Memory{} }

// Create implements Store.
func (m *Memory) Create(_ context.Context, l Lease) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.leases[l.Key]; ok {
		return false, nil
	}
	if m.leases == nil {
		m.leases = map[string]Lease{}
	}
	m.leases[l.Key] = l.Clone()
	return true, nil
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.leases[key]
	if !ok {
		return Lease{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return l.Clone(), nil
}

// List implements Store. The leases come in key order.
func (m *Memory) List(context.Context) ([]Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Lease, 0, len(m.leases))
	for _, l := range m.leases {
		out = append(out, l.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, l Lease, owner string) (Lease, error) {
	return m.update(l, false, func(s *Lease) {
		s.Owner = owner
		s.OwnerSwitchesSinceCheckpoint++
	})
}

// Renew implements Store.
func (m *Memory) Renew(_ context.Context, l Lease) (Lease, error) {
	return m.update(l, true, func(*Lease) {})
}

// Checkpoint implements Store.
func (m *Memory) Checkpoint(_ context.Context, l Lease) (Lease, error) {
	return m.update(l, true, func(s *Lease) {
		s.Checkpoint = l.Checkpoint
		s.ChildShardIDs = l.Clone().ChildShardIDs
		s.OwnerSwitchesSinceCheckpoint = 0
	})
}

// Release implements Store.
func (m *Memory) Release(_ context.Context, l Lease) (Lease, error) {
	return m.update(l, true, func(s *Lease) { s.Owner = "" })
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, l Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkLocked(l, false); err != nil {
		return err
	}
	delete(m.leases, l.Key)
	return nil
}

// update applies change to the stored lease if it still has l's counter
// (and owner, with sameOwner), and bumps the counter.
func (m *Memory) update(l Lease, sameOwner bool, change func(*Lease)) (Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkLocked(l, sameOwner); err != nil {
		return Lease{}, err
	}
	s := m.leases[l.Key]
	change(&s)
	s.Counter++
	m.leases[l.Key] = s
	return s.Clone(), nil
}

func (m *Memory) checkLocked(l Lease, sameOwner bool) error {
	s, ok := m.leases[l.Key]
	if !ok || s.Counter != l.Counter || (sameOwner && s.Owner != l.Owner) {
		return fmt.Errorf("%w: %s", ErrConflict, l.Key)
	}
	return nil
}
