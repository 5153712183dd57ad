package fanout

import (
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// TestBotocore runs the scenario with botocore's subscribe_to_shard
// (through boto3), which speaks HTTP/1.1 over http:// and https://.
func TestBotocore(t *testing.T) {
	t.Parallel()
	certs := testserver.SelfSignedCert(t)
	for _, tt := range []struct {
		name string
		tls  bool
	}{{"http", false}, {"https", true}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testserver.Options{Heartbeat: scenarioHeartbeat}
			if tt.tls {
				opts.TLSCert, opts.TLSKey = certs.CertFile, certs.KeyFile
			}
			fx := newFixture(t, opts)
			runScenario(t, fx, startBotocore(t, fx.srv.URL, certs.CertFile), "http/1.1")
		})
	}
}

// TestBotocoreHeartbeat checks that an idle subscription gets events with
// no records and a continuation sequence number, about every heartbeat,
// and that a subscription AFTER_SEQUENCE_NUMBER of the last one gets
// exactly the records put after it: neither those put before the first
// subscription started at LATEST nor any twice.
func TestBotocoreHeartbeat(t *testing.T) {
	t.Parallel()
	const heartbeat = 200 * time.Millisecond
	fx := newFixture(t, testserver.Options{Heartbeat: heartbeat})
	client := startBotocore(t, fx.srv.URL, "")
	fx.put(t, "before", 2) // not to be delivered: the subscription starts at LATEST
	s, errText := client.subscribe(t, fx.consumerARN, parentShard, position{Type: types.ShardIteratorTypeLatest})
	if errText != "" {
		t.Fatalf("SubscribeToShard: %s", errText)
	}
	var last string
	for i := range 3 {
		start := time.Now()
		ev := nextEvent(t, s)
		if el := time.Since(start); el > 5*heartbeat {
			t.Errorf("heartbeat %d came after %v, want about %v", i, el, heartbeat)
		}
		if len(ev.Records) != 0 || len(ev.ChildShards) != 0 || ev.ContinuationSequenceNumber == nil {
			t.Fatalf("heartbeat %d: %+v, want no records and a continuation", i, ev)
		}
		if ev.MillisBehindLatest == nil || *ev.MillisBehindLatest != 0 {
			t.Errorf("heartbeat %d: MillisBehindLatest %v, want 0", i, ev.MillisBehindLatest)
		}
		last = *ev.ContinuationSequenceNumber
	}
	s.close(t)

	after := fx.put(t, "after", 2)
	fx.clock.Advance(6 * time.Second)
	resumed, errText := client.subscribe(t, fx.consumerARN, parentShard,
		position{Type: types.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: last})
	if errText != "" {
		t.Fatalf("SubscribeToShard after the heartbeat's continuation: %s", errText)
	}
	expectRecords(t, resumed, after)
}

// startBotocore runs testdata/botocore_subscribe.py against endpoint,
// trusting caFile for https://.
func startBotocore(t *testing.T, endpoint, caFile string) *driver {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 with boto3 is needed to test botocore: %v", err)
	}
	args := []string{"testdata/botocore_subscribe.py", endpoint}
	if caFile != "" {
		args = append(args, caFile)
	}
	return startDriver(t, "botocore_subscribe.py", clientEnv(t), python, args...)
}
