//go:build linux

package bench

import "syscall"

// PeakRSSMiB is the process's peak resident set size in MiB
// (getrusage ru_maxrss, which Linux gives in KiB), as Python's
// resource.getrusage(RUSAGE_SELF).ru_maxrss / 1024 in bench_torch_cpu.py.
func PeakRSSMiB() (float64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return float64(ru.Maxrss) / 1024, true
}
