// Package server runs the runnel Kinesis endpoint: it opens the storage
// engine, builds the API service and serves it over HTTP/1.1 and HTTP/2 —
// with ALPN over TLS, and with prior knowledge on the plain port and over
// TLS without ALPN, as the AWS SDK for Java v2 and the KCL connect.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/runnel-dev/runnel/internal/kinesisapi"
	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/memstore"
	"github.com/runnel-dev/runnel/internal/stream"
)

// Config configures a server. The zero value serves an in-memory engine on
// DefaultAddr.
type Config struct {
	// Addr is the listen address; DefaultAddr if empty.
	Addr string
	// TLSCert and TLSKey are PEM files; when both are set the server
	// speaks TLS (HTTP/2 via ALPN, HTTP/1.1 otherwise).
	TLSCert, TLSKey string
	// OpenEngine opens the storage engine; nil means an in-memory engine.
	// The server closes the engine on shutdown.
	OpenEngine func() (storage.Engine, error)
	// Stream holds the account settings and lifecycle delays.
	Stream stream.Config
	// Throttle enables AWS's per-shard throughput limits.
	Throttle bool
	// JanitorInterval is how often retention is enforced; see
	// kinesisapi.Config.
	JanitorInterval time.Duration
	// SubscriptionLifetime and Heartbeat shape SubscribeToShard streams;
	// see kinesisapi.Config.
	SubscriptionLifetime, Heartbeat time.Duration
	// Now is the clock; nil means time.Now. Tests inject one.
	Now    func() time.Time
	Logger *slog.Logger
	// Ready, if set, is called with the bound address once the server
	// accepts connections.
	Ready func(addr net.Addr)
}

// DefaultAddr is where runnel listens unless told otherwise.
const DefaultAddr = "127.0.0.1:4567"

// shutdownGrace bounds how long Run waits for in-flight requests after its
// context is cancelled.
const shutdownGrace = 10 * time.Second

// Run serves until ctx is cancelled, then shuts down gracefully: it stops
// accepting connections, waits for in-flight requests (up to a grace
// period), stops the service and closes the engine. It returns nil after a
// clean shutdown.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	engine, err := openEngine(cfg)
	if err != nil {
		return err
	}
	defer engine.Close()
	svc, err := kinesisapi.New(ctx, kinesisapi.Config{
		Stream: cfg.Stream, Engine: engine, Now: cfg.Now, Logger: log, Throttle: cfg.Throttle, JanitorInterval: cfg.JanitorInterval,
		SubscriptionLifetime: cfg.SubscriptionLifetime, Heartbeat: cfg.Heartbeat,
	})
	if err != nil {
		return err
	}
	defer svc.Close()

	ln, tcfg, err := listen(cfg)
	if err != nil {
		return err
	}
	srv := newHTTPServer(svc, log)
	served := ln
	if tcfg != nil {
		served = tlsListener{Listener: ln, config: tcfg}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(served) }()
	log.Info("runnel listening", "addr", ln.Addr().String(), "tls", tcfg != nil)
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func openEngine(cfg Config) (storage.Engine, error) {
	if cfg.OpenEngine == nil {
		return memstore.New(), nil
	}
	e, err := cfg.OpenEngine()
	if err != nil {
		return nil, fmt.Errorf("server: open storage: %w", err)
	}
	return e, nil
}

// listen opens the TCP listener and, when TLS is configured, loads the
// key pair.
func listen(cfg Config) (net.Listener, *tls.Config, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	var tcfg *tls.Config
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("server: load TLS key pair: %w", err)
		}
		tcfg = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("server: %w", err)
	}
	return ln, tcfg, nil
}

// newHTTPServer returns the http.Server for h: HTTP/1.1, and HTTP/2 with
// prior knowledge, which over TLS also covers HTTP/2 negotiated by ALPN
// (see tlsListener).
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           h,
		Protocols:         &protocols,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		HTTP2: &http.HTTP2Config{
			// Large PutRecords bodies: let a client send a whole 10 MiB
			// request without waiting for window updates.
			MaxReceiveBufferPerStream:     16 << 20,
			MaxReceiveBufferPerConnection: 64 << 20,
		},
	}
}

// tlsListener terminates TLS itself rather than leaving it to http.Server,
// so that HTTP/2 with prior knowledge also works over TLS without ALPN, as
// the AWS SDK for Java v2 connects to https:// endpoints by default:
// net/http looks for the HTTP/2 preface only on connections that are not a
// *tls.Conn. Clients that negotiate h2 by ALPN send the same preface, and
// HTTP/1.1 clients are served as HTTP/1.1. The handshake runs on the
// connection's first read, under the server's read deadlines.
type tlsListener struct {
	net.Listener
	config *tls.Config
}

func (l tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return opaqueConn{tls.Server(c, l.config)}, nil
}

// opaqueConn hides the *tls.Conn type from net/http (see tlsListener).
type opaqueConn struct{ net.Conn }
