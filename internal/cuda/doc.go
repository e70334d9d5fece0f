// Package cuda is the GPU twin of internal/cpu (build tag cuda; without the
// tag this package is only this comment). It holds the device layer and the
// GPU versions of the three op families that dominate CLIP training:
//
//   - Device (Open, Close, Sync, Info): device selection, the primary
//     context (shared with cuBLAS and NCCL), one stream, the PTX of
//     internal/kernels JIT-loaded with every kernel resolved at Open, a
//     grow-only workspace, and a launch helper that gives each argument its
//     own 8-byte slot (gorgonia.org/cu's Function.Launch reads 8 bytes per
//     argument) and wraps failures with the kernel's name. Like the CPU
//     backend, a Device is used by one goroutine at a time; ops queue work,
//     and the first failure is returned by Sync.
//   - Arena (compute.Arena over device memory), Upload, Download, Fill, Zero.
//   - MatMulForward / MatMulBackward: bf16 tensor-core GEMMs (mma.sync,
//     fp32 accumulation, fp32 inputs converted in a pass) with fused bias
//     and QuickGELU/GELU/ReLU; AttentionForward / AttentionBackward: fused
//     flash attention, head dimension 64, saving the row log-sum-exp instead
//     of the probabilities; ContrastiveLoss: the CLIP loss with streamed
//     column tiles and an online log-sum-exp, memory O(N·E).
//   - MatMulForwardLt (cuBLASLt) and NCCLComm (compute.Comm over NCCL),
//     through the dlopen shims in cublaslt/ and nccl/.
//
// Conventions are compute's: parameter gradients accumulate, activation
// gradients overwrite, shape mismatches panic with the op name.
//
// Building and checking without a GPU: `make cuda-ci` (go vet -tags cuda,
// make ptx-check, the CUDA clip, the test binaries). It needs Debian's CUDA
// toolkit (scripts/install-cuda-toolchain.sh). The test binary of this
// package cannot run here: gorgonia.org/cu exits at initialisation without
// a GPU.
//
// The GPU check, on a machine with a GPU (CUDA 13, PyTorch, no Go, no
// network): build here with `make gpu-check-build`, which writes
// build/gpu/cuda.test (every kernel against the CPU backend on fresh random
// inputs, outputs poisoned with NaN, odd shapes included; then the
// benchmarks at CLIP's training shapes) and build/gpu/clip-cuda; carry
// build/gpu to the GPU machine and run, from the repository root,
//
//	bash scripts/gpu-check.sh
//
// It finds cuBLASLt and NCCL under site-packages, runs the checks and the
// benchmarks, times PyTorch on the same work (scripts/gpu_check_torch.py)
// and prints one table: kernel, shape, max relative error, our time,
// PyTorch's, the ratio, and TFLOP/s. Logs and the table go to $OUT when set
// (else /tmp/clip-gpu-check). Expected to take 2-3 minutes (not yet
// measured); its steps are capped at under 6 minutes in all.
package cuda
