package kinesisapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/internal/testserver"
)

func TestCORS(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	tests := []struct {
		name, method string
		header       map[string]string
		wantStatus   int
		wantHeader   map[string]string
	}{
		{"preflight", http.MethodOptions,
			map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-amz-target,content-type"},
			200, map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "x-amz-target,content-type", "Access-Control-Max-Age": "172800"}},
		{"call from a page", http.MethodPost,
			map[string]string{"Origin": "http://app.example", "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202.ListStreams"},
			400, map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date"}},
		{"no origin", http.MethodOptions, nil, 403, map[string]string{"Access-Control-Allow-Origin": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, srv.URL+"/", strings.NewReader("{}"))
			req.RequestURI = ""
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
