package kinesisapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/runnel-dev/runnel/internal/kinesisapi"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/logstore"
	"github.com/runnel-dev/runnel/internal/storage/memstore"
	"github.com/runnel-dev/runnel/internal/stream"
)

// benchService returns a service over engine with one stream of shards.
func benchService(b *testing.B, engine storage.Engine, shards int) *kinesisapi.Service {
	b.Helper()
	svc, err := kinesisapi.New(context.Background(), kinesisapi.Config{
		Engine: engine,
		Stream: stream.Config{AccountID: "123456789012", Region: "us-east-1"},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	call(b, svc, "CreateStream", fmt.Sprintf(`{"StreamName":"b","ShardCount":%d}`, shards))
	return svc
}

func call(b testing.TB, svc http.Handler, op, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/", bytes.NewBufferString(body))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=c")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	w := httptest.NewRecorder()
	svc.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Errorf("%s: %d %s", op, w.Code, w.Body)
	}
	return w
}

// BenchmarkPutRecords measures the server's work per PutRecords call of
// 500 records of 1 KiB (JSON decode, validation, routing, append, encode),
// from 4 concurrent callers, over the in-memory and the durable engine
// (fsync per group commit). Compare with logstore's BenchmarkRawWriteSync.
func BenchmarkPutRecords(b *testing.B) {
	body := putRecordsBody(500, 1024, "")
	for _, eng := range benchEngines {
		b.Run(eng.name, func(b *testing.B) {
			svc := benchService(b, eng.open(b), 4)
			b.SetBytes(500 * 1024)
			b.SetParallelism(2) // 4 callers on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					call(b, svc, "PutRecords", body)
				}
			})
		})
	}
}

// benchEngines are the engines the benchmarks run over: the in-memory one
// and the durable one with its default options.
var benchEngines = []struct {
	name string
	open func(b *testing.B) storage.Engine
}{
	{"memstore", func(*testing.B) storage.Engine { return memstore.New() }},
	{"logstore", func(b *testing.B) storage.Engine {
		e, err := logstore.Open(b.TempDir(), logstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { e.Close() })
		return e
	}},
}

// putRecordsBody returns a PutRecords request of n records of size bytes;
// record i has partition key "pk<i>" and data of bytes i%256. A non-empty
// hashKey routes every record to the shard holding it.
func putRecordsBody(n, size int, hashKey string) string {
	type entry struct {
		Data            []byte
		PartitionKey    string
		ExplicitHashKey string `json:",omitempty"`
	}
	var in struct {
		StreamName string
		Records    []entry
	}
	in.StreamName = "b"
	for i := 0; i < n; i++ {
		in.Records = append(in.Records, entry{Data: bytes.Repeat([]byte{byte(i)}, size), PartitionKey: fmt.Sprint("pk", i), ExplicitHashKey: hashKey})
	}
	body, _ := json.Marshal(in)
	return string(body)
}

// Shape of the GetRecords benchmark: each shard holds getShardRecords
// records of getRecordSize bytes, read getLimit at a time, so that every
// call returns the same payload.
const (
	getShards       = 4
	getShardRecords = 20000
	getLimit        = 10000
	getRecordSize   = 1024
	getPutBatch     = 500
)

// BenchmarkGetRecords measures the server's work per GetRecords call of
// 10,000 records of 1 KiB (about 10 MiB: iterator, engine read, response
// encoding) from 4 concurrent callers, one per shard, over the in-memory
// and the durable engine. Each caller reads its shard from TRIM_HORIZON to
// the end, following NextShardIterator, then starts again with a fresh
// iterator. Only the iterator is taken out of the responses: the client's
// decoding is not the server's cost.
func BenchmarkGetRecords(b *testing.B) {
	for _, eng := range benchEngines {
		b.Run(eng.name, func(b *testing.B) {
			svc := benchService(b, eng.open(b), getShards)
			fillShards(b, svc)
			checkGetRecords(b, svc)
			b.SetBytes(getLimit * getRecordSize)
			b.ResetTimer()
			var calls atomic.Int64
			var wg sync.WaitGroup
			for shard := range getShards {
				wg.Go(func() {
					var it string
					for i := 0; calls.Add(1) <= int64(b.N); i++ {
						if i%(getShardRecords/getLimit) == 0 {
							it = trimHorizon(b, svc, shard)
						}
						it = getRecords(b, svc, it)
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)*getLimit/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// fillShards writes getShardRecords records to each shard of stream "b",
// routed by explicit hash key.
func fillShards(b *testing.B, svc http.Handler) {
	b.Helper()
	var out struct {
		Shards []struct {
			HashKeyRange struct{ StartingHashKey string }
		}
	}
	if err := json.Unmarshal(call(b, svc, "ListShards", `{"StreamName":"b"}`).Body.Bytes(), &out); err != nil {
		b.Fatal(err)
	}
	if len(out.Shards) != getShards {
		b.Fatalf("ListShards: %d shards, want %d", len(out.Shards), getShards)
	}
	for _, sh := range out.Shards {
		body := putRecordsBody(getPutBatch, getRecordSize, sh.HashKeyRange.StartingHashKey)
		for range getShardRecords / getPutBatch {
			if w := call(b, svc, "PutRecords", body); !strings.Contains(w.Body.String(), `"FailedRecordCount":0`) {
				b.Fatalf("PutRecords: %s", w.Body.String()[:min(w.Body.Len(), 200)])
			}
		}
	}
}

// checkGetRecords checks, once, that a full GetRecords response decodes to
// the records fillShards wrote.
func checkGetRecords(b *testing.B, svc http.Handler) {
	b.Helper()
	var out struct {
		Records []struct {
			Data         []byte
			PartitionKey string
		}
		NextShardIterator string
	}
	w := call(b, svc, "GetRecords", getRecordsBody(trimHorizon(b, svc, getShards-1)))
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		b.Fatal(err)
	}
	if len(out.Records) != getLimit {
		b.Fatalf("GetRecords returned %d records, want %d", len(out.Records), getLimit)
	}
	for i, r := range out.Records {
		j := i % getPutBatch
		if r.PartitionKey != fmt.Sprint("pk", j) || !bytes.Equal(r.Data, bytes.Repeat([]byte{byte(j)}, getRecordSize)) {
			b.Fatalf("record %d: partition key %q, %d bytes of data, want pk%d and %d bytes of %d",
				i, r.PartitionKey, len(r.Data), j, getRecordSize, byte(j))
		}
	}
	if it := nextIterator(w.Body.Bytes()); it != out.NextShardIterator || it == "" {
		b.Fatalf("nextIterator = %q, want %q", it, out.NextShardIterator)
	}
}

// getRecords calls GetRecords with iterator it and returns the next
// iterator. The response is not kept: a connection would take it away.
func getRecords(b *testing.B, svc http.Handler, it string) string {
	req := httptest.NewRequest("POST", "/", strings.NewReader(getRecordsBody(it)))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.GetRecords")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=c")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	w := tailWriter{header: make(http.Header)}
	svc.ServeHTTP(&w, req)
	if w.code != http.StatusOK {
		b.Errorf("GetRecords: %d ...%s", w.code, w.tail)
	}
	return nextIterator(w.tail)
}

// tailWriter is an http.ResponseWriter that keeps only the status and the
// last bytes of the body, enough to find NextShardIterator. Recording the
// whole body (httptest.ResponseRecorder) would add a growing copy of
// every 14 MB response to the measured time.
type tailWriter struct {
	header http.Header
	code   int
	tail   []byte
}

const tailSize = 4096

func (w *tailWriter) Header() http.Header { return w.header }

func (w *tailWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.tail = append(w.tail, p[max(0, len(p)-tailSize):]...)
	if extra := len(w.tail) - tailSize; extra > 0 {
		w.tail = w.tail[:copy(w.tail, w.tail[extra:])]
	}
	return len(p), nil
}

// trimHorizon returns a TRIM_HORIZON iterator of shard i of stream "b".
func trimHorizon(b testing.TB, svc http.Handler, i int) string {
	w := call(b, svc, "GetShardIterator", fmt.Sprintf(`{"StreamName":"b","ShardId":"shardId-%012d","ShardIteratorType":"TRIM_HORIZON"}`, i))
	var out struct{ ShardIterator string }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		b.Error(err)
	}
	return out.ShardIterator
}

func getRecordsBody(it string) string {
	return fmt.Sprintf(`{"ShardIterator":%q,"Limit":%d}`, it, getLimit)
}

// nextIterator returns the NextShardIterator of a JSON GetRecords response
// without decoding the records, or "" if it has none. The member follows
// the records, and an iterator needs no escaping.
func nextIterator(body []byte) string {
	const member = `"NextShardIterator":"`
	i := bytes.LastIndex(body, []byte(member))
	if i < 0 {
		return ""
	}
	rest := body[i+len(member):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	return string(rest[:end])
}
