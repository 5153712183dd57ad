//go:build unix

package bench

import (
	"testing"
	"time"
)

// TestCPUClock burns CPU for a while and checks that the clock sees it:
// about 100% of a core over the time spent burning.
func TestCPUClock(t *testing.T) {
	cpu := startCPUClock()
	start := time.Now()
	x := uint64(1)
	for time.Since(start) < 100*time.Millisecond {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	elapsed := time.Since(start)
	if got := cpu.percent(elapsed); got < 30 || got > 250 || x == 0 {
		t.Errorf("cpu.percent over %v of busy work = %.0f%%, want about 100%%", elapsed, got)
	}
	if got := (cpuClock{}).percent(elapsed); got != 0 {
		t.Errorf("a clock that did not start reports %.0f%%", got)
	}
}
