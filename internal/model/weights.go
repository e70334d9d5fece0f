package model

import (
	"fmt"

	"github.com/clip-go/clip/internal/compute"
)

// Params holds every tensor of the parameter table as views into one
// backend allocation, so an all-reduce of all gradients or a checkpoint is
// one walk over one buffer.
type Params struct {
	Specs  []ParamSpec
	All    compute.Tensor // [total] backing every view
	byName map[string]compute.Tensor
}

// NewParams allocates the tensors of specs from arena (zero-filled).
func NewParams(arena compute.Arena, specs []ParamSpec) *Params {
	total := 0
	for _, s := range specs {
		total += s.Numel()
	}
	p := &Params{Specs: specs, All: arena.Alloc(total), byName: make(map[string]compute.Tensor, len(specs))}
	off := 0
	for _, s := range specs {
		n := s.Numel()
		shape := s.Shape
		if len(shape) == 0 {
			shape = []int{1} // a scalar is one element
		}
		p.byName[s.Name] = p.All.Slice(off, off+n).Reshape(shape...)
		off += n
	}
	return p
}

// Get returns the tensor named name; an unknown name is a programmer error.
func (p *Params) Get(name string) compute.Tensor {
	t, ok := p.byName[name]
	if !ok {
		panic("model: no parameter " + name)
	}
	return t
}

// Load copies host tensors into the parameters. Every name of the table must
// be present with its exact shape; the error names the first that is not.
func (p *Params) Load(be compute.Backend, host map[string]HostTensor) error {
	for _, s := range p.Specs {
		h, ok := host[s.Name]
		if !ok {
			return fmt.Errorf("missing tensor %q (shape %v)", s.Name, s.Shape)
		}
		if !sameDims(h.Shape, s.Shape) || len(h.Data) != s.Numel() {
			return fmt.Errorf("tensor %q has shape %v (%d values), want %v", s.Name, h.Shape, len(h.Data), s.Shape)
		}
		be.Upload(p.byName[s.Name], h.Data)
	}
	return nil
}

// sameDims compares shapes, treating a scalar [] and [1] as equal.
func sameDims(a, b []int) bool {
	if len(a) == 0 && len(b) == 1 && b[0] == 1 || len(b) == 0 && len(a) == 1 && a[0] == 1 {
		return true
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
