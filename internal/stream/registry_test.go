package stream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/apierr"
)

func TestResolve(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	mustCreate(t, r, "other", 1, t0)
	for _, c := range []struct {
		name, arn string
	}{
		{"s", ""},
		{"", testStreamARN},
		{"s", testStreamARN},
	} {
		got, err := r.Resolve(c.name, c.arn, t0)
		if err != nil || got != s {
			t.Errorf("Resolve(%q, %q) = %v, %v", c.name, c.arn, got, err)
		}
	}
	cases := []struct {
		name, arn string
		kind      apierr.Kind
		msg       string
	}{
		{"", "", apierr.InvalidArgument, "Either StreamName or StreamARN should be provided."},
		{"other", testStreamARN, apierr.InvalidArgument,
			"StreamARN arn:aws:kinesis:us-east-1:123456789012:stream/s and StreamName other do not refer to the same stream."},
		{"missing", "", apierr.ResourceNotFound, "Stream missing under account 123456789012 not found."},
		{"", "arn:aws:kinesis:us-east-1:123456789012:stream/missing", apierr.ResourceNotFound,
			"Stream missing under account 123456789012 not found."},
		{"", "arn:aws:kinesis:us-east-1:999999999999:stream/s", apierr.ResourceNotFound,
			"Stream arn:aws:kinesis:us-east-1:999999999999:stream/s not found."},
		{"", "arn:aws:kinesis:eu-west-1:123456789012:stream/s", apierr.ResourceNotFound,
			"Stream arn:aws:kinesis:eu-west-1:123456789012:stream/s not found."},
		{"", "arn:aws:kinesis:us-east-1:123456789012:stream/", apierr.ResourceNotFound,
			"Stream arn:aws:kinesis:us-east-1:123456789012:stream/ not found."},
		{"", testStreamARN + "/consumer/c:1", apierr.ResourceNotFound,
			"Stream " + testStreamARN + "/consumer/c:1 not found."},
		{"s", "garbage", apierr.ResourceNotFound, "Stream garbage not found."},
	}
	for _, c := range cases {
		_, err := r.Resolve(c.name, c.arn, t0)
		wantErr(t, err, c.kind, c.msg)
	}
	// A stream that finished DELETING is not found by name or ARN.
	mustOK(t, r.Delete(s, false, t0))
	for _, c := range [][2]string{{"s", ""}, {"", testStreamARN}} {
		_, err := r.Resolve(c[0], c[1], t0)
		wantErr(t, err, apierr.ResourceNotFound, "Stream s under account 123456789012 not found.")
	}
}

func TestTags(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	mustOK(t, r.AddTags(s, map[string]string{"b": "2", "a": "1"}))
	mustOK(t, r.AddTags(s, map[string]string{"a": "one", "c": ""}))
	want := [][2]string{{"a", "one"}, {"b", "2"}, {"c", ""}}
	if got := SortedTags(s.Tags); !reflect.DeepEqual(got, want) {
		t.Fatalf("SortedTags = %v", got)
	}
	r.RemoveTags(s, []string{"b", "absent"})
	if !maps.Equal(s.Tags, map[string]string{"a": "one", "c": ""}) {
		t.Fatalf("after remove %v", s.Tags)
	}
	if got := SortedTags(nil); got == nil || len(got) != 0 {
		t.Fatalf("SortedTags(nil) = %#v", got)
	}
	err := r.AddTags(s, map[string]string{"ok": "v", "bad": "a*b"})
	wantKind(t, err, apierr.InvalidArgument)
	if _, ok := s.Tags["ok"]; ok {
		t.Fatal("rejected AddTags applied some tags")
	}
}

func TestTagLimit(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	tags := map[string]string{}
	for i := range MaxTags - 1 {
		tags[fmt.Sprint("k", i)] = "v"
	}
	mustOK(t, r.AddTags(s, tags))
	// Overwriting existing keys does not count towards the limit.
	mustOK(t, r.AddTags(s, map[string]string{"k0": "new", "k1": "new"}))
	err := r.AddTags(s, map[string]string{"x": "1", "y": "2"})
	wantErr(t, err, apierr.InvalidArgument,
		"Failed to add tags to stream s under account 123456789012 because a given stream cannot have more than 50 tags associated with it.")
	if len(s.Tags) != MaxTags-1 {
		t.Fatalf("%d tags after rejected add", len(s.Tags))
	}
	mustOK(t, r.AddTags(s, map[string]string{"x": "1", "k2": "new"}))
	if len(s.Tags) != MaxTags {
		t.Fatalf("%d tags", len(s.Tags))
	}
}

// buildRegistry returns a registry exercising every persisted field.
func buildRegistry(t *testing.T, cfg Config) *Registry {
	t.Helper()
	r := newTestRegistry(cfg)
	r.Account().Commitment = "ENABLED"
	r.Account().CommitmentStarted = t0 - 1000
	r.Account().CommitmentEnded = t0 - 500
	now := t0
	s, err := r.Create(CreateParams{Name: "main", ShardCount: 3, MaxRecordSizeKiB: 2048,
		Tags: map[string]string{"env": "prod", "ü": "é"}}, now)
	mustOK(t, err)
	now += 2000
	mustOK(t, r.Split(s, "0", randKey(rand.New(rand.NewPCG(1, 1)), s.Shard(0).Range.Start.Add(2), s.Shard(0).Range.End.Sub(1)), now))
	now += 2000
	mustOK(t, r.Merge(s, "1", "2", now))
	now += 2000
	_, err = r.UpdateShardCount(s, 5, now)
	mustOK(t, err)
	now += 2000
	mustOK(t, r.IncreaseRetention(s, 72, now))
	_, _, err = r.SetMetrics(s, []string{"IncomingBytes", "OutgoingBytes"}, true, now)
	mustOK(t, err)
	mustOK(t, r.SetEncryption(s, EncryptionKMS, "arn:aws:kms:us-east-1:123456789012:key/abc", now))
	now += 2000
	c, err := r.RegisterConsumer(s, "app", map[string]string{"team": "x"}, now)
	mustOK(t, err)
	c.Policy = `{"c":1}`
	gone, err := r.RegisterConsumer(s, "old", nil, now)
	mustOK(t, err)
	r.DeregisterConsumer(gone, now+1)
	s.Policy = `{"s":1}`

	od, err := r.Create(CreateParams{Name: "od", Mode: ModeOnDemand, WarmThroughput: 10}, now)
	mustOK(t, err)
	mustOK(t, r.SetMode(od, ModeProvisioned, now+cfg.CreateDelay.Milliseconds()))
	del := mustCreate(t, r, "deleting", 1, now)
	mustOK(t, r.Delete(del, false, now+cfg.CreateDelay.Milliseconds()))
	return r
}

// normalize sets empty slices and maps to nil: the JSON document omits
// them, so a round trip cannot tell them apart and neither can any caller.
func normalize(d *document) {
	for _, s := range d.Streams {
		if len(s.Tags) == 0 {
			s.Tags = nil
		}
		if len(s.Metrics) == 0 {
			s.Metrics = nil
		}
		if len(s.Consumers) == 0 {
			s.Consumers = nil
		}
		if len(s.Scalings) == 0 {
			s.Scalings = nil
		}
		for _, c := range s.Consumers {
			if len(c.Tags) == 0 {
				c.Tags = nil
			}
		}
	}
}

func TestPersistenceRoundTrip(t *testing.T) {
	cfg := lifecycleConfig()
	r := buildRegistry(t, cfg)
	data, err := r.MarshalJSON()
	mustOK(t, err)
	loaded, err := Load(cfg, data)
	mustOK(t, err)

	want, got := r.doc, loaded.doc
	normalize(&want)
	normalize(&got)
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("loaded registry differs\ngot  %s\nwant %s", gj, wj)
	}
	if *loaded.Config() != *r.Config() || !bytes.Equal(loaded.TokenKey(), r.TokenKey()) {
		t.Fatal("config or token key differs")
	}
	again, err := loaded.MarshalJSON()
	mustOK(t, err)
	if !bytes.Equal(again, data) {
		t.Fatal("re-marshalled document differs")
	}

	// The loaded registry behaves like the original: same derived state at
	// a later time, and the next stream gets the next ID.
	later := t0 + 60_000
	for _, name := range []string{"main", "od", "deleting"} {
		a, errA := r.Lookup(name, later)
		b, errB := loaded.Lookup(name, later)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("Lookup(%s): %v vs %v", name, errA, errB)
		}
		if a != nil && a.Status(r.Config(), later) != b.Status(loaded.Config(), later) {
			t.Fatalf("status of %s differs", name)
		}
	}
	main, _ := loaded.Lookup("main", later)
	checkShards(t, main)
	checkEven(t, main, 5)
	checkRoute(t, main, rand.New(rand.NewPCG(9, 9)))
	if _, err := loaded.Consumer(main, "app", later); err != nil {
		t.Fatal(err)
	}
	a := mustCreate(t, r, "new", 1, later)
	b := mustCreate(t, loaded, "new", 1, later)
	if a.ID != b.ID {
		t.Fatalf("next stream ID %d vs %d", a.ID, b.ID)
	}
}

func TestPersistenceFields(t *testing.T) {
	// Spot-check the document's layout: hash keys are decimal strings.
	r := newTestRegistry(testConfig())
	mustCreate(t, r, "s", 2, t0)
	data, err := r.MarshalJSON()
	mustOK(t, err)
	for _, want := range []string{
		`"version":1`, `"nextStreamId":2`,
		`"end":"170141183460469231731687303715884105727"`,
		`"start":"170141183460469231731687303715884105728"`,
		`"end":"340282366920938463463374607431768211455"`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("document lacks %s:\n%s", want, data)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	cases := map[string]string{
		"not json":      `{`,
		"wrong version": `{"version":2,"streams":{}}`,
		"no version":    `{"streams":{}}`,
		"bad hash key":  `{"version":1,"streams":{"s":{"shards":[{"range":{"start":"x","end":"1"}}]}}}`,
		"key too big": `{"version":1,"streams":{"s":{"shards":[{"range":{"start":"0",` +
			`"end":"340282366920938463463374607431768211456"}}]}}}`,
	}
	for name, doc := range cases {
		if r, err := Load(testConfig(), []byte(doc)); err == nil {
			t.Errorf("%s: Load succeeded: %+v", name, r)
		} else if !strings.HasPrefix(err.Error(), "stream: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
	_, err := Load(testConfig(), []byte(`{"version":7}`))
	if err == nil || err.Error() != "stream: metadata version 7, want 1" {
		t.Errorf("version error = %v", err)
	}
}

func TestLoadMinimal(t *testing.T) {
	r, err := Load(testConfig(), []byte(`{"version":1,"nextStreamId":5}`))
	mustOK(t, err)
	if r.Config().ShardLimit != DefaultShardLimit || r.Config().OnDemandStreamLimit != DefaultOnDemandStreamLimit {
		t.Fatalf("defaults not applied: %+v", r.Config())
	}
	s := mustCreate(t, r, "s", 1, t0)
	if s.ID != 5 || len(r.Streams(t0)) != 1 {
		t.Fatalf("ID %d", s.ID)
	}
}

func TestSweepMany(t *testing.T) {
	cfg := testConfig()
	cfg.DeleteDelay = time.Second
	r := newTestRegistry(cfg)
	for i := range 5 {
		mustCreate(t, r, fmt.Sprint("s", i), 1, t0)
	}
	for i, at := range []int64{t0, t0 + 500, t0 + 2000} {
		mustOK(t, r.Delete(r.doc.Streams[fmt.Sprint("s", i)], false, at))
	}
	var names []string
	for _, s := range r.Sweep(t0 + 1500) {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"s0", "s1"}) {
		t.Fatalf("swept %v", names)
	}
	if len(r.Streams(t0+1500)) != 3 || len(r.doc.Streams) != 3 {
		t.Fatal("wrong streams left")
	}
}
