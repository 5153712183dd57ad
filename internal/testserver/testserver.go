// Package testserver starts a runnel server inside a test process, on a
// loopback port, with an injectable clock, and builds aws-sdk-go-v2 clients
// pointed at it. It runs the real server code (listeners, protocols,
// service), so tests through it exercise what `runnel serve` runs.
package testserver

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/runnel-dev/runnel/internal/server"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/stream"
)

// Account and region of every test server.
const (
	AccountID = "123456789012"
	Region    = "us-east-1"
)

// Options configure a test server. The zero value serves an in-memory
// engine with instant lifecycle transitions and the real clock.
type Options struct {
	// Stream overrides the account settings and delays; AccountID and
	// Region default to the constants above.
	Stream   stream.Config
	Throttle bool
	// Engine opens the storage engine; nil means in memory.
	Engine func() (storage.Engine, error)
	// Clock, if set, is the server's clock.
	Clock *Clock
	// TLSCert and TLSKey serve TLS (HTTP/2 via ALPN).
	TLSCert, TLSKey string
	// JanitorInterval, if set, runs retention that often.
	JanitorInterval time.Duration
	// SubscriptionLifetime and Heartbeat shorten fan-out timings.
	SubscriptionLifetime, Heartbeat time.Duration
}

// Server is a running test server.
type Server struct {
	// URL is the endpoint, e.g. http://127.0.0.1:41234.
	URL  string
	Addr string

	mu         sync.Mutex
	transports []*http.Transport // of the clients made by Client; guarded by mu
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cfg := server.Config{
		Addr:            "127.0.0.1:0",
		TLSCert:         opts.TLSCert,
		TLSKey:          opts.TLSKey,
		OpenEngine:      opts.Engine,
		Stream:          opts.Stream,
		Throttle:        opts.Throttle,
		JanitorInterval: opts.JanitorInterval,

		SubscriptionLifetime: opts.SubscriptionLifetime,
		Heartbeat:            opts.Heartbeat,
	}
	if cfg.Stream.AccountID == "" {
		cfg.Stream.AccountID = AccountID
	}
	if cfg.Stream.Region == "" {
		cfg.Stream.Region = Region
	}
	if opts.Clock != nil {
		cfg.Now = opts.Clock.Now
	}
	ready := make(chan net.Addr, 1)
	cfg.Ready = func(a net.Addr) { ready <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, cfg) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("testserver: server exited: %v", err)
	}
	scheme := "http://"
	if opts.TLSCert != "" {
		scheme = "https://"
	}
	s := &Server{URL: scheme + addr.String(), Addr: addr.String()}
	t.Cleanup(func() {
		// Idle client connections would hold up the graceful shutdown.
		s.mu.Lock()
		for _, tr := range s.transports {
			tr.CloseIdleConnections()
		}
		s.mu.Unlock()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("testserver: shutdown: %v", err)
		}
	})
	return s
}

// Client returns an aws-sdk-go-v2 Kinesis client for the server, with
// static credentials and retries off, so that every error reaches the test.
func (s *Server) Client(optFns ...func(*kinesis.Options)) *kinesis.Client {
	tr := newTransport()
	s.mu.Lock()
	s.transports = append(s.transports, tr)
	s.mu.Unlock()
	return newClient(s.URL, tr, optFns...)
}

// NewClient returns a client like Server.Client for any endpoint, such as a
// runnel process a test started itself.
func NewClient(endpoint string, optFns ...func(*kinesis.Options)) *kinesis.Client {
	return newClient(endpoint, newTransport(), optFns...)
}

func newTransport() *http.Transport {
	return &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
		MaxIdleConnsPerHost: 64,
		ForceAttemptHTTP2:   true,
	}
}

func newClient(endpoint string, tr *http.Transport, optFns ...func(*kinesis.Options)) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region:           Region,
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: readOnlyBodies{tr}},
	}, optFns...)
}

// readOnlyBodies works around a race in aws-sdk-go-v2 (smithy-go's
// safeWriteToReadCloser): the SDK closes a request body as soon as the
// response headers arrive, and the closed body's WriteTo returns io.EOF.
// net/http's writer, which may still be checking the body for bytes beyond
// ContentLength, takes that as a write error and closes the connection
// under the response being read ("use of closed network connection"). A
// server that answers fast, on a loaded machine, triggers it. Hiding
// WriterTo makes net/http read the body with Read, whose io.EOF is the
// normal end.
type readOnlyBodies struct{ next http.RoundTripper }

func (rt readOnlyBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req = req.Clone(req.Context())
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return rt.next.RoundTrip(req)
}

// Clock is a settable clock for servers under test.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
