package stream

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/apierr"
)

func TestSplit(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 2, t0)
	parent := s.Shard(0)
	cut := EvenRanges(4)[1].Start
	now := t0 + 5
	mustOK(t, r.Split(s, "shardId-000000000000", cut, now))

	lo, hi := s.Shard(2), s.Shard(3)
	if lo == nil || hi == nil || s.NextShardIndex != 4 || s.OpenShardCount() != 3 {
		t.Fatalf("shards after split: %v", s.Shards)
	}
	if lo.Range != (Range{Start: parent.Range.Start, End: cut.Sub(1)}) || hi.Range != (Range{Start: cut, End: parent.Range.End}) {
		t.Fatalf("children %v %v of parent %v split at %s", lo.Range, hi.Range, parent.Range, cut)
	}
	if u, ok := union(lo.Range, hi.Range); !ok || u != parent.Range {
		t.Fatal("children do not partition the parent's range")
	}
	if parent.Closed != now || !slices.Equal(parent.Children, []uint32{2, 3}) {
		t.Fatalf("parent closed %d children %v", parent.Closed, parent.Children)
	}
	for _, c := range []*Shard{lo, hi} {
		if !slices.Equal(c.Parents, []uint32{0}) || c.Created != now || !c.Open() {
			t.Fatalf("child %+v", c)
		}
	}
	if sh := s.Shard(1); !sh.Open() || sh.Children != nil {
		t.Fatal("split touched the other shard")
	}
	checkShards(t, s)
}

func TestSplitShardIDForms(t *testing.T) {
	for _, id := range []string{"shardId-000000000001", "1", "shardId-1", "shardId-0001"} {
		r := newTestRegistry(testConfig())
		s := mustCreate(t, r, "s", 2, t0)
		mustOK(t, r.Split(s, id, EvenRanges(4)[3].Start, t0))
		if s.Shard(1).Open() {
			t.Errorf("Split(%q) did not close shard 1", id)
		}
	}
}

func TestSplitHashKeyBounds(t *testing.T) {
	rg := EvenRanges(3)[1] // a middle shard: neither bound is 0 or 2^128-1
	cases := []struct {
		key HashKey
		ok  bool
	}{
		{HashKey{}, false},
		{rg.Start.Sub(1), false},
		{rg.Start, false},
		{rg.Start.Add(1), false},
		{rg.Start.Add(2), true},
		{rg.End.Sub(1), true},
		{rg.End, false},
		{rg.End.Add(1), false},
		{MaxHashKey, false},
	}
	for _, c := range cases {
		r := newTestRegistry(testConfig())
		s := mustCreate(t, r, "s", 3, t0)
		err := r.Split(s, "shardId-000000000001", c.key, t0)
		if c.ok {
			mustOK(t, err)
			checkShards(t, s)
			continue
		}
		wantErr(t, err, apierr.InvalidArgument, fmt.Sprintf(
			"NewStartingHashKey %s used in SplitShard() on shard shardId-000000000001 in stream s under account 123456789012 "+
				"is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s.",
			c.key, rg.Start, rg.End))
		if len(s.Shards) != 3 || !s.Shard(1).Open() {
			t.Fatal("rejected split changed the shards")
		}
	}
}

func TestSplitErrors(t *testing.T) {
	mid := EvenRanges(4)[1].Start
	cases := []struct {
		name  string
		limit int // account shard limit; 0 means the default
		setup func(t *testing.T, r *Registry) *Stream
		id    string
		now   int64
		kind  apierr.Kind
		msg   string
	}{
		{"unknown index", 0, nil, "shardId-000000000009", t0, apierr.ResourceNotFound,
			"Could not find shard shardId-000000000009 in stream s under account 123456789012."},
		{"garbage id", 0, nil, "garbage", t0, apierr.ResourceNotFound,
			"Could not find shard garbage in stream s under account 123456789012."},
		{"already split", 0, func(t *testing.T, r *Registry) *Stream {
			s := mustCreate(t, r, "s", 2, t0)
			mustOK(t, r.Split(s, "shardId-000000000000", mid, t0))
			return s
		}, "shardId-000000000000", t0 + 1, apierr.InvalidArgument,
			"Shard shardId-000000000000 in stream s under account 123456789012 has already been merged or split, and thus is not eligible for splitting."},
		{"already merged", 0, func(t *testing.T, r *Registry) *Stream {
			s := mustCreate(t, r, "s", 2, t0)
			mustOK(t, r.Merge(s, "shardId-000000000000", "shardId-000000000001", t0))
			return s
		}, "shardId-000000000000", t0 + 1, apierr.InvalidArgument,
			"Shard shardId-000000000000 in stream s under account 123456789012 has already been merged or split, and thus is not eligible for splitting."},
		{"shard limit", 3, func(t *testing.T, r *Registry) *Stream {
			mustCreate(t, r, "other", 1, t0)
			return mustCreate(t, r, "s", 2, t0)
		}, "shardId-000000000000", t0, apierr.LimitExceeded,
			"This request would exceed the shard limit for the account 123456789012 in us-east-1. " +
				"Current shard count for the account: 3. Limit: 3. " +
				"Number of additional shards that would have resulted from this request: 1. " +
				"Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) " +
				"for current limits and how to request higher limits."},
		{"on demand", 0, func(t *testing.T, r *Registry) *Stream {
			s, err := r.Create(CreateParams{Name: "s", Mode: ModeOnDemand}, t0)
			mustOK(t, err)
			return s
		}, "shardId-000000000000", t0, apierr.Validation,
			"SplitShard is not supported for stream s under account 123456789012 because it is in ON_DEMAND capacity mode."},
		{"updating", 0, func(t *testing.T, r *Registry) *Stream {
			s := mustCreate(t, r, "s", 2, t0)
			r.cfg.UpdateDelay = time.Second
			mustOK(t, r.Split(s, "shardId-000000000001", EvenRanges(4)[3].Start, t0))
			return s
		}, "shardId-000000000000", t0 + 999, apierr.ResourceInUse,
			"Stream s under account 123456789012 not ACTIVE, instead in state UPDATING"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ShardLimit = c.limit
			r := newTestRegistry(cfg)
			var s *Stream
			if c.setup != nil {
				s = c.setup(t, r)
			} else {
				s = mustCreate(t, r, "s", 2, t0)
			}
			n := len(s.Shards)
			wantErr(t, r.Split(s, c.id, mid, c.now), c.kind, c.msg)
			if len(s.Shards) != n {
				t.Fatal("failed split added shards")
			}
		})
	}
}

func TestMerge(t *testing.T) {
	for _, c := range []struct {
		a, b string
		pa   []uint32
	}{
		{"shardId-000000000001", "shardId-000000000002", []uint32{1, 2}},
		{"shardId-000000000002", "shardId-000000000001", []uint32{2, 1}},
		{"1", "shardId-2", []uint32{1, 2}},
	} {
		t.Run(c.a+"+"+c.b, func(t *testing.T) {
			r := newTestRegistry(testConfig())
			s := mustCreate(t, r, "s", 4, t0)
			rs := EvenRanges(4)
			now := t0 + 7
			mustOK(t, r.Merge(s, c.a, c.b, now))
			child := s.Shard(4)
			if child == nil || s.NextShardIndex != 5 || s.OpenShardCount() != 3 {
				t.Fatalf("shards after merge: %v", s.Shards)
			}
			if child.Range != (Range{Start: rs[1].Start, End: rs[2].End}) {
				t.Fatalf("child range %v", child.Range)
			}
			if !slices.Equal(child.Parents, c.pa) || child.Created != now || !child.Open() {
				t.Fatalf("child %+v", child)
			}
			for _, p := range []uint32{1, 2} {
				if sh := s.Shard(p); sh.Closed != now || !slices.Equal(sh.Children, []uint32{4}) {
					t.Fatalf("parent %+v", sh)
				}
			}
			checkShards(t, s)
			checkRoute(t, s, rand.New(rand.NewPCG(3, 4)))
		})
	}
}

func TestMergeErrors(t *testing.T) {
	notAdjacent := func(a, b int) string {
		return fmt.Sprintf("Shards shardId-%012d and shardId-%012d in stream s under account 123456789012 "+
			"are not an adjacent pair of shards eligible for merging", a, b)
	}
	cases := []struct {
		name   string
		shards int
		prep   func(t *testing.T, r *Registry, s *Stream)
		a, b   string
		kind   apierr.Kind
		msg    string
	}{
		{"gap", 3, nil, "0", "2", apierr.InvalidArgument, notAdjacent(0, 2)},
		{"gap reversed", 4, nil, "3", "1", apierr.InvalidArgument, notAdjacent(3, 1)},
		// The last shard ends at 2^128-1 and the first starts at 0: they are
		// not adjacent even though 2^128-1 + 1 wraps to 0.
		{"last and first", 3, nil, "2", "0", apierr.InvalidArgument, notAdjacent(2, 0)},
		{"first and last", 3, nil, "0", "2", apierr.InvalidArgument, notAdjacent(0, 2)},
		{"itself", 1, nil, "0", "0", apierr.InvalidArgument, notAdjacent(0, 0)},
		{"itself of two", 2, nil, "1", "1", apierr.InvalidArgument, notAdjacent(1, 1)},
		{"unknown", 2, nil, "0", "shardId-000000000005", apierr.ResourceNotFound,
			"Could not find shard shardId-000000000005 in stream s under account 123456789012."},
		{"unknown first", 2, nil, "x", "0", apierr.ResourceNotFound,
			"Could not find shard x in stream s under account 123456789012."},
		{"closed", 2, func(t *testing.T, r *Registry, s *Stream) {
			mustOK(t, r.Split(s, "0", EvenRanges(4)[1].Start, t0))
		}, "0", "1", apierr.InvalidArgument,
			"Shard shardId-000000000000 in stream s under account 123456789012 has already been merged or split, and thus is not eligible for merging."},
		{"closed second", 2, func(t *testing.T, r *Registry, s *Stream) {
			mustOK(t, r.Split(s, "1", EvenRanges(4)[3].Start, t0))
		}, "0", "1", apierr.InvalidArgument,
			"Shard shardId-000000000001 in stream s under account 123456789012 has already been merged or split, and thus is not eligible for merging."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newTestRegistry(testConfig())
			s := mustCreate(t, r, "s", c.shards, t0)
			if c.prep != nil {
				c.prep(t, r, s)
			}
			n := len(s.Shards)
			wantErr(t, r.Merge(s, c.a, c.b, t0+1), c.kind, c.msg)
			if len(s.Shards) != n {
				t.Fatal("failed merge added shards")
			}
			checkShards(t, s)
		})
	}
}

func TestMergeAfterSplit(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 2, t0)
	mustOK(t, r.Split(s, "0", EvenRanges(4)[1].Start, t0))   // 0 -> 2, 3
	mustOK(t, r.Merge(s, "shardId-000000000003", "1", t0+1)) // 3 + 1 -> 4
	mustOK(t, r.Merge(s, "shardId-000000000004", "2", t0+2)) // 4 + 2 -> 5: whole space
	if open := s.OpenShards(); len(open) != 1 || open[0].Index != 5 || open[0].Range != EvenRanges(1)[0] {
		t.Fatalf("open shards %v", open)
	}
	if !slices.Equal(s.Shard(5).Parents, []uint32{4, 2}) {
		t.Fatalf("parents %v", s.Shard(5).Parents)
	}
	checkShards(t, s)
}

func TestMergeOnDemandAndNotActive(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	od, err := r.Create(CreateParams{Name: "od", Mode: ModeOnDemand}, t0)
	mustOK(t, err)
	wantErr(t, r.Merge(od, "0", "1", t0+500), apierr.Validation,
		"MergeShards is not supported for stream od under account 123456789012 because it is in ON_DEMAND capacity mode.")
	s := mustCreate(t, r, "s", 2, t0)
	wantErr(t, r.Merge(s, "0", "1", t0+499), apierr.ResourceInUse,
		"Stream s under account 123456789012 not ACTIVE, instead in state CREATING")
}

func TestUpdateShardCountShapes(t *testing.T) {
	t.Run("1->2", func(t *testing.T) {
		r := newTestRegistry(testConfig())
		s := mustCreate(t, r, "s", 1, t0)
		before, err := r.UpdateShardCount(s, 2, t0)
		mustOK(t, err)
		if before != 1 || len(s.Shards) != 3 || !slices.Equal(s.Shard(0).Children, []uint32{1, 2}) {
			t.Fatalf("before %d shards %v", before, s.Shards)
		}
		checkEven(t, s, 2)
	})
	t.Run("2->1", func(t *testing.T) {
		r := newTestRegistry(testConfig())
		s := mustCreate(t, r, "s", 2, t0)
		before, err := r.UpdateShardCount(s, 1, t0)
		mustOK(t, err)
		if before != 2 || len(s.Shards) != 3 || !slices.Equal(s.Shard(2).Parents, []uint32{0, 1}) {
			t.Fatalf("before %d shards %v", before, s.Shards)
		}
		checkEven(t, s, 1)
	})
	t.Run("4->8 splits each shard once", func(t *testing.T) {
		r := newTestRegistry(testConfig())
		s := mustCreate(t, r, "s", 4, t0)
		_, err := r.UpdateShardCount(s, 8, t0)
		mustOK(t, err)
		if len(s.Shards) != 12 {
			t.Fatalf("%d shards", len(s.Shards))
		}
		for i := range uint32(4) {
			if len(s.Shard(i).Children) != 2 {
				t.Fatalf("shard %d children %v", i, s.Shard(i).Children)
			}
		}
		checkEven(t, s, 8)
	})
	t.Run("8->4 merges pairs", func(t *testing.T) {
		r := newTestRegistry(testConfig())
		s := mustCreate(t, r, "s", 8, t0)
		_, err := r.UpdateShardCount(s, 4, t0)
		mustOK(t, err)
		if len(s.Shards) != 12 {
			t.Fatalf("%d shards", len(s.Shards))
		}
		for _, sh := range s.OpenShards() {
			if len(sh.Parents) != 2 {
				t.Fatalf("shard %d parents %v", sh.Index, sh.Parents)
			}
		}
		checkEven(t, s, 4)
	})
	t.Run("matching shards stay", func(t *testing.T) {
		r := newTestRegistry(testConfig())
		s := mustCreate(t, r, "s", 2, t0)
		// Shard 1 [2^127, 2^128-1] split at 3*2^126: open shard 2 is then
		// exactly the third of EvenRanges(4) and shard 3 the fourth.
		mustOK(t, r.Split(s, "1", EvenRanges(4)[3].Start, t0))
		_, err := r.UpdateShardCount(s, 4, t0+1)
		mustOK(t, err)
		for _, i := range []uint32{2, 3} {
			if sh := s.Shard(i); !sh.Open() || sh.Children != nil {
				t.Fatalf("shard %d already matching a target range was resharded", i)
			}
		}
		if len(s.Shards) != 6 || s.OpenShardCount() != 4 {
			t.Fatalf("%d shards, %d open", len(s.Shards), s.OpenShardCount())
		}
		checkEven(t, s, 4)
	})
}

// unevenStream returns a stream with n open shards whose ranges are not
// even: n-1 even shards with the widest one split at a random key, or for
// n = 1 two shards merged.
func unevenStream(t *testing.T, r *Registry, n int, rnd *rand.Rand) *Stream {
	t.Helper()
	if n == 1 {
		s := mustCreate(t, r, "s", 2, t0)
		mustOK(t, r.Merge(s, "1", "0", t0))
		return s
	}
	s := mustCreate(t, r, "s", n-1, t0)
	sh := s.Shard(0)
	cut := randKey(rnd, sh.Range.Start.Add(2), sh.Range.End.Sub(1))
	mustOK(t, r.Split(s, "0", cut, t0))
	if s.OpenShardCount() != n {
		t.Fatalf("%d open shards", s.OpenShardCount())
	}
	return s
}

func TestUpdateShardCountPairs(t *testing.T) {
	pairs := [][2]int{
		{1, 1}, {1, 2}, {2, 1}, {2, 3}, {3, 2}, {3, 5}, {5, 3}, {4, 8}, {8, 4}, {7, 13}, {13, 7},
		{10, 5}, {5, 10}, {6, 11}, {11, 6}, {3, 3}, {9, 17}, {17, 9}, {100, 51}, {64, 128},
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, p := range pairs {
		for _, uneven := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d->%d uneven=%v", p[0], p[1], uneven), func(t *testing.T) {
				r := newTestRegistry(testConfig())
				var s *Stream
				if uneven {
					s = unevenStream(t, r, p[0], rnd)
				} else {
					s = mustCreate(t, r, "s", p[0], t0)
				}
				now := t0 + 10
				before, err := r.UpdateShardCount(s, p[1], now)
				mustOK(t, err)
				if before != p[0] {
					t.Fatalf("returned %d, want %d", before, p[0])
				}
				checkShards(t, s)
				checkEven(t, s, p[1])
				checkRoute(t, s, rnd)
				for _, sh := range s.Shards {
					if sh.Created > now || (!sh.Open() && sh.Closed > now) {
						t.Fatalf("shard %d created %d closed %d after now", sh.Index, sh.Created, sh.Closed)
					}
				}
				if !slices.Equal(s.Scalings, []int64{now}) {
					t.Fatalf("Scalings %v", s.Scalings)
				}
			})
		}
	}
}

// TestUpdateShardCountRandom runs random splits and merges, then
// UpdateShardCount, checking the invariants after every step.
func TestUpdateShardCountRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	for trial := range 150 {
		r := newTestRegistry(testConfig())
		s := mustCreate(t, r, "s", 1+rnd.IntN(8), t0)
		now := t0
		for range rnd.IntN(16) {
			now++
			randomReshard(t, r, s, rnd, now)
			checkShards(t, s)
		}
		for range 1 + rnd.IntN(3) {
			now++
			open := s.OpenShardCount()
			lo, hi := (open+1)/2, 2*open
			target := lo + rnd.IntN(hi-lo+1)
			if _, err := r.UpdateShardCount(s, target, now); err != nil {
				t.Fatalf("trial %d: UpdateShardCount(%d -> %d): %v", trial, open, target, err)
			}
			checkShards(t, s)
			checkEven(t, s, target)
			checkRoute(t, s, rnd)
		}
	}
}

// randomReshard splits a random open shard at a random valid key, or
// merges a random adjacent pair of open shards, in random order.
func randomReshard(t *testing.T, r *Registry, s *Stream, rnd *rand.Rand, now int64) {
	t.Helper()
	open := openByKey(s)
	if len(open) > 1 && rnd.IntN(2) == 0 {
		i := rnd.IntN(len(open) - 1)
		a, b := open[i], open[i+1]
		if rnd.IntN(2) == 0 {
			a, b = b, a
		}
		mustOK(t, r.Merge(s, ShardID(a.Index), ShardID(b.Index), now))
		return
	}
	sh := open[rnd.IntN(len(open))]
	lo, hi := sh.Range.Start.Add(2), sh.Range.End.Sub(1)
	if bigOf(lo).Cmp(bigOf(hi)) > 0 {
		return // too narrow to split
	}
	mustOK(t, r.Split(s, ShardID(sh.Index), randKey(rnd, lo, hi), now))
}

func TestUpdateShardCountBounds(t *testing.T) {
	cases := []struct {
		open, target int
		msg          string
	}{
		{3, 7, "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: 3, Target shard count: 7"},
		{1, 3, "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: 1, Target shard count: 3"},
		{5, 2, "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: 5, Target shard count: 2"},
		{4, 1, "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: 4, Target shard count: 1"},
		{3, 6, ""},
		{5, 3, ""},
		{4, 2, ""},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d->%d", c.open, c.target), func(t *testing.T) {
			r := newTestRegistry(testConfig())
			s := mustCreate(t, r, "s", c.open, t0)
			_, err := r.UpdateShardCount(s, c.target, t0)
			if c.msg == "" {
				mustOK(t, err)
				checkEven(t, s, c.target)
				return
			}
			wantErr(t, err, apierr.LimitExceeded, c.msg)
			if len(s.Shards) != c.open || s.Scalings != nil {
				t.Fatal("rejected UpdateShardCount changed the stream")
			}
		})
	}
}

func TestUpdateShardCountShardLimit(t *testing.T) {
	cfg := testConfig()
	cfg.ShardLimit = 10
	r := newTestRegistry(cfg)
	mustCreate(t, r, "other", 4, t0)
	s := mustCreate(t, r, "s", 3, t0)
	_, err := r.UpdateShardCount(s, 6, t0) // 4 + 6 = 10: allowed
	mustOK(t, err)
	_, err = r.UpdateShardCount(s, 7, t0+1)
	wantErr(t, err, apierr.LimitExceeded,
		"Target shard count or number of open shards cannot be greater than 10. Current open shard count: 6, Target shard count: 7")
}

func TestUpdateShardCountOnDemandAndNotActive(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	od, err := r.Create(CreateParams{Name: "od", Mode: ModeOnDemand}, t0)
	mustOK(t, err)
	_, err = r.UpdateShardCount(od, 8, t0+500)
	wantErr(t, err, apierr.Validation,
		"UpdateShardCount is not supported for stream od under account 123456789012 because it is in ON_DEMAND capacity mode.")
	s := mustCreate(t, r, "s", 2, t0)
	_, err = r.UpdateShardCount(s, 4, t0+1)
	wantErr(t, err, apierr.ResourceInUse, "Stream s under account 123456789012 not ACTIVE, instead in state CREATING")
}

func TestUpdateShardCountDailyLimit(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	const hour = int64(time.Hour / time.Millisecond)
	targets := []int{2, 1}
	first := t0
	for i := range MaxScalingsPerDay {
		_, err := r.UpdateShardCount(s, targets[i%2], first+int64(i)*hour)
		mustOK(t, err)
	}
	last := first + int64(MaxScalingsPerDay-1)*hour
	target := targets[MaxScalingsPerDay%2]
	msg := "Stream s under account 123456789012 has exceeded its limit of 10 UpdateShardCount calls in a rolling 24-hour period."
	_, err := r.UpdateShardCount(s, target, last+1)
	wantErr(t, err, apierr.LimitExceeded, msg)
	_, err = r.UpdateShardCount(s, target, first+24*hour-1)
	wantErr(t, err, apierr.LimitExceeded, msg)
	n := len(s.Shards)

	// 24 h after the first scaling it no longer counts.
	_, err = r.UpdateShardCount(s, target, first+24*hour)
	mustOK(t, err)
	if len(s.Shards) == n || len(s.Scalings) != MaxScalingsPerDay {
		t.Fatalf("%d scalings remembered", len(s.Scalings))
	}
	_, err = r.UpdateShardCount(s, targets[(MaxScalingsPerDay+1)%2], first+24*hour+1)
	wantErr(t, err, apierr.LimitExceeded, msg)
	// A day after the last one, all are forgotten.
	_, err = r.UpdateShardCount(s, targets[(MaxScalingsPerDay+1)%2], first+24*hour+24*hour)
	mustOK(t, err)
	if len(s.Scalings) != 1 {
		t.Fatalf("Scalings %v", s.Scalings)
	}
	checkShards(t, s)
}

func TestRoute(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 4, t0)
	quarter := new(big.Int).Lsh(big.NewInt(1), 126)
	for _, c := range []struct {
		key  *big.Int
		want uint32
	}{
		{big.NewInt(0), 0},
		{new(big.Int).Sub(quarter, big.NewInt(1)), 0},
		{quarter, 1},
		{new(big.Int).Mul(quarter, big.NewInt(3)), 3},
		{bigOf(MaxHashKey), 3},
	} {
		if got := s.Route(keyOf(c.key)); got == nil || got.Index != c.want {
			t.Errorf("Route(%s) = %v, want shard %d", c.key, got, c.want)
		}
	}
	mustOK(t, r.Merge(s, "0", "1", t0))
	if got := s.Route(HashKey{}); got.Index != 4 {
		t.Errorf("Route(0) after merge = shard %d", got.Index)
	}
	if (&Stream{}).Route(HashKey{}) != nil {
		t.Error("Route on a stream without shards")
	}
}

func TestParseShardID(t *testing.T) {
	cases := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"shardId-000000000007", 7, true},
		{"shardId-000000000000", 0, true},
		{"7", 7, true},
		{"shardId-7", 7, true},
		{"0", 0, true},
		{"anything-12", 12, true},
		{"shardId-00000000000000000007", 7, true},
		{"shardId-2147483647", 1<<31 - 1, true},
		{"2147483647", 1<<31 - 1, true},
		{"shardId-2147483648", 0, false},
		{"4294967296", 0, false},
		{"99999999999999999999", 0, false},
		{"000000000000000000007", 0, false}, // longer than 20 digits
		{"garbage", 0, false},
		{"", 0, false},
		{"shardId-", 0, false},
		{"shardId-00000000000x", 0, false},
		{"shardId-+7", 0, false},
		{"shardId- 7", 0, false},
		{"7 ", 0, false},
		{"-", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseShardID(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseShardID(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for _, i := range []uint32{0, 1, 7, 123456789012 % (1 << 31), 1<<31 - 1} {
		if got, ok := ParseShardID(ShardID(i)); !ok || got != i {
			t.Errorf("ParseShardID(ShardID(%d)) = %d, %v", i, got, ok)
		}
	}
}

func FuzzParseShardID(f *testing.F) {
	for _, s := range []string{"shardId-000000000007", "7", "shardId-7", "garbage", "2147483648", "-", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		n, ok := ParseShardID(id)
		if !ok {
			if n != 0 {
				t.Fatalf("ParseShardID(%q) failed with %d", id, n)
			}
			return
		}
		if n > 1<<31-1 {
			t.Fatalf("ParseShardID(%q) = %d beyond 2^31-1", id, n)
		}
		if back, ok := ParseShardID(ShardID(n)); !ok || back != n {
			t.Fatalf("ShardID(%d) does not parse back", n)
		}
	})
}

func BenchmarkRoute(b *testing.B) {
	for _, n := range []int{4, 64, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := newTestRegistry(testConfig())
			s, err := r.Create(CreateParams{Name: "s", ShardCount: n}, t0)
			if err != nil {
				b.Fatal(err)
			}
			keys := make([]HashKey, 1024)
			for i := range keys {
				keys[i] = PartitionHash(fmt.Sprint("pk-", i))
			}
			for i := 0; b.Loop(); i++ {
				if s.Route(keys[i%len(keys)]) == nil {
					b.Fatal("no shard")
				}
			}
		})
	}
}
