//go:build cuda

package cublaslt

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// ABI copies from cublasLt.h / cublas_api.h / library_types.h.
typedef int lt_status;
typedef void *lt_handle;
typedef void *lt_desc;
typedef void *lt_layout;
typedef void *lt_pref;
typedef struct { uint64_t data[8]; } lt_algo;
typedef struct {
	lt_algo algo;
	size_t workspaceSize;
	lt_status state;
	float wavesCount;
	int reserved[4];
} lt_heuristic;

enum {
	LT_CUDA_R_32F = 0, LT_CUDA_R_16BF = 14,
	LT_COMPUTE_32F = 68,
	LT_OP_N = 0, LT_OP_T = 1,
	LT_DESC_TRANSA = 3, LT_DESC_TRANSB = 4, LT_DESC_EPILOGUE = 7, LT_DESC_BIAS_POINTER = 8,
	LT_EPILOGUE_DEFAULT = 1, LT_EPILOGUE_BIAS = 4,
	LT_PREF_MAX_WORKSPACE_BYTES = 1,
};

static void *lt_lib;
static lt_status (*p_create)(lt_handle *);
static lt_status (*p_destroy)(lt_handle);
static size_t (*p_version)(void);
static const char *(*p_status_string)(lt_status);
static lt_status (*p_desc_create)(lt_desc *, int, int);
static lt_status (*p_desc_destroy)(lt_desc);
static lt_status (*p_desc_set)(lt_desc, int, const void *, size_t);
static lt_status (*p_layout_create)(lt_layout *, int, uint64_t, uint64_t, int64_t);
static lt_status (*p_layout_destroy)(lt_layout);
static lt_status (*p_pref_create)(lt_pref *);
static lt_status (*p_pref_destroy)(lt_pref);
static lt_status (*p_pref_set)(lt_pref, int, const void *, size_t);
static lt_status (*p_heuristic)(lt_handle, lt_desc, lt_layout, lt_layout, lt_layout, lt_layout, lt_pref, int,
                                lt_heuristic *, int *);
static lt_status (*p_matmul)(lt_handle, lt_desc, const void *, const void *, lt_layout, const void *, lt_layout,
                             const void *, const void *, lt_layout, void *, lt_layout, const lt_algo *, void *, size_t,
                             void *);

// lt_open loads the library at path and resolves every entry point; it
// returns NULL or a static error message (dlerror's text is copied into err).
static const char *lt_open(const char *path, char *err, size_t errlen) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		strncpy(err, e ? e : "dlopen failed", errlen - 1);
		err[errlen - 1] = 0;
		return err;
	}
#define SYM(var, name) \
	if (!(*(void **)(&var) = dlsym(h, name))) { \
		dlclose(h); \
		return "missing symbol " name; \
	}
	SYM(p_create, "cublasLtCreate")
	SYM(p_destroy, "cublasLtDestroy")
	SYM(p_version, "cublasLtGetVersion")
	SYM(p_status_string, "cublasLtGetStatusString")
	SYM(p_desc_create, "cublasLtMatmulDescCreate")
	SYM(p_desc_destroy, "cublasLtMatmulDescDestroy")
	SYM(p_desc_set, "cublasLtMatmulDescSetAttribute")
	SYM(p_layout_create, "cublasLtMatrixLayoutCreate")
	SYM(p_layout_destroy, "cublasLtMatrixLayoutDestroy")
	SYM(p_pref_create, "cublasLtMatmulPreferenceCreate")
	SYM(p_pref_destroy, "cublasLtMatmulPreferenceDestroy")
	SYM(p_pref_set, "cublasLtMatmulPreferenceSetAttribute")
	SYM(p_heuristic, "cublasLtMatmulAlgoGetHeuristic")
	SYM(p_matmul, "cublasLtMatmul")
#undef SYM
	lt_lib = h;
	return NULL;
}

static size_t lt_version(void) { return p_version(); }
static const char *lt_status_string(lt_status s) { return p_status_string(s); }
static lt_status lt_create(lt_handle *h) { return p_create(h); }
static lt_status lt_destroy(lt_handle h) { return p_destroy(h); }

// lt_plan is a matmul description with its chosen algorithm.
typedef struct {
	lt_desc desc;
	lt_layout a, b, c;
	lt_algo algo;
	size_t ws;
} lt_plan;

// lt_plan_make describes D[m x n] (column-major, ldc, fp32) =
// alpha·op(A)·op(B) + beta·C (+ bias[m] when withBias) with bf16 A, B of
// the given stored sizes and fp32 compute, and picks the heuristic's best
// algorithm within maxWs bytes of workspace.
static lt_status lt_plan_make(lt_handle h, lt_plan *p, int transa, int transb, uint64_t m, uint64_t n, uint64_t k,
                              int64_t lda, int64_t ldb, int64_t ldc, int withBias, size_t maxWs) {
	memset(p, 0, sizeof *p);
	lt_status s;
	if ((s = p_desc_create(&p->desc, LT_COMPUTE_32F, LT_CUDA_R_32F))) return s;
	int32_t ta = transa ? LT_OP_T : LT_OP_N, tb = transb ? LT_OP_T : LT_OP_N;
	if ((s = p_desc_set(p->desc, LT_DESC_TRANSA, &ta, sizeof ta))) return s;
	if ((s = p_desc_set(p->desc, LT_DESC_TRANSB, &tb, sizeof tb))) return s;
	uint32_t epi = withBias ? LT_EPILOGUE_BIAS : LT_EPILOGUE_DEFAULT;
	if ((s = p_desc_set(p->desc, LT_DESC_EPILOGUE, &epi, sizeof epi))) return s;
	if ((s = p_layout_create(&p->a, LT_CUDA_R_16BF, transa ? k : m, transa ? m : k, lda))) return s;
	if ((s = p_layout_create(&p->b, LT_CUDA_R_16BF, transb ? n : k, transb ? k : n, ldb))) return s;
	if ((s = p_layout_create(&p->c, LT_CUDA_R_32F, m, n, ldc))) return s;
	lt_pref pref;
	if ((s = p_pref_create(&pref))) return s;
	uint64_t ws = maxWs;
	s = p_pref_set(pref, LT_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
	lt_heuristic res;
	int count = 0;
	if (!s) s = p_heuristic(h, p->desc, p->a, p->b, p->c, p->c, pref, 1, &res, &count);
	p_pref_destroy(pref);
	if (s) return s;
	if (count < 1) return 15; // CUBLAS_STATUS_NOT_SUPPORTED
	p->algo = res.algo;
	p->ws = res.workspaceSize;
	return 0;
}

static void lt_plan_free(lt_plan *p) {
	if (p->c) p_layout_destroy(p->c);
	if (p->b) p_layout_destroy(p->b);
	if (p->a) p_layout_destroy(p->a);
	if (p->desc) p_desc_destroy(p->desc);
	memset(p, 0, sizeof *p);
}

// lt_run queues the plan on stream; device addresses come as integers.
static lt_status lt_run(lt_handle h, lt_plan *p, float alpha, float beta, uintptr_t a, uintptr_t b, uintptr_t c,
                        uintptr_t bias, uintptr_t ws, size_t wsSize, uintptr_t stream) {
	lt_status s;
	if (bias) {
		void *bp = (void *)bias;
		if ((s = p_desc_set(p->desc, LT_DESC_BIAS_POINTER, &bp, sizeof bp))) return s;
	}
	return p_matmul(h, p->desc, &alpha, (const void *)a, p->a, (const void *)b, p->b, &beta, (const void *)c, p->c,
	                (void *)c, p->c, &p->algo, (void *)ws, wsSize, (void *)stream);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/clip-go/clip/internal/cuda/dl"
)

var (
	loadOnce sync.Once
	loadErr  error
	loaded   string
)

// Load finds and loads cuBLASLt once, returning the path it used.
func Load() (string, error) {
	loadOnce.Do(func() {
		loaded, loadErr = dl.Load("cuBLASLt", "CLIP_CUBLASLT_LIB", []string{"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11"}, "cublas/lib",
			func(p string) error {
				cp := C.CString(p)
				defer C.free(unsafe.Pointer(cp))
				var buf [512]C.char
				if e := C.lt_open(cp, &buf[0], C.size_t(len(buf))); e != nil {
					return errors.New(C.GoString(e))
				}
				return nil
			})
		if loadErr != nil {
			loadErr = fmt.Errorf("cublaslt: %w", loadErr)
		}
	})
	return loaded, loadErr
}

// Version is cublasLtGetVersion (e.g. 130000); Load must have succeeded.
func Version() int { return int(C.lt_version()) }

// Status is a cuBLAS status code.
type Status int

func (s Status) Error() string {
	return fmt.Sprintf("cuBLASLt status %d (%s)", int(s), C.GoString(C.lt_status_string(C.lt_status(s))))
}

func status(s C.lt_status) error {
	if s == 0 {
		return nil
	}
	return Status(s)
}

// Handle is a cuBLASLt context, created in the current CUDA context.
type Handle struct{ h C.lt_handle }

// NewHandle loads the library if needed and creates a handle. The caller's
// CUDA context must be current on its (locked) thread.
func NewHandle() (*Handle, error) {
	if _, err := Load(); err != nil {
		return nil, err
	}
	var h C.lt_handle
	if err := status(C.lt_create(&h)); err != nil {
		return nil, fmt.Errorf("cublaslt: creating a handle: %w", err)
	}
	return &Handle{h: h}, nil
}

// Destroy releases the handle.
func (h *Handle) Destroy() error {
	if h.h == nil {
		return nil
	}
	err := status(C.lt_destroy(h.h))
	h.h = nil
	return err
}

// Plan is one row-major product, planned once and run many times:
// C[M,N] (fp32, row stride ldc) = alpha·A·op(B) + beta·C (+ bias[N]),
// A bf16 [M,K] with row stride lda, B bf16 [N,K] (transB) or [K,N], row
// stride ldb.
type Plan struct {
	h      *Handle
	p      C.lt_plan
	bias   bool
	WSSize int // workspace bytes the chosen algorithm needs
}

// ErrNoAlgorithm is returned when cuBLASLt has no algorithm for a shape.
var ErrNoAlgorithm = errors.New("cublaslt: no algorithm for this product")

// NewPlan plans the product for the shapes given, allowing at most maxWS
// bytes of workspace.
func (h *Handle) NewPlan(m, n, k, lda, ldb, ldc int, transB, bias bool, maxWS int) (*Plan, error) {
	// Row-major C = A·op(B) is column-major Cᵀ = op(B)ᵀ·Aᵀ: cuBLASLt's A is
	// our B (stored [N,K] row-major = K x N column-major, transposed when
	// transB), its B our A (K x M column-major, as is), its m our N.
	p := &Plan{h: h, bias: bias}
	tb := C.int(0)
	if transB {
		tb = 1
	}
	cb := C.int(0)
	if bias {
		cb = 1
	}
	s := C.lt_plan_make(h.h, &p.p, tb, 0, C.uint64_t(n), C.uint64_t(m), C.uint64_t(k),
		C.int64_t(ldb), C.int64_t(lda), C.int64_t(ldc), cb, C.size_t(maxWS))
	if s == 15 {
		C.lt_plan_free(&p.p)
		return nil, ErrNoAlgorithm
	}
	if err := status(s); err != nil {
		C.lt_plan_free(&p.p)
		return nil, fmt.Errorf("cublaslt: planning [%d,%d]x[%d]: %w", m, k, n, err)
	}
	p.WSSize = int(p.p.ws)
	return p, nil
}

// Run queues the product on stream (a CUstream handle; 0 for the legacy
// default stream). a, b, c, bias and ws are device addresses; bias must be
// non-zero exactly when the plan was made with a bias.
func (p *Plan) Run(alpha, beta float32, a, b, c, bias, ws uintptr, wsSize int, stream uintptr) error {
	if (bias != 0) != p.bias {
		return fmt.Errorf("cublaslt: bias pointer %#x for a plan made with bias=%v", bias, p.bias)
	}
	// cuBLASLt's A is our B and its B our A (see NewPlan).
	return status(C.lt_run(p.h.h, &p.p, C.float(alpha), C.float(beta), C.uintptr_t(b), C.uintptr_t(a), C.uintptr_t(c),
		C.uintptr_t(bias), C.uintptr_t(ws), C.size_t(wsSize), C.uintptr_t(stream)))
}

// Free releases the plan's descriptors.
func (p *Plan) Free() { C.lt_plan_free(&p.p) }
