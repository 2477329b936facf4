package classify

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVectorFunctions(t *testing.T) {
	c, err := CosineSimilarity([]float32{3, 4}, []float32{4, 3})
	require.NoError(t, err)
	assert.InDelta(t, 24.0/25.0, c, 1e-7)
	c, err = CosineSimilarity([]float32{1, 0}, []float32{1, 1})
	require.NoError(t, err)
	assert.InDelta(t, 1/math.Sqrt2, c, 1e-7)
	c, err = CosineSimilarity([]float32{1, 0}, []float32{-2, 0})
	require.NoError(t, err)
	assert.InDelta(t, -1, c, 1e-12)
	c, err = CosineSimilarity([]float32{0, 0}, []float32{1, 0})
	require.NoError(t, err)
	assert.Equal(t, 0.0, c)
	_, err = CosineSimilarity([]float32{1}, []float32{1, 0})
	assert.ErrorContains(t, err, "dimensions differ")

	d, err := EuclideanDistance([]float32{0, 0}, []float32{3, 4})
	require.NoError(t, err)
	assert.InDelta(t, 5, d, 1e-12)
	_, err = EuclideanDistance([]float32{1}, nil)
	assert.Error(t, err)

	n := Normalize([]float32{3, 4})
	assert.InDeltaSlice(t, []float32{0.6, 0.8}, n, 1e-7)
	assert.Equal(t, []float32{0, 0}, Normalize([]float32{0, 0}))
	in := []float32{3, 4}
	_ = Normalize(in)
	assert.Equal(t, []float32{3, 4}, in, "input untouched")
}

func TestSoftmax(t *testing.T) {
	// [1,2,3] at T=1: e^-2, e^-1, 1 over their sum.
	p, err := Softmax([]float64{1, 2, 3}, 1)
	require.NoError(t, err)
	s := math.Exp(-2) + math.Exp(-1) + 1
	assert.InDeltaSlice(t, []float64{math.Exp(-2) / s, math.Exp(-1) / s, 1 / s}, p, 1e-12)

	// [0, ln3/2] at T=0.5: e^0 : e^ln3 = 1 : 3.
	p, err = Softmax([]float64{0, math.Log(3) / 2}, 0.5)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0.25, 0.75}, p, 1e-12)

	// Large scores do not overflow.
	p, err = Softmax([]float64{1000, 1000}, 0.01)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0.5, 0.5}, p, 1e-12)

	for _, tc := range []struct {
		name string
		s    []float64
		temp float64
	}{
		{"empty", nil, 1},
		{"zero temperature", []float64{1}, 0},
		{"negative temperature", []float64{1}, -1},
		{"nan", []float64{math.NaN()}, 1},
		{"inf", []float64{math.Inf(1), 0}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Softmax(tc.s, tc.temp)
			assert.Error(t, err)
		})
	}
}
