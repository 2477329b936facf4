package classify

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/torch"
)

// refObjective computes, in float64 and independently of torch, the
// regularised multinomial objective (1/n)·Σ CE + (lam/2)·‖W‖² and its
// gradient with respect to W and b (the bias is not penalised).
func refObjective(x [][]float64, y []int, w [][]float64, b []float64, lam float64) (loss float64, gw [][]float64, gb []float64) {
	k, n := len(w), float64(len(x))
	gw = make([][]float64, k)
	for c := range gw {
		gw[c] = make([]float64, len(w[c]))
		for j, v := range w[c] {
			loss += lam / 2 * v * v
			gw[c][j] = lam * v
		}
	}
	gb = make([]float64, k)
	for i, xi := range x {
		z := make([]float64, k)
		mx := math.Inf(-1)
		for c := range z {
			z[c] = b[c]
			for j, v := range xi {
				z[c] += w[c][j] * v
			}
			mx = math.Max(mx, z[c])
		}
		sum := 0.0
		for _, v := range z {
			sum += math.Exp(v - mx)
		}
		loss -= (z[y[i]] - mx - math.Log(sum)) / n
		for c := range z {
			p := math.Exp(z[c]-mx) / sum
			if c == y[i] {
				p--
			}
			gb[c] += p / n
			for j, v := range xi {
				gw[c][j] += p * v / n
			}
		}
	}
	return loss, gw, gb
}

func maxAbs(rows [][]float64, v []float64) float64 {
	m := 0.0
	for _, r := range rows {
		for _, x := range r {
			m = math.Max(m, math.Abs(x))
		}
	}
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

func to64(emb [][]float32) [][]float64 {
	out := make([][]float64, len(emb))
	for i, r := range emb {
		out[i] = make([]float64, len(r))
		for j, v := range r {
			out[i][j] = float64(v)
		}
	}
	return out
}

// threeBlobs is separable 2-D data: three classes in three directions.
func threeBlobs() ([][]float32, []string) {
	emb := [][]float32{
		{3, 0}, {4, 0.5}, {3.5, -0.5},
		{-3, 0}, {-4, -0.5}, {-3.5, 0.5},
		{0, 3}, {0.5, 4}, {-0.5, 3.5},
	}
	labels := []string{"east", "east", "east", "west", "west", "west", "north", "north", "north"}
	return emb, labels
}

func TestLogRegSeparable(t *testing.T) {
	emb, labels := threeBlobs()
	var lr LogReg
	require.NoError(t, lr.Fit(emb, labels))
	assert.Equal(t, []string{"east", "north", "west"}, lr.Labels())

	preds, err := lr.Predict(emb)
	require.NoError(t, err)
	assert.Equal(t, labels, labelsOf(preds), "separable training data: every example right")

	queries := [][]float32{{10, 0}, {-10, 1}, {0, 10}, {2, 0.2}}
	want := []string{"east", "west", "north", "east"}
	preds, err = lr.Predict(queries)
	require.NoError(t, err)
	assert.Equal(t, want, labelsOf(preds))
	for i, p := range preds {
		sum := 0.0
		for r, s := range p.Scores {
			assert.True(t, s.Score > 0 && s.Score < 1, "probability in (0, 1)")
			if r > 0 {
				assert.GreaterOrEqual(t, p.Scores[r-1].Score, s.Score, "best first")
			}
			sum += s.Score
		}
		assert.InDelta(t, 1, sum, 1e-12, "query %d probabilities sum to 1", i)
	}
	assert.Greater(t, preds[0].Scores[0].Score, 0.99, "far along the east direction")
	assert.Greater(t, preds[0].Scores[0].Score, preds[3].Scores[0].Score, "farther from the boundary is surer")
	// The origin is about equally far from every class, but farthest
	// from north's side: no label should be sure there.
	p0, err := lr.Predict([][]float32{{0, 0}})
	require.NoError(t, err)
	assert.Less(t, p0[0].Scores[0].Score, 0.6)
}

// TestLogRegStationary checks the optimum with an independent float64
// gradient: at the minimum of the regularised loss every component is ~0,
// and moving any parameter a little raises the loss.
func TestLogRegStationary(t *testing.T) {
	blobsEmb, blobsLabels := threeBlobs()
	// Overlapping 3-D data with unequal classes: the optimum is interior
	// and the probabilities are far from 0 and 1.
	overlap := [][]float32{{1, 0.2, -1}, {0.8, -0.4, 0.5}, {-0.3, 1, 0.2}, {0.1, 0.9, -0.6}, {0.5, 0.5, 0.5}, {-1, -0.2, 0.3}, {0.2, -1, 1}}
	overlapLabels := []string{"a", "a", "b", "b", "b", "c", "a"}
	cases := []struct {
		name   string
		emb    [][]float32
		labels []string
		c      float64
	}{
		{"separable 3 classes", blobsEmb, blobsLabels, 1},
		{"overlapping 3 classes", overlap, overlapLabels, 1},
		{"overlapping C=10", overlap, overlapLabels, 10},
		{"unnormalised large norms", [][]float32{{20, 5}, {18, -3}, {-15, 4}, {-22, 1}, {3, 25}, {-2, 19}}, []string{"p", "p", "q", "q", "r", "r"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lr := LogReg{C: tc.c}
			require.NoError(t, lr.Fit(tc.emb, tc.labels))
			w, b := lr.Weights()
			classes := lr.Labels()
			index := map[string]int{}
			for i, l := range classes {
				index[l] = i
			}
			y := make([]int, len(tc.labels))
			for i, l := range tc.labels {
				y[i] = index[l]
			}
			x := to64(tc.emb)
			lam := 1 / (tc.c * float64(len(x)))
			loss, gw, gb := refObjective(x, y, w, b, lam)
			g := maxAbs(gw, gb)
			assert.Less(t, g, 1e-6, "gradient at the optimum")
			steps, reported := lr.Iterations()
			t.Logf("%d iterations, gradient %.1e", steps, g)
			assert.InDelta(t, g, reported, 1e-9, "reported gradient agrees")
			for c := range w {
				for j := range w[c] {
					for _, eps := range []float64{1e-3, -1e-3} {
						w[c][j] += eps
						l2, _, _ := refObjective(x, y, w, b, lam)
						w[c][j] -= eps
						assert.Greater(t, l2, loss, "perturbing W[%d][%d] by %v", c, j, eps)
					}
				}
			}
		})
	}
}

// TestLogRegBinaryMatchesSklearn checks the two-class case against
// scikit-learn's binary objective (1/n)·Σ log(1+exp(−y(w·x+c))) +
// (1/(2Cn))·‖w‖², solved here by bisection on its 1-D symmetric form.
func TestLogRegBinaryMatchesSklearn(t *testing.T) {
	// x = +1 labelled "pos", x = -1 labelled "neg": by symmetry the binary
	// intercept is 0, and with n = 2, C = 1 the objective is
	// log(1+e^{-w}) + w²/4, stationary where w/2 = 1/(1+e^w).
	f := func(w float64) float64 { return w/2 - 1/(1+math.Exp(w)) }
	lo, hi := 0.0, 10.0
	for i := 0; i < 200; i++ {
		mid := (lo + hi) / 2
		if f(mid) > 0 {
			hi = mid
		} else {
			lo = mid
		}
	}
	wStar := (lo + hi) / 2
	wantP := 1 / (1 + math.Exp(-wStar*0.5)) // sklearn's predict_proba at x = 0.5

	var lr LogReg
	require.NoError(t, lr.Fit([][]float32{{1}, {-1}}, []string{"pos", "neg"}))
	w, b := lr.Weights()
	require.Equal(t, []string{"neg", "pos"}, lr.Labels())
	assert.InDelta(t, wStar, w[1][0]-w[0][0], 1e-6, "binary weight = w_pos - w_neg")
	assert.InDelta(t, 0, b[1]-b[0], 1e-6)
	p, err := lr.Predict([][]float32{{0.5}})
	require.NoError(t, err)
	assert.Equal(t, "pos", p[0].Label)
	assert.InDelta(t, wantP, p[0].Scores[0].Score, 1e-6)
}

func TestLogRegDeterministic(t *testing.T) {
	emb := [][]float32{{1, 0.2, -1}, {0.8, -0.4, 0.5}, {-0.3, 1, 0.2}, {0.1, 0.9, -0.6}, {0.5, 0.5, 0.5}, {-1, -0.2, 0.3}}
	labels := []string{"a", "a", "b", "b", "c", "c"}
	var a, b LogReg
	live := torch.LiveTensors()
	require.NoError(t, a.Fit(emb, labels))
	assert.LessOrEqual(t, torch.LiveTensors(), live, "Fit frees every tensor it makes")
	require.NoError(t, b.Fit(emb, labels))
	wa, ba := a.Weights()
	wb, bb := b.Weights()
	assert.Equal(t, wa, wb, "bit-identical weights")
	assert.Equal(t, ba, bb)
	assert.NotZero(t, wa[0][0], "weights were learnt")
	// Refitting on other data changes them.
	require.NoError(t, b.Fit(emb[:4], labels[:4]))
	wb, _ = b.Weights()
	assert.NotEqual(t, wa[0], wb[0])
}

// TestLogRegUnusedColumns: a column that is zero in every support example
// gets weight exactly 0, and the other weights are those of a fit without it.
func TestLogRegUnusedColumns(t *testing.T) {
	emb := [][]float32{{1, 0, 0.2}, {0.8, 0, -0.4}, {-0.3, 0, 1}, {0.1, 0, 0.9}}
	short := [][]float32{{1, 0.2}, {0.8, -0.4}, {-0.3, 1}, {0.1, 0.9}}
	labels := []string{"a", "a", "b", "b"}
	var full, part LogReg
	require.NoError(t, full.Fit(emb, labels))
	require.NoError(t, part.Fit(short, labels))
	wf, bf := full.Weights()
	wp, bp := part.Weights()
	for c := range wf {
		assert.Zero(t, wf[c][1])
		assert.InDelta(t, wp[c][0], wf[c][0], 1e-12)
		assert.InDelta(t, wp[c][1], wf[c][2], 1e-12)
		assert.InDelta(t, bp[c], bf[c], 1e-12)
	}

	// All-zero support: only the biases learn, the log class frequencies.
	var z LogReg
	require.NoError(t, z.Fit([][]float32{{0, 0}, {0, 0}, {0, 0}}, []string{"x", "x", "y"}))
	p, err := z.Predict([][]float32{{5, 5}})
	require.NoError(t, err)
	assert.Equal(t, "x", p[0].Label)
	assert.InDelta(t, 2.0/3, p[0].Scores[0].Score, 1e-12)
}

func TestLogRegSaveLoad(t *testing.T) {
	emb, labels := threeBlobs()
	lr := LogReg{C: 2}
	require.NoError(t, lr.Fit(emb, labels))
	path := filepath.Join(t.TempDir(), "head.json")
	require.NoError(t, SaveClassifier(path, &lr, "model-a"))

	s, err := ReadSavedClassifier(path)
	require.NoError(t, err)
	assert.Equal(t, "logreg", s.Method)
	assert.Equal(t, 2, s.Dim)
	require.Len(t, s.Weights, 3)
	require.Len(t, s.Bias, 3)
	w, b := lr.Weights()
	assert.Equal(t, w, s.Weights, "weights survive JSON exactly")
	assert.Equal(t, b, s.Bias)

	c, err := LoadClassifier(path, "model-a", &LogReg{})
	require.NoError(t, err)
	loaded, ok := c.(*LogReg)
	require.True(t, ok, "got %T", c)
	assert.Equal(t, 2.0, loaded.C)
	queries := [][]float32{{1, 1}, {-2, 0.3}, {0.2, 5}}
	want, err := lr.Predict(queries)
	require.NoError(t, err)
	got, err := loaded.Predict(queries)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	_, err = LoadClassifier(path, "model-b", &LogReg{})
	assert.ErrorIs(t, err, ErrModelMismatch)
	c, err = LoadClassifier(path, "model-a")
	require.NoError(t, err, "LoadClassifier restores logreg heads without being given one")
	got, err = c.Predict(queries)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	bad := []struct {
		name string
		edit func(s *SavedClassifier)
		want string
	}{
		{"row count", func(s *SavedClassifier) { s.Weights = s.Weights[:2] }, "weight rows"},
		{"bias count", func(s *SavedClassifier) { s.Bias = s.Bias[:1] }, "biases"},
		{"row length", func(s *SavedClassifier) { s.Weights[1] = s.Weights[1][:1] }, "weight row 1"},
		{"one label", func(s *SavedClassifier) { s.Labels = s.Labels[:1] }, "need at least 2"},
		{"duplicate label", func(s *SavedClassifier) { s.Labels[2] = s.Labels[0] }, "duplicate"},
		{"no params", func(s *SavedClassifier) { s.Params = nil }, "no params"},
		{"bad C", func(s *SavedClassifier) { s.Params = []byte(`{"c": -1}`) }, "C must be positive"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ReadSavedClassifier(path)
			require.NoError(t, err)
			tc.edit(s)
			var l LogReg
			assert.ErrorContains(t, l.Restore(s), tc.want)
		})
	}
}

func TestLogRegErrors(t *testing.T) {
	cases := []struct {
		name   string
		lr     LogReg
		emb    [][]float32
		labels []string
		want   string
	}{
		{"empty", LogReg{}, nil, nil, "empty support set"},
		{"one class", LogReg{}, [][]float32{{1}, {2}}, []string{"a", "a"}, "one class only"},
		{"length mismatch", LogReg{}, [][]float32{{1}, {2}}, []string{"a"}, "2 support embeddings but 1 labels"},
		{"empty label", LogReg{}, [][]float32{{1}, {2}}, []string{"a", ""}, "empty label"},
		{"NaN", LogReg{}, [][]float32{{1}, {float32(math.NaN())}}, []string{"a", "b"}, "NaN"},
		{"ragged", LogReg{}, [][]float32{{1, 2}, {2}}, []string{"a", "b"}, "dimension 1, want 2"},
		{"class without examples", LogReg{Classes: []string{"a", "b", "c"}}, [][]float32{{1}, {2}}, []string{"a", "b"}, `class "c" has no support examples`},
		{"bad C", LogReg{C: -1}, [][]float32{{1}, {2}}, []string{"a", "b"}, "C must be positive"},
		{"bad Tol", LogReg{Tol: math.NaN()}, [][]float32{{1}, {2}}, []string{"a", "b"}, "Tol must be"},
		{"bad MaxIter", LogReg{MaxIter: -3}, [][]float32{{1}, {2}}, []string{"a", "b"}, "MaxIter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lr := tc.lr
			assert.ErrorContains(t, lr.Fit(tc.emb, tc.labels), tc.want)
		})
	}
	var lr LogReg
	_, err := lr.Predict([][]float32{{1}})
	assert.ErrorContains(t, err, "not fitted")
	_, err = lr.State()
	assert.ErrorContains(t, err, "not fitted")
	require.NoError(t, lr.Fit([][]float32{{1, 0}, {0, 1}}, []string{"a", "b"}))
	_, err = lr.Predict([][]float32{{1, 0, 0}})
	assert.ErrorContains(t, err, "dimension 3, want 2")
	p, err := lr.Predict(nil)
	assert.NoError(t, err)
	assert.Empty(t, p)
}
