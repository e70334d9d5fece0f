package model

import (
	"fmt"
	"slices"

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

// NewParams allocates the tensors of specs from arena; their values are
// undefined until loaded.
func NewParams(arena compute.Arena, specs []ParamSpec) *Params {
	total := 0
	for _, s := range specs {
		total += s.Numel()
	}
	p := &Params{Specs: specs, All: arena.Alloc(total), byName: make(map[string]compute.Tensor, len(specs))}
	off := 0
	for _, s := range specs {
		n := s.Numel()
		p.byName[s.Name] = p.All.Slice(off, off+n).Reshape(s.Dims()...)
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

// WeightSource supplies the tensors of a parameter table by OpenCLIP name,
// one at a time, so that loading needs no host copy of the whole model: a
// checkpoint reads each tensor from its file when asked.
type WeightSource interface {
	// Shape returns the shape of the named tensor; ok is false if the source
	// does not have it.
	Shape(name string) (shape []int, ok bool)
	// ReadTensor writes the named tensor's values, row-major, into dst,
	// which holds exactly its elements and may be device staging memory or
	// the parameter itself: it must be fully overwritten and not kept. The
	// error names the tensor (and, for a file, the file).
	ReadTensor(name string, dst []float32) error
}

// LoadFrom fills every parameter from src. Every name of the table must be
// present with its exact shape; all of them are checked before any tensor is
// read, so a wrong source fails fast and the error names the first tensor
// that is absent or mis-shaped. A read error leaves the parameters partly
// loaded.
func (p *Params) LoadFrom(be compute.Backend, src WeightSource) error {
	for _, s := range p.Specs {
		shape, ok := src.Shape(s.Name)
		if !ok {
			return fmt.Errorf("missing tensor %q (shape %v)", s.Name, s.Shape)
		}
		if !SameShape(shape, s.Shape) {
			return fmt.Errorf("tensor %q has shape %v, want %v", s.Name, shape, s.Shape)
		}
	}
	for _, s := range p.Specs {
		name := s.Name
		if err := be.Fill(p.byName[name], func(host []float32) error { return src.ReadTensor(name, host) }); err != nil {
			return err
		}
	}
	return nil
}

// Load copies host tensors into the parameters; see LoadFrom.
func (p *Params) Load(be compute.Backend, host map[string]HostTensor) error {
	return p.LoadFrom(be, HostTensors(host))
}

// LoadFrom fills the model's parameters from src (see Params.LoadFrom) and
// waits for the device.
func (m *CLIP) LoadFrom(src WeightSource) error {
	if err := m.Params.LoadFrom(m.be, src); err != nil {
		return err
	}
	return m.be.Sync()
}

// HostTensors is a WeightSource over tensors already in host memory, keyed
// by OpenCLIP name: tests and random weights use it.
type HostTensors map[string]HostTensor

// Shape returns the named tensor's shape.
func (h HostTensors) Shape(name string) ([]int, bool) {
	t, ok := h[name]
	return t.Shape, ok
}

// ReadTensor copies the named tensor into dst; a tensor whose data does not
// fill dst (data inconsistent with its shape) is an error naming it.
func (h HostTensors) ReadTensor(name string, dst []float32) error {
	t, ok := h[name]
	if !ok {
		return fmt.Errorf("missing tensor %q", name)
	}
	if len(t.Data) != len(dst) {
		return fmt.Errorf("tensor %q has shape %v but %d values, want %d", name, t.Shape, len(t.Data), len(dst))
	}
	copy(dst, t.Data)
	return nil
}

// SameShape compares shapes, treating a scalar [] and [1] as equal (a
// checkpoint may store a scalar either way).
func SameShape(a, b []int) bool {
	if len(a) == 0 && len(b) == 1 && b[0] == 1 || len(b) == 0 && len(a) == 1 && a[0] == 1 {
		return true
	}
	return slices.Equal(a, b)
}
