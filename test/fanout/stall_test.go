package fanout

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awses "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/logstore"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// The stalled-reader load: stallBatches PutRecords calls (200 MiB in all
// without the race detector) of stallBatch records of stallRecordBytes.
const (
	stallRecordBytes = 256 << 10
	stallBatch       = 16 // 4 MiB per PutRecords, under its 5 MiB limit
	stallRecords     = stallBatch * stallBatches

	// maxHeapGrowth bounds how much the process's heap may grow while
	// 200 MiB pass through the server past two readers that read nothing.
	maxHeapGrowth = 64 << 20
	// maxPutLatency bounds one 4 MiB PutRecords; a put that waited for
	// a stalled reader would wait forever.
	maxPutLatency = 5 * time.Second * slowdown
	// maxDeliveryLag bounds how long after the last put the reading
	// consumer has everything.
	maxDeliveryLag = 5 * time.Second * slowdown
)

// TestStalledReader subscribes two readers that stop reading right after
// the initial-response, one over HTTP/1.1 and one over h2c, then writes
// 200 MiB into the shard. The server must not buffer for them: the heap
// (server and clients, all in this process) grows by less than 64 MiB. A
// third consumer on the same shard must receive every record, in order
// and intact, while the puts go on, and no put may wait on the stalled
// readers. Finally the stalled readers read again and must get the
// records from the first, in order: flow control held them back without
// losing anything.
//
// The test is not parallel: it measures the heap and the put rate, which
// the other tests would disturb.
func TestStalledReader(t *testing.T) {
	dir := t.TempDir()
	fx := newFixture(t, testserver.Options{Engine: func() (storage.Engine, error) {
		// On disk, so that the heap holds no records; SyncNever as the
		// test is about memory, not durability.
		return logstore.Open(dir, logstore.Options{Sync: logstore.SyncPolicy{Mode: logstore.SyncNever}})
	}})
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	h1Transport, h2cTransport := &http.Transport{}, &http.Transport{Protocols: &h2c}
	t.Cleanup(h1Transport.CloseIdleConnections)
	t.Cleanup(h2cTransport.CloseIdleConnections)
	stalled := []*rawSubscription{
		rawSubscribe(t, fx, h1Transport, fx.register(t, "stalled-http1"), "HTTP/1.1"),
		rawSubscribe(t, fx, h2cTransport, fx.register(t, "stalled-h2c"), "HTTP/2.0"),
	}
	reader := startReader(t, fx)

	before := heapInuse()
	putStart := time.Now()
	var slowest time.Duration
	for b := range stallBatches {
		start := time.Now()
		putStallBatch(t, fx, b)
		slowest = max(slowest, time.Since(start))
	}
	putTime := time.Since(putStart)
	if slowest > maxPutLatency {
		t.Errorf("slowest 4 MiB PutRecords took %v, want under %v", slowest, maxPutLatency)
	}
	lag := reader.wait(t, maxDeliveryLag)
	after := heapInuse()
	mib := float64(stallRecords*stallRecordBytes) / (1 << 20)
	t.Logf("put %.0f MiB in %v (%.0f MiB/s, slowest batch %v); reader had all %v after the last put; heap in use %d MiB before, %d MiB after",
		mib, putTime.Round(time.Millisecond), mib/putTime.Seconds(), slowest.Round(time.Millisecond), lag.Round(time.Millisecond), before>>20, after>>20)
	if after > before+maxHeapGrowth {
		t.Errorf("heap in use grew from %d MiB to %d MiB while readers stalled, want under %d MiB growth", before>>20, after>>20, maxHeapGrowth>>20)
	}

	for _, s := range stalled {
		s.resume(t, stallRecords/4)
	}
}

// heapInuse returns the heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// stallPattern holds every byte value in order, long enough to cut any
// record's body from it.
var stallPattern = func() []byte {
	b := make([]byte, stallRecordBytes+256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// stallRecord returns record i of the load: its number, then a run of
// byte values that starts at one depending on it.
func stallRecord(i int) []byte {
	b := make([]byte, 8, stallRecordBytes)
	binary.BigEndian.PutUint64(b, uint64(i))
	return append(b, stallBody(i)...)
}

func stallBody(i int) []byte {
	off := i * 7 % 256
	return stallPattern[off : off+stallRecordBytes-8]
}

// isStallRecord reports whether data is record i of the load.
func isStallRecord(data []byte, i int) bool {
	return len(data) == stallRecordBytes && binary.BigEndian.Uint64(data) == uint64(i) && bytes.Equal(data[8:], stallBody(i))
}

func putStallBatch(t *testing.T, fx *fixture, batch int) {
	t.Helper()
	entries := make([]types.PutRecordsRequestEntry, stallBatch)
	for i := range entries {
		n := batch*stallBatch + i
		entries[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint(n)), Data: stallRecord(n)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*maxPutLatency)
	defer cancel()
	out, err := fx.admin.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &fx.stream, Records: entries})
	if err != nil {
		t.Fatalf("PutRecords batch %d: %v", batch, err)
	}
	if n := aws.ToInt32(out.FailedRecordCount); n != 0 {
		t.Fatalf("PutRecords batch %d: %d records failed", batch, n)
	}
}

// reader is a consumer that reads the shard with aws-sdk-go-v2 and checks
// every record as it arrives.
type reader struct {
	done chan struct{}
	mu   sync.Mutex
	err  error     // guarded by mu
	last time.Time // when the last record arrived; guarded by mu
}

func startReader(t *testing.T, fx *fixture) *reader {
	t.Helper()
	consumer := fx.register(t, "reader")
	ctx, cancel := context.WithCancel(context.Background())
	out, err := fx.admin.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{
		ConsumerARN: &consumer, ShardId: aws.String(parentShard),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon},
	})
	if err != nil {
		cancel()
		t.Fatalf("SubscribeToShard: %v", err)
	}
	es := out.GetStream()
	r := &reader{done: make(chan struct{})}
	go r.run(es)
	t.Cleanup(func() {
		cancel()
		es.Close()
		<-r.done
	})
	return r
}

func (r *reader) run(es *kinesis.SubscribeToShardEventStream) {
	defer close(r.done)
	next := 0
	for ev := range es.Events() {
		e, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		if !ok {
			r.fail(fmt.Errorf("unexpected event %T", ev))
			return
		}
		for _, rec := range e.Value.Records {
			if !isStallRecord(rec.Data, next) {
				r.fail(fmt.Errorf("record %d: got %d bytes starting %x, want record %d", next, len(rec.Data), rec.Data[:min(8, len(rec.Data))], next))
				return
			}
			next++
		}
		if next == stallRecords {
			r.mu.Lock()
			r.last = time.Now()
			r.mu.Unlock()
			return
		}
	}
	r.fail(fmt.Errorf("stream ended after %d of %d records: %v", next, stallRecords, es.Err()))
}

func (r *reader) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

// wait waits up to timeout for the reader to have every record and
// returns how long after now it got the last one.
func (r *reader) wait(t *testing.T, timeout time.Duration) time.Duration {
	t.Helper()
	now := time.Now()
	select {
	case <-r.done:
	case <-time.After(timeout):
		t.Fatalf("reader has not read the shard %v after the last put", timeout)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return max(0, r.last.Sub(now))
}

// rawSubscription is a SubscribeToShard made with a plain HTTP client,
// whose body the test reads only when it says so.
type rawSubscription struct {
	name string
	body *bufio.Reader
	dec  *awses.Decoder
}

// rawSubscribe subscribes from TRIM_HORIZON with a signed request over rt,
// checks the response and reads the initial-response event, and nothing
// more.
func rawSubscribe(t *testing.T, fx *fixture, rt http.RoundTripper, consumer, proto string) *rawSubscription {
	t.Helper()
	body := fmt.Sprintf(`{"ConsumerARN":%q,"ShardId":%q,"StartingPosition":{"Type":"TRIM_HORIZON"}}`, consumer, parentShard)
	req, err := http.NewRequest(http.MethodPost, fx.srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.SubscribeToShard")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: "AKIDSTALLED", SecretAccessKey: "stalled-secret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "kinesis", testserver.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("SubscribeToShard over %s: %v", proto, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Proto != proto || resp.Header.Get("Content-Type") != "application/vnd.amazon.eventstream" {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		t.Fatalf("SubscribeToShard: %s over %s, Content-Type %q, want 200 over %s: %s", resp.Status, resp.Proto, resp.Header.Get("Content-Type"), proto, b)
	}
	s := &rawSubscription{name: proto, body: bufio.NewReaderSize(resp.Body, 64<<10), dec: awses.NewDecoder()}
	if m := s.message(t); eventType(m) != "initial-response" {
		t.Fatalf("%s: first message %v, want the initial-response event", proto, m.Headers)
	}
	return s
}

func (s *rawSubscription) message(t *testing.T) awses.Message {
	t.Helper()
	m, err := s.dec.Decode(s.body, nil)
	if err != nil {
		t.Fatalf("%s: decode event: %v", s.name, err)
	}
	return m
}

// resume reads the stalled stream again until n records arrived, checking
// that they are the load's first n, in order.
func (s *rawSubscription) resume(t *testing.T, n int) {
	t.Helper()
	next := 0
	for next < n {
		m := s.message(t)
		if typ := eventType(m); typ != "SubscribeToShardEvent" {
			t.Fatalf("%s: %s message after the stall, want SubscribeToShardEvent: %s", s.name, typ, m.Payload)
		}
		var ev struct{ Records []struct{ Data []byte } }
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for _, r := range ev.Records {
			if !isStallRecord(r.Data, next) {
				t.Fatalf("%s: record %d after the stall is not the record put as %d", s.name, next, next)
			}
			next++
		}
	}
}

// eventType returns a message's :event-type header, "" if it has none.
func eventType(m awses.Message) string {
	if v := m.Headers.Get(":event-type"); v != nil {
		return v.String()
	}
	return ""
}
