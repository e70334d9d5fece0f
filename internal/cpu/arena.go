package cpu

import "github.com/clip-go/clip/internal/compute"

// arena is a bump allocator over slabs. Reset rewinds it; the next sequence
// of Allocs reuses the same slabs, so a steady-state step allocates nothing.
type arena struct {
	slabs []*buffer
	slab  int // index of the slab being filled
	used  int // elements used in that slab
}

// slabElems is the minimum slab size (16 MiB of float32).
const slabElems = 4 << 20

// NewArena returns an empty arena.
func (b *Backend) NewArena() compute.Arena { return &arena{} }

// Alloc returns a tensor of the given shape. Its contents are undefined (as
// device memory would be): every op writes all of its outputs, and clearing
// activations each step cost a fifth of a ViT-B/32 forward.
func (a *arena) Alloc(shape ...int) compute.Tensor {
	n := 1
	for _, d := range shape {
		check(d >= 0, "Alloc", "negative dimension in %v", shape)
		n *= d
	}
	for a.slab < len(a.slabs) && a.used+n > len(a.slabs[a.slab].f) {
		a.slab++
		a.used = 0
	}
	if a.slab == len(a.slabs) {
		a.slabs = append(a.slabs, &buffer{f: make([]float32, max(n, slabElems))})
		a.used = 0
	}
	buf := a.slabs[a.slab]
	t := compute.Tensor{Buf: buf, Off: a.used, Shape: append([]int(nil), shape...)}
	a.used += n
	return t
}

// Mark records the current position.
func (a *arena) Mark() compute.ArenaMark { return compute.ArenaMark{Slab: a.slab, Used: a.used} }

// Release makes everything allocated after m reusable. Tensors allocated
// before m stay valid.
func (a *arena) Release(m compute.ArenaMark) {
	check(m.Slab < a.slab || m.Slab == a.slab && m.Used <= a.used, "Release", "mark %+v is ahead of the arena", m)
	a.slab, a.used = m.Slab, m.Used
}

// Reset makes every tensor handed out so far reusable.
func (a *arena) Reset() { a.slab, a.used = 0, 0 }
