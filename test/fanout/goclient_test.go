package fanout

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// TestGoSDK runs the scenario with aws-sdk-go-v2 over each transport the
// server speaks: HTTP/1.1, HTTP/2 negotiated by ALPN over TLS, and HTTP/2
// with prior knowledge on the plain port.
func TestGoSDK(t *testing.T) {
	t.Parallel()
	certs := testserver.SelfSignedCert(t)
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	tests := []struct {
		name      string
		tls       bool
		transport *http.Transport
		proto     string
	}{
		{"http1.1", false, &http.Transport{}, "http/1.1"},
		{"h2-tls", true, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: certs.Roots}, ForceAttemptHTTP2: true}, "h2"},
		{"h2c", false, &http.Transport{Protocols: &h2c}, "h2c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testserver.Options{Heartbeat: scenarioHeartbeat}
			if tt.tls {
				opts.TLSCert, opts.TLSKey = certs.CertFile, certs.KeyFile
			}
			fx := newFixture(t, opts)
			t.Cleanup(tt.transport.CloseIdleConnections)
			runScenario(t, fx, goClient{fx.admin, tt.transport}, tt.proto)
		})
	}
}

// goClient subscribes with aws-sdk-go-v2 over a transport of its own.
type goClient struct {
	kc        *kinesis.Client
	transport http.RoundTripper
}

func (c goClient) subscribe(t *testing.T, consumerARN, shardID string, pos position) (subscription, string) {
	t.Helper()
	rec := &sdkHTTPClient{transport: c.transport}
	sp := &types.StartingPosition{Type: pos.Type}
	if pos.SequenceNumber != "" {
		sp.SequenceNumber = &pos.SequenceNumber
	}
	// The context bounds the call, and then the stream: it must outlive
	// the call.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	timeout := time.AfterFunc(subscribeTimeout, cancel)
	// A client per subscription: a client's streams share one event-stream
	// codec, whose decode buffer they write without a lock (smithy-go
	// v1.28.8, internal/eventstream/codec.go:68), which the race detector
	// reports. kinesis.New gives the copy a codec of its own.
	kc := kinesis.New(c.kc.Options(), func(o *kinesis.Options) { o.HTTPClient = rec })
	out, err := kc.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: &consumerARN, ShardId: &shardID, StartingPosition: sp})
	timeout.Stop()
	if err != nil {
		return nil, errorText(err)
	}
	s := &goSubscription{es: out.GetStream(), proto: rec.proto}
	t.Cleanup(func() { s.close(t) })
	return s, ""
}

// sdkHTTPClient is the HTTP client of aws-sdk-go-v2 clients in these
// tests. It hands the transport a copy of the request body, as a
// workaround for a race in smithy-go v1.28.8 that kills HTTP/1.1 event
// streams: the SDK closes the request body as soon as the response
// headers are in (transport/http/client.go:116), after which the body's
// WriteTo returns io.EOF (transport/http/internal/io/safe.go:33); net/http
// copies a body once more after its Content-Length bytes to check for
// excess (transfer.go, writeBody), takes that io.EOF for a write error and
// closes the connection, and the stream that has just begun fails with
// "use of closed network connection". Against a server on loopback this
// happens to about one subscription in a few hundred.
//
// It also records which protocol the last response arrived over.
type sdkHTTPClient struct {
	transport http.RoundTripper
	proto     string
}

func (c *sdkHTTPClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := c.transport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	c.proto = protocolOf(resp)
	return resp, nil
}

// protocolOf names a response's protocol as the scenario does.
func protocolOf(resp *http.Response) string {
	switch {
	case resp.ProtoMajor != 2:
		return "http/" + resp.Proto[len("HTTP/"):]
	case resp.TLS != nil:
		return resp.TLS.NegotiatedProtocol
	}
	return "h2c"
}

// errorText renders an error as the other clients' drivers do.
func errorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

type goSubscription struct {
	es    *kinesis.SubscribeToShardEventStream
	proto string
}

func (s *goSubscription) protocol() string { return s.proto }

func (s *goSubscription) next(timeout time.Duration) (delivery, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case ev, ok := <-s.es.Events():
		if !ok {
			if err := s.es.Err(); err != nil {
				return delivery{err: errorText(err)}, true
			}
			return delivery{}, true
		}
		e, isEvent := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		if !isEvent {
			return delivery{err: "unexpected event type"}, true
		}
		return delivery{event: fromSDK(&e.Value)}, true
	case <-timer.C:
		return delivery{}, false
	}
}

// close closes the stream and waits for the SDK's reader to stop.
func (s *goSubscription) close(*testing.T) {
	s.es.Close()
	for range s.es.Events() {
	}
}

func fromSDK(e *types.SubscribeToShardEvent) *event {
	ev := &event{ContinuationSequenceNumber: e.ContinuationSequenceNumber, MillisBehindLatest: e.MillisBehindLatest}
	for _, r := range e.Records {
		ev.Records = append(ev.Records, record{
			SequenceNumber: *r.SequenceNumber, PartitionKey: *r.PartitionKey, Data: r.Data,
			ApproximateArrivalTimestamp: r.ApproximateArrivalTimestamp.UnixMilli(),
		})
	}
	for _, c := range e.ChildShards {
		ev.ChildShards = append(ev.ChildShards, childShard{
			ShardId: *c.ShardId, ParentShards: c.ParentShards,
			HashKeyRange: hashKeyRange{*c.HashKeyRange.StartingHashKey, *c.HashKeyRange.EndingHashKey},
		})
	}
	return ev
}
