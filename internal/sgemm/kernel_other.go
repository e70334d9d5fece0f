//go:build !amd64

package sgemm

// kernels lists the kernels this CPU runs, fastest first: off amd64 only the
// pure-Go one.
var kernels = []*kernel{&genericKernel}
