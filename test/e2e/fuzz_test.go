package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/runnel-dev/runnel/internal/kinesisapi"
	"github.com/runnel-dev/runnel/internal/shape"
	"github.com/runnel-dev/runnel/internal/storage/memstore"
)

// iteratorPlaceholder in a fuzzed JSON body is replaced by a valid shard
// iterator of the fixture (iterators are sealed with a per-service key, so
// no corpus entry can hold one).
const iteratorPlaceholder = "$ITERATOR"

// handlerDeadline bounds one request: the handler must never hang.
const handlerDeadline = 5 * time.Second

// fuzzSeeds are requests for the fixture's streams; every operation also
// gets the generic {"StreamName":"fuzz-a"}.
var fuzzSeeds = map[string][]string{
	"CreateStream":     {`{"StreamName":"fuzz-new","ShardCount":3}`, `{"StreamName":"fuzz-od","StreamModeDetails":{"StreamMode":"ON_DEMAND"}}`},
	"PutRecord":        {`{"StreamName":"fuzz-a","PartitionKey":"k","Data":"AAECAw==","ExplicitHashKey":"7"}`},
	"PutRecords":       {`{"StreamName":"fuzz-b","Records":[{"PartitionKey":"k","Data":"AA=="},{"PartitionKey":"j","Data":""}]}`},
	"GetShardIterator": {`{"StreamName":"fuzz-a","ShardId":"shardId-000000000000","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1767323045.678}`},
	"GetRecords":       {`{"ShardIterator":"` + iteratorPlaceholder + `","Limit":2}`},
	"ListShards":       {`{"StreamName":"fuzz-b","ShardFilter":{"Type":"AFTER_SHARD_ID","ShardId":"shardId-000000000000"},"MaxResults":1}`},
	"SplitShard":       {`{"StreamName":"fuzz-b","ShardToSplit":"shardId-000000000001","NewStartingHashKey":"200000000000000000000000000000000000000"}`},
	"MergeShards":      {`{"StreamName":"fuzz-b","ShardToMerge":"shardId-000000000000","AdjacentShardToMerge":"shardId-000000000001"}`},
	"UpdateShardCount": {`{"StreamName":"fuzz-b","TargetShardCount":4,"ScalingType":"UNIFORM_SCALING"}`},
	"AddTagsToStream":  {`{"StreamName":"fuzz-a","Tags":{"k":"v"}}`},
	"TagResource":      {`{"ResourceARN":"arn:aws:kinesis:us-east-1:123456789012:stream/fuzz-a","Tags":{"k":"v"}}`},
	"RegisterStreamConsumer": {
		`{"StreamARN":"arn:aws:kinesis:us-east-1:123456789012:stream/fuzz-a","ConsumerName":"c"}`},
	"SubscribeToShard": {
		`{"ConsumerARN":"arn:aws:kinesis:us-east-1:123456789012:stream/fuzz-a/consumer/c:1767323045","ShardId":"shardId-000000000000","StartingPosition":{"Type":"LATEST"}}`},
	"PutResourcePolicy": {`{"ResourceARN":"arn:aws:kinesis:us-east-1:123456789012:stream/fuzz-a","Policy":"{}"}`},
}

// FuzzServeHTTP sends arbitrary bodies for every operation, in both codecs
// and with a valid signature, to the API handler of a service holding two
// streams and a few records. Whatever the input, the handler must return
// within handlerDeadline without panicking, never answer 500, and answer
// every failure 400 in the request's codec with a body naming its __type.
// Each input gets a fresh service on a fixed clock, so that failures
// reproduce.
func FuzzServeHTTP(f *testing.F) {
	if len(shape.Operations) != 39 {
		f.Fatalf("%d operations, want the 39 of Kinesis_20131202", len(shape.Operations))
	}
	for i, op := range shape.Operations {
		for _, doc := range append([]string{`{"StreamName":"fuzz-a"}`}, fuzzSeeds[op]...) {
			f.Add(uint8(i), false, []byte(doc))
			if !strings.Contains(doc, iteratorPlaceholder) {
				f.Add(uint8(i), true, encodeAs(f, contentCBOR, doc))
			}
		}
	}
	f.Fuzz(func(t *testing.T, opIndex uint8, useCBOR bool, body []byte) {
		op := shape.Operations[int(opIndex)%len(shape.Operations)]
		contentType := contentJSON
		if useCBOR {
			contentType = contentCBOR
		}
		svc, iterator := newFuzzService(t)
		if !useCBOR {
			body = bytes.ReplaceAll(body, []byte(iteratorPlaceholder), []byte(iterator))
		}
		rec := serve(t, svc, contentType, op, body)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			checkFuzzError(t, rec, contentType, op, body)
		default:
			t.Fatalf("%s (%s) answered %d %q to body %q", op, codecName(contentType), rec.Code, rec.Body.Bytes(), body)
		}
	})
}

// newFuzzService returns a service with streams fuzz-a (1 shard, 3
// records) and fuzz-b (2 shards), and a TRIM_HORIZON iterator of fuzz-a.
func newFuzzService(t *testing.T) (*kinesisapi.Service, string) {
	t.Helper()
	svc, err := kinesisapi.New(context.Background(), kinesisapi.Config{
		Engine: memstore.New(),
		Now:    func() time.Time { return fixedStart },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	for _, setup := range []struct{ op, body string }{
		{"CreateStream", `{"StreamName":"fuzz-a","ShardCount":1}`},
		{"CreateStream", `{"StreamName":"fuzz-b","ShardCount":2}`},
		{"PutRecords", `{"StreamName":"fuzz-a","Records":[{"PartitionKey":"a","Data":"AQ=="},{"PartitionKey":"b","Data":""},{"PartitionKey":"c","Data":"AgM="}]}`},
	} {
		if rec := serve(t, svc, contentJSON, setup.op, []byte(setup.body)); rec.Code != http.StatusOK {
			t.Fatalf("fixture %s: %d %s", setup.op, rec.Code, rec.Body)
		}
	}
	rec := serve(t, svc, contentJSON, "GetShardIterator",
		[]byte(`{"StreamName":"fuzz-a","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}`))
	var out struct{ ShardIterator string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.ShardIterator == "" {
		t.Fatalf("fixture GetShardIterator: %d %s", rec.Code, rec.Body)
	}
	return svc, out.ShardIterator
}

// serve runs one signed request through the handler and fails the test if
// the handler does not return within handlerDeadline.
func serve(t *testing.T, h http.Handler, contentType, op string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), handlerDeadline)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	signed(req)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, req)
	}()
	select {
	case <-done:
	case <-time.After(handlerDeadline + time.Second):
		t.Fatalf("%s (%s) did not return for body %q", op, codecName(contentType), body)
	}
	return rec
}

// checkFuzzError checks a 400 answer: the request's content type, a body
// of its codec holding a non-empty __type, and x-amzn-ErrorType equal to
// it.
func checkFuzzError(t *testing.T, rec *httptest.ResponseRecorder, contentType, op string, body []byte) {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != contentType {
		t.Fatalf("%s: error Content-Type %q for body %q", op, ct, body)
	}
	var m map[string]any
	var err error
	if contentType == contentCBOR {
		err = cbor.Unmarshal(rec.Body.Bytes(), &m)
	} else {
		err = json.Unmarshal(rec.Body.Bytes(), &m)
	}
	typ, _ := m["__type"].(string)
	if err != nil || typ == "" {
		t.Fatalf("%s: error body %q has no __type (%v) for body %q", op, rec.Body.Bytes(), err, body)
	}
	if h := rec.Header().Get("x-amzn-ErrorType"); h != typ {
		t.Fatalf("%s: x-amzn-ErrorType %q, __type %q for body %q", op, h, typ, body)
	}
}
