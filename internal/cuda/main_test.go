//go:build cuda

package cuda

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/clip-go/clip/internal/atomicfile"
	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cpu"
)

// The tests need a GPU: gorgonia.org/cu exits the test binary at start-up
// without one. `make gpu-check-build` builds this binary; scripts/gpu-check.sh
// runs it on the GPU machine. Inputs are fresh random numbers every run
// (seed printed; CLIP_GPU_SEED=n repeats a run), outputs are poisoned with
// NaN before each op, and every result is compared with the CPU backend,
// the executable specification. CLIP_GPU_REPORT=file.jsonl records every
// comparison for the check's table.

var (
	dev      *Device
	host     = cpu.New(0)
	seed     uint64
	reportMu sync.Mutex
	records  []map[string]any
)

func TestMain(m *testing.M) {
	seed = uint64(time.Now().UnixNano())
	if s := os.Getenv("CLIP_GPU_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "CLIP_GPU_SEED=%q: %v\n", s, err)
			os.Exit(2)
		}
		seed = v
	}
	ordinal := 0
	if s := os.Getenv("CLIP_CUDA_DEVICE"); s != "" {
		ordinal, _ = strconv.Atoi(s)
	}
	d, err := Open(ordinal)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dev = d
	fmt.Fprintf(os.Stderr, "%v; seed %d\n", d.Info(), seed)
	code := m.Run()
	if err := writeReport(os.Getenv("CLIP_GPU_REPORT")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	if err := d.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// rng returns a generator seeded from the run's seed and the test's name,
// so that one test's inputs do not depend on which others ran.
func rng(t testing.TB) *rand.Rand {
	h := fnv.New64a()
	_, _ = io.WriteString(h, t.Name())
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

func randn(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

// unitRows draws rows x e features and L2-normalises each row.
func unitRows(r *rand.Rand, rows, e int) []float32 {
	x := randn(r, rows*e, 1)
	for i := 0; i < rows; i++ {
		row := x[i*e : (i+1)*e]
		var s float64
		for _, v := range row {
			s += float64(v) * float64(v)
		}
		inv := 1 / math.Sqrt(s)
		for j := range row {
			row[j] = float32(float64(row[j]) * inv)
		}
	}
	return x
}

func nans(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

// pair is a tensor on the GPU and its twin on the CPU backend with the
// same contents.
type pair struct {
	g, c compute.Tensor
}

// tensors allocates pairs in a GPU and a CPU arena.
type tensors struct {
	ga, ca compute.Arena
}

func newTensors() *tensors { return &tensors{ga: dev.NewArena(), ca: host.NewArena()} }

func (ts *tensors) free(t *testing.T) {
	if err := ts.ga.(*Arena).Free(); err != nil {
		t.Error(err)
	}
}

// with returns a pair holding data (both sides).
func (ts *tensors) with(data []float32, shape ...int) pair {
	p := pair{ts.ga.Alloc(shape...), ts.ca.Alloc(shape...)}
	dev.Upload(p.g, data)
	host.Upload(p.c, data)
	return p
}

// poisoned returns a pair whose GPU side is all NaN (an output).
func (ts *tensors) poisoned(shape ...int) pair {
	p := pair{ts.ga.Alloc(shape...), ts.ca.Alloc(shape...)}
	dev.Upload(p.g, nans(p.g.Numel()))
	host.Upload(p.c, nans(p.c.Numel()))
	return p
}

func down(t compute.Tensor) []float32 {
	x := make([]float32, t.Numel())
	dev.Download(x, t)
	return x
}

func downCPU(t compute.Tensor) []float32 {
	x := make([]float32, t.Numel())
	host.Download(x, t)
	return x
}

// errs compares got with want: the largest |got-want| over the largest
// |want| (maxRel), ‖got-want‖/‖want‖ (relL2), and the count of non-finite
// values in got where want is finite (a poisoned output left unwritten).
func errs[W float32 | float64](got []float32, want []W) (maxRel, relL2 float64, bad int) {
	return errsFloor(got, want, 1e-30)
}

// errsFloor is errs with max|want| taken as at least floor, for values that
// may be near zero by chance (a scalar gradient, a log-sum-exp).
func errsFloor[W float32 | float64](got []float32, want []W, floor float64) (maxRel, relL2 float64, bad int) {
	var maxRef, maxDiff, num, den float64
	for i := range want {
		w := float64(want[i])
		g := float64(got[i])
		if math.IsNaN(g) || math.IsInf(g, 0) {
			bad++
			continue
		}
		d := math.Abs(g - w)
		maxRef = math.Max(maxRef, math.Abs(w))
		maxDiff = math.Max(maxDiff, d)
		num += d * d
		den += w * w
	}
	maxRel = maxDiff / math.Max(maxRef, floor)
	relL2 = math.Sqrt(num / math.Max(den, floor*floor*float64(len(want))))
	return
}

// expect compares an output with its reference, reports failures and
// records the comparison for the check table.
func expect[W float32 | float64](t *testing.T, kernel, shape, what string, got []float32, want []W, tol float64) {
	t.Helper()
	expectFloor(t, kernel, shape, what, got, want, tol, 1e-30)
}

// expectFloor is expect with errsFloor's floor.
func expectFloor[W float32 | float64](t *testing.T, kernel, shape, what string, got []float32, want []W, tol, floor float64) {
	t.Helper()
	maxRel, relL2, bad := errsFloor(got, want, floor)
	pass := bad == 0 && maxRel <= tol && len(got) == len(want)
	if !pass {
		t.Errorf("%s %s %s: max rel %.3g, rel L2 %.3g, %d non-finite of %d (tolerance %g)",
			kernel, shape, what, maxRel, relL2, bad, len(got), tol)
	}
	record(map[string]any{"kind": "check", "kernel": kernel + " " + what, "shape": shape,
		"max_rel": maxRel, "rel_l2": relL2, "nonfinite": bad, "tol": tol, "pass": pass})
}

// mustSync fails the test on a device error.
func mustSync(t *testing.T) {
	t.Helper()
	if err := dev.Sync(); err != nil {
		t.Fatal(err)
	}
}

func record(r map[string]any) {
	reportMu.Lock()
	defer reportMu.Unlock()
	records = append(records, r)
}

// writeReport writes the records as JSON lines (atomically) to path.
func writeReport(path string) error {
	if path == "" {
		return nil
	}
	return atomicfile.WriteFile(path, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range records {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
}
