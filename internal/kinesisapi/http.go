package kinesisapi

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/runnel-dev/runnel/internal/apierr"
	"github.com/runnel-dev/runnel/internal/shape"
)

// targetPrefix is the X-Amz-Target service prefix of every operation.
const targetPrefix = "Kinesis_20131202."

// maxBodyBytes caps request bodies. A PutRecords of 10 MiB of data is
// about 13.4 MiB of base64 JSON; AWS's own cap is not documented, so leave
// headroom.
const maxBodyBytes = 20 << 20

// ServeHTTP answers one Kinesis API request. The checks run in the order
// AWS runs them (kinesalite reproduces it from captures): method, content
// type, body, operation, authentication, validation, then the operation.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("x-amzn-RequestId", requestID())
	h.Set("x-amz-id-2", extendedRequestID())
	if r.Header.Get("Origin") != "" && cors(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		writeXMLError(w, http.StatusForbidden, "AccessDeniedException", "Unable to determine service/operation name to be authorized")
		return
	}
	target := r.Header.Get("X-Amz-Target")
	opName, hasPrefix := strings.CutPrefix(target, targetPrefix)
	handler, known := operations[opName]
	known = known && hasPrefix
	codec, ok := shape.CodecFor(r.Header.Get("Content-Type"))
	if !ok {
		if target == "" {
			writeXMLError(w, http.StatusForbidden, "AccessDeniedException", "Unable to determine service/operation name to be authorized")
			return
		}
		writeXMLError(w, http.StatusNotFound, "UnknownOperationException", "")
		return
	}
	buf, err := readBody(r)
	if err != nil {
		s.writeError(w, codec, err)
		return
	}
	body := buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 {
		bodyPool.Put(buf)
		kind := apierr.Serialization
		if !known {
			kind = apierr.UnknownOperation
		}
		s.writeError(w, codec, apierr.New(kind, ""))
		return
	}
	in, err := s.decode(codec, body, opName, known)
	// Decoding copies what it keeps (blobs are decoded, strings are
	// copied), so the body's buffer can serve the next request.
	bodyPool.Put(buf)
	if err == nil {
		err = checkAuth(r)
	}
	if err == nil {
		err = in.Validate()
	}
	if err != nil {
		s.writeError(w, codec, err)
		return
	}
	if sub, ok := in.(*shape.SubscribeToShardInput); ok {
		s.serveSubscribeToShard(w, r, codec, sub)
		return
	}
	out, err := handler(s, r.Context(), in)
	if err != nil {
		s.writeError(w, codec, err)
		return
	}
	s.writeOutput(w, codec, out)
}

// bodyPool recycles request-body buffers: a PutRecords body is up to
// ~14 MiB, and allocating (and zeroing) one per call would dominate the
// allocation rate of the write path.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// cors answers cross-origin requests as AWS does, so that the SDK for
// JavaScript works from a browser: any origin is allowed, the SDK's
// response headers are exposed, and a preflight OPTIONS request is answered
// here (cors then reports true).
func cors(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method != http.MethodOptions {
		h.Set("Access-Control-Expose-Headers", "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date")
		return false
	}
	if v := r.Header.Get("Access-Control-Request-Headers"); v != "" {
		h.Set("Access-Control-Allow-Headers", v)
	}
	if v := r.Header.Get("Access-Control-Request-Method"); v != "" {
		h.Set("Access-Control-Allow-Methods", v)
	}
	h.Set("Access-Control-Max-Age", "172800")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return true
}

// readBody reads the request body up to maxBodyBytes into a pooled buffer.
func readBody(r *http.Request) (*bytes.Buffer, error) {
	if r.ContentLength > maxBodyBytes {
		return nil, apierr.Errorf(apierr.Serialization, "Request body of %d bytes exceeds the limit of %d bytes.", r.ContentLength, maxBodyBytes)
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, maxBodyBytes+1)); err != nil {
		bodyPool.Put(buf)
		return nil, apierr.Errorf(apierr.Serialization, "Could not read the request body: %v", err)
	}
	if buf.Len() > maxBodyBytes {
		bodyPool.Put(buf)
		return nil, apierr.Errorf(apierr.Serialization, "Request body exceeds the limit of %d bytes.", maxBodyBytes)
	}
	return buf, nil
}

// decode parses the body into the operation's input. A body that does not
// parse is a SerializationException even for an unknown operation; an
// unknown operation with a well-formed body is an UnknownOperationException.
func (s *Service) decode(codec shape.Codec, body []byte, opName string, known bool) (shape.Input, error) {
	if !known {
		var v map[string]any
		if err := codec.Decode(body, &v); err != nil {
			return nil, serializationError(err)
		}
		return nil, apierr.New(apierr.UnknownOperation, "")
	}
	in, _ := shape.NewInput(opName)
	if err := codec.Decode(body, in); err != nil {
		return nil, serializationError(err)
	}
	return in, nil
}

func serializationError(err error) error {
	var se *shape.SerializationError
	if errors.As(err, &se) {
		return apierr.New(apierr.Serialization, se.Message)
	}
	return apierr.New(apierr.Serialization, "")
}

// checkAuth checks that the request carries a SigV4 signature, in the
// Authorization header or the query string, as AWS does before looking at
// the signature itself. Signatures are not verified.
func checkAuth(r *http.Request) error {
	header := r.Header.Get("Authorization")
	query := r.URL.Query()
	_, inQuery := query["X-Amz-Algorithm"]
	switch {
	case header != "" && inQuery:
		return apierr.New(apierr.InvalidSignature,
			"Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	case header == "" && !inQuery:
		return apierr.New(apierr.MissingAuthenticationToken, "Missing Authentication Token")
	case header != "":
		return checkAuthHeader(r, header)
	}
	var msg strings.Builder
	for _, p := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if query.Get(p) == "" {
			fmt.Fprintf(&msg, "AWS query-string parameters must include '%s'. ", p)
		}
	}
	if msg.Len() > 0 {
		msg.WriteString("Re-examine the query-string parameters.")
		return apierr.New(apierr.IncompleteSignature, msg.String())
	}
	return nil
}

func checkAuthHeader(r *http.Request, header string) error {
	params := map[string]bool{}
	fields := strings.FieldsFunc(header, func(c rune) bool { return c == ',' || c == ' ' })
	for _, f := range fields[min(1, len(fields)):] {
		if k, v, ok := strings.Cut(strings.TrimSpace(f), "="); ok && v != "" {
			params[k] = true
		}
	}
	var msg strings.Builder
	for _, p := range []string{"Credential", "Signature", "SignedHeaders"} {
		if !params[p] {
			fmt.Fprintf(&msg, "Authorization header requires '%s' parameter. ", p)
		}
	}
	if r.Header.Get("X-Amz-Date") == "" && r.Header.Get("Date") == "" {
		msg.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if msg.Len() > 0 {
		msg.WriteString("Authorization=" + header)
		return apierr.New(apierr.IncompleteSignature, msg.String())
	}
	return nil
}

// errorBody is the body of an error reply in either codec. AWS sends the
// text of a SerializationException as "Message" and every other error's as
// "message" (kinesalite's suite, recorded from Kinesis); SDKs read both.
type errorBody struct {
	Type                 string `json:"__type"`
	Message              string `json:"message,omitempty"`
	SerializationMessage string `json:"Message,omitempty"`
}

func newErrorBody(code, msg string) errorBody {
	if code == apierr.Serialization.Code() {
		return errorBody{Type: code, SerializationMessage: msg}
	}
	return errorBody{Type: code, Message: msg}
}

// writeError answers with err in the request's codec. Validation and
// serialization errors from the shape package map to their AWS codes; any
// non-API error is logged and answered as InternalFailure.
func (s *Service) writeError(w http.ResponseWriter, codec shape.Codec, err error) {
	var ve *shape.ValidationError
	if errors.As(err, &ve) {
		err = apierr.New(apierr.Validation, ve.Error())
	}
	code, status, msg := apierr.Describe(err)
	if status == http.StatusInternalServerError {
		s.log.Error("internal failure", "err", err)
	}
	body, encErr := codec.Encode(newErrorBody(code, msg))
	if encErr != nil {
		body = []byte(`{"__type":"InternalFailure"}`)
	}
	h := w.Header()
	h.Set("Content-Type", codec.ContentType())
	h.Set("x-amzn-ErrorType", code)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// writeOutput answers 200 with out encoded in the request's codec, or with
// an empty body for operations without output.
func (s *Service) writeOutput(w http.ResponseWriter, codec shape.Codec, out any) {
	if s.writeFast(w, codec, out) {
		return
	}
	var body []byte
	if out != nil {
		var err error
		if body, err = codec.Encode(out); err != nil {
			s.writeError(w, codec, fmt.Errorf("kinesisapi: encode response: %w", err))
			return
		}
	}
	writeBody(w, http.StatusOK, codec, body)
}

// writeBody answers with status and body in codec's content type.
func writeBody(w http.ResponseWriter, status int, codec shape.Codec, body []byte) {
	h := w.Header()
	h.Set("Content-Type", codec.ContentType())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// writeXMLError answers requests that are not Kinesis API calls at all
// (wrong method or content type) the way AWS's front end does.
func writeXMLError(w http.ResponseWriter, status int, typ, msg string) {
	body := "<" + typ + "/>\n"
	if msg != "" {
		body = "<" + typ + ">\n  <Message>" + msg + "</Message>\n</" + typ + ">\n"
	}
	h := w.Header()
	h["Content-Type"] = nil // AWS sends none; nil stops net/http sniffing one
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// requestID returns a random UUID (version 4) for x-amzn-RequestId.
func requestID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], rand.Uint64())
	binary.BigEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// extendedRequestID returns a value shaped like AWS's x-amz-id-2: base64 of
// 72 random bytes.
func extendedRequestID() string {
	var b [72]byte
	for i := 0; i < len(b); i += 8 {
		binary.BigEndian.PutUint64(b[i:], rand.Uint64())
	}
	return base64.StdEncoding.EncodeToString(b[:])
}
