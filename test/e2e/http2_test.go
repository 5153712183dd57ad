package e2e

//lint:file-ignore SA1019 x/net/http2's Transport is the only client for h2 over TLS without ALPN.

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"golang.org/x/net/http2"

	"github.com/runnel-dev/runnel/internal/testserver"
)

// protoRecorder is an http.RoundTripper that records how each response
// arrived.
type protoRecorder struct {
	next http.RoundTripper

	mu struct {
		sync.Mutex
		protos []string // resp.Proto, with the ALPN protocol after TLS
	}
}

func (p *protoRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	proto := resp.Proto
	if resp.ProtoMajor != 2 && resp.ProtoMajor != 1 {
		proto = "bad major version " + proto
	}
	if resp.TLS != nil {
		proto += " alpn=" + resp.TLS.NegotiatedProtocol
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mu.protos = append(p.mu.protos, proto)
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the transport
// underneath, so that the server need not wait for them on shutdown.
func (p *protoRecorder) CloseIdleConnections() {
	if c, ok := p.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// check fails the test unless exactly n responses arrived, all as want.
func (p *protoRecorder) check(t *testing.T, n int, want string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.mu.protos) != n {
		t.Errorf("%d responses recorded, want %d", len(p.mu.protos), n)
	}
	for i, got := range p.mu.protos {
		if got != want {
			t.Errorf("response %d arrived over %q, want %q", i, got, want)
		}
	}
}

// driveSDK runs a short session through aws-sdk-go-v2 over transport,
// errors included, and returns how many HTTP exchanges it made.
func driveSDK(t *testing.T, srv *testserver.Server, transport *protoRecorder) int {
	t.Helper()
	defer transport.CloseIdleConnections()
	client := srv.Client(func(o *kinesis.Options) { o.HTTPClient = &http.Client{Transport: transport} })
	ctx := context.Background()
	name := aws.String("h2")
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: name, ShardCount: aws.Int32(1)}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	put, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("k"), Data: []byte("over h2")})
	if err != nil {
		t.Fatalf("PutRecord: %v", err)
	}
	it, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: put.ShardId,
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatalf("GetShardIterator: %v", err)
	}
	got, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatalf("GetRecords: %v", err)
	}
	if len(got.Records) != 1 || string(got.Records[0].Data) != "over h2" || *got.Records[0].SequenceNumber != *put.SequenceNumber {
		t.Fatalf("GetRecords returned %+v", got.Records)
	}
	_, err = client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("missing")})
	if nf := (*types.ResourceNotFoundException)(nil); !errors.As(err, &nf) {
		t.Fatalf("DescribeStreamSummary of a missing stream: %v, want ResourceNotFoundException", err)
	}
	return 5
}

// TestHTTP2PriorKnowledge speaks HTTP/2 without any negotiation on the
// plain port, as the AWS SDK for Java v2 (and so the KCL) does over http://.
func TestHTTP2PriorKnowledge(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	rec := &protoRecorder{next: &http.Transport{Protocols: &protocols}}
	n := driveSDK(t, srv, rec)
	rec.check(t, n, "HTTP/2.0")
}

// TestTLS serves TLS with a certificate made for the test and checks the
// three ways clients connect: HTTP/2 chosen by ALPN (Go, curl), HTTP/1.1
// (botocore, the JS SDK), and HTTP/2 with prior knowledge and no ALPN (the
// Java SDK v2's default over https://).
func TestTLS(t *testing.T) {
	t.Parallel()
	cert := testserver.SelfSignedCert(t)
	certFile, keyFile, roots := cert.CertFile, cert.KeyFile, cert.Roots
	tlsConfig := &tls.Config{RootCAs: roots}
	start := func(t *testing.T) *testserver.Server {
		return testserver.Start(t, testserver.Options{TLSCert: certFile, TLSKey: keyFile})
	}

	t.Run("h2 via ALPN", func(t *testing.T) {
		rec := &protoRecorder{next: &http.Transport{TLSClientConfig: tlsConfig.Clone(), ForceAttemptHTTP2: true}}
		n := driveSDK(t, start(t), rec)
		rec.check(t, n, "HTTP/2.0 alpn=h2")
	})
	t.Run("HTTP/1.1", func(t *testing.T) {
		var protocols http.Protocols
		protocols.SetHTTP1(true)
		http1 := tlsConfig.Clone()
		http1.NextProtos = []string{"http/1.1"} // as urllib3 (botocore) offers
		rec := &protoRecorder{next: &http.Transport{TLSClientConfig: http1, Protocols: &protocols}}
		n := driveSDK(t, start(t), rec)
		rec.check(t, n, "HTTP/1.1 alpn=http/1.1")
	})
	t.Run("h2 prior knowledge without ALPN", func(t *testing.T) {
		// net/http's Transport speaks HTTP/2 over TLS only after ALPN, so
		// this case needs x/net/http2's (deprecated for everything else).
		rec := &protoRecorder{next: &http2.Transport{
			DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
				d := tls.Dialer{Config: tlsConfig.Clone()} // no NextProtos: no ALPN
				return d.DialContext(ctx, network, addr)
			},
		}}
		n := driveSDK(t, start(t), rec)
		rec.check(t, n, "HTTP/2.0 alpn=")
	})
}
