package consumer_test

import (
	"context"
	"net"

	"github.com/runnel-dev/runnel/internal/server"
	"github.com/runnel-dev/runnel/internal/stream"
)

// startRunnel runs an in-memory runnel server on a loopback port for the
// examples and returns its endpoint and a function that stops it.
func startRunnel() (endpoint string, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Config{
			Addr:   "127.0.0.1:0",
			Stream: stream.Config{AccountID: "123456789012", Region: "us-east-1"},
			Ready:  func(a net.Addr) { ready <- a },
		})
	}()
	select {
	case a := <-ready:
		return "http://" + a.String(), func() { cancel(); <-done }
	case err := <-done:
		cancel()
		panic(err)
	}
}
