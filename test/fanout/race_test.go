//go:build race

package fanout

// The race detector slows the server's codecs about twentyfold: under it,
// the stalled-reader load is 48 MiB in 4 MiB batches, enough to find races
// but too little to show anything about memory, and its time limits are
// ten times longer.
const (
	stallBatches = 12
	slowdown     = 10
)
