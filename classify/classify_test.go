package classify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/dataset"
)

// fakeEmbedder returns fixed vectors per text and records its calls.
type fakeEmbedder struct {
	id    string
	vecs  map[string][]float32
	calls [][]string // texts of each Embed call
	err   error
	short bool // return one embedding too few
}

func (f *fakeEmbedder) ID() string { return f.id }

func (f *fakeEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	f.calls = append(f.calls, append([]string(nil), texts...))
	if f.err != nil {
		return nil, f.err
	}
	out := make([][]float32, 0, len(texts))
	for _, t := range texts {
		v, ok := f.vecs[t]
		if !ok {
			return nil, fmt.Errorf("fake embedder: unknown text %q", t)
		}
		out = append(out, append([]float32(nil), v...))
	}
	if f.short {
		out = out[:len(out)-1]
	}
	return out, nil
}

// textCount counts how often each text was embedded over all calls.
func (f *fakeEmbedder) textCount() map[string]int {
	n := map[string]int{}
	for _, c := range f.calls {
		for _, t := range c {
			n[t]++
		}
	}
	return n
}

func labelsOf(p []Prediction) []string {
	out := make([]string, len(p))
	for i := range p {
		out[i] = p[i].Label
	}
	return out
}

func TestPrototypeMetrics(t *testing.T) {
	// Class A = {(1,1), (1,-1)} -> prototype (1,0); class B = {(10,0), (10,2)}
	// -> prototype (10,1). The query (2,0.3) points almost exactly like B
	// (cosine) but lies much closer to A (distance).
	support := [][]float32{{1, 1}, {10, 0}, {1, -1}, {10, 2}}
	labels := []string{"A", "B", "A", "B"}
	q := [][]float32{{2, 0.3}}
	qx, qy := float64(float32(2)), float64(float32(0.3))
	qn := math.Hypot(qx, qy)
	cosA := qx / qn
	cosB := (10*qx + qy) / (qn * math.Sqrt(101))
	dA := (qx-1)*(qx-1) + qy*qy
	dB := (qx-10)*(qx-10) + (qy-1)*(qy-1)

	cos := &Prototype{}
	require.NoError(t, cos.Fit(support, labels))
	assert.Equal(t, []string{"A", "B"}, cos.Labels())
	assert.Equal(t, [][]float32{{1, 0}, {10, 1}}, cos.Prototypes())
	p, err := cos.Predict(q)
	require.NoError(t, err)
	require.Len(t, p, 1)
	assert.Equal(t, "B", p[0].Label)
	require.Len(t, p[0].Scores, 2)
	assert.Equal(t, "B", p[0].Scores[0].Label)
	assert.InDelta(t, cosB, p[0].Scores[0].Score, 1e-9)
	assert.InDelta(t, cosA, p[0].Scores[1].Score, 1e-9)

	euc := &Prototype{Metric: MetricEuclidean}
	require.NoError(t, euc.Fit(support, labels))
	p, err = euc.Predict(q)
	require.NoError(t, err)
	assert.Equal(t, "A", p[0].Label)
	assert.InDelta(t, -dA, p[0].Scores[0].Score, 1e-9)
	assert.InDelta(t, -dB, p[0].Scores[1].Score, 1e-9)

	// Probabilities: softmax of the cosines at temperature 0.5.
	prob := &Prototype{Probabilities: true, Temperature: 0.5}
	require.NoError(t, prob.Fit(support, labels))
	p, err = prob.Predict(q)
	require.NoError(t, err)
	pB := 1 / (1 + math.Exp((cosA-cosB)/0.5))
	assert.InDelta(t, pB, p[0].Scores[0].Score, 1e-9)
	assert.InDelta(t, 1-pB, p[0].Scores[1].Score, 1e-9)

	// Euclidean probabilities at the default temperature 1.
	eprob := &Prototype{Metric: MetricEuclidean, Probabilities: true}
	require.NoError(t, eprob.Fit([][]float32{{0, 0}, {2, 0}}, []string{"x", "y"}))
	p, err = eprob.Predict([][]float32{{0.5, 0}})
	require.NoError(t, err)
	// distances² 0.25 and 2.25: p(x) = 1/(1+e^-2).
	assert.Equal(t, "x", p[0].Label)
	assert.InDelta(t, 1/(1+math.Exp(-2)), p[0].Scores[0].Score, 1e-9)
}

func TestPrototypeTieGoesToFirstLabel(t *testing.T) {
	c := &Prototype{}
	require.NoError(t, c.Fit([][]float32{{1, 0}, {0, 1}}, []string{"zeta", "alpha"}))
	p, err := c.Predict([][]float32{{1, 1}})
	require.NoError(t, err)
	assert.Equal(t, "alpha", p[0].Label)
	assert.Equal(t, "zeta", p[0].Scores[1].Label)
}

func TestKNN(t *testing.T) {
	// q = (0.6, 0.4). Cosines: a(1,0) .832, a(0.9,0.1) .888,
	// b(0,1) .555, b(0.1,0.9) .643, b(0.2,0.8) .740.
	support := [][]float32{{1, 0}, {0, 1}, {0.9, 0.1}, {0.1, 0.9}, {0.2, 0.8}}
	labels := []string{"a", "b", "a", "b", "b"}
	q := [][]float32{{0.6, 0.4}}
	tests := []struct {
		name   string
		knn    KNN
		want   string
		scoreA float64
		scoreB float64
	}{
		{"1-NN by default", KNN{}, "a", 1, 0},
		{"3-NN: two a, one b", KNN{K: 3}, "a", 2.0 / 3, 1.0 / 3},
		{"5-NN: three b", KNN{K: 5}, "b", 2.0 / 5, 3.0 / 5},
		{"K above support size uses all", KNN{K: 50}, "b", 2.0 / 5, 3.0 / 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.knn
			require.NoError(t, k.Fit(support, labels))
			p, err := k.Predict(q)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p[0].Label)
			got := map[string]float64{}
			for _, s := range p[0].Scores {
				got[s.Label] = s.Score
			}
			assert.InDelta(t, tc.scoreA, got["a"], 1e-12)
			assert.InDelta(t, tc.scoreB, got["b"], 1e-12)
		})
	}

	// Vote ties: b at (1,0), a at (0,1), query (0.8,0.6): 2-NN uniform is a
	// 1-1 tie that label order gives to "a"; distance weighting gives
	// b 0.8 against a 0.6.
	sup := [][]float32{{1, 0}, {0, 1}}
	lab := []string{"b", "a"}
	uni := &KNN{K: 2}
	require.NoError(t, uni.Fit(sup, lab))
	p, err := uni.Predict([][]float32{{0.8, 0.6}})
	require.NoError(t, err)
	assert.Equal(t, "a", p[0].Label)
	dist := &KNN{K: 2, Weighting: WeightDistance}
	require.NoError(t, dist.Fit(sup, lab))
	p, err = dist.Predict([][]float32{{0.8, 0.6}})
	require.NoError(t, err)
	assert.Equal(t, "b", p[0].Label)
	assert.InDelta(t, 0.8, p[0].Scores[0].Score, 1e-6)
	assert.InDelta(t, 0.6, p[0].Scores[1].Score, 1e-6)

	// Neighbour ties: equal vectors, the earlier support example wins.
	nn := &KNN{K: 1}
	require.NoError(t, nn.Fit([][]float32{{1, 0}, {1, 0}}, []string{"late", "early"}))
	p, err = nn.Predict([][]float32{{1, 0}})
	require.NoError(t, err)
	assert.Equal(t, "late", p[0].Label)
}

func TestClassifierErrors(t *testing.T) {
	good := [][]float32{{1, 0}, {0, 1}}
	tests := []struct {
		name   string
		emb    [][]float32
		labels []string
		msg    string
	}{
		{"empty support", nil, nil, "empty support set"},
		{"length mismatch", good, []string{"a"}, "2 support embeddings but 1 labels"},
		{"one class", good, []string{"a", "a"}, "one class only"},
		{"unequal dims", [][]float32{{1, 0}, {1}}, []string{"a", "b"}, "embedding 1 has dimension 1, want 2"},
		{"nan", [][]float32{{1, 0}, {float32(math.NaN()), 1}}, []string{"a", "b"}, "embedding 1 value 0"},
		{"inf", [][]float32{{float32(math.Inf(1)), 0}, {0, 1}}, []string{"a", "b"}, "embedding 0 value 0"},
		{"empty vector", [][]float32{{}, {}}, []string{"a", "b"}, "is empty"},
		{"empty label", good, []string{"a", ""}, "empty label"},
	}
	for _, tc := range tests {
		for _, c := range []Classifier{&Prototype{}, &KNN{}} {
			t.Run(fmt.Sprintf("%s/%T", tc.name, c), func(t *testing.T) {
				assert.ErrorContains(t, c.Fit(tc.emb, tc.labels), tc.msg)
			})
		}
	}

	// Declared classes: one without examples, an example outside them.
	p := &Prototype{Classes: []string{"a", "b", "c"}}
	assert.ErrorContains(t, p.Fit(good, []string{"a", "b"}), `class "c" has no support examples`)
	k := &KNN{Classes: []string{"a"}}
	assert.ErrorContains(t, k.Fit(good, []string{"a", "b"}), `label "b", which is not among`)

	// Bad parameters.
	assert.ErrorContains(t, (&Prototype{Metric: "manhattan"}).Fit(good, []string{"a", "b"}), "unknown metric")
	assert.ErrorContains(t, (&Prototype{Temperature: -1}).Fit(good, []string{"a", "b"}), "temperature")
	assert.ErrorContains(t, (&KNN{K: -1}).Fit(good, []string{"a", "b"}), "K must be")
	assert.ErrorContains(t, (&KNN{Weighting: "rank"}).Fit(good, []string{"a", "b"}), "unknown weighting")

	// Predict before Fit, and with the wrong dimension.
	_, err := (&Prototype{}).Predict(good)
	assert.ErrorContains(t, err, "not fitted")
	_, err = (&KNN{}).Predict(good)
	assert.ErrorContains(t, err, "not fitted")
	for _, c := range []Classifier{&Prototype{}, &KNN{}} {
		require.NoError(t, c.Fit(good, []string{"a", "b"}))
		_, err = c.Predict([][]float32{{1, 0, 0}})
		assert.ErrorContains(t, err, "dimension 3, want 2")
		_, err = c.Predict([][]float32{{float32(math.NaN()), 0}})
		assert.ErrorContains(t, err, "NaN")
		p, err := c.Predict(nil)
		assert.NoError(t, err)
		assert.Empty(t, p)
	}
}

func TestSupportSet(t *testing.T) {
	e := &fakeEmbedder{id: "m1", vecs: map[string][]float32{
		"cats purr": {1, 0}, "kittens": {0.9, 0.1}, "dogs bark": {0, 1}, "puppies": {0.1, 0.9},
		"a cat": {0.8, 0.2}, "a dog": {0.2, 0.8},
	}}
	examples := []dataset.Example{
		{Text: "cats purr", Label: "cat"}, {Text: "kittens", Label: "cat"},
		{Text: "dogs bark", Label: "dog"}, {Text: "puppies", Label: "dog"},
	}
	ctx := context.Background()
	ss, err := NewSupportSet(ctx, e, examples)
	require.NoError(t, err)
	require.Len(t, e.calls, 1)
	assert.Equal(t, []string{"cats purr", "kittens", "dogs bark", "puppies"}, e.calls[0])
	assert.Equal(t, "m1", ss.ModelID)
	assert.Equal(t, []string{"cat", "cat", "dog", "dog"}, ss.Labels())

	for _, c := range []Classifier{&Prototype{}, &KNN{K: 3}} {
		require.NoError(t, ss.Fit(c))
	}
	assert.Len(t, e.calls, 1, "refitting does not embed again")

	p, err := PredictTexts(ctx, e, &Prototype{}, []string{"a cat"})
	assert.ErrorContains(t, err, "not fitted")
	assert.Nil(t, p)
	proto := &Prototype{}
	require.NoError(t, ss.Fit(proto))
	p, err = PredictTexts(ctx, e, proto, []string{"a cat", "a dog"})
	require.NoError(t, err)
	assert.Equal(t, []string{"cat", "dog"}, labelsOf(p))
	assert.Len(t, e.calls, 3)
	assert.Equal(t, []string{"a cat", "a dog"}, e.calls[2])

	p, err = PredictTexts(ctx, e, proto, nil)
	assert.NoError(t, err)
	assert.Empty(t, p)
	assert.Len(t, e.calls, 3, "no texts, no Embed call")

	_, err = NewSupportSet(ctx, e, nil)
	assert.ErrorContains(t, err, "no examples")
	_, err = NewSupportSet(ctx, e, []dataset.Example{{Text: "kittens"}})
	assert.ErrorContains(t, err, "empty label")
	_, err = NewSupportSet(ctx, &fakeEmbedder{id: "x", err: errors.New("boom")}, examples)
	assert.ErrorContains(t, err, "boom")
	_, err = NewSupportSet(ctx, &fakeEmbedder{id: "x", vecs: e.vecs, short: true}, examples)
	assert.ErrorContains(t, err, "4 texts gave 3 embeddings")
}

// linearHead stands in for the logistic-regression head that another file
// will provide: it restores "logreg" files (weights + bias) to show that the
// format carries them.
type linearHead struct {
	labels []string
	w      [][]float64
	b      []float64
}

func (h *linearHead) Fit([][]float32, []string) error { return errors.New("not implemented") }
func (h *linearHead) Method() string                  { return "logreg" }
func (h *linearHead) State() (*SavedClassifier, error) {
	return &SavedClassifier{Dim: len(h.w[0]), Labels: h.labels, Params: json.RawMessage(`{"c":1}`), Weights: h.w, Bias: h.b}, nil
}
func (h *linearHead) Restore(s *SavedClassifier) error {
	h.labels, h.w, h.b = s.Labels, s.Weights, s.Bias
	return nil
}
func (h *linearHead) Predict(emb [][]float32) ([]Prediction, error) {
	out := make([]Prediction, len(emb))
	for i, x := range emb {
		scores := make([]float64, len(h.labels))
		for c := range h.labels {
			scores[c] = h.b[c]
			for j, v := range x {
				scores[c] += h.w[c][j] * float64(v)
			}
		}
		r := rankScores(h.labels, scores)
		out[i] = Prediction{Label: r[0].Label, Scores: r}
	}
	return out, nil
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	support := [][]float32{{1, 0.25}, {0.5, 1}, {0.75, 0.125}, {0.0625, 1}}
	labels := []string{"pos", "neg", "pos", "neg"}
	queries := [][]float32{{1, 1.5}, {2, 0.5}, {-1, 0.25}}

	for _, c := range []SaveableClassifier{
		&Prototype{Metric: MetricEuclidean, Probabilities: true, Temperature: 2},
		&KNN{K: 3, Weighting: WeightDistance},
	} {
		t.Run(c.Method(), func(t *testing.T) {
			require.NoError(t, c.Fit(support, labels))
			want, err := c.Predict(queries)
			require.NoError(t, err)
			path := filepath.Join(dir, c.Method()+".json")
			require.NoError(t, SaveClassifier(path, c, "model-A"))

			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, e := range entries {
				assert.NotContains(t, e.Name(), ".tmp", "temporary file left behind")
			}

			var raw map[string]any
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(data, &raw))
			assert.Equal(t, "fewshot-classifier", raw["format"])
			assert.Equal(t, c.Method(), raw["method"])
			assert.Equal(t, "model-A", raw["embedder_id"])
			assert.Equal(t, float64(2), raw["dim"])
			assert.Equal(t, []any{"neg", "pos"}, raw["labels"])

			loaded, err := LoadClassifier(path, "model-A")
			require.NoError(t, err)
			assert.IsType(t, c, loaded)
			got, err := loaded.Predict(queries)
			require.NoError(t, err)
			assert.Equal(t, want, got)

			_, err = LoadClassifier(path, "model-B")
			require.ErrorIs(t, err, ErrModelMismatch)
			assert.ErrorContains(t, err, `"model-A"`)
			assert.ErrorContains(t, err, `"model-B"`)
		})
	}

	// Prototype vectors are stored exactly.
	s, err := ReadSavedClassifier(filepath.Join(dir, "prototype.json"))
	require.NoError(t, err)
	assert.Equal(t, [][]float32{{0.28125, 1}, {0.875, 0.1875}}, s.Prototypes)
	var params map[string]any
	require.NoError(t, json.Unmarshal(s.Params, &params))
	assert.Equal(t, map[string]any{"metric": "euclidean", "temperature": float64(2), "probabilities": true}, params)

	// A linear head fits the same format.
	head := &linearHead{labels: []string{"neg", "pos"}, w: [][]float64{{-1, 2}, {1, -2}}, b: []float64{0.5, -0.5}}
	path := filepath.Join(dir, "logreg.json")
	require.NoError(t, SaveClassifier(path, head, "model-A"))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"method":"logreg"`)
	assert.Contains(t, string(data), `"weights":[[-1,2],[1,-2]],"bias":[0.5,-0.5]`)
	// LoadClassifier knows logreg itself; an extra head of the same method takes precedence.
	builtin, err := LoadClassifier(path, "model-A")
	require.NoError(t, err)
	require.IsType(t, &LogReg{}, builtin)
	loaded, err := LoadClassifier(path, "model-A", &linearHead{})
	require.NoError(t, err)
	require.IsType(t, &linearHead{}, loaded)
	for _, c := range []Classifier{builtin, loaded} {
		p, err := c.Predict([][]float32{{1, 0}})
		require.NoError(t, err)
		// logits: neg -1+0.5 = -0.5, pos 1-0.5 = 0.5.
		assert.Equal(t, "pos", p[0].Label)
	}

	// Overwriting keeps one file.
	require.NoError(t, SaveClassifier(path, head, "model-C"))
	s, err = ReadSavedClassifier(path)
	require.NoError(t, err)
	assert.Equal(t, "model-C", s.EmbedderID)
}

func TestSaveLoadErrors(t *testing.T) {
	dir := t.TempDir()
	assert.ErrorContains(t, SaveClassifier(filepath.Join(dir, "x.json"), &Prototype{}, "m"), "not fitted")
	fitted := &Prototype{}
	require.NoError(t, fitted.Fit([][]float32{{1, 0}, {0, 1}}, []string{"a", "b"}))
	assert.Error(t, SaveClassifier(filepath.Join(dir, "missing", "x.json"), fitted, "m"))

	nan := &linearHead{labels: []string{"a", "b"}, w: [][]float64{{math.NaN()}, {1}}, b: []float64{0, 0}}
	assert.ErrorContains(t, SaveClassifier(filepath.Join(dir, "nan.json"), nan, "m"), "weight [0][0]")

	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	tests := []struct {
		name, body, msg string
	}{
		{"not json", `{`, "unexpected end"},
		{"wrong format", `{"format":"other","version":1}`, `format "other"`},
		{"wrong version", `{"format":"fewshot-classifier","version":9}`, "format version 9"},
		{"prototype rows", `{"format":"fewshot-classifier","version":1,"method":"prototype","embedder_id":"m","dim":2,
			"labels":["a","b"],"params":{"metric":"cosine","temperature":0.05},"prototypes":[[1,0]]}`, "1 prototypes for 2 labels"},
		{"prototype dim", `{"format":"fewshot-classifier","version":1,"method":"prototype","embedder_id":"m","dim":3,
			"labels":["a","b"],"params":{"metric":"cosine","temperature":0.05},"prototypes":[[1,0],[0,1]]}`, "dimension 2, want 3"},
		{"duplicate labels", `{"format":"fewshot-classifier","version":1,"method":"prototype","embedder_id":"m","dim":2,
			"labels":["a","a"],"params":{"metric":"cosine","temperature":0.05},"prototypes":[[1,0],[0,1]]}`, "duplicate label"},
		{"no params", `{"format":"fewshot-classifier","version":1,"method":"knn","embedder_id":"m","dim":2,"labels":["a","b"]}`, "no params"},
		{"knn class without support", `{"format":"fewshot-classifier","version":1,"method":"knn","embedder_id":"m","dim":2,
			"labels":["a","b"],"params":{"k":1,"weighting":"uniform"},"support_labels":["a"],"support_vectors":[[1,0]]}`, `class "b" has no support`},
		{"unknown", `{"format":"fewshot-classifier","version":1,"method":"svm","embedder_id":"m"}`, `unknown method "svm"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadClassifier(write(tc.name+".json", tc.body), "m")
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	_, err := LoadClassifier(filepath.Join(dir, "absent.json"), "m")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestHeadByName(t *testing.T) {
	assert.Equal(t, []string{"prototype", "knn", "logreg"}, HeadNames())
	cases := []struct {
		name string
		opts HeadOptions
		want SaveableClassifier
	}{
		{"prototype", HeadOptions{Metric: MetricEuclidean, K: 9, C: 3}, &Prototype{Metric: MetricEuclidean}},
		{" KNN ", HeadOptions{K: 3}, &KNN{K: 3}},
		{"logreg", HeadOptions{C: 0.5}, &LogReg{C: 0.5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := NewHead(tc.name, tc.opts)
			require.NoError(t, err)
			assert.Equal(t, tc.want, h)
			f, err := HeadFactory(tc.name, tc.opts)
			require.NoError(t, err)
			a, b := f(), f()
			assert.Equal(t, tc.want, a)
			assert.NotSame(t, a, b, "a factory makes a fresh head each call")
		})
	}
	_, err := NewHead("svm", HeadOptions{})
	assert.ErrorContains(t, err, `unknown head "svm" (want prototype, knn, logreg)`)
}
