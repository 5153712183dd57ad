package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A server that answers as soon as it has read a request races the SDK,
// which closes the request body when the answer arrives (see
// readOnlyBodies). Bodies larger than net/http's write buffer lose the race
// within a few hundred calls without the workaround.
func TestLargeRequestsSurviveEarlyAnswers(t *testing.T) {
	cfg := Config{Mode: ModePutRecords, Stream: testStream, Concurrency: 1, BatchSize: 100, RecordSize: 100}.withDefaults()
	entry := `{"ShardId":"shardId-000000000000","SequenceNumber":"1"}`
	response := []byte(`{"FailedRecordCount":0,"Records":[` + strings.Repeat(entry+",", cfg.BatchSize-1) + entry + `]}`)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write(response)
	}))
	defer server.Close()
	cfg.Endpoint = server.URL
	p := newProducers(newClient(cfg, newHTTPClient(1)), cfg, nil)[0]
	for i := range 2000 {
		if acked := p.put(t.Context(), cfg.BatchSize); acked != cfg.BatchSize {
			t.Fatalf("call %d: acknowledged %d of %d: %v", i, acked, cfg.BatchSize, p.rec.examples)
		}
	}
}

func TestReadOnlyBodiesHideWriteTo(t *testing.T) {
	var sent io.ReadCloser
	client := readOnlyBodies{&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r.Body
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})}}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader("body"))
	if _, err := client.Do(req); err != nil {
		t.Fatal(err)
	}
	if _, ok := sent.(io.WriterTo); ok {
		t.Fatal("the body net/http sends still implements io.WriterTo")
	}
	if b, err := io.ReadAll(sent); err != nil || string(b) != "body" {
		t.Fatalf("body reads %q, %v", b, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
