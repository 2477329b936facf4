package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
)

func TestSamplePerLabel(t *testing.T) {
	var train []dataset.Example
	for i := 0; i < 5; i++ {
		train = append(train, dataset.Example{Text: fmt.Sprintf("a%d", i), Label: "a"})
	}
	train = append(train, dataset.Example{Text: "b0", Label: "b"}, dataset.Example{Text: "b1", Label: "b"})

	s, err := SamplePerLabel(train, 3, 0)
	require.NoError(t, err)
	require.Len(t, s, 5, "3 of a, all 2 of b")
	seen := map[string]bool{}
	for i, ex := range s {
		want := "a"
		if i >= 3 {
			want = "b"
		}
		assert.Equal(t, want, ex.Label)
		assert.Equal(t, want, ex.Text[:1], "text belongs to its label")
		assert.False(t, seen[ex.Text], "no repeats")
		seen[ex.Text] = true
	}

	again, err := SamplePerLabel(train, 3, 0)
	require.NoError(t, err)
	assert.Equal(t, s, again)
	differs := false
	for seed := uint64(1); seed < 6; seed++ {
		o, err := SamplePerLabel(train, 3, seed)
		require.NoError(t, err)
		differs = differs || fmt.Sprint(o[:3]) != fmt.Sprint(s[:3])
	}
	assert.True(t, differs, "other seeds draw other examples")
	assert.Equal(t, []dataset.Example{{Text: "a0", Label: "a"}}, train[:1], "input untouched")

	_, err = SamplePerLabel(train, 0, 0)
	assert.ErrorContains(t, err, "n must be")
	_, err = SamplePerLabel(nil, 2, 0)
	assert.ErrorContains(t, err, "no examples")
	_, err = SamplePerLabel([]dataset.Example{{Text: "x"}}, 2, 0)
	assert.ErrorContains(t, err, "empty label")
}

func TestSetFitFrozenEmbedsTestOnce(t *testing.T) {
	vecs := map[string][]float32{}
	var train, test []dataset.Example
	for i := 0; i < 6; i++ {
		for _, l := range []string{"x", "y"} {
			v := []float32{1, float32(i) * 0.01}
			if l == "y" {
				v = []float32{float32(i) * 0.01, 1}
			}
			tr := fmt.Sprintf("train %s %d", l, i)
			te := fmt.Sprintf("test %s %d", l, i)
			vecs[tr], vecs[te] = v, v
			train = append(train, dataset.Example{Text: tr, Label: l})
			test = append(test, dataset.Example{Text: te, Label: l})
		}
	}
	e := &fakeEmbedder{id: "frozen", vecs: vecs}
	res, err := EvaluateSetFit(context.Background(), train, test, 2, nil, FrozenEmbedSplits(e), func() classify.Classifier { return &classify.Prototype{} })
	require.NoError(t, err)
	require.Len(t, res.Runs, 10, "seeds 0..9 by default")
	for i, r := range res.Runs {
		assert.Equal(t, uint64(i), r.Seed)
		assert.Equal(t, 4, r.TrainSize)
		assert.Equal(t, 1.0, r.Accuracy)
		assert.Equal(t, 1.0, r.MacroF1)
	}
	assert.Equal(t, 2, res.N)
	assert.Equal(t, 1.0, res.AccuracyMean)
	assert.Equal(t, 0.0, res.AccuracySD)

	counts := e.textCount()
	for _, ex := range test {
		assert.Equal(t, 1, counts[ex.Text], "test text %q embedded once over 10 seeds", ex.Text)
	}
	for _, ex := range train {
		assert.LessOrEqual(t, counts[ex.Text], 1, "train text %q", ex.Text)
	}
	assert.Len(t, e.calls[0], len(test), "the first call embeds the test split")
}

// seedRows is an EmbedSplits whose test rows are 1 for the first `seed`
// examples and 0 after, and thresholdClassifier predicts "a" for 1, "b" for 0.
func seedRows(_ context.Context, seed uint64, train []dataset.Example, test []string) ([][]float32, [][]float32, error) {
	tr := make([][]float32, len(train))
	for i := range tr {
		tr[i] = []float32{0}
	}
	te := make([][]float32, len(test))
	for i := range te {
		te[i] = []float32{0}
		if uint64(i) < seed {
			te[i][0] = 1
		}
	}
	return tr, te, nil
}

type thresholdClassifier struct{}

func (thresholdClassifier) Fit([][]float32, []string) error { return nil }
func (thresholdClassifier) Predict(emb [][]float32) ([]classify.Prediction, error) {
	out := make([]classify.Prediction, len(emb))
	for i, e := range emb {
		out[i].Label = "b"
		if e[0] > 0.5 {
			out[i].Label = "a"
		}
	}
	return out, nil
}

func TestEvaluateSetFitAggregates(t *testing.T) {
	train := []dataset.Example{{Text: "t1", Label: "a"}, {Text: "t2", Label: "b"}}
	test := []dataset.Example{{Text: "q1", Label: "a"}, {Text: "q2", Label: "a"}, {Text: "q3", Label: "b"}, {Text: "q4", Label: "b"}}
	// Seed 1 predicts a,b,b,b: accuracy 3/4; F1(a) = 2/3, F1(b) = 4/5, macro 11/15.
	// Seed 2 predicts a,a,b,b: accuracy 1, macro-F1 1.
	res, err := EvaluateSetFit(context.Background(), train, test, 8, []uint64{1, 2}, seedRows,
		func() classify.Classifier { return thresholdClassifier{} })
	require.NoError(t, err)
	require.Len(t, res.Runs, 2)
	assert.InDelta(t, 0.75, res.Runs[0].Accuracy, 1e-12)
	assert.InDelta(t, 11.0/15, res.Runs[0].MacroF1, 1e-12)
	assert.Equal(t, 2, res.Runs[0].TrainSize, "one of each label: all of them")
	assert.InDelta(t, 0.875, res.AccuracyMean, 1e-12)
	assert.InDelta(t, 0.125, res.AccuracySD, 1e-12, "population sd of 0.75 and 1")
	assert.InDelta(t, (11.0/15+1)/2, res.MacroF1Mean, 1e-12)
	assert.InDelta(t, (1-11.0/15)/2, res.MacroF1SD, 1e-12)

	ctx := context.Background()
	newC := func() classify.Classifier { return thresholdClassifier{} }
	_, err = EvaluateSetFit(ctx, train, nil, 8, nil, seedRows, newC)
	assert.ErrorContains(t, err, "empty test split")
	_, err = EvaluateSetFit(ctx, train, test, 8, []uint64{}, seedRows, newC)
	assert.ErrorContains(t, err, "no seeds")
	_, err = EvaluateSetFit(ctx, train, test, 0, nil, seedRows, newC)
	assert.ErrorContains(t, err, "seed 0")
	_, err = EvaluateSetFit(ctx, train, test, 8, nil, nil, newC)
	assert.ErrorContains(t, err, "missing")
	failing := func(context.Context, uint64, []dataset.Example, []string) ([][]float32, [][]float32, error) {
		return nil, nil, errors.New("trainer diverged")
	}
	_, err = EvaluateSetFit(ctx, train, test, 8, []uint64{3}, failing, newC)
	assert.ErrorContains(t, err, "seed 3: trainer diverged")
	short := func(context.Context, uint64, []dataset.Example, []string) ([][]float32, [][]float32, error) {
		return [][]float32{{1}}, nil, nil
	}
	_, err = EvaluateSetFit(ctx, train, test, 8, []uint64{3}, short, newC)
	assert.ErrorContains(t, err, "embeddings for 2 train and 4 test texts")
	_, err = EvaluateSetFit(ctx, train, test, 8, []uint64{3}, FrozenEmbedSplits(&fakeEmbedder{id: "e", vecs: map[string][]float32{}}), newC)
	assert.ErrorContains(t, err, "embed test split")
}

func TestEvaluateSTS(t *testing.T) {
	e := &fakeEmbedder{id: "sts", vecs: map[string][]float32{
		"a": {1, 0}, "b": {1, 1}, "c": {0, 1}, "d": {-1, 0},
	}}
	pairs := []dataset.Pair{{A: "a", B: "a", Score: 5}, {A: "a", B: "b", Score: 3}, {A: "c", B: "a", Score: 2}, {A: "a", B: "d", Score: 0}}
	res, err := EvaluateSTS(context.Background(), e, pairs)
	require.NoError(t, err)
	require.Len(t, e.calls, 1)
	assert.Equal(t, []string{"a", "b", "c", "d"}, e.calls[0], "each distinct sentence once")
	assert.Equal(t, 4, res.Pairs)
	// Cosines 1, 1/√2, 0, -1 against gold 5, 3, 2, 0: same order, Spearman 1.
	assert.InDelta(t, 1, res.Spearman, 1e-12)
	// Pearson worked out: mean cos c̄ = (1/√2)/4, gold mean 2.5.
	cos := []float64{1, 1 / math.Sqrt2, 0, -1}
	gold := []float64{5, 3, 2, 0}
	cbar := (1 / math.Sqrt2) / 4
	var sxy, sxx, syy float64
	for i := range cos {
		sxy += (cos[i] - cbar) * (gold[i] - 2.5)
		sxx += (cos[i] - cbar) * (cos[i] - cbar)
		syy += (gold[i] - 2.5) * (gold[i] - 2.5)
	}
	assert.InDelta(t, sxy/math.Sqrt(sxx*syy), res.Pearson, 1e-7)
	assert.InDelta(t, 0.963471, res.Pearson, 1e-6)

	_, err = EvaluateSTS(context.Background(), e, pairs[:1])
	assert.ErrorContains(t, err, "at least 2 pairs")
	_, err = EvaluateSTS(context.Background(), e, []dataset.Pair{{A: "a", B: "b", Score: 1}, {A: "a", B: "c", Score: 1}})
	assert.ErrorContains(t, err, "constant")
	_, err = EvaluateSTS(context.Background(), &fakeEmbedder{id: "x", err: errors.New("oom")}, pairs)
	assert.ErrorContains(t, err, "oom")
}

// TestSetFitProtocolOnSNIPS runs the SetFit protocol (8 per label, 10
// seeds) with frozen TF-IDF embeddings: train on SNIPS validation, test on
// SNIPS test.
func TestSetFitProtocolOnSNIPS(t *testing.T) {
	train, test := readSNIPS(t, "valid"), readSNIPS(t, "test")
	var corpus []string
	for _, ex := range append(append([]dataset.Example(nil), train...), test...) {
		corpus = append(corpus, ex.Text)
	}
	tf, err := classify.NewTFIDF(corpus)
	require.NoError(t, err)
	res, err := EvaluateSetFit(context.Background(), train, test, 8, nil, FrozenEmbedSplits(tf),
		func() classify.Classifier { return &classify.Prototype{} })
	require.NoError(t, err)
	t.Logf("accuracy %.3f (sd %.3f), macro-F1 %.3f", res.AccuracyMean, res.AccuracySD, res.MacroF1Mean)
	require.Len(t, res.Runs, 10)
	for _, r := range res.Runs {
		assert.Equal(t, 56, r.TrainSize)
	}
	assert.Greater(t, res.AccuracyMean, 0.5, "chance is 1/7")
	assert.Greater(t, res.AccuracySD, 0.0, "seeds draw different samples")
}

// TestSTSOnSTSbDev scores the TF-IDF baseline on STS benchmark dev: word
// overlap correlates with similarity, but far from perfectly.
func TestSTSOnSTSbDev(t *testing.T) {
	path := filepath.Join(sharedData(t), "similarity", "stsbenchmark", "sts-dev.csv")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var pairs []dataset.Pair
	var corpus []string
	for n, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		f := strings.Split(line, "\t")
		require.GreaterOrEqual(t, len(f), 7, "%s line %d", path, n+1)
		score, err := strconv.ParseFloat(f[4], 64)
		require.NoError(t, err, "%s line %d", path, n+1)
		pairs = append(pairs, dataset.Pair{A: f[5], B: f[6], Score: score})
		corpus = append(corpus, f[5], f[6])
	}
	tf, err := classify.NewTFIDF(corpus)
	require.NoError(t, err)
	res, err := EvaluateSTS(context.Background(), tf, pairs)
	require.NoError(t, err)
	t.Logf("spearman %.4f pearson %.4f over %d pairs", res.Spearman, res.Pearson, res.Pairs)
	assert.Equal(t, 1500, res.Pairs)
	assert.Greater(t, res.Spearman, 0.3)
	assert.Less(t, res.Spearman, 0.9)
}
