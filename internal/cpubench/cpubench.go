package cpubench

import (
	"syscall"
	"testing"
)

// cpuTime is the process's user and system CPU time.
func cpuTime() int64 {
	var r syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return r.Utime.Nano() + r.Stime.Nano()
}

// Measure runs f in b's loop and reports allocations, msgs/s (wall time),
// cpu-ns/op and msgs/cpu-s.
func Measure(b *testing.B, f func()) {
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		f()
	}
	cpu := float64(cpuTime()-start) / float64(b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(cpu, "cpu-ns/op")
	b.ReportMetric(1e9/cpu, "msgs/cpu-s")
}
