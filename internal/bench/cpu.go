package bench

import "time"

// cpuClock measures the load tool's own CPU time over a phase, so that a
// report shows when the tool, rather than the server, set the figures: a
// tool near 100% of the cores it may use is the bottleneck.
type cpuClock struct {
	start time.Duration
	ok    bool
}

func startCPUClock() cpuClock {
	t, ok := processCPU()
	return cpuClock{start: t, ok: ok}
}

// percent returns the CPU time used since the clock started, in percent
// of one core over elapsed, or 0 where the platform does not say.
func (c cpuClock) percent(elapsed time.Duration) float64 {
	t, ok := processCPU()
	if !c.ok || !ok || elapsed <= 0 {
		return 0
	}
	return 100 * (t - c.start).Seconds() / elapsed.Seconds()
}
