// Command runnel is a Kinesis Data Streams-compatible server.
//
//	runnel serve [flags]   run the server (see runnel serve -h)
//	runnel bench [flags]   drive a Kinesis endpoint with load (see runnel bench -h)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/runnel-dev/runnel/internal/bench"
)

const usage = `usage: runnel <command> [flags]

commands:
  serve   run the Kinesis-compatible server
  bench   drive a Kinesis endpoint with load and report throughput and latency
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var code int
	switch os.Args[1] {
	case "serve":
		code = serve(ctx, os.Args[2:])
	case "bench":
		code = bench.Main(ctx, os.Args[2:], os.Stdout, os.Stderr)
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "runnel: unknown command %q\n%s", os.Args[1], usage)
		code = 2
	}
	stop()
	os.Exit(code)
}
