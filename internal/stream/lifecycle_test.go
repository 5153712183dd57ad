package stream

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/apierr"
)

func TestCreateEvenShards(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 7, 16, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := newTestRegistry(testConfig())
			s := mustCreate(t, r, "s", n, t0)
			if len(s.Shards) != n || s.NextShardIndex != uint32(n) || s.OpenShardCount() != n {
				t.Fatalf("%d shards, next index %d, %d open; want %d", len(s.Shards), s.NextShardIndex, s.OpenShardCount(), n)
			}
			want := EvenRanges(n)
			for i, sh := range s.Shards {
				if sh.Index != uint32(i) || sh.Range != want[i] || sh.Created != t0 || !sh.Open() ||
					sh.Parents != nil || sh.Children != nil {
					t.Fatalf("shard %d = %+v, want index %d range %v created %d, open, no lineage", i, sh, i, want[i], t0)
				}
				if got := ShardID(sh.Index); got != fmt.Sprintf("shardId-%012d", i) {
					t.Fatalf("ShardID(%d) = %s", i, got)
				}
			}
			checkShards(t, s)
			checkEven(t, s, n)
		})
	}
}

func TestCreateDefaults(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 2, t0)
	if s.ID != 1 || s.Name != "s" || s.Created != t0 {
		t.Errorf("ID %d name %q created %d", s.ID, s.Name, s.Created)
	}
	if s.RetentionHours != 24 || s.Retention() != 24*time.Hour {
		t.Errorf("retention %d h", s.RetentionHours)
	}
	if s.Mode != ModeProvisioned || s.MaxRecordSizeKiB != 1024 || s.Encryption != EncryptionNone || s.KeyID != "" {
		t.Errorf("mode %s, max record %d KiB, encryption %s %q", s.Mode, s.MaxRecordSizeKiB, s.Encryption, s.KeyID)
	}
	if s.Tags != nil || s.Metrics != nil || s.Consumers != nil || s.Policy != "" || s.Scalings != nil {
		t.Errorf("unexpected settings: %+v", s)
	}
	if got := s.ARN(r.Config()); got != "arn:aws:kinesis:us-east-1:123456789012:stream/s" {
		t.Errorf("ARN = %s", got)
	}
	if st := s.Status(r.Config(), t0); st != StatusActive {
		t.Errorf("status %s with no create delay", st)
	}
	s2 := mustCreate(t, r, "t", 1, t0)
	if s2.ID != 2 {
		t.Errorf("second stream ID %d", s2.ID)
	}
}

func TestCreateParams(t *testing.T) {
	r := newTestRegistry(testConfig())
	tags := map[string]string{"env": "test"}
	s, err := r.Create(CreateParams{Name: "s", ShardCount: 3, MaxRecordSizeKiB: 2048, Tags: tags, WarmThroughput: 7}, t0)
	mustOK(t, err)
	if s.MaxRecordSizeKiB != 2048 || s.WarmThroughput != 7 || !maps.Equal(s.Tags, tags) {
		t.Fatalf("settings not applied: %+v", s)
	}
	tags["env"] = "changed"
	if s.Tags["env"] != "test" {
		t.Error("stream shares the caller's tag map")
	}
}

func TestCreateOnDemand(t *testing.T) {
	r := newTestRegistry(testConfig())
	s, err := r.Create(CreateParams{Name: "od", Mode: ModeOnDemand}, t0)
	mustOK(t, err)
	if s.Mode != ModeOnDemand || len(s.Shards) != OnDemandShards || OnDemandShards != 4 {
		t.Fatalf("mode %s with %d shards", s.Mode, len(s.Shards))
	}
	checkEven(t, s, 4)
	if got := r.OnDemandStreamCount(t0); got != 1 {
		t.Errorf("OnDemandStreamCount = %d", got)
	}
	_, err = r.Create(CreateParams{Name: "od2", Mode: ModeOnDemand, ShardCount: 2}, t0)
	wantErr(t, err, apierr.InvalidArgument, "ShardCount is not supported for streams in ON_DEMAND mode.")
}

func TestCreateOnDemandLimit(t *testing.T) {
	cfg := testConfig()
	cfg.OnDemandStreamLimit = 2
	r := newTestRegistry(cfg)
	for _, name := range []string{"a", "b"} {
		_, err := r.Create(CreateParams{Name: name, Mode: ModeOnDemand}, t0)
		mustOK(t, err)
	}
	_, err := r.Create(CreateParams{Name: "c", Mode: ModeOnDemand}, t0)
	wantErr(t, err, apierr.LimitExceeded,
		"This request would exceed the on-demand stream count limit for the account 123456789012 in us-east-1. Limit: 2.")
	mustCreate(t, r, "p", 1, t0) // PROVISIONED streams do not count
}

func TestCreateErrors(t *testing.T) {
	manyTags := map[string]string{}
	for i := range MaxTags + 1 {
		manyTags[fmt.Sprint("k", i)] = "v"
	}
	cases := []struct {
		name string
		p    CreateParams
		kind apierr.Kind
		msg  string
	}{
		{"duplicate", CreateParams{Name: "taken", ShardCount: 1}, apierr.ResourceInUse,
			"Stream taken under account 123456789012 already exists."},
		{"no shard count", CreateParams{Name: "x"}, apierr.Validation,
			"1 validation error detected: Value null at 'shardCount' failed to satisfy constraint: Member must not be null"},
		{"shard limit", CreateParams{Name: "x", ShardCount: 9}, apierr.LimitExceeded,
			"This request would exceed the shard limit for the account 123456789012 in us-east-1. " +
				"Current shard count for the account: 2. Limit: 10. " +
				"Number of additional shards that would have resulted from this request: 9. " +
				"Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) " +
				"for current limits and how to request higher limits."},
		{"too many tags", CreateParams{Name: "x", ShardCount: 1, Tags: manyTags}, apierr.InvalidArgument,
			"Failed to add tags to stream x under account 123456789012 because a given stream cannot have more than 50 tags associated with it."},
		{"bad tag key", CreateParams{Name: "x", ShardCount: 1, Tags: map[string]string{"a#b": "v"}}, apierr.InvalidArgument,
			"Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :."},
		{"bad tag value", CreateParams{Name: "x", ShardCount: 1, Tags: map[string]string{"k": "v!"}}, apierr.InvalidArgument,
			"Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ShardLimit = 10
			r := newTestRegistry(cfg)
			mustCreate(t, r, "taken", 2, t0)
			_, err := r.Create(c.p, t0)
			wantErr(t, err, c.kind, c.msg)
			if len(r.Streams(t0)) != 1 || r.doc.NextStreamID != 2 {
				t.Fatal("failed Create changed the registry")
			}
		})
	}
}

func TestCreateShardLimitBoundary(t *testing.T) {
	cfg := testConfig()
	cfg.ShardLimit = 10
	r := newTestRegistry(cfg)
	mustCreate(t, r, "a", 6, t0)
	mustCreate(t, r, "b", 4, t0) // exactly at the limit
	if got := r.OpenShardTotal(t0); got != 10 {
		t.Fatalf("OpenShardTotal = %d", got)
	}
	_, err := r.Create(CreateParams{Name: "c", ShardCount: 1}, t0)
	wantKind(t, err, apierr.LimitExceeded)
	_, err = r.Create(CreateParams{Name: "c", Mode: ModeOnDemand}, t0)
	wantKind(t, err, apierr.LimitExceeded)
	// A deleted stream's shards count until it is gone.
	r.cfg.DeleteDelay = time.Second
	mustOK(t, r.Delete(r.doc.Streams["b"], false, t0))
	_, err = r.Create(CreateParams{Name: "c", ShardCount: 4}, t0+999)
	wantKind(t, err, apierr.LimitExceeded)
	_, err = r.Create(CreateParams{Name: "c", ShardCount: 4}, t0+1000)
	mustOK(t, err)
	if New(testConfig(), nil).Config().ShardLimit != DefaultShardLimit {
		t.Error("default shard limit not applied")
	}
}

func TestCreateTagChars(t *testing.T) {
	for _, tag := range []string{"", "abc", "A1 b_c.d/e=f+g-h%i@j:k", "日本語", "tab\there", "é"} {
		r := newTestRegistry(testConfig())
		_, err := r.Create(CreateParams{Name: "s", ShardCount: 1, Tags: map[string]string{"k" + tag: tag}}, t0)
		if err != nil {
			t.Errorf("tag %q rejected: %v", tag, err)
		}
	}
	for _, tag := range []string{"#", "!", "a,b", "$", "*", "<", "\x00", "a;b"} {
		r := newTestRegistry(testConfig())
		_, err := r.Create(CreateParams{Name: "s", ShardCount: 1, Tags: map[string]string{"k": tag}}, t0)
		wantKind(t, err, apierr.InvalidArgument)
	}
	r := newTestRegistry(testConfig())
	tags := map[string]string{}
	for i := range MaxTags {
		tags[fmt.Sprint("k", i)] = "v"
	}
	s, err := r.Create(CreateParams{Name: "s", ShardCount: 1, Tags: tags}, t0)
	mustOK(t, err)
	if len(s.Tags) != MaxTags {
		t.Errorf("%d tags", len(s.Tags))
	}
}

// lifecycleConfig has distinct delays so that each transition is checked
// against the right one.
func lifecycleConfig() Config {
	cfg := testConfig()
	cfg.CreateDelay = 500 * time.Millisecond
	cfg.UpdateDelay = 700 * time.Millisecond
	cfg.DeleteDelay = 900 * time.Millisecond
	cfg.ConsumerDelay = 300 * time.Millisecond
	return cfg
}

func TestCreatingToActive(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 2, t0)
	cfg := r.Config()
	for _, c := range []struct {
		at   int64
		want string
	}{{t0, StatusCreating}, {t0 + 499, StatusCreating}, {t0 + 500, StatusActive}, {t0 + 10_000, StatusActive}} {
		if got := s.Status(cfg, c.at); got != c.want {
			t.Errorf("Status(t0+%d) = %s, want %s", c.at-t0, got, c.want)
		}
	}
	// Mutations need ACTIVE.
	err := r.Split(s, "shardId-000000000000", EvenRanges(4)[1].Start, t0+499)
	wantErr(t, err, apierr.ResourceInUse, "Stream s under account 123456789012 not ACTIVE, instead in state CREATING")
	mustOK(t, r.Split(s, "shardId-000000000000", EvenRanges(4)[1].Start, t0+500))
}

func TestUpdatingAfterMutation(t *testing.T) {
	active := t0 + 500
	mutations := []struct {
		name string
		do   func(r *Registry, s *Stream, now int64) error
	}{
		{"split", func(r *Registry, s *Stream, now int64) error {
			return r.Split(s, "shardId-000000000000", EvenRanges(4)[1].Start, now)
		}},
		{"merge", func(r *Registry, s *Stream, now int64) error {
			return r.Merge(s, "shardId-000000000000", "shardId-000000000001", now)
		}},
		{"update shard count", func(r *Registry, s *Stream, now int64) error {
			_, err := r.UpdateShardCount(s, 4, now)
			return err
		}},
		{"mode", func(r *Registry, s *Stream, now int64) error { return r.SetMode(s, ModeOnDemand, now) }},
		{"max record size", func(r *Registry, s *Stream, now int64) error { return r.SetMaxRecordSize(s, 4096, now) }},
		{"encryption", func(r *Registry, s *Stream, now int64) error {
			return r.SetEncryption(s, EncryptionKMS, "alias/aws/kinesis", now)
		}},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			r := newTestRegistry(lifecycleConfig())
			s := mustCreate(t, r, "s", 2, t0)
			mustOK(t, m.do(r, s, active))
			cfg := r.Config()
			if got := s.Status(cfg, active); got != StatusUpdating {
				t.Fatalf("status right after %s = %s", m.name, got)
			}
			if got := s.Status(cfg, active+699); got != StatusUpdating {
				t.Fatalf("status 699 ms later = %s", got)
			}
			if got := s.Status(cfg, active+700); got != StatusActive {
				t.Fatalf("status at UpdateDelay = %s", got)
			}
			err := r.IncreaseRetention(s, 48, active+699)
			wantErr(t, err, apierr.ResourceInUse, "Stream s under account 123456789012 not ACTIVE, instead in state UPDATING")
			mustOK(t, r.IncreaseRetention(s, 48, active+700))
		})
	}
}

func TestNoUpdateDelayStaysActive(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	_, err := r.UpdateShardCount(s, 2, t0)
	mustOK(t, err)
	if st := s.Status(r.Config(), t0); st != StatusActive || s.UpdatingUntil != 0 {
		t.Fatalf("status %s, UpdatingUntil %d", st, s.UpdatingUntil)
	}
}

func TestDeleteLifecycle(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 3, t0)
	cfg := r.Config()
	del := t0 + 1000
	mustOK(t, r.Delete(s, false, del))
	if got := s.Status(cfg, del); got != StatusDeleting {
		t.Fatalf("status after Delete = %s", got)
	}
	if got, err := r.Lookup("s", del+899); err != nil || got != s || s.Gone(cfg, del+899) {
		t.Fatalf("DELETING stream not found before DeleteDelay: %v", err)
	}
	if r.LookupID(s.ID, del+899) != s || r.OpenShardTotal(del+899) != 3 {
		t.Fatal("DELETING stream not live")
	}
	err := r.Delete(s, false, del+1)
	wantErr(t, err, apierr.ResourceInUse, "Stream s under account 123456789012 not ACTIVE, instead in state DELETING")
	err = r.IncreaseRetention(s, 48, del+1)
	wantErr(t, err, apierr.ResourceInUse, "Stream s under account 123456789012 not ACTIVE, instead in state DELETING")

	gone := del + 900
	if !s.Gone(cfg, gone) {
		t.Fatal("not gone at DeleteDelay")
	}
	_, err = r.Lookup("s", gone)
	wantErr(t, err, apierr.ResourceNotFound, "Stream s under account 123456789012 not found.")
	if r.LookupID(s.ID, gone) != nil || len(r.Streams(gone)) != 0 || r.OpenShardTotal(gone) != 0 {
		t.Fatal("gone stream still visible")
	}
	if _, ok := r.doc.Streams["s"]; !ok {
		t.Fatal("gone stream removed before Sweep")
	}
	if swept := r.Sweep(gone - 1); len(swept) != 0 {
		t.Fatalf("Sweep before gone removed %d streams", len(swept))
	}
	swept := r.Sweep(gone)
	if len(swept) != 1 || swept[0] != s {
		t.Fatalf("Sweep = %v", swept)
	}
	if _, ok := r.doc.Streams["s"]; ok || len(r.Sweep(gone)) != 0 {
		t.Fatal("Sweep did not remove the stream")
	}
}

func TestDeleteRules(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 1, t0)
	err := r.Delete(s, false, t0+499)
	wantErr(t, err, apierr.ResourceInUse, "Attempt to change a resource which is still in use: Stream is being created: s")
	err = r.Delete(s, true, t0+499)
	wantKind(t, err, apierr.ResourceInUse)

	active := t0 + 500
	_, err = r.RegisterConsumer(s, "c", nil, active)
	mustOK(t, err)
	err = r.Delete(s, false, active)
	wantErr(t, err, apierr.ResourceInUse,
		"Stream s under account 123456789012 has registered consumers. Deregister them, or set EnforceConsumerDeletion.")
	if s.DeleteRequested != 0 {
		t.Fatal("failed Delete marked the stream")
	}
	mustOK(t, r.Delete(s, true, active))
	if s.DeleteRequested != active || s.Consumers != nil {
		t.Fatalf("DeleteRequested %d, consumers %v", s.DeleteRequested, s.Consumers)
	}
}

func TestDeleteWhileUpdating(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 1, t0)
	_, err := r.UpdateShardCount(s, 2, t0+500)
	mustOK(t, err)
	mustOK(t, r.Delete(s, false, t0+501))
	if st := s.Status(r.Config(), t0+501); st != StatusDeleting {
		t.Fatalf("status %s", st)
	}
}

func TestDeleteAfterConsumersGone(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 1, t0)
	active := t0 + 500
	c, err := r.RegisterConsumer(s, "c", nil, active)
	mustOK(t, err)
	r.DeregisterConsumer(c, active+1000)
	// Still DELETING: the stream has a consumer.
	err = r.Delete(s, false, active+1000+299)
	wantKind(t, err, apierr.ResourceInUse)
	// Gone after ConsumerDelay: nothing blocks the deletion any more, even
	// though no call has pruned the consumer list yet.
	mustOK(t, r.Delete(s, false, active+1000+300))
}

func TestRecreateAfterDelete(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	old := mustCreate(t, r, "s", 2, t0)
	mustOK(t, r.Delete(old, false, t0+500))
	_, err := r.Create(CreateParams{Name: "s", ShardCount: 1}, t0+500+899)
	wantErr(t, err, apierr.ResourceInUse, "Stream s under account 123456789012 already exists.")

	now := t0 + 500 + 900
	s, err := r.Create(CreateParams{Name: "s", ShardCount: 1}, now)
	mustOK(t, err)
	if s.ID == old.ID || s.ID != 2 {
		t.Fatalf("re-created stream ID %d, old %d", s.ID, old.ID)
	}
	if got, _ := r.Lookup("s", now); got != s || s.Status(r.Config(), now) != StatusCreating || len(s.Shards) != 1 {
		t.Fatal("Lookup does not find the new incarnation")
	}
	if r.LookupID(old.ID, now) != nil || r.LookupID(s.ID, now) != s {
		t.Fatal("LookupID mixes incarnations")
	}
}

func TestStreamsSortedAndLive(t *testing.T) {
	r := newTestRegistry(testConfig())
	for _, n := range []string{"c", "a", "d", "b"} {
		mustCreate(t, r, n, 1, t0)
	}
	mustOK(t, r.Delete(r.doc.Streams["d"], false, t0+1)) // DeleteDelay 0: gone at once
	var names []string
	for _, s := range r.Streams(t0 + 1) {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "a,b,c" {
		t.Fatalf("Streams = %s", got)
	}
	if len(r.Streams(t0)) != 4 {
		t.Fatal("stream gone before its deletion")
	}
}

func TestRetention(t *testing.T) {
	cases := []struct {
		name     string
		start    int // retention set up before the call
		increase bool
		hours    int
		kind     apierr.Kind // 0 (InternalFailure) means success
		msg      string
	}{
		{"increase", 24, true, 48, 0, ""},
		{"increase to max", 24, true, 8760, 0, ""},
		{"increase same", 48, true, 48, 0, ""},
		{"increase shorter", 48, true, 36, apierr.InvalidArgument,
			"Requested retention period (36 hours) for stream s can not be shorter than existing retention period (48 hours). Use DecreaseRetentionPeriod API."},
		{"increase too long", 24, true, 8761, apierr.InvalidArgument,
			"Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long."},
		{"increase too short", 24, true, 23, apierr.InvalidArgument,
			"Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short."},
		{"decrease", 100, false, 24, 0, ""},
		{"decrease same", 100, false, 100, 0, ""},
		{"decrease longer", 100, false, 101, apierr.InvalidArgument,
			"Requested retention period (101 hours) for stream s can not be longer than existing retention period (100 hours). Use IncreaseRetentionPeriod API."},
		{"decrease too short", 100, false, 0, apierr.InvalidArgument,
			"Minimum allowed retention period is 24 hours. Requested retention period (0 hours) is too short."},
		{"decrease too long", 100, false, 9000, apierr.InvalidArgument,
			"Maximum allowed retention period is 8760 hours. Requested retention period (9000 hours) is too long."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newTestRegistry(testConfig())
			s := mustCreate(t, r, "s", 1, t0)
			mustOK(t, r.IncreaseRetention(s, c.start, t0))
			var err error
			if c.increase {
				err = r.IncreaseRetention(s, c.hours, t0)
			} else {
				err = r.DecreaseRetention(s, c.hours, t0)
			}
			if c.kind == 0 {
				mustOK(t, err)
				if s.RetentionHours != c.hours {
					t.Fatalf("retention %d, want %d", s.RetentionHours, c.hours)
				}
				return
			}
			wantErr(t, err, c.kind, c.msg)
			if s.RetentionHours != c.start {
				t.Fatalf("failed call changed retention to %d", s.RetentionHours)
			}
		})
	}
}

func TestTrimHorizonAndShardExpired(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 2, t0)
	const hour = int64(time.Hour / time.Millisecond)
	if got := s.TrimHorizon(t0); got != t0-24*hour {
		t.Fatalf("TrimHorizon = %d", got)
	}
	mustOK(t, r.IncreaseRetention(s, 48, t0))
	// Records the old retention expired stay expired; the new retention
	// takes over once its horizon passes the old one.
	if got := s.TrimHorizon(t0); got != t0-24*hour {
		t.Fatalf("TrimHorizon right after increase = %d, want %d", got, t0-24*hour)
	}
	if got := s.TrimHorizon(t0 + 30*hour); got != t0-18*hour {
		t.Fatalf("TrimHorizon 30 h after increase = %d, want %d", got, t0-18*hour)
	}
	closedAt := t0 + 10
	mustOK(t, r.Merge(s, "shardId-000000000000", "shardId-000000000001", closedAt))
	parent, child := s.Shard(0), s.Shard(2)
	for _, c := range []struct {
		at   int64
		want bool
	}{
		{closedAt, false},
		{closedAt + 48*hour, false}, // closed exactly at the trim horizon: not yet before it
		{closedAt + 48*hour + 1, true},
	} {
		if got := s.ShardExpired(parent, c.at); got != c.want {
			t.Errorf("ShardExpired(closed shard, closed+%d ms) = %v, want %v", c.at-closedAt, got, c.want)
		}
	}
	if s.ShardExpired(child, closedAt+1000*hour) {
		t.Error("open shard expired")
	}
}

func TestSetMode(t *testing.T) {
	cfg := lifecycleConfig()
	cfg.OnDemandStreamLimit = 1
	r := newTestRegistry(cfg)
	s := mustCreate(t, r, "s", 2, t0)
	other := mustCreate(t, r, "o", 1, t0)
	now := t0 + 500
	err := r.SetMode(s, ModeProvisioned, now)
	wantErr(t, err, apierr.InvalidArgument, "Stream s under account 123456789012 is already in PROVISIONED mode.")
	mustOK(t, r.SetMode(s, ModeOnDemand, now))
	if s.Mode != ModeOnDemand || s.ModeChanged != now || s.Status(r.Config(), now) != StatusUpdating {
		t.Fatalf("mode %s changed %d status %s", s.Mode, s.ModeChanged, s.Status(r.Config(), now))
	}
	if s.OpenShardCount() != 2 {
		t.Fatalf("mode switch changed shards: %d open", s.OpenShardCount())
	}
	err = r.SetMode(other, ModeOnDemand, now)
	wantErr(t, err, apierr.LimitExceeded,
		"This request would exceed the on-demand stream count limit for the account 123456789012 in us-east-1. Limit: 1.")
	later := now + 700
	mustOK(t, r.SetMode(s, ModeProvisioned, later))
	if s.Mode != ModeProvisioned || s.ModeChanged != later {
		t.Fatalf("mode %s changed %d", s.Mode, s.ModeChanged)
	}
}

func TestSetMaxRecordSize(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	mustOK(t, r.SetMaxRecordSize(s, 10240, t0))
	if s.MaxRecordSizeKiB != 10240 {
		t.Fatalf("max record size %d", s.MaxRecordSizeKiB)
	}
}

func TestSetEncryption(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 1, t0)
	now := t0 + 500
	// Stopping encryption that is off is a no-op that leaves the stream ACTIVE.
	mustOK(t, r.SetEncryption(s, EncryptionNone, "whatever", now))
	if s.Status(r.Config(), now) != StatusActive {
		t.Fatal("no-op StopStreamEncryption started an update")
	}
	mustOK(t, r.SetEncryption(s, EncryptionKMS, "key-1", now))
	if s.Encryption != EncryptionKMS || s.KeyID != "key-1" || s.Status(r.Config(), now) != StatusUpdating {
		t.Fatalf("encryption %s key %q", s.Encryption, s.KeyID)
	}
	now += 700
	err := r.SetEncryption(s, EncryptionNone, "key-2", now)
	wantErr(t, err, apierr.InvalidArgument, "Stream s under account 123456789012 is encrypted with key key-1, not key-2.")
	if s.Encryption != EncryptionKMS {
		t.Fatal("failed stop changed the encryption")
	}
	mustOK(t, r.SetEncryption(s, EncryptionNone, "key-1", now))
	if s.Encryption != EncryptionNone || s.KeyID != "" || s.Status(r.Config(), now) != StatusUpdating {
		t.Fatalf("encryption %s key %q", s.Encryption, s.KeyID)
	}
}

func TestSetMetrics(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	all := []string{"IncomingBytes", "IncomingRecords", "IteratorAgeMilliseconds", "OutgoingBytes",
		"OutgoingRecords", "ReadProvisionedThroughputExceeded", "WriteProvisionedThroughputExceeded"}
	steps := []struct {
		metrics       []string
		on            bool
		before, after []string
	}{
		{[]string{"OutgoingBytes", "IncomingBytes"}, true, nil, []string{"IncomingBytes", "OutgoingBytes"}},
		{[]string{"IncomingBytes"}, true, []string{"IncomingBytes", "OutgoingBytes"}, []string{"IncomingBytes", "OutgoingBytes"}},
		{[]string{"ALL"}, true, []string{"IncomingBytes", "OutgoingBytes"}, all},
		{[]string{"IncomingBytes", "OutgoingRecords"}, false, all,
			[]string{"IncomingRecords", "IteratorAgeMilliseconds", "OutgoingBytes", "ReadProvisionedThroughputExceeded", "WriteProvisionedThroughputExceeded"}},
		{[]string{"ALL"}, false, []string{"IncomingRecords", "IteratorAgeMilliseconds", "OutgoingBytes", "ReadProvisionedThroughputExceeded", "WriteProvisionedThroughputExceeded"}, nil},
	}
	for i, st := range steps {
		before, after, err := r.SetMetrics(s, st.metrics, st.on, t0)
		mustOK(t, err)
		if !slices.Equal(before, st.before) || !slices.Equal(after, st.after) || !slices.Equal(s.Metrics, st.after) {
			t.Fatalf("step %d: before %v after %v stream %v; want %v %v", i, before, after, s.Metrics, st.before, st.after)
		}
	}
	// The returned slices are copies.
	_, after, _ := r.SetMetrics(s, []string{"ALL"}, true, t0)
	after[0] = "mutated"
	if s.Metrics[0] != "IncomingBytes" {
		t.Fatal("SetMetrics returned the stream's own slice")
	}
}

func TestSetMetricsNotActive(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 1, t0)
	_, _, err := r.SetMetrics(s, []string{"ALL"}, true, t0)
	wantErr(t, err, apierr.ResourceInUse, "Stream s under account 123456789012 not ACTIVE, instead in state CREATING")
}

func TestSetWarmThroughput(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	p := mustCreate(t, r, "p", 1, t0)
	od, err := r.Create(CreateParams{Name: "od", Mode: ModeOnDemand}, t0)
	mustOK(t, err)
	now := t0 + 500
	err = r.SetWarmThroughput(p, 100, now)
	wantErr(t, err, apierr.InvalidArgument,
		"Warm throughput can only be set on streams in ON_DEMAND mode. Stream p under account 123456789012 is in PROVISIONED mode.")
	err = r.SetWarmThroughput(od, 100, now)
	wantErr(t, err, apierr.InvalidArgument,
		"Warm throughput requires the account's MinimumThroughputBillingCommitment to be ENABLED.")
	r.Account().Commitment = "DISABLED"
	wantKind(t, r.SetWarmThroughput(od, 100, now), apierr.InvalidArgument)
	r.Account().Commitment = "ENABLED"
	mustOK(t, r.SetWarmThroughput(od, 100, now))
	if od.WarmThroughput != 100 || od.Status(r.Config(), now) != StatusUpdating {
		t.Fatalf("warm throughput %d status %s", od.WarmThroughput, od.Status(r.Config(), now))
	}
	err = r.SetWarmThroughput(od, 200, now+1)
	wantKind(t, err, apierr.ResourceInUse)
	if od.WarmThroughput != 100 {
		t.Fatal("rejected call changed warm throughput")
	}
}
