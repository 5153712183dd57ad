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
	"github.com/runnel-dev/runnel/internal/storage/memstore"
	"github.com/runnel-dev/runnel/internal/stream"
)

// benchService returns a service over memstore with one stream of shards.
func benchService(b *testing.B, shards int) *kinesisapi.Service {
	b.Helper()
	svc, err := kinesisapi.New(context.Background(), kinesisapi.Config{
		Engine: memstore.New(),
		Stream: stream.Config{AccountID: "123456789012", Region: "us-east-1"},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	call(b, svc, "CreateStream", fmt.Sprintf(`{"StreamName":"b","ShardCount":%d}`, shards))
	return svc
}

func call(b *testing.B, svc http.Handler, op, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/", bytes.NewBufferString(body))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=c")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	w := httptest.NewRecorder()
	svc.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("%s: %d %s", op, w.Code, w.Body)
	}
	return w
}

// BenchmarkPutRecords measures the server's CPU per PutRecords call of 500
// records of 1 KiB (JSON decode, validation, routing, append, encode).
func BenchmarkPutRecords(b *testing.B) {
	svc := benchService(b, 4)
	type entry struct {
		Data         []byte
		PartitionKey string
	}
	var in struct {
		StreamName string
		Records    []entry
	}
	in.StreamName = "b"
	for i := 0; i < 500; i++ {
		in.Records = append(in.Records, entry{Data: bytes.Repeat([]byte{byte(i)}, 1024), PartitionKey: fmt.Sprint("pk", i)})
	}
	body, _ := json.Marshal(in)
	b.SetBytes(500 * 1024)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		call(b, svc, "PutRecords", string(body))
	}
}
