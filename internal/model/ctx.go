package model

import "github.com/clip-go/clip/internal/compute"

// Ctx is what a forward pass runs with: the backend, the arena activations
// come from, and whether they are kept for a backward pass.
type Ctx struct {
	Be compute.Backend
	A  compute.Arena
	// Keep keeps every intermediate alive for a backward pass: the layers'
	// ForwardSave, given a place to record what their Backward needs,
	// require it (and then run activations unfused, keeping the
	// pre-activation). Without it (inference) a block releases its
	// intermediates as soon as its output is written, so activation memory
	// does not grow with depth.
	Keep bool
}

// scope runs fn, which must write its result into tensors allocated before
// the call, and then frees what fn allocated unless activations are kept.
func (c *Ctx) scope(fn func()) {
	if c.Keep {
		fn()
		return
	}
	m := c.A.Mark()
	fn()
	c.A.Release(m)
}

// trainOps returns the backward ops of c's backend; a backend without them
// cannot train (CLIP.NewGrads checks this before any backward runs).
func (c *Ctx) trainOps() compute.TrainOps { return c.Be.(compute.TrainOps) }
