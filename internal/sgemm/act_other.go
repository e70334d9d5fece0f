//go:build !amd64

package sgemm

// actVector is the vector code of the activations (see act_amd64.go); off
// amd64 there is none and ApplyAct runs the scalar code on all of x.
func actVector(k *kernel, act Activation, x []float32) int { return 0 }

// expVector is the vector Exp32 of ExpSlice; off amd64 there is none.
func expVector(k *kernel, x []float32) int { return 0 }
