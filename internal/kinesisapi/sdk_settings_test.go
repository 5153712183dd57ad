package kinesisapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/stream"
	"github.com/runnel-dev/runnel/internal/testserver"
)

func TestSDKStreamTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("tg", 1)
	list := func(in *kinesis.ListTagsForStreamInput) (string, bool) {
		t.Helper()
		in.StreamName = aws.String("tg")
		out, err := e.c.ListTagsForStream(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return tagList(out.Tags), aws.ToBool(out.HasMoreTags)
	}
	_, err := e.c.AddTagsToStream(e.ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("tg"), Tags: map[string]string{"b": "2", "a": "1", "c": ""}})
	if err != nil {
		t.Fatal(err)
	}
	if got, more := list(&kinesis.ListTagsForStreamInput{}); got != "a=1,b=2,c=" || more {
		t.Fatalf("tags %s more %v", got, more)
	}
	if got, more := list(&kinesis.ListTagsForStreamInput{Limit: aws.Int32(2)}); got != "a=1,b=2" || !more {
		t.Fatalf("limit 2: %s more %v", got, more)
	}
	if got, more := list(&kinesis.ListTagsForStreamInput{ExclusiveStartTagKey: aws.String("a")}); got != "b=2,c=" || more {
		t.Fatalf("after a: %s more %v", got, more)
	}
	// Overwrite one, remove one and an absent key.
	if _, err := e.c.AddTagsToStream(e.ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("tg"), Tags: map[string]string{"a": "one"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.RemoveTagsFromStream(e.ctx, &kinesis.RemoveTagsFromStreamInput{StreamName: aws.String("tg"), TagKeys: []string{"b", "zz"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := list(&kinesis.ListTagsForStreamInput{}); got != "a=one,c=" {
		t.Fatalf("after overwrite and remove: %s", got)
	}

	// The resource-ARN API sees the same tags.
	res := aws.String(streamARN("tg"))
	if _, err := e.c.TagResource(e.ctx, &kinesis.TagResourceInput{ResourceARN: res, Tags: map[string]string{"d": "4"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.UntagResource(e.ctx, &kinesis.UntagResourceInput{ResourceARN: res, TagKeys: []string{"c"}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.c.ListTagsForResource(e.ctx, &kinesis.ListTagsForResourceInput{ResourceARN: res})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagList(out.Tags); got != "a=one,d=4" {
		t.Fatalf("ListTagsForResource %s", got)
	}
	if got, _ := list(&kinesis.ListTagsForStreamInput{}); got != "a=one,d=4" {
		t.Fatalf("ListTagsForStream after TagResource: %s", got)
	}

	// At most 50 tags; overwriting at the limit is fine.
	many := map[string]string{}
	for i := range 48 {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	if _, err := e.c.AddTagsToStream(e.ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("tg"), Tags: many}); err != nil {
		t.Fatalf("up to 50 tags: %v", err)
	}
	if _, err := e.c.TagResource(e.ctx, &kinesis.TagResourceInput{ResourceARN: res, Tags: map[string]string{"a": "again"}}); err != nil {
		t.Fatalf("overwrite at 50 tags: %v", err)
	}
	tooMany := "Failed to add tags to stream tg under account 123456789012 because a given stream cannot have more than 50 tags associated with it."
	_, err = e.c.AddTagsToStream(e.ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("tg"), Tags: map[string]string{"new": "x"}})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", tooMany)
	_, err = e.c.TagResource(e.ctx, &kinesis.TagResourceInput{ResourceARN: res, Tags: map[string]string{"new": "x"}})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", tooMany)
	_, err = e.c.AddTagsToStream(e.ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("tg"), Tags: map[string]string{"a": "semi;colon"}})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException",
		"Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :.")
	if got, _ := list(&kinesis.ListTagsForStreamInput{Limit: aws.Int32(1)}); got != "a=again" {
		t.Fatalf("a rejected change altered tags: %s", got)
	}

	_, err = e.c.ListTagsForResource(e.ctx, &kinesis.ListTagsForResourceInput{ResourceARN: aws.String(streamARN("nope"))})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("nope"))
	_, err = e.c.AddTagsToStream(e.ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("nope"), Tags: map[string]string{"a": "b"}})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("nope"))
}

func TestSDKConsumerTagsAndPolicies(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("pol", 1)
	c := e.register("pol", "reader", nil)
	for _, res := range []string{streamARN("pol"), aws.ToString(c.ConsumerARN)} {
		get := func() string {
			t.Helper()
			out, err := e.c.GetResourcePolicy(e.ctx, &kinesis.GetResourcePolicyInput{ResourceARN: aws.String(res)})
			if err != nil {
				t.Fatal(err)
			}
			return aws.ToString(out.Policy)
		}
		if got := get(); got != "{}" {
			t.Fatalf("%s: policy %q before any, want {}", res, got)
		}
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kinesis:GetRecords","Resource":"` + res + `"}]}`
		if _, err := e.c.PutResourcePolicy(e.ctx, &kinesis.PutResourcePolicyInput{ResourceARN: aws.String(res), Policy: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
		if got := get(); got != policy {
			t.Fatalf("%s: policy %q", res, got)
		}
		if _, err := e.c.DeleteResourcePolicy(e.ctx, &kinesis.DeleteResourcePolicyInput{ResourceARN: aws.String(res)}); err != nil {
			t.Fatal(err)
		}
		if got := get(); got != "{}" {
			t.Fatalf("%s: policy %q after delete, want {}", res, got)
		}

		if _, err := e.c.TagResource(e.ctx, &kinesis.TagResourceInput{ResourceARN: aws.String(res), Tags: map[string]string{"x": "1", "y": "2"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.UntagResource(e.ctx, &kinesis.UntagResourceInput{ResourceARN: aws.String(res), TagKeys: []string{"x"}}); err != nil {
			t.Fatal(err)
		}
		out, err := e.c.ListTagsForResource(e.ctx, &kinesis.ListTagsForResourceInput{ResourceARN: aws.String(res)})
		if err != nil {
			t.Fatal(err)
		}
		if got := tagList(out.Tags); got != "y=2" {
			t.Fatalf("%s: tags %s", res, got)
		}
	}
	// Consumer and stream tags are separate.
	tags, err := e.c.ListTagsForStream(e.ctx, &kinesis.ListTagsForStreamInput{StreamName: aws.String("pol")})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagList(tags.Tags); got != "y=2" {
		t.Fatalf("stream tags %s", got)
	}
	gone := consumerARN("pol", "ghost", epoch)
	_, err = e.c.GetResourcePolicy(e.ctx, &kinesis.GetResourcePolicyInput{ResourceARN: aws.String(gone)})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", "Consumer "+gone+" not found.")
	_, err = e.c.PutResourcePolicy(e.ctx, &kinesis.PutResourcePolicyInput{ResourceARN: aws.String(streamARN("nope")), Policy: aws.String("{}")})
	wantErr[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException", notFound("nope"))
}

func TestSDKAccountSettingsAndWarmThroughput(t *testing.T) {
	t.Parallel()
	e := newClockEnv(t, testserver.Options{})
	e.create("prov", 1)
	_, err := e.c.CreateStream(e.ctx, &kinesis.CreateStreamInput{StreamName: aws.String("od"), StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}})
	if err != nil {
		t.Fatal(err)
	}
	warm := func(name string, mibps int32) (*kinesis.UpdateStreamWarmThroughputOutput, error) {
		return e.c.UpdateStreamWarmThroughput(e.ctx, &kinesis.UpdateStreamWarmThroughputInput{StreamName: aws.String(name), WarmThroughputMiBps: aws.Int32(mibps)})
	}
	_, err = warm("prov", 100)
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException",
		"Warm throughput can only be set on streams in ON_DEMAND mode. Stream prov under account 123456789012 is in PROVISIONED mode.")
	_, err = warm("od", 100)
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException",
		"Warm throughput requires the account's MinimumThroughputBillingCommitment to be ENABLED.")

	settings, err := e.c.DescribeAccountSettings(e.ctx, &kinesis.DescribeAccountSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if m := settings.MinimumThroughputBillingCommitment; m == nil || m.Status != types.MinimumThroughputBillingCommitmentOutputStatusDisabled ||
		m.StartedAt != nil || m.EndedAt != nil || m.EarliestAllowedEndAt != nil {
		t.Fatalf("initial settings %+v", m)
	}
	update := func(status types.MinimumThroughputBillingCommitmentInputStatus) (*types.MinimumThroughputBillingCommitmentOutput, error) {
		out, err := e.c.UpdateAccountSettings(e.ctx, &kinesis.UpdateAccountSettingsInput{
			MinimumThroughputBillingCommitment: &types.MinimumThroughputBillingCommitmentInput{Status: status},
		})
		if err != nil {
			return nil, err
		}
		return out.MinimumThroughputBillingCommitment, nil
	}
	started := e.clock.Now()
	earliest := started.Add(365 * 24 * time.Hour)
	m, err := update(types.MinimumThroughputBillingCommitmentInputStatusEnabled)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != types.MinimumThroughputBillingCommitmentOutputStatusEnabled || !aws.ToTime(m.StartedAt).Equal(started) ||
		!aws.ToTime(m.EarliestAllowedEndAt).Equal(earliest) || m.EndedAt != nil {
		t.Fatalf("enabled %+v", m)
	}

	out, err := warm("od", 100)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.StreamName) != "od" || aws.ToString(out.StreamARN) != streamARN("od") ||
		aws.ToInt32(out.WarmThroughput.TargetMiBps) != 100 || aws.ToInt32(out.WarmThroughput.CurrentMiBps) != 0 {
		t.Fatalf("UpdateStreamWarmThroughput %+v %+v", out, out.WarmThroughput)
	}
	if w := e.summary("od").WarmThroughput; aws.ToInt32(w.TargetMiBps) != 100 || aws.ToInt32(w.CurrentMiBps) != 100 {
		t.Fatalf("summary WarmThroughput %+v", w)
	}

	e.advance(24 * time.Hour)
	_, err = update(types.MinimumThroughputBillingCommitmentInputStatusDisabled)
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException",
		"MinimumThroughputBillingCommitment cannot be disabled before "+amzTime(earliest)+".")
	e.advance(364 * 24 * time.Hour)
	m, err = update(types.MinimumThroughputBillingCommitmentInputStatusDisabled)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != types.MinimumThroughputBillingCommitmentOutputStatusDisabled || !aws.ToTime(m.StartedAt).Equal(started) ||
		!aws.ToTime(m.EndedAt).Equal(e.clock.Now()) {
		t.Fatalf("disabled %+v", m)
	}
}

func TestSDKEnhancedMonitoring(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("mon", 1)
	all := []string{"IncomingBytes", "IncomingRecords", "IteratorAgeMilliseconds", "OutgoingBytes",
		"OutgoingRecords", "ReadProvisionedThroughputExceeded", "WriteProvisionedThroughputExceeded"}
	on, err := e.c.EnableEnhancedMonitoring(e.ctx, &kinesis.EnableEnhancedMonitoringInput{StreamName: aws.String("mon"), ShardLevelMetrics: []types.MetricsName{types.MetricsNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(on.StreamName) != "mon" || aws.ToString(on.StreamARN) != streamARN("mon") ||
		len(on.CurrentShardLevelMetrics) != 0 || !equalStrings(metricNames(on.DesiredShardLevelMetrics), all) {
		t.Fatalf("enable ALL: current %v desired %v", on.CurrentShardLevelMetrics, on.DesiredShardLevelMetrics)
	}
	if got := metricNames(e.describe("mon").EnhancedMonitoring[0].ShardLevelMetrics); !equalStrings(got, all) {
		t.Fatalf("DescribeStream metrics %v", got)
	}
	off, err := e.c.DisableEnhancedMonitoring(e.ctx, &kinesis.DisableEnhancedMonitoringInput{
		StreamARN: aws.String(streamARN("mon")), ShardLevelMetrics: []types.MetricsName{types.MetricsNameIncomingBytes, types.MetricsNameOutgoingRecords},
	})
	if err != nil {
		t.Fatal(err)
	}
	rest := []string{"IncomingRecords", "IteratorAgeMilliseconds", "OutgoingBytes", "ReadProvisionedThroughputExceeded", "WriteProvisionedThroughputExceeded"}
	if !equalStrings(metricNames(off.CurrentShardLevelMetrics), all) || !equalStrings(metricNames(off.DesiredShardLevelMetrics), rest) {
		t.Fatalf("disable two: current %v desired %v", off.CurrentShardLevelMetrics, off.DesiredShardLevelMetrics)
	}
	if got := metricNames(e.summary("mon").EnhancedMonitoring[0].ShardLevelMetrics); !equalStrings(got, rest) {
		t.Fatalf("summary metrics %v", got)
	}
	off, err = e.c.DisableEnhancedMonitoring(e.ctx, &kinesis.DisableEnhancedMonitoringInput{StreamName: aws.String("mon"), ShardLevelMetrics: []types.MetricsName{types.MetricsNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if len(off.DesiredShardLevelMetrics) != 0 || off.DesiredShardLevelMetrics == nil {
		t.Fatalf("disable ALL: desired %v, want an empty list", off.DesiredShardLevelMetrics)
	}
	_, err = e.c.EnableEnhancedMonitoring(e.ctx, &kinesis.EnableEnhancedMonitoringInput{StreamName: aws.String("mon"), ShardLevelMetrics: []types.MetricsName{"Bogus"}})
	wantErr[*types.ValidationException](t, err, "ValidationException",
		"1 validation error detected: Value '[Bogus]' at 'shardLevelMetrics' failed to satisfy constraint: Member must satisfy constraint: "+
			"[Member must satisfy enum value set: [ALL, WriteProvisionedThroughputExceeded, IteratorAgeMilliseconds, IncomingBytes, "+
			"OutgoingRecords, ReadProvisionedThroughputExceeded, IncomingRecords, OutgoingBytes]]")
}

func metricNames(ms []types.MetricsName) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
}

func TestSDKEncryption(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	e.create("enc", 1)
	const key = "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012"
	e.put("enc", "k", []byte("plain before"))
	if _, err := e.c.StartStreamEncryption(e.ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("enc"), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	d, s := e.describe("enc"), e.summary("enc")
	if d.EncryptionType != types.EncryptionTypeKms || aws.ToString(d.KeyId) != key || s.EncryptionType != types.EncryptionTypeKms || aws.ToString(s.KeyId) != key {
		t.Fatalf("after start: describe %s/%v summary %s/%v", d.EncryptionType, aws.ToString(d.KeyId), s.EncryptionType, aws.ToString(s.KeyId))
	}
	if out := e.put("enc", "k", []byte("encrypted 1")); out.EncryptionType != types.EncryptionTypeKms {
		t.Fatalf("PutRecord EncryptionType %q while encryption is on", out.EncryptionType)
	}
	batch, err := e.c.PutRecords(e.ctx, &kinesis.PutRecordsInput{StreamName: aws.String("enc"), Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("k"), Data: []byte("encrypted 2")}}})
	if err != nil {
		t.Fatal(err)
	}
	if batch.EncryptionType != types.EncryptionTypeKms {
		t.Fatalf("PutRecords EncryptionType %q while encryption is on", batch.EncryptionType)
	}

	_, err = e.c.StopStreamEncryption(e.ctx, &kinesis.StopStreamEncryptionInput{StreamName: aws.String("enc"), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/other")})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException",
		"Stream enc under account 123456789012 is encrypted with key "+key+", not alias/other.")
	_, err = e.c.StopStreamEncryption(e.ctx, &kinesis.StopStreamEncryptionInput{StreamName: aws.String("enc"), EncryptionType: types.EncryptionTypeNone, KeyId: aws.String(key)})
	wantErr[*types.InvalidArgumentException](t, err, "InvalidArgumentException", "Encryption type NONE is not supported.")
	if _, err := e.c.StopStreamEncryption(e.ctx, &kinesis.StopStreamEncryptionInput{StreamName: aws.String("enc"), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	d = e.describe("enc")
	if d.EncryptionType != types.EncryptionTypeNone || d.KeyId != nil {
		t.Fatalf("after stop: %s/%v", d.EncryptionType, aws.ToString(d.KeyId))
	}
	if out := e.put("enc", "k", []byte("plain after")); out.EncryptionType != types.EncryptionTypeNone {
		t.Fatalf("PutRecord EncryptionType %q after stop", out.EncryptionType)
	}

	// Each record keeps the encryption it was written with.
	want := map[string]types.EncryptionType{
		"plain before": types.EncryptionTypeNone, "encrypted 1": types.EncryptionTypeKms,
		"encrypted 2": types.EncryptionTypeKms, "plain after": types.EncryptionTypeNone,
	}
	recs := e.readAll("enc", shardID(0))
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for _, r := range recs {
		if r.EncryptionType != want[string(r.Data)] {
			t.Fatalf("record %q: EncryptionType %q, want %q", r.Data, r.EncryptionType, want[string(r.Data)])
		}
	}
}

func TestSDKUpdateStreamMode(t *testing.T) {
	t.Parallel()
	const delay = 10 * time.Second
	e := newClockEnv(t, testserver.Options{Stream: stream.Config{UpdateDelay: delay, OnDemandStreamLimit: 1}})
	e.create("mode", 3)
	e.create("other", 1)
	set := func(name string, mode types.StreamMode) error {
		_, err := e.c.UpdateStreamMode(e.ctx, &kinesis.UpdateStreamModeInput{StreamARN: aws.String(streamARN(name)), StreamModeDetails: &types.StreamModeDetails{StreamMode: mode}})
		return err
	}
	if err := set("mode", types.StreamModeOnDemand); err != nil {
		t.Fatal(err)
	}
	s := e.summary("mode")
	if s.StreamModeDetails.StreamMode != types.StreamModeOnDemand || s.StreamStatus != types.StreamStatusUpdating || aws.ToInt32(s.OpenShardCount) != 3 {
		t.Fatalf("after switching: mode %s status %s open %d", s.StreamModeDetails.StreamMode, s.StreamStatus, aws.ToInt32(s.OpenShardCount))
	}
	wantErr[*types.ResourceInUseException](t, set("mode", types.StreamModeProvisioned), "ResourceInUseException",
		"Stream mode under account 123456789012 not ACTIVE, instead in state UPDATING")
	e.put("mode", "k", []byte("during the switch"))
	e.advance(delay)
	wantErr[*types.InvalidArgumentException](t, set("mode", types.StreamModeOnDemand), "InvalidArgumentException",
		"Stream mode under account 123456789012 is already in ON_DEMAND mode.")
	wantErr[*types.LimitExceededException](t, set("other", types.StreamModeOnDemand), "LimitExceededException",
		"This request would exceed the on-demand stream count limit for the account 123456789012 in us-east-1. Limit: 1.")
	lim, err := e.c.DescribeLimits(e.ctx, &kinesis.DescribeLimitsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(lim.OnDemandStreamCount) != 1 || aws.ToInt32(lim.OnDemandStreamCountLimit) != 1 {
		t.Fatalf("DescribeLimits %+v", lim)
	}
	if err := set("mode", types.StreamModeProvisioned); err != nil {
		t.Fatal(err)
	}
	e.advance(delay)
	if got := e.summary("mode").StreamModeDetails.StreamMode; got != types.StreamModeProvisioned {
		t.Fatalf("mode %s after switching back", got)
	}
}
