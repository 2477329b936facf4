package classify

import (
	"errors"
	"fmt"
	"math"
)

// checkVectors checks that emb is non-empty, that every row has the same
// non-zero dimension (want, when want > 0) and that no value is NaN or
// infinite. It returns the dimension. what names the rows in errors.
func checkVectors(emb [][]float32, want int, what string) (int, error) {
	if len(emb) == 0 {
		return 0, fmt.Errorf("no %s embeddings", what)
	}
	dim := want
	if dim <= 0 {
		dim = len(emb[0])
	}
	if dim == 0 {
		return 0, fmt.Errorf("%s embedding 0 is empty", what)
	}
	for i, row := range emb {
		if len(row) != dim {
			return 0, fmt.Errorf("%s embedding %d has dimension %d, want %d", what, i, len(row), dim)
		}
		for j, v := range row {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return 0, fmt.Errorf("%s embedding %d value %d is %v", what, i, j, v)
			}
		}
	}
	return dim, nil
}

// CosineSimilarity returns a·b / (|a|·|b|), computed in float64. A zero
// vector has similarity 0 with everything (as sentence-transformers' cos_sim,
// which clamps the norm). It fails when the lengths differ.
func CosineSimilarity(a, b []float32) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("cosine similarity: dimensions differ: %d and %d", len(a), len(b))
	}
	return cosine(a, b), nil
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / (math.Sqrt(na) * math.Sqrt(nb))
}

// EuclideanDistance returns |a − b|, computed in float64. It fails when the
// lengths differ.
func EuclideanDistance(a, b []float32) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("euclidean distance: dimensions differ: %d and %d", len(a), len(b))
	}
	return math.Sqrt(sqDist(a, b)), nil
}

func sqDist(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

// Normalize returns a new vector v/|v| (L2). A zero vector is returned as a
// zero vector of the same length.
func Normalize(v []float32) []float32 {
	out := make([]float32, len(v))
	n := 0.0
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return out
	}
	inv := 1 / math.Sqrt(n)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// Softmax returns exp(s_i/T) / Σ_j exp(s_j/T) for temperature T > 0,
// computed stably (the maximum is subtracted first). A small T sharpens the
// distribution: cosine scores in [−1, 1] need T around 0.05 (a scale of 20,
// as in sentence-transformers' MultipleNegativesRankingLoss) to give
// probabilities far from uniform. It fails on an empty input, T ≤ 0, or a
// NaN score.
func Softmax(scores []float64, temperature float64) ([]float64, error) {
	if len(scores) == 0 {
		return nil, errors.New("softmax: no scores")
	}
	if !(temperature > 0) || math.IsInf(temperature, 0) {
		return nil, fmt.Errorf("softmax: temperature must be positive and finite, got %v", temperature)
	}
	mx := math.Inf(-1)
	for i, s := range scores {
		if math.IsNaN(s) {
			return nil, fmt.Errorf("softmax: score %d is NaN", i)
		}
		mx = math.Max(mx, s)
	}
	out := make([]float64, len(scores))
	if math.IsInf(mx, 0) {
		return nil, errors.New("softmax: infinite score")
	}
	sum := 0.0
	for i, s := range scores {
		out[i] = math.Exp((s - mx) / temperature)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out, nil
}

func dot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func copyRows(rows [][]float32) [][]float32 {
	if rows == nil {
		return nil
	}
	out := make([][]float32, len(rows))
	for i, r := range rows {
		out[i] = append([]float32(nil), r...)
	}
	return out
}
