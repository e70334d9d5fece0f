//go:build !amd64

package cpu

// hasAVX2 is false off amd64: only the scalar loops exist.
const hasAVX2 = false

func colSums64Vec(acc []float64, src []float32, rows, ld int) int { return 0 }

func scaleVec(dst, src []float32, c float32) int { return 0 }

func quickGELUGradVec(dx, g, x, e []float32) int { return 0 }

func sum4Vec(x []float32, s *[4]float64) int { return 0 }

func sqDev4Vec(x []float32, mu float64, s *[4]float64) int { return 0 }

func lnOutVec(out, x, w, b []float32, mu, r float64) int { return 0 }

func lnBackSums4Vec(g, x, w []float32, mu, r float64, s *[8]float64) int { return 0 }

func lnBackDxVec(dx, g, x, w []float32, mu, r, sg, sgx float64) int { return 0 }

func lnGradColsVec(sw, sb []float64, g, x []float32, ld, rows int, mean, rstd []float32) int {
	return 0
}

func maxVec(x []float32) (m float32, nan bool, n int) { return 0, false, 0 }

func subVec(x []float32, c float32) int { return 0 }

func attnGradVec(s, p []float32, dot float64) int { return 0 }

func addVec(out, a, b []float32) int { return 0 }

func adamwVec(p, g, m, v []float32, c *[8]float32) int { return 0 }

func sumSq16Vec(x []float32, s *[16]float64) int { return 0 }
