package bench

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/clip-go/clip/internal/model"
)

// WeightStd is the standard deviation of the random weights.
const WeightStd = 0.02

// RandomWeights is a model.WeightSource of deterministic random values for
// every tensor of an architecture's parameter table, generated straight
// into the parameter's memory as the model loads it (on the CPU backend),
// so random weights cost no second copy of the model and peak RSS is the
// model's own, as for PyTorch's in-place initialisation.
//
// Values have standard deviation 0.02 around 0 in general; around 1 for
// norm scales (the 1-D ".weight" of every LayerNorm and BatchNorm) and,
// positive, for BatchNorm running_var, so that activations keep a
// realistic scale through the depth of the model instead of shrinking
// towards subnormal floats, which x86 handles slowly and would make the
// timing an artefact; logit_scale is ln(1/0.07), CLIP's initial value.
// They are uniform, not normal: the timing does not depend on their
// distribution, and a uniform draw is several times cheaper for the
// 150-430 M values of a model (see uniform). Each tensor has its own
// generator, seeded from the seed and its name, so its values do not
// depend on the order tensors are read in.
type RandomWeights struct {
	seed  uint64
	specs map[string]model.ParamSpec
}

var _ model.WeightSource = (*RandomWeights)(nil)

// NewRandomWeights returns the random weights of cfg's parameter table.
func NewRandomWeights(cfg model.Config, seed uint64) *RandomWeights {
	r := &RandomWeights{seed: seed, specs: map[string]model.ParamSpec{}}
	for _, s := range model.ParamTable(cfg) {
		r.specs[s.Name] = s
	}
	return r
}

// Shape returns the named tensor's shape.
func (r *RandomWeights) Shape(name string) ([]int, bool) {
	s, ok := r.specs[name]
	return s.Shape, ok
}

// ReadTensor fills dst with the named tensor's values.
func (r *RandomWeights) ReadTensor(name string, dst []float32) error {
	s, ok := r.specs[name]
	if !ok {
		return fmt.Errorf("random weights: no tensor %q", name)
	}
	if len(dst) != s.Numel() {
		return fmt.Errorf("random weights: tensor %q has %d values, not %d", name, s.Numel(), len(dst))
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	gen := weightGen(s, &uniform{rng: newRNG(r.seed ^ h.Sum64())})
	for i := range dst {
		dst[i] = gen()
	}
	return nil
}

// weightGen returns the generator of one tensor's values (see RandomWeights).
func weightGen(s model.ParamSpec, u *uniform) func() float32 {
	switch {
	case s.Name == "logit_scale":
		return func() float32 { return float32(math.Log(1 / 0.07)) }
	case strings.HasSuffix(s.Name, ".running_var"):
		return func() float32 { return 1 + WeightStd*float32(math.Abs(float64(u.next()))) }
	case len(s.Shape) == 1 && strings.HasSuffix(s.Name, ".weight"):
		return func() float32 { return 1 + WeightStd*u.next() }
	default:
		return func() float32 { return WeightStd * u.next() }
	}
}

// sqrt3 scales [-1, 1) to unit variance.
const sqrt3 = 1.7320508075688772

// uniform draws values of mean 0 and variance 1, uniform on [-√3, √3):
// two per 64-bit PCG output, 24 random bits each (a float32's mantissa).
type uniform struct {
	rng  *rand.Rand
	bits uint64
	left int
}

func (u *uniform) next() float32 {
	if u.left == 0 {
		u.bits, u.left = u.rng.Uint64(), 2
	}
	v := float32(u.bits&(1<<24-1)) / (1 << 24) // [0, 1)
	u.bits >>= 32
	u.left--
	return (2*v - 1) * sqrt3
}

func newRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// Normal returns n deterministic N(0,1) values (torch.randn in
// bench_torch_cpu.py): the scale of normalised pixels, and GEMM inputs.
func Normal(n int, seed uint64) []float32 {
	rng := newRNG(seed)
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// Pixels returns n random images [n,3,r,r] (see Normal).
func Pixels(n, r int, seed uint64) []float32 { return Normal(n*3*r*r, seed) }

// TokenRows returns n token rows of the context length ctxLen, each with
// textLen real tokens: the start token, random ids, the end token at
// position textLen-1, then zero padding (clip.tokenize's layout). The start
// and end tokens are the two highest ids of the vocabulary (49406 and 49407
// for OpenAI's), and random ids lie below them, so end-of-text pooling at
// the largest id finds position textLen-1.
func TokenRows(n, ctxLen, textLen, vocab int, seed uint64) ([][]int32, error) {
	switch {
	case textLen < 2 || textLen > ctxLen:
		return nil, fmt.Errorf("text length %d: want 2 (start and end tokens) to the context length %d", textLen, ctxLen)
	case vocab < 3:
		return nil, fmt.Errorf("vocabulary of %d tokens: want at least 3", vocab)
	}
	sot, eot := int32(vocab-2), int32(vocab-1)
	rng := newRNG(seed)
	rows := make([][]int32, n)
	for i := range rows {
		row := make([]int32, ctxLen)
		row[0] = sot
		for j := 1; j < textLen-1; j++ {
			row[j] = 1 + rng.Int32N(sot-1) // 1 .. sot-1
		}
		row[textLen-1] = eot
		rows[i] = row
	}
	return rows, nil
}
