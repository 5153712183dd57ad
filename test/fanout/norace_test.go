//go:build !race

package fanout

// The stalled-reader load is 200 MiB in 4 MiB batches, three times the
// heap growth the test allows; slowdown scales its time limits (see
// race_test.go).
const (
	stallBatches = 50
	slowdown     = 1
)
