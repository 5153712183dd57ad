package kinesisapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	engines := []struct {
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
	body := putRecordsBody(500, 1024)
	for _, eng := range engines {
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

// putRecordsBody returns a PutRecords request of n records of size bytes.
func putRecordsBody(n, size int) string {
	type entry struct {
		Data         []byte
		PartitionKey string
	}
	var in struct {
		StreamName string
		Records    []entry
	}
	in.StreamName = "b"
	for i := 0; i < n; i++ {
		in.Records = append(in.Records, entry{Data: bytes.Repeat([]byte{byte(i)}, size), PartitionKey: fmt.Sprint("pk", i)})
	}
	body, _ := json.Marshal(in)
	return string(body)
}
