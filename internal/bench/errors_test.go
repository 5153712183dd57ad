package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// TestErrorCode classifies the errors the SDK really returns for answers a
// server may give.
func TestErrorCode(t *testing.T) {
	respond := func(status int, header, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if header != "" {
				w.Header().Set("X-Amzn-ErrorType", header)
			}
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		want    string
	}{
		{"error type in body", respond(400, "", `{"__type":"ProvisionedThroughputExceededException","message":"slow down"}`), 0, "ProvisionedThroughputExceededException"},
		{"namespaced error type in header", respond(400, "ResourceNotFoundException:http://internal.amazon.com/", `{}`), 0, "ResourceNotFoundException"},
		{"500 with a code", respond(500, "", `{"__type":"InternalFailure"}`), 0, "InternalFailure"},
		{"502 with an html body", respond(502, "", "<html>bad gateway</html>"), 0, "HTTP502"},
		{"503 without a body", respond(503, "", ""), 0, "HTTP503"},
		{"200 that does not parse", respond(200, "", "{not json"), 0, codeDeserialization},
		{"dropped connection", func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
		}, 0, codeNetwork},
		{"slow server", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(200 * time.Millisecond):
			}
		}, 20 * time.Millisecond, codeTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := httptest.NewServer(tt.handler)
			defer server.Close()
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			client := newClient(Config{Endpoint: server.URL, Region: DefaultRegion}, newHTTPClient(1))
			_, err := client.PutRecord(ctx, &kinesis.PutRecordInput{
				StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("x"),
			})
			if err == nil {
				t.Fatal("PutRecord succeeded")
			}
			if code, message := errorCode(err); code != tt.want {
				t.Errorf("errorCode = %s (%s), want %s", code, message, tt.want)
			}
		})
	}
}

func TestErrorCodeWithoutResponse(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: short", errInvalidResponse), codeInvalidResponse},
		{fmt.Errorf("op: %w", context.Canceled), codeCanceled},
		{errors.New("something else"), codeClient},
	}
	for _, tt := range tests {
		if code, _ := errorCode(tt.err); code != tt.want {
			t.Errorf("errorCode(%v) = %s, want %s", tt.err, code, tt.want)
		}
	}
}
