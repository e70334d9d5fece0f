// Package kernels holds the CUDA kernels of the GPU backend: the .cu
// sources, the PTX that `make ptx` compiles from them with nvcc for
// compute_80 (the driver JIT-compiles it for newer GPUs such as Hopper), and
// that PTX embedded for internal/cuda, the only package that imports this
// one (internal/archtest keeps it so).
//
// The PTX is committed: building the CUDA backend needs no nvcc, and
// `make ptx-check` proves the committed files fresh wherever nvcc exists.
// Every kernel is extern "C", so its PTX entry name is the name listed in
// Modules; each .cu file starts with a comment giving its shapes and launch
// geometry.
//
// This file carries no build tag: it is plain Go and embedded text, so the
// default `go test ./...` checks that the PTX defines exactly the kernels
// listed here, without a GPU.
package kernels

import "embed"

//go:embed *.ptx
var ptx embed.FS

// Module is one compiled .cu file.
type Module struct {
	Name    string   // the .cu file's base name
	Kernels []string // its extern "C" entry points
}

// modules lists every kernel internal/cuda resolves at start-up.
var modules = []Module{
	{"convert", []string{"cvt_pad_bf16", "colsum_accum"}},
	{"gemm", []string{"gemm_nk", "gemm_kn", "gemm_tkn"}},
	{"attention", []string{"attn_fwd", "attn_bwd_dot", "attn_bwd"}},
	{"contrastive", []string{"contrastive_lse", "contrastive_lse_combine", "contrastive_grad", "contrastive_finish"}},
}

// Modules returns the modules and their kernels, in load order.
func Modules() []Module {
	out := make([]Module, len(modules))
	for i, m := range modules {
		out[i] = Module{Name: m.Name, Kernels: append([]string(nil), m.Kernels...)}
	}
	return out
}

// PTX returns the PTX text of the named module (<name>.ptx).
func PTX(name string) (string, error) {
	b, err := ptx.ReadFile(name + ".ptx")
	if err != nil {
		return "", err
	}
	return string(b), nil
}
