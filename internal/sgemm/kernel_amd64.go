package sgemm

import "golang.org/x/sys/cpu"

// kernels lists the kernels this CPU runs, fastest first. x/sys/cpu checks
// both the instruction set and that the OS saves the wider registers.
var kernels = amd64Kernels()

func amd64Kernels() []*kernel {
	var ks []*kernel
	avx2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	if avx2 && cpu.X86.HasAVX512F {
		ks = append(ks, &avx512Kernel) // its packers are AVX2 code
	}
	if avx2 {
		ks = append(ks, &avx2Kernel)
	}
	return append(ks, &genericKernel)
}

// avx2Kernel is the 6×16 AVX2+FMA kernel (kernel_avx2_amd64.s). Its blocks,
// sized for Zen 3: a 6×256 A panel (6 KiB) and a 256×16 B panel (16 KiB)
// share the 32 KiB L1; the 144×256 A block (144 KiB) sits in the 512 KiB L2;
// the 256×4096 B block (4 MiB) in L3.
var avx2Kernel = kernel{name: "avx2-fma", mr: 6, nr: 16, mc: 144, nc: 4096, lanes: 16,
	micro: microAVX2, transposePanel: transposePanel, copyPanels: copyPanels}

// avx512Kernel is the 8×32 AVX-512 kernel (kernel_avx512_amd64.s). Blocks:
// the 256×32 B panel (32 KiB) stays in L1 (48 KiB on Zen 5) while 8×256 A
// panels (8 KiB) stream past it from the 192×256 A block (192 KiB) in L2.
var avx512Kernel = kernel{name: "avx512", mr: 8, nr: 32, mc: 192, nc: 4096, lanes: 32,
	micro: micro512, transposePanel: transposePanel, copyPanels: copyPanels}

// kern6x16 and kern8x32 are the assembly micro-kernels; see kernel.micro
// for the contract. a, b and c point at the packed A panel, the packed B
// panel and C[0,0] of the tile; ldc is in elements; bias is read only with
// flagBias.
//
//go:noescape
func kern6x16(k int, a, b, c *float32, ldc int, alpha float32, flags int, bias *float32)

//go:noescape
func kern8x32(k int, a, b, c *float32, ldc int, alpha float32, flags int, bias *float32)

func microAVX2(k int, a, b, c []float32, ldc int, alpha float32, flags int, bias []float32) {
	kern6x16(k, &a[0], &b[0], &c[0], ldc, alpha, flags, checkTile(6, 16, k, a, b, c, ldc, flags, bias))
}

func micro512(k int, a, b, c []float32, ldc int, alpha float32, flags int, bias []float32) {
	kern8x32(k, &a[0], &b[0], &c[0], ldc, alpha, flags, checkTile(8, 32, k, a, b, c, ldc, flags, bias))
}

// checkTile checks, once per tile, the bounds an mr×nr assembly kernel
// relies on, and returns the bias it reads (nil without flagBias).
func checkTile(mr, nr, k int, a, b, c []float32, ldc, flags int, bias []float32) *float32 {
	_ = a[mr*k-1]
	_ = b[nr*k-1]
	_ = c[(mr-1)*ldc+nr-1]
	if flags&flagBias != 0 {
		return &bias[:nr][0]
	}
	return nil
}
