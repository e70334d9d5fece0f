package sgemm

import (
	"math"
	"testing"
)

func TestExp32(t *testing.T) {
	worst := 0.0
	for x := float32(-103); x < 88.7; x += 0.0037 {
		want := math.Exp(float64(x))
		if want < 1.2e-38 { // subnormal results keep fewer bits
			continue
		}
		rel := math.Abs(float64(Exp32(x))-want) / want
		worst = math.Max(worst, rel)
	}
	if worst > 2e-7 {
		t.Errorf("exp32: worst relative error %g", worst)
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {-200, 0}, {89, float32(math.Inf(1))}, {float32(math.Inf(-1)), 0}, {float32(math.Inf(1)), float32(math.Inf(1))},
	} {
		if got := Exp32(c.x); got != c.want {
			t.Errorf("Exp32(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := Exp32(float32(math.NaN())); got == got {
		t.Errorf("Exp32(NaN) = %g", got)
	}
	if got := Exp32(88.72); math.IsInf(float64(got), 0) || got < 3.3e38 {
		t.Errorf("Exp32(88.72) = %g, want the largest finite range", got)
	}
}

func TestErf32(t *testing.T) {
	worst := 0.0
	for x := float32(-8); x < 8; x += 0.0011 {
		worst = math.Max(worst, math.Abs(float64(erf32(x))-math.Erf(float64(x))))
	}
	if worst > 4e-7 {
		t.Errorf("erf32: worst absolute error %g", worst)
	}
	if erf32(100) != 1 || erf32(-100) != -1 {
		t.Errorf("erf32 tails: %g %g", erf32(100), erf32(-100))
	}
}
