package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Content types of the two codecs.
const (
	contentJSON = "application/x-amz-json-1.1"
	contentCBOR = "application/x-amz-cbor-1.1"
)

// fakeAuth is an Authorization header shaped like the SDKs' SigV4 headers.
// runnel checks that a signature is present and complete, not that it is
// right, so any well-formed value passes.
const fakeAuth = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260102/us-east-1/kinesis/aws4_request, " +
	"SignedHeaders=content-type;host;x-amz-date;x-amz-target, " +
	"Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

// uuidPattern matches x-amzn-RequestId values.
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// seqPattern matches sequence numbers: 56 decimal digits in AWS's layout.
var seqPattern = regexp.MustCompile(`^[1-9][0-9]{55}$`)

// reply is an HTTP response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// signed sets the headers an SDK sends with every request: a SigV4
// Authorization header and X-Amz-Date.
func signed(r *http.Request) {
	r.Header.Set("Authorization", fakeAuth)
	r.Header.Set("X-Amz-Date", "20260102T030405Z")
}

// post sends a Kinesis request: POST / with X-Amz-Target for op (when op is
// not empty) and the given content type, signed unless an edit removes the
// signature. Edits run after the defaults.
func post(t testing.TB, client *http.Client, url, contentType, op string, body []byte, edits ...func(*http.Request)) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if op != "" {
		req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	}
	signed(req)
	for _, edit := range edits {
		edit(req)
	}
	return do(t, client, req)
}

// do sends req and reads the whole response.
func do(t testing.TB, client *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Header.Get("X-Amz-Target"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: body}
}

// decodeBody decodes a JSON or CBOR reply body into a map.
func decodeBody(t testing.TB, contentType string, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	var err error
	if contentType == contentCBOR {
		err = cbor.Unmarshal(body, &m)
	} else {
		err = json.Unmarshal(body, &m)
	}
	if err != nil {
		t.Fatalf("decode %s body %q: %v", contentType, body, err)
	}
	return m
}

// apiError is the error a reply carries.
type apiError struct {
	Type, Message string
}

// checkError checks that r is an AWS error reply of the request's codec
// with the given status, and returns its type and message. It checks what
// every error reply must carry: a request id, the Content-Type of the
// request's codec, x-amzn-ErrorType equal to __type, and a body holding
// __type.
func checkError(t testing.TB, r reply, contentType string, status int) apiError {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %q", r.status, status, r.body)
	}
	if got := r.header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type %q, want %q", got, contentType)
	}
	if id := r.header.Get("x-amzn-RequestId"); !uuidPattern.MatchString(id) {
		t.Errorf("x-amzn-RequestId %q is not a UUID", id)
	}
	m := decodeBody(t, contentType, r.body)
	typ, ok := m["__type"].(string)
	if !ok || typ == "" {
		t.Fatalf("error body %q has no __type", r.body)
	}
	if h := r.header.Get("x-amzn-ErrorType"); h != "" && h != typ {
		t.Errorf("x-amzn-ErrorType %q differs from __type %q", h, typ)
	}
	msg, _ := m["message"].(string)
	if m, ok := m["Message"].(string); ok {
		msg = m
	}
	return apiError{Type: typ, Message: msg}
}

// fixedStart is the time the manual clocks of these tests start at. Its
// millisecond part is not zero, so that tests see whether timestamps keep
// their milliseconds.
var fixedStart = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
