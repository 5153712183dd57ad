package stream

import (
	"fmt"
	"maps"
	"testing"

	"github.com/runnel-dev/runnel/internal/apierr"
)

const testStreamARN = "arn:aws:kinesis:us-east-1:123456789012:stream/s"

func TestConsumerRegister(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 1, t0)
	err := func() error { _, err := r.RegisterConsumer(s, "c", nil, t0+499); return err }()
	wantErr(t, err, apierr.ResourceInUse, "Stream s under account 123456789012 not ACTIVE, instead in state CREATING")

	now := t0 + 500
	tags := map[string]string{"team": "a"}
	c, err := r.RegisterConsumer(s, "c", tags, now)
	mustOK(t, err)
	if c.Name != "c" || c.Created != now || !maps.Equal(c.Tags, tags) || c.DeleteRequested != 0 {
		t.Fatalf("consumer %+v", c)
	}
	tags["team"] = "b"
	if c.Tags["team"] != "a" {
		t.Fatal("consumer shares the caller's tag map")
	}
	wantARN := fmt.Sprintf("%s/consumer/c:%d", testStreamARN, now/1000)
	if got := c.ARN(r.Config(), s); got != wantARN || got != "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1700000000" {
		t.Fatalf("ARN = %s", got)
	}
	cfg := r.Config()
	for _, st := range []struct {
		at   int64
		want string
	}{{now, ConsumerCreating}, {now + 299, ConsumerCreating}, {now + 300, ConsumerActive}} {
		if got := c.Status(cfg, st.at); got != st.want {
			t.Errorf("Status(+%d) = %s, want %s", st.at-now, got, st.want)
		}
	}
	_, err = r.RegisterConsumer(s, "c", nil, now+1000)
	wantErr(t, err, apierr.ResourceInUse,
		"Consumer "+wantARN+" under stream s already exists for account 123456789012.")
	if got, err := r.Consumer(s, "c", now); err != nil || got != c {
		t.Fatalf("Consumer(c) = %v, %v", got, err)
	}
	_, err = r.Consumer(s, "nope", now)
	wantErr(t, err, apierr.ResourceNotFound, "Consumer nope under stream s not found for account 123456789012.")
}

func TestConsumerRegisterWhileUpdating(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 1, t0)
	_, err := r.UpdateShardCount(s, 2, t0+500)
	mustOK(t, err)
	_, err = r.RegisterConsumer(s, "c", nil, t0+501)
	mustOK(t, err)
	mustOK(t, r.Delete(s, true, t0+2000))
	_, err = r.RegisterConsumer(s, "d", nil, t0+2001)
	wantErr(t, err, apierr.ResourceInUse, "Stream s under account 123456789012 not ACTIVE, instead in state DELETING")
}

func TestConsumerLimit(t *testing.T) {
	r := newTestRegistry(testConfig()) // ConsumerDelay 0: ACTIVE at once
	s := mustCreate(t, r, "s", 1, t0)
	for i := range MaxConsumers {
		_, err := r.RegisterConsumer(s, fmt.Sprint("c", i), nil, t0+int64(i))
		mustOK(t, err)
	}
	_, err := r.RegisterConsumer(s, "extra", nil, t0+100)
	wantErr(t, err, apierr.LimitExceeded, "Consumer limit of 20 exceeded for stream s under account 123456789012.")
	// A consumer that is gone frees its slot.
	c, err := r.Consumer(s, "c3", t0+100)
	mustOK(t, err)
	r.DeregisterConsumer(c, t0+100)
	if _, err := r.RegisterConsumer(s, "extra", nil, t0+100); err != nil {
		t.Fatalf("register after deregistration: %v", err)
	}
	if n := len(r.LiveConsumers(s, t0+100)); n != MaxConsumers {
		t.Fatalf("%d live consumers", n)
	}
}

func TestConsumerCreatingLimit(t *testing.T) {
	r := newTestRegistry(lifecycleConfig()) // ConsumerDelay 300 ms
	s := mustCreate(t, r, "s", 1, t0)
	now := t0 + 500
	for i := range MaxConsumersCreating {
		_, err := r.RegisterConsumer(s, fmt.Sprint("c", i), nil, now+int64(i))
		mustOK(t, err)
	}
	_, err := r.RegisterConsumer(s, "c5", nil, now+299)
	wantErr(t, err, apierr.LimitExceeded,
		"Cannot have more than 5 consumers in CREATING state for stream s under account 123456789012.")
	// c0 becomes ACTIVE at now+300; the others are still CREATING.
	_, err = r.RegisterConsumer(s, "c5", nil, now+300)
	mustOK(t, err)
	_, err = r.RegisterConsumer(s, "c6", nil, now+300)
	wantKind(t, err, apierr.LimitExceeded)
}

func TestConsumerDeregister(t *testing.T) {
	r := newTestRegistry(lifecycleConfig())
	s := mustCreate(t, r, "s", 1, t0)
	now := t0 + 500
	c, err := r.RegisterConsumer(s, "c", nil, now)
	mustOK(t, err)
	arn := c.ARN(r.Config(), s)
	del := now + 1000
	r.DeregisterConsumer(c, del)
	r.DeregisterConsumer(c, del+100) // a second call keeps the first time
	if c.DeleteRequested != del || c.Status(r.Config(), del+299) != ConsumerDeleting {
		t.Fatalf("DeleteRequested %d status %s", c.DeleteRequested, c.Status(r.Config(), del))
	}
	if got, err := r.Consumer(s, "c", del+299); err != nil || got != c {
		t.Fatal("DELETING consumer not found")
	}
	if _, got, err := r.ConsumerByARN(arn, del+299); err != nil || got != c {
		t.Fatal("DELETING consumer not found by ARN")
	}
	_, err = r.RegisterConsumer(s, "c", nil, del+299)
	wantKind(t, err, apierr.ResourceInUse)

	gone := del + 300
	_, err = r.Consumer(s, "c", gone)
	wantKind(t, err, apierr.ResourceNotFound)
	_, _, err = r.ConsumerByARN(arn, gone)
	wantErr(t, err, apierr.ResourceNotFound, "Consumer "+arn+" not found.")
	if live := r.LiveConsumers(s, gone); len(live) != 0 {
		t.Fatalf("gone consumer listed: %v", live)
	}
	// The name is free again, with a new creation time and ARN; the gone
	// consumer is dropped from the stream.
	c2, err := r.RegisterConsumer(s, "c", nil, gone+5000)
	mustOK(t, err)
	if len(s.Consumers) != 1 || s.Consumers[0] != c2 {
		t.Fatalf("consumers after re-registering: %v", s.Consumers)
	}
	if c2.ARN(r.Config(), s) == arn {
		t.Fatal("re-registered consumer has the old ARN")
	}
	if _, _, err := r.ConsumerByARN(arn, gone+5000); err == nil {
		t.Fatal("old ARN finds the new consumer")
	}
}

func TestConsumerByARN(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	c, err := r.RegisterConsumer(s, "c", nil, t0)
	mustOK(t, err)
	good := c.ARN(r.Config(), s)
	gs, gc, err := r.ConsumerByARN(good, t0)
	if err != nil || gs != s || gc != c {
		t.Fatalf("ConsumerByARN(%s) = %v, %v, %v", good, gs, gc, err)
	}
	bad := []string{
		testStreamARN + "/consumer/c:1700000001",                                // wrong creation seconds
		testStreamARN + "/consumer/c:1700000000123",                             // milliseconds, not seconds
		testStreamARN + "/consumer/c:",                                          // no seconds
		testStreamARN + "/consumer/c:abc",                                       // not a number
		testStreamARN + "/consumer/c",                                           // no ':'
		testStreamARN + "/consumer/d:1700000000",                                // unknown consumer
		testStreamARN + "x/consumer/c:1700000000",                               // unknown stream
		"arn:aws:kinesis:us-east-1:999999999999:stream/s/consumer/c:1700000000", // other account
		"arn:aws:kinesis:eu-west-1:123456789012:stream/s/consumer/c:1700000000", // other region
		"arn:aws:kinesis:us-east-1:123456789012:stream//consumer/c:1700000000",  // no stream name
		testStreamARN, // a stream ARN
		"garbage",
		"",
	}
	for _, arn := range bad {
		_, _, err := r.ConsumerByARN(arn, t0)
		wantErr(t, err, apierr.ResourceNotFound, "Consumer "+arn+" not found.")
	}
	// A gone stream has no consumers.
	mustOK(t, r.Delete(s, true, t0+1))
	_, _, err = r.ConsumerByARN(good, t0+1)
	wantKind(t, err, apierr.ResourceNotFound)
}

func TestResolveResource(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	c, err := r.RegisterConsumer(s, "c", nil, t0)
	mustOK(t, err)

	res, err := r.ResolveResource(testStreamARN, t0)
	if err != nil || res.Stream != s || res.Consumer != nil {
		t.Fatalf("stream resource = %+v, %v", res, err)
	}
	res, err = r.ResolveResource(c.ARN(r.Config(), s), t0)
	if err != nil || res.Stream != s || res.Consumer != c {
		t.Fatalf("consumer resource = %+v, %v", res, err)
	}
	for _, c := range []struct {
		arn string
		msg string
	}{
		{"arn:aws:kinesis:us-east-1:123456789012:stream/x", "Stream x under account 123456789012 not found."},
		{"arn:aws:kinesis:us-east-1:999999999999:stream/s", "Stream arn:aws:kinesis:us-east-1:999999999999:stream/s not found."},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/", "Stream arn:aws:kinesis:us-east-1:123456789012:stream/ not found."},
		{"garbage", "Stream garbage not found."},
		{testStreamARN + "/consumer/c:1", "Consumer " + testStreamARN + "/consumer/c:1 not found."},
	} {
		_, err := r.ResolveResource(c.arn, t0)
		wantErr(t, err, apierr.ResourceNotFound, c.msg)
	}
}

func TestResourceTagsAndPolicies(t *testing.T) {
	r := newTestRegistry(testConfig())
	s := mustCreate(t, r, "s", 1, t0)
	c, err := r.RegisterConsumer(s, "c", nil, t0)
	mustOK(t, err)
	sres, err := r.ResolveResource(testStreamARN, t0)
	mustOK(t, err)
	cres, err := r.ResolveResource(c.ARN(r.Config(), s), t0)
	mustOK(t, err)

	mustOK(t, r.AddResourceTags(sres, map[string]string{"a": "1", "b": "2"}))
	mustOK(t, r.AddResourceTags(cres, map[string]string{"x": "9"}))
	if !maps.Equal(s.Tags, map[string]string{"a": "1", "b": "2"}) || !maps.Equal(sres.Tags(), s.Tags) {
		t.Fatalf("stream tags %v", s.Tags)
	}
	if !maps.Equal(c.Tags, map[string]string{"x": "9"}) || !maps.Equal(cres.Tags(), c.Tags) {
		t.Fatalf("consumer tags %v", c.Tags)
	}
	r.RemoveResourceTags(sres, []string{"a", "absent"})
	r.RemoveResourceTags(cres, []string{"x"})
	if !maps.Equal(s.Tags, map[string]string{"b": "2"}) || len(c.Tags) != 0 {
		t.Fatalf("after remove: stream %v consumer %v", s.Tags, c.Tags)
	}
	wantKind(t, r.AddResourceTags(cres, map[string]string{"bad": "#"}), apierr.InvalidArgument)

	full := map[string]string{}
	for i := range MaxTags {
		full[fmt.Sprint("k", i)] = "v"
	}
	mustOK(t, r.AddResourceTags(cres, full))
	err = r.AddResourceTags(cres, map[string]string{"one-more": "v"})
	wantErr(t, err, apierr.InvalidArgument,
		"Failed to add tags to stream s under account 123456789012 because a given stream cannot have more than 50 tags associated with it.")
	if len(c.Tags) != MaxTags {
		t.Fatalf("%d consumer tags after rejected add", len(c.Tags))
	}

	if sres.Policy() != "" || cres.Policy() != "" {
		t.Fatal("policies not empty initially")
	}
	sres.SetPolicy(`{"Version":"2012-10-17","Statement":[]}`)
	cres.SetPolicy(`{"consumer":true}`)
	if s.Policy != `{"Version":"2012-10-17","Statement":[]}` || c.Policy != `{"consumer":true}` {
		t.Fatalf("stream policy %q consumer policy %q", s.Policy, c.Policy)
	}
	// A fresh resolution sees the same documents.
	again, _ := r.ResolveResource(c.ARN(r.Config(), s), t0)
	if again.Policy() != `{"consumer":true}` {
		t.Fatalf("policy via new resolution %q", again.Policy())
	}
	sres.SetPolicy("")
	if s.Policy != "" || c.Policy == "" {
		t.Fatal("deleting the stream policy touched the wrong resource")
	}
}

func FuzzResolveResource(f *testing.F) {
	r := newTestRegistry(testConfig())
	s, err := r.Create(CreateParams{Name: "s", ShardCount: 1}, t0)
	if err != nil {
		f.Fatal(err)
	}
	c, err := r.RegisterConsumer(s, "c", nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{testStreamARN, c.ARN(r.Config(), s), testStreamARN + "/consumer/c:", "garbage", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		res, err := r.ResolveResource(arn, t0)
		if err != nil {
			if apierr.KindOf(err) != apierr.ResourceNotFound || res.Stream != nil || res.Consumer != nil {
				t.Fatalf("ResolveResource(%q) = %+v, %v", arn, res, err)
			}
			return
		}
		if res.Stream != s {
			t.Fatalf("ResolveResource(%q) found %v", arn, res.Stream)
		}
		if res.Consumer != nil && res.Consumer != c {
			t.Fatalf("ResolveResource(%q) found consumer %v", arn, res.Consumer)
		}
	})
}
