// Package cublaslt is a small cgo shim over NVIDIA's cuBLASLt, loaded with
// dlopen at run time and never linked (see internal/cuda/dl for why), for
// the bf16 matrix products internal/cuda compares its own kernels with and
// may use as a fast path. Build tag cuda; it needs no CUDA headers (the few
// types and constants it uses are copied from cublasLt.h, whose ABI has
// been stable from CUDA 11 to 13), only gcc and libdl.
//
// The library is $CLIP_CUBLASLT_LIB when set, else libcublasLt.so.13, .12
// or .11 as the loader finds it, else a pip-installed nvidia-cublas wheel.
package cublaslt
