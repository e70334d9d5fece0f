package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cpu"
)

// The backward of a GELU model (the golden tiny-vit uses QuickGELU) agrees
// with central differences of the inference forward: L = Σ img·wi + Σ
// txt·wt, checked at the largest-gradient entry of every tensor.
func TestBackwardMatchesFiniteDifferences(t *testing.T) {
	cfg := tinyConfig()
	cfg.QuickGELU = false
	be := cpu.New(1)
	m, err := New(cfg, be)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadWeights(randomWeights(cfg, 3)); err != nil {
		t.Fatal(err)
	}
	const n = 3
	r, e := cfg.Vision.ImageSize, cfg.EmbedDim
	rng := rand.New(rand.NewPCG(7, 8))
	px := make([]float32, n*3*r*r)
	for i := range px {
		px[i] = float32(rng.NormFloat64())
	}
	tokens := [][]int32{
		{49, 5, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{3, 5, 49, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{3, 5, 6, 7, 8, 49, 0, 0, 0, 0, 0, 0},
	}
	wi, wt := make([]float32, n*e), make([]float32, n*e)
	for i := range wi {
		wi[i], wt[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	loss := func() float64 {
		img, err := m.EncodeImages(px, n)
		if err != nil {
			t.Fatal(err)
		}
		txt, err := m.EncodeTexts(tokens)
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for i := range img {
			s += float64(img[i])*float64(wi[i]) + float64(txt[i])*float64(wt[i])
		}
		return s
	}

	if err := m.ZeroGrads(); err != nil {
		t.Fatal(err)
	}
	a := be.NewArena()
	img, txt, err := m.ForwardTrain(a, px, n, tokens)
	if err != nil {
		t.Fatal(err)
	}
	// The training forward (unfused activation) gives the inference features.
	gotImg, gotTxt := make([]float32, n*e), make([]float32, n*e)
	be.Download(gotImg, img)
	be.Download(gotTxt, txt)
	infImg, _ := m.EncodeImages(px, n)
	infTxt, _ := m.EncodeTexts(tokens)
	for i := range gotImg {
		if d := math.Abs(float64(gotImg[i] - infImg[i])); d > 1e-5*(1+math.Abs(float64(infImg[i]))) {
			t.Fatalf("image feature %d: train %g, inference %g", i, gotImg[i], infImg[i])
		}
		if d := math.Abs(float64(gotTxt[i] - infTxt[i])); d > 1e-5*(1+math.Abs(float64(infTxt[i]))) {
			t.Fatalf("text feature %d: train %g, inference %g", i, gotTxt[i], infTxt[i])
		}
	}
	dImg, dTxt := a.Alloc(n, e), a.Alloc(n, e)
	be.Upload(dImg, wi)
	be.Upload(dTxt, wt)
	if err := m.Backward(dImg, dTxt); err != nil {
		t.Fatal(err)
	}
	if err := m.Backward(dImg, dTxt); err == nil {
		t.Error("a second Backward without ForwardTrain did not fail")
	}

	const h = 1e-2
	worst, worstName := 0.0, ""
	for _, s := range m.Params.Specs {
		if s.Name == "logit_scale" {
			continue // not part of this loss
		}
		p, gt := m.Params.Get(s.Name), m.Grads.Get(s.Name)
		vals, grads := make([]float32, p.Numel()), make([]float32, p.Numel())
		be.Download(vals, p)
		be.Download(grads, gt)
		best := 0
		for i, g := range grads {
			if math.Abs(float64(g)) > math.Abs(float64(grads[best])) {
				best = i
			}
		}
		if grads[best] == 0 {
			t.Errorf("%s: zero gradient everywhere", s.Name)
			continue
		}
		orig := vals[best]
		vals[best] = orig + h
		be.Upload(p, vals)
		lp := loss()
		vals[best] = orig - h
		be.Upload(p, vals)
		lm := loss()
		vals[best] = orig
		be.Upload(p, vals)
		fd := (lp - lm) / (2 * h)
		rel := math.Abs(fd-float64(grads[best])) / math.Abs(float64(grads[best]))
		if rel > worst {
			worst, worstName = rel, s.Name
		}
		if rel > 2e-2 {
			t.Errorf("%s[%d]: backward %g, central difference %g", s.Name, best, grads[best], fd)
		}
	}
	t.Logf("worst relative difference %.3g (%s)", worst, worstName)
}

func TestResNetTrainingNotYetSupported(t *testing.T) {
	cfg := tinyConfig()
	cfg.Vision = VisionConfig{ImageSize: 32, ResNetLayers: []int{1, 1, 1, 1}, Width: 8, HeadWidth: 64}
	m, err := New(cfg, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.NewGrads(); err == nil {
		t.Error("NewGrads on a ModifiedResNet model did not fail")
	}
	if _, _, err := m.ForwardTrain(m.Backend().NewArena(), nil, 0, nil); err == nil {
		t.Error("ForwardTrain on a ModifiedResNet model did not fail")
	}
	if err := m.Backward(compute.Tensor{}, compute.Tensor{}); err == nil {
		t.Error("Backward without ForwardTrain did not fail")
	}
}
