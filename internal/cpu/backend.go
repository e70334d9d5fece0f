// Package cpu is the pure-Go backend: the executable specification of every
// op in internal/compute.
package cpu

import "github.com/clip-go/clip/internal/compute"

// Backend runs ops on the host with a pool of goroutines.
type Backend struct {
	compute.Ops
	threads int
}

// New returns a CPU backend using threads goroutines (<= 0: GOMAXPROCS).
func New(threads int) *Backend { panic("stub") }
