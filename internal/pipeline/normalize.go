package pipeline

import "math"

// normEps is torch.nn.functional.normalize's default eps: rows with a
// smaller norm are divided by eps instead, so a zero row stays zero rather
// than becoming NaN.
const normEps = 1e-12

// L2Normalize scales every dim-wide row of x to unit Euclidean length in
// place, accumulating in float64.
func L2Normalize(x []float32, dim int) {
	if dim <= 0 {
		return
	}
	for lo := 0; lo+dim <= len(x); lo += dim {
		row := x[lo : lo+dim]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		inv := 1 / math.Max(math.Sqrt(ss), normEps)
		for i, v := range row {
			row[i] = float32(float64(v) * inv)
		}
	}
}
