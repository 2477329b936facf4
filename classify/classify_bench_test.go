package classify_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/eval"
	"github.com/fewshot-go/fewshot/model"
)

// supportBenchModel is the tiny random BERT of the model package's test data.
var supportBenchModel = filepath.Join("..", "model", "testdata", "models", "bert")

// callCounter wraps an Embedder and records the texts of every Embed call.
type callCounter struct {
	inner classify.Embedder
	calls [][]string
}

func (c *callCounter) ID() string { return c.inner.ID() }

func (c *callCounter) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.calls = append(c.calls, append([]string(nil), texts...))
	return c.inner.Embed(ctx, texts)
}

// banking77Task returns a 77-way support set of 10 texts per label and 1000 other Banking77 texts
// (none of which is a support text) as queries.
func banking77Task(tb testing.TB) (support []dataset.Example, queries []string) {
	tb.Helper()
	dir := sharedDataTB(tb)
	ex, err := dataset.ReadExamples(filepath.Join(dir, "classification", "banking77", "train.csv"), dataset.Options{})
	require.NoError(tb, err)
	support, err = eval.SamplePerLabel(ex, 10, 0)
	require.NoError(tb, err)
	require.Len(tb, support, 770)
	inSupport := map[string]bool{}
	for _, s := range support {
		inSupport[s.Text] = true
	}
	for _, e := range ex {
		if len(queries) == 1000 {
			break
		}
		if !inSupport[e.Text] {
			queries = append(queries, e.Text)
		}
	}
	require.Len(tb, queries, 1000)
	return support, queries
}

// sharedData returns the shared data folder (env FEWSHOT_SHARED_DATA, else
// ../../shared/data from this package) or skips the test.
func sharedData(t *testing.T) string {
	t.Helper()
	return sharedDataTB(t)
}

// sharedDataTB is sharedData for tests and benchmarks.
func sharedDataTB(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "shared", "data")
	if d := os.Getenv("FEWSHOT_SHARED_DATA"); d != "" {
		dir = d
	}
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("shared data not found at %s (set FEWSHOT_SHARED_DATA): %v", dir, err)
	}
	return dir
}

// TestSupportEmbeddedOnce: a 77-way 10-shot support set is embedded once; classifying 1000 queries
// then takes exactly one Embed call holding exactly the queries, for every head, and the support
// texts are never embedded again. The cached path predicts what a fresh embedding does.
func TestSupportEmbeddedOnce(t *testing.T) {
	support, queries := banking77Task(t)
	m, err := model.Load(supportBenchModel, model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	ctx := context.Background()
	cc := &callCounter{inner: m}
	set, err := classify.NewSupportSet(ctx, cc, support)
	require.NoError(t, err)
	require.Len(t, cc.calls, 1, "support embedded in one call")
	assert.Len(t, cc.calls[0], 770)
	assert.Equal(t, m.ID(), set.ModelID)

	supportTexts := map[string]bool{}
	for _, s := range support {
		supportTexts[s.Text] = true
	}
	fresh, err := m.Embed(ctx, queries) // outside the counter: the reference
	require.NoError(t, err)
	for _, c := range []classify.SaveableClassifier{&classify.Prototype{}, &classify.KNN{K: 3}, &classify.LogReg{}} {
		t.Run(c.Method(), func(t *testing.T) {
			before := len(cc.calls)
			require.NoError(t, set.Fit(c))
			assert.Len(t, cc.calls, before, "fitting embeds nothing")
			preds, err := classify.PredictTexts(ctx, cc, c, queries)
			require.NoError(t, err)
			require.Len(t, cc.calls, before+1, "one Embed call for the queries")
			assert.Equal(t, queries, cc.calls[before], "exactly the queries, once each")
			for _, text := range cc.calls[before] {
				assert.False(t, supportTexts[text], "support text %q embedded again", text)
			}
			require.Len(t, preds, 1000)
			want, err := c.Predict(fresh)
			require.NoError(t, err)
			assert.Equal(t, classify.LabelsOf(want), classify.LabelsOf(preds))
		})
	}
}

// BenchmarkClassify77Way classifies 1000 Banking77 queries against a cached 77-way 10-shot support
// set with the tiny BERT: one encoder pass over the queries per operation, none over the support.
func BenchmarkClassify77Way(b *testing.B) {
	support, queries := banking77Task(b)
	m, err := model.Load(supportBenchModel, model.LoadOptions{})
	require.NoError(b, err)
	defer m.Close()
	ctx := context.Background()
	cc := &callCounter{inner: m}
	set, err := classify.NewSupportSet(ctx, cc, support)
	require.NoError(b, err)
	for _, c := range []classify.SaveableClassifier{&classify.Prototype{}, &classify.KNN{K: 3}, &classify.LogReg{}} {
		require.NoError(b, set.Fit(c))
		b.Run(c.Method(), func(b *testing.B) {
			before := len(cc.calls)
			n := 0
			for b.Loop() {
				preds, err := classify.PredictTexts(ctx, cc, c, queries)
				if err != nil || len(preds) != len(queries) {
					b.Fatalf("predict: %d predictions, %v", len(preds), err)
				}
				n++
			}
			b.ReportMetric(float64(len(cc.calls)-before)/float64(n), "embed-calls/op")
			b.ReportMetric(float64(len(queries))*float64(n)/b.Elapsed().Seconds(), "queries/s")
		})
	}
}

// TestLogRegBanking77Optimum fits a 77-way 10-shot head on TF-IDF vectors of
// real Banking77 texts and checks the optimum with the independent gradient.
func TestLogRegBanking77Optimum(t *testing.T) {
	ex, err := dataset.ReadExamples(filepath.Join(sharedData(t), "classification", "banking77", "train.csv"), dataset.Options{})
	require.NoError(t, err)
	sample, err := eval.SamplePerLabel(ex, 10, 0)
	require.NoError(t, err)
	require.Len(t, sample, 770)
	texts := make([]string, len(sample))
	labels := make([]string, len(sample))
	for i, e := range sample {
		texts[i], labels[i] = e.Text, e.Label
	}
	tf, err := classify.NewTFIDF(texts)
	require.NoError(t, err)
	emb, err := tf.Embed(context.Background(), texts)
	require.NoError(t, err)
	start := time.Now()
	var lr classify.LogReg
	require.NoError(t, lr.Fit(emb, labels))
	steps, _ := lr.Iterations()
	t.Logf("77-way 10-shot, dim %d: %d iterations in %v", len(emb[0]), steps, time.Since(start))
	w, b := lr.Weights()
	index := map[string]int{}
	for i, l := range lr.Labels() {
		index[l] = i
	}
	y := make([]int, len(labels))
	for i, l := range labels {
		y[i] = index[l]
	}
	_, gw, gb := classify.RefObjective(classify.To64(emb), y, w, b, 1/float64(len(emb)))
	assert.Less(t, classify.MaxAbs(gw, gb), 1e-6)
	preds, err := lr.Predict(emb)
	require.NoError(t, err)
	acc, err := eval.Accuracy(labels, classify.LabelsOf(preds))
	require.NoError(t, err)
	assert.Greater(t, acc, 0.95, "training accuracy of a lightly regularised head")
}
