// Package nccl is a small cgo shim over NVIDIA's NCCL, loaded with dlopen
// at run time and never linked (Debian has no NCCL; the GPU machines carry
// it as the nvidia-nccl Python package; see internal/cuda/dl). Build tag
// cuda; it needs no NCCL or CUDA headers (the types and enum values it uses
// are copied from nccl.h), only gcc and libdl.
//
// The library is $CLIP_NCCL_LIB when set, else libnccl.so.2 as the loader
// finds it, else a pip-installed nvidia-nccl wheel.
package nccl
