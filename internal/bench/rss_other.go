//go:build !linux

package bench

// PeakRSSMiB is not measured outside Linux: ru_maxrss has other units
// elsewhere (bytes on macOS) or does not exist, and the benchmarks run on
// Linux.
func PeakRSSMiB() (float64, bool) { return 0, false }
