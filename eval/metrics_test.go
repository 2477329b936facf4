package eval

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAccuracy(t *testing.T) {
	got, err := Accuracy([]string{"a", "b", "c", "a"}, []string{"a", "c", "c", "a"})
	require.NoError(t, err)
	assert.InDelta(t, 0.75, got, 1e-12)

	_, err = Accuracy([]string{"a"}, []string{"a", "b"})
	assert.ErrorContains(t, err, "1 gold labels but 2 predictions")
	_, err = Accuracy(nil, nil)
	assert.ErrorContains(t, err, "no labels")
}

func TestMacroF1(t *testing.T) {
	tests := []struct {
		name       string
		gold, pred []string
		want       float64
	}{
		{
			// Confusion (rows gold, columns pred):
			//        a  b  c
			//   a    2  1  1
			//   b    1  2  0
			//   c    0  1  2
			// a: TP 2, FP 1, FN 2 -> F1 4/7
			// b: TP 2, FP 2, FN 1 -> F1 4/7
			// c: TP 2, FP 1, FN 1 -> F1 4/6
			// macro = (4/7 + 4/7 + 2/3) / 3 = 38/63
			name: "three classes",
			gold: []string{"a", "a", "a", "a", "b", "b", "b", "c", "c", "c"},
			pred: []string{"a", "a", "b", "c", "b", "b", "a", "c", "c", "b"},
			want: 38.0 / 63.0,
		},
		{
			// b is only predicted: F1(a) = 2/(2+0+1) = 2/3, F1(b) = 0; mean 1/3.
			name: "label only in predictions counts as zero",
			gold: []string{"a", "a"},
			pred: []string{"a", "b"},
			want: 1.0 / 3.0,
		},
		{
			name: "perfect",
			gold: []string{"x", "y", "z"},
			pred: []string{"x", "y", "z"},
			want: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MacroF1(tc.gold, tc.pred)
			require.NoError(t, err)
			assert.InDelta(t, tc.want, got, 1e-12)
		})
	}
	_, err := MacroF1([]string{"a"}, nil)
	assert.Error(t, err)
}

func TestPearsonSpearman(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	y := []float64{2, 4, 5, 4, 5}
	// Pearson: dx = -2..2, dy = -2,0,1,0,1; Sxy = 6, Sxx = 10, Syy = 6.
	r, err := Pearson(x, y)
	require.NoError(t, err)
	assert.InDelta(t, 6/math.Sqrt(60), r, 1e-12)

	// Spearman: ranks of y with ties = 1, 2.5, 4.5, 2.5, 4.5; mean 3,
	// dy = -2, -.5, 1.5, -.5, 1.5; Sxy = 7, Sxx = 10, Syy = 9.
	assert.Equal(t, []float64{1, 2.5, 4.5, 2.5, 4.5}, Ranks(y))
	rho, err := Spearman(x, y)
	require.NoError(t, err)
	assert.InDelta(t, 7/math.Sqrt(90), rho, 1e-12)

	// A monotone but non-linear relation has Spearman 1, Pearson < 1.
	rho, err = Spearman([]float64{1, 2, 3, 4}, []float64{1, 10, 100, 1000})
	require.NoError(t, err)
	assert.InDelta(t, 1, rho, 1e-12)
	rho, err = Spearman([]float64{1, 2, 3}, []float64{3, 2, 1})
	require.NoError(t, err)
	assert.InDelta(t, -1, rho, 1e-12)

	assert.Equal(t, []float64{1, 2.5, 2.5, 4}, Ranks([]float64{10, 20, 20, 30}))
	assert.Equal(t, []float64{3, 1, 2}, Ranks([]float64{0.9, -1, 0.5}))

	errCases := []struct {
		name string
		x, y []float64
		msg  string
	}{
		{"length", []float64{1, 2}, []float64{1}, "lengths differ"},
		{"too few", []float64{1}, []float64{1}, "at least 2"},
		{"constant", []float64{1, 1, 1}, []float64{1, 2, 3}, "constant"},
		{"nan", []float64{1, math.NaN()}, []float64{1, 2}, "NaN"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Pearson(tc.x, tc.y)
			assert.ErrorContains(t, err, tc.msg)
			_, err = Spearman(tc.x, tc.y)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestMeanCI95(t *testing.T) {
	// 1..5: mean 3, sample variance 10/4 = 2.5, half-width 1.96·sqrt(2.5/5) = 1.96/sqrt(2).
	m, h, err := MeanCI95([]float64{1, 2, 3, 4, 5})
	require.NoError(t, err)
	assert.InDelta(t, 3, m, 1e-12)
	assert.InDelta(t, 1.96/math.Sqrt2, h, 1e-12)

	// 0.5, 0.7, 0.9, 0.7: mean 0.7, SS 0.08, s² = 0.08/3, half-width 1.96·s/2.
	m, h, err = MeanCI95([]float64{0.5, 0.7, 0.9, 0.7})
	require.NoError(t, err)
	assert.InDelta(t, 0.7, m, 1e-12)
	assert.InDelta(t, 1.96*math.Sqrt(0.08/3)/2, h, 1e-12)

	m, h, err = MeanCI95([]float64{0.4})
	require.NoError(t, err)
	assert.Equal(t, 0.4, m)
	assert.Equal(t, 0.0, h)

	_, _, err = MeanCI95(nil)
	assert.Error(t, err)
	_, _, err = MeanCI95([]float64{1, math.Inf(1)})
	assert.ErrorContains(t, err, "value 1")
}
