package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/memstore"
	"github.com/runnel-dev/runnel/internal/testserver"
)

// The XML bodies AWS's front end answers requests with that are not API
// calls at all (recorded from Kinesis in kinesalite's test suite).
const (
	accessDeniedXML = "<AccessDeniedException>\n" +
		"  <Message>Unable to determine service/operation name to be authorized</Message>\n" +
		"</AccessDeniedException>\n"
	unknownOperationXML = "<UnknownOperationException/>\n"
)

// TestProtocolNotAPICalls sends requests that are not Kinesis API calls:
// wrong method or content type. AWS answers them in XML, without a
// Content-Type, whatever the request's codec.
func TestProtocolNotAPICalls(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	tests := []struct {
		name        string
		method      string
		contentType string
		target      string
		status      int
		body        string
	}{
		{"GET", http.MethodGet, contentJSON, "ListStreams", http.StatusForbidden, accessDeniedXML},
		{"PUT", http.MethodPut, contentJSON, "ListStreams", http.StatusForbidden, accessDeniedXML},
		{"no content type, no target", http.MethodPost, "", "", http.StatusForbidden, accessDeniedXML},
		{"JSON 1.0, no target", http.MethodPost, "application/x-amz-json-1.0", "", http.StatusForbidden, accessDeniedXML},
		{"JSON 1.0", http.MethodPost, "application/x-amz-json-1.0", "ListStreams", http.StatusNotFound, unknownOperationXML},
		{"text/plain", http.MethodPost, "text/plain", "ListStreams", http.StatusNotFound, unknownOperationXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+"/", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", "Kinesis_20131202."+tt.target)
			}
			signed(req)
			r := do(t, http.DefaultClient, req)
			if r.status != tt.status || string(r.body) != tt.body {
				t.Errorf("got %d %q, want %d %q", r.status, r.body, tt.status, tt.body)
			}
			if ct, ok := r.header["Content-Type"]; ok {
				t.Errorf("Content-Type %q sent; AWS sends none with XML errors", ct)
			}
			if id := r.header.Get("x-amzn-RequestId"); !uuidPattern.MatchString(id) {
				t.Errorf("x-amzn-RequestId %q", id)
			}
		})
	}
}

// TestProtocolErrors sends malformed and unauthenticated API calls in both
// codecs and checks AWS's answers, in the order AWS checks: body, then
// operation, then authentication, then validation.
func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	noAuth := func(r *http.Request) { r.Header.Del("Authorization") }
	withAuth := func(auth string, date bool) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", auth)
			r.Header.Del("X-Amz-Date")
			if date {
				r.Header.Set("Date", "Fri, 02 Jan 2026 03:04:05 GMT")
			}
		}
	}
	withQuery := func(q string) func(*http.Request) { return func(r *http.Request) { r.URL.RawQuery = q } }

	tests := []struct {
		name  string
		op    string
		body  string // JSON; the CBOR variant sends the same value in CBOR
		edits []func(*http.Request)
		want  apiError
		// jsonOnly marks texts known from AWS's JSON protocol only.
		jsonOnly bool
	}{
		{name: "empty body", op: "ListStreams", body: "",
			want: apiError{Type: "SerializationException"}},
		{name: "empty body, unknown operation", op: "ListStream", body: "",
			want: apiError{Type: "UnknownOperationException"}},
		{name: "empty body, no target", op: "", body: "",
			want: apiError{Type: "UnknownOperationException"}},
		{name: "unknown operation", op: "ListStream", body: "{}",
			want: apiError{Type: "UnknownOperationException"}},
		{name: "unknown operation, no auth", op: "ListStream", body: "{}", edits: fns(noAuth),
			want: apiError{Type: "UnknownOperationException"}},
		{name: "no auth", op: "ListStreams", body: "{}", edits: fns(noAuth),
			want: apiError{"MissingAuthenticationTokenException", "Missing Authentication Token"}},
		{name: "bad body before auth", op: "ListStreams", body: "[]", edits: fns(noAuth),
			want: apiError{Type: "SerializationException"}},
		{name: "auth without parameters", op: "ListStreams", body: "{}", edits: fns(withAuth("X", false)),
			want: apiError{"IncompleteSignatureException",
				"Authorization header requires 'Credential' parameter. " +
					"Authorization header requires 'Signature' parameter. " +
					"Authorization header requires 'SignedHeaders' parameter. " +
					"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
					"Authorization=X"}},
		{name: "auth without SignedHeaders", op: "ListStreams", body: "{}",
			edits: fns(withAuth("AWS4- Signature=b, Credential=a", true)),
			want: apiError{"IncompleteSignatureException",
				"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b, Credential=a"}},
		{name: "auth without Signature", op: "ListStreams", body: "{}",
			edits: fns(withAuth("AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/kinesis/aws4_request, SignedHeaders=host", true)),
			want: apiError{"IncompleteSignatureException",
				"Authorization header requires 'Signature' parameter. " +
					"Authorization=AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/kinesis/aws4_request, SignedHeaders=host"}},
		{name: "auth in header and query", op: "ListStreams", body: "{}", edits: fns(withQuery("X-Amz-Algorithm")),
			want: apiError{"InvalidSignatureException",
				"Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."}},
		{name: "empty query auth", op: "ListStreams", body: "{}", edits: fns(noAuth, withQuery("X-Amz-Algorithm")),
			want: apiError{"IncompleteSignatureException",
				"AWS query-string parameters must include 'X-Amz-Algorithm'. " +
					"AWS query-string parameters must include 'X-Amz-Credential'. " +
					"AWS query-string parameters must include 'X-Amz-Signature'. " +
					"AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
					"AWS query-string parameters must include 'X-Amz-Date'. " +
					"Re-examine the query-string parameters."}},
		{name: "query auth without X-Amz-SignedHeaders", op: "ListStreams", body: "{}",
			edits: fns(noAuth, withQuery("X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d")),
			want: apiError{"IncompleteSignatureException",
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."}},
		{name: "query auth without X-Amz-Algorithm", op: "ListStreams", body: "{}",
			edits: fns(noAuth, withQuery("X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d")),
			want:  apiError{"MissingAuthenticationTokenException", "Missing Authentication Token"}},
		{name: "bad stream name", op: "DescribeStreamSummary", body: `{"StreamName":"a b"}`,
			want: apiError{"ValidationException", "1 validation error detected: Value 'a b' at 'streamName' " +
				"failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"}},
		{name: "string for an integer", op: "ListStreams", body: `{"Limit":"10"}`,
			want: apiError{"SerializationException", "STRING_VALUE can not be converted to an Integer"}},
		{name: "boolean for a string", op: "DescribeStreamSummary", body: `{"StreamName":true}`, jsonOnly: true,
			want: apiError{"SerializationException", "TRUE_VALUE can not be converted to a String"}},
		{name: "list for a string", op: "DescribeStreamSummary", body: `{"StreamName":[]}`,
			want: apiError{"SerializationException", "Start of list found where not expected"}},
		{name: "unknown stream", op: "DescribeStreamSummary", body: `{"StreamName":"nope"}`,
			want: apiError{"ResourceNotFoundException", "Stream nope under account 123456789012 not found."}},
	}
	for _, codec := range []string{contentJSON, contentCBOR} {
		for _, tt := range tests {
			if tt.jsonOnly && codec != contentJSON {
				continue
			}
			t.Run(codecName(codec)+"/"+tt.name, func(t *testing.T) {
				r := post(t, http.DefaultClient, srv.URL, codec, tt.op, encodeAs(t, codec, tt.body), tt.edits...)
				got := checkError(t, r, codec, http.StatusBadRequest)
				if got != tt.want {
					t.Errorf("got %+v\nwant %+v", got, tt.want)
				}
				checkMessageKey(t, codec, r.body)
			})
		}
	}
}

// TestProtocolMalformedBodies sends bodies that do not parse. AWS answers
// SerializationException without a message.
func TestProtocolMalformedBodies(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	tests := []struct {
		codec string
		body  []byte
	}{
		{contentJSON, []byte("hello")},
		{contentJSON, []byte(`{"StreamName":`)},
		{contentJSON, []byte(`{"StreamName":"a"}}`)},
		{contentJSON, []byte(`"a string"`)},
		{contentJSON, []byte("null")},
		{contentCBOR, []byte("hello")},
		{contentCBOR, []byte{0xa1, 0x6a}},      // a map whose key is cut short
		{contentCBOR, []byte{0x80}},            // an array
		{contentCBOR, []byte{0xbf, 0x61, 'a'}}, // an unterminated map
	}
	for _, tt := range tests {
		r := post(t, http.DefaultClient, srv.URL, tt.codec, "ListStreams", tt.body)
		if got := checkError(t, r, tt.codec, http.StatusBadRequest); got != (apiError{Type: "SerializationException"}) {
			t.Errorf("%s body %q: %+v", codecName(tt.codec), tt.body, got)
		}
	}
}

// TestProtocolValidationList checks a message listing several violations:
// AWS joins them with "; " in an order it does not keep stable, so only the
// count and the set are compared.
func TestProtocolValidationList(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	r := post(t, http.DefaultClient, srv.URL, contentJSON, "PutRecord",
		[]byte(`{"StreamName":"","PartitionKey":"","Data":"","ExplicitHashKey":"","SequenceNumberForOrdering":""}`))
	got := checkError(t, r, contentJSON, http.StatusBadRequest)
	const prefix = "5 validation errors detected: "
	if got.Type != "ValidationException" || !strings.HasPrefix(got.Message, prefix) {
		t.Fatalf("got %+v", got)
	}
	parts := strings.Split(strings.TrimPrefix(got.Message, prefix), "; ")
	want := []string{
		`Value '' at 'sequenceNumberForOrdering' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\d{0,128})`,
		`Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1`,
		`Value '' at 'explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})`,
		`Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
		`Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1`,
	}
	slices.Sort(parts)
	slices.Sort(want)
	if !slices.Equal(parts, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(parts, "\n"), strings.Join(want, "\n"))
	}
}

// TestProtocolBodyLimit sends a body one byte over the server's cap, with
// and without a Content-Length, and checks that the server refuses it with
// an API error instead of reading it all or failing.
func TestProtocolBodyLimit(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	const limit = 20 << 20 // kinesisapi.maxBodyBytes
	body := bytes.Repeat([]byte(" "), limit+1)
	body[0] = '{'
	body[len(body)-1] = '}'
	for _, chunked := range []bool{false, true} {
		var reader io.Reader = bytes.NewReader(body)
		if chunked {
			reader = io.MultiReader(reader) // hides the length: chunked encoding
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/", reader)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentJSON)
		req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
		signed(req)
		r := do(t, http.DefaultClient, req)
		if got := checkError(t, r, contentJSON, http.StatusBadRequest); got.Type != "SerializationException" {
			t.Errorf("chunked=%v: %+v", chunked, got)
		}
	}
	// A body of exactly the cap is read and parsed.
	atCap := body[:limit]
	atCap[len(atCap)-1] = '}'
	if r := post(t, http.DefaultClient, srv.URL, contentJSON, "ListStreams", atCap); r.status != http.StatusOK {
		t.Errorf("body at the cap: %d %s", r.status, r.body)
	}
}

// failingEngine is an in-memory engine whose appends fail, to provoke an
// internal failure.
type failingEngine struct{ *memstore.Engine }

var errDiskOnFire = errors.New("e2e: injected append failure")

func (failingEngine) Append(context.Context, storage.ShardID, []storage.Record) error {
	return errDiskOnFire
}

// TestProtocolInternalFailure checks that a failure inside the server is
// answered 500 InternalFailure in the request's codec, and that the cause
// stays in the server's log.
func TestProtocolInternalFailure(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{
		Engine: func() (storage.Engine, error) { return failingEngine{memstore.New()}, nil },
	})
	for _, codec := range []string{contentJSON, contentCBOR} {
		create := post(t, http.DefaultClient, srv.URL, codec, "CreateStream",
			encodeAs(t, codec, `{"StreamName":"s-`+codecName(codec)+`","ShardCount":1}`))
		if create.status != http.StatusOK {
			t.Fatalf("CreateStream: %d %s", create.status, create.body)
		}
		r := post(t, http.DefaultClient, srv.URL, codec, "PutRecord",
			encodeAs(t, codec, `{"StreamName":"s-`+codecName(codec)+`","PartitionKey":"k","Data":"AAAA"}`))
		got := checkError(t, r, codec, http.StatusInternalServerError)
		if got.Type != "InternalFailure" || strings.Contains(got.Message, errDiskOnFire.Error()) {
			t.Errorf("%s: %+v", codecName(codec), got)
		}
	}
}

// fns collects request edits.
func fns(edits ...func(*http.Request)) []func(*http.Request) { return edits }

func codecName(contentType string) string {
	if contentType == contentCBOR {
		return "cbor"
	}
	return "json"
}

// encodeAs encodes a JSON document in the given codec. Strings stay
// strings: tests that need CBOR byte strings build CBOR themselves.
func encodeAs(t testing.TB, contentType, doc string) []byte {
	t.Helper()
	if contentType != contentCBOR || doc == "" {
		return []byte(doc)
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad test document %q: %v", doc, err)
	}
	b, err := cbor.Marshal(cborValue(v))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cborValue converts a decoded JSON value for CBOR encoding: integral
// numbers become CBOR integers, other numbers floats.
func cborValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = cborValue(e)
		}
	case []any:
		for i, e := range v {
			v[i] = cborValue(e)
		}
	}
	return v
}

// checkMessageKey checks the member that carries an error's message:
// "Message" for SerializationException, "message" for the rest, as AWS
// sends them.
func checkMessageKey(t *testing.T, contentType string, body []byte) {
	t.Helper()
	m := decodeBody(t, contentType, body)
	want, other := "message", "Message"
	if m["__type"] == "SerializationException" {
		want, other = other, want
	}
	if _, ok := m[other]; ok {
		t.Errorf("%s error body %q carries %q, want %q", m["__type"], body, other, want)
	}
}
