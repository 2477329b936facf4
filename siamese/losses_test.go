package siamese

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/torch"
)

// The fixtures come from scripts/reference_losses.py, an independent PyTorch implementation of each loss
// that follows sentence-transformers' code (boolean indexing, repeat, torch.max with indices), in float64.
const (
	lossTol        = 1e-5 // absolute, on values and gradients, in float64 and float32 alike
	lossFixtureDir = "testdata/losses"
	tinyBertDir    = "../model/testdata/models/bert"
)

type lossUnitCase struct {
	Case      string        `json:"case"`
	Loss      string        `json:"loss"`
	Options   LossOptions   `json:"options"`
	LabelKind string        `json:"label_kind"`
	Columns   [][][]float64 `json:"columns"`
	Labels    []float64     `json:"labels"`
	Value     float64       `json:"value"`
	Grads     [][][]float64 `json:"grads"`
}

type lossParamJSON struct {
	Rows []int64         `json:"rows"`
	Grad json.RawMessage `json:"grad"`
}

type lossBertCase struct {
	Loss           string                   `json:"loss"`
	LabelKind      string                   `json:"label_kind"`
	Labels         []float64                `json:"labels"`
	InputIDs       [][][]int64              `json:"input_ids"`
	Embeddings     [][][]float64            `json:"embeddings"`
	Value          float64                  `json:"value"`
	EmbeddingGrads [][][]float64            `json:"embedding_grads"`
	Params         map[string]lossParamJSON `json:"params"`
}

func readLossFixture[T any](t *testing.T, name string) []T {
	t.Helper()
	path := filepath.Join(lossFixtureDir, name)
	data, err := os.ReadFile(path)
	require.NoError(t, err, "run /usr/bin/python3 scripts/reference_losses.py to make %s", path)
	var f struct {
		Cases []T `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &f), "parse %s", path)
	require.NotEmpty(t, f.Cases, "%s has no cases", path)
	return f.Cases
}

func lossFlatten(m [][]float64) (data []float64, rows, cols int64) {
	for _, r := range m {
		data = append(data, r...)
	}
	if len(m) > 0 {
		cols = int64(len(m[0]))
	}
	return data, int64(len(m)), cols
}

// lossLabels builds labels as the trainer passes them: float32 scores, int64 classes, or nil.
func lossLabels(t *testing.T, kind string, values []float64) *torch.Tensor {
	t.Helper()
	var (
		x   *torch.Tensor
		err error
	)
	switch kind {
	case "none":
		return nil
	case "score":
		f := make([]float32, len(values))
		for i, v := range values {
			f[i] = float32(v)
		}
		x, err = torch.FromSlice(f, int64(len(f)))
	case "class":
		c := make([]int64, len(values))
		for i, v := range values {
			c[i] = int64(v)
		}
		x, err = torch.FromSlice(c, int64(len(c)))
	default:
		t.Fatalf("unknown label kind %q", kind)
	}
	require.NoError(t, err)
	t.Cleanup(x.Close)
	return x
}

// lossLeaf makes a lossLeaf tensor of the given dtype that requires grad, closed when the test ends.
func lossLeaf(t *testing.T, m [][]float64, dtype torch.DType) *torch.Tensor {
	t.Helper()
	data, r, c := lossFlatten(m)
	x, err := torch.FromSlice(data, r, c)
	require.NoError(t, err)
	if dtype != torch.Float64 {
		y, err := x.To(dtype, torch.CPU)
		x.Close()
		require.NoError(t, err)
		x = y
	}
	t.Cleanup(x.Close)
	require.NoError(t, x.SetRequiresGrad(true))
	return x
}

// lossValues64 copies a tensor out as float64 whatever its float dtype.
func lossValues64(t *testing.T, x *torch.Tensor) []float64 {
	t.Helper()
	y, err := x.To(torch.Float64, torch.CPU)
	require.NoError(t, err)
	defer y.Close()
	v, err := torch.Data[float64](y)
	require.NoError(t, err)
	return v
}

func lossGrad(t *testing.T, x *torch.Tensor) []float64 {
	t.Helper()
	g, err := x.Grad()
	require.NoError(t, err)
	require.NotNil(t, g, "no gradient reached the tensor")
	defer g.Close()
	return lossValues64(t, g)
}

// lossCompare asserts |got - want| <= tol elementwise and returns the largest difference.
func lossCompare(t *testing.T, what string, want, got []float64, tol float64) float64 {
	t.Helper()
	require.Len(t, got, len(want), what)
	worst := 0.0
	for i := range want {
		d := math.Abs(got[i] - want[i])
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		worst = math.Max(worst, d)
		assert.LessOrEqual(t, d, tol, "%s element %d: want %v, got %v", what, i, want[i], got[i])
	}
	return worst
}

// runLossStep runs the loss forward and backward on leaves and returns the loss value.
func runLossStep(t *testing.T, l Loss, cols []*torch.Tensor, labels *torch.Tensor) float64 {
	t.Helper()
	s := torch.NewScope()
	defer s.Close()
	out := l.Forward(s, cols, labels)
	require.NoError(t, s.Err())
	require.NotNil(t, out)
	sh, err := out.Shape()
	require.NoError(t, err)
	require.Empty(t, sh, "the loss must be a scalar")
	v, err := out.Item()
	require.NoError(t, err)
	require.NoError(t, out.Backward())
	return v
}

// TestLossesMatchReference compares every loss's value and gradients with the PyTorch reference on seeded
// random embeddings, to 1e-5 in float64 (observed differences <= 3e-15) and in float32, the training dtype
// (observed <= 4e-6).
func TestLossesMatchReference(t *testing.T) {
	cases := readLossFixture[lossUnitCase](t, "unit.json")
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.Loss] = true
		for _, dt := range []torch.DType{torch.Float64, torch.Float32} {
			t.Run(tc.Case+"/"+dt.String(), func(t *testing.T) {
				l, err := LossByName(tc.Loss, tc.Options)
				require.NoError(t, err)
				cols := make([]*torch.Tensor, len(tc.Columns))
				for i, c := range tc.Columns {
					cols[i] = lossLeaf(t, c, dt)
				}
				got := runLossStep(t, l, cols, lossLabels(t, tc.LabelKind, tc.Labels))
				worst := math.Abs(got - tc.Value)
				assert.InDelta(t, tc.Value, got, lossTol, "loss value")
				for i, c := range cols {
					want, _, _ := lossFlatten(tc.Grads[i])
					worst = math.Max(worst, lossCompare(t, "gradient of column "+strconv.Itoa(i), want, lossGrad(t, c), lossTol))
				}
				t.Logf("max |difference| %.3g", worst)
			})
		}
	}
	for _, name := range LossNames() {
		assert.True(t, seen[name], "no reference case for loss %s", name)
	}
}

// TestLossesHandComputed checks each loss on inputs small enough to work out by hand.
func TestLossesHandComputed(t *testing.T) {
	r2 := math.Sqrt(2) / 2
	r3 := math.Sqrt(3) / 2
	// 1-D embeddings 0, 1, 3, 6 with classes 0, 0, 1, 1: distances are |i - j|.
	line := [][]float64{{0}, {1}, {3}, {6}}
	classes := []float64{0, 0, 1, 1}
	tests := []struct {
		name   string
		loss   Loss
		cols   [][][]float64
		kind   string
		labels []float64
		want   float64
	}{
		// cos 0 vs score 1, cos 1 vs score 0.5: mean of 1 and 0.25.
		{"cosine", CosineSimilarityLoss{}, [][][]float64{{{1, 0}, {1, 0}}, {{0, 1}, {2, 0}}}, "score", []float64{1, 0.5}, 0.625},
		// y=1, d=1: 0.5; y=0, d=1-1/sqrt2: 0.5*(0.5-d)^2.
		{"contrastive", ContrastiveLoss{}, [][][]float64{{{1, 0}, {1, 0}}, {{0, 1}, {1, 1}}}, "score", []float64{1, 0},
			(0.5 + 0.5*math.Pow(0.5-(1-r2), 2)) / 2},
		// Distances: positives 0 and 1, negatives 0.5 and 2. Hard positive: 1 > min neg 0.5 -> 1^2. Hard
		// negative: 0.5 < max pos 1 -> relu(1 - 0.5)^2 with margin 1.
		{"online-contrastive", OnlineContrastiveLoss{Margin: 1},
			[][][]float64{{{1, 0}, {1, 0}, {1, 0}, {1, 0}}, {{1, 0}, {0, 1}, {0.5, r3}, {-1, 0}}}, "score", []float64{1, 1, 0, 0}, 1.25},
		// Anchors (1,0), (0,1); positives (1,0), (1,0): logits [20 20] and [0 0], each log 2.
		{"mnrl", MultipleNegativesRankingLoss{}, [][][]float64{{{1, 0}, {0, 1}}, {{1, 0}, {1, 0}}}, "none", nil, math.Log(2)},
		// Hard negative (0,1) joins the candidates: row 1 logits [20 20 0 20], row 2 [0 0 0 20]... for the
		// second anchor its own positive scores 0 against the negative column's 20 and 0.
		{"mnrl hard negatives", MultipleNegativesRankingLoss{}, [][][]float64{{{1, 0}, {0, 1}}, {{1, 0}, {1, 0}}, {{0, 1}, {0, 1}}}, "none", nil,
			(math.Log(2*math.Exp(20)+2) - 20 + math.Log(3+2*math.Exp(20))) / 2},
		// |a-p| - |a-n| + 5: 5 - 1 + 5 = 9 and 1 - 10 + 5 < 0.
		{"triplet", TripletLoss{}, [][][]float64{{{0, 0}, {0, 0}}, {{3, 4}, {0, 1}}, {{0, 1}, {6, 8}}}, "none", nil, 4.5},
		// Per anchor: 1-3+5, 1-2+5, 3-2+5, 3-5+5.
		{"batch-hard", BatchHardTripletLoss{}, [][][]float64{line}, "class", classes, 16.0 / 4},
		// Valid triplets 3, 0, 4, 1, 5, 6, 2, 3: sum 24 over the 7 positive ones.
		{"batch-all", BatchAllTripletLoss{}, [][][]float64{line}, "class", classes, 24.0 / 7},
		// (a,p) = (0,1): negatives at 3, 6 -> 3: loss 3. (1,0): at 2, 5 -> 2: 4. (2,3), d=3: negatives at 3
		// and 2, none strictly farther -> the farthest, 3: 5. (3,2), d=3: at 6, 5 -> 5: 3. Mean 15/4.
		{"batch-semi-hard", BatchSemiHardTripletLoss{}, [][][]float64{line}, "class", classes, 15.0 / 4},
		// A=3, P=6 (class 1), N1=0, N2=-1 (class 0). (A,P), d=3: N1 at 3 is not strictly farther, N2 at 4
		// is: 3-4+5. (P,A): N1 at 6: 3-6+5. (N1,N2), d=1: A at 3: 1-3+5. (N2,N1): A at 4: 1-4+5. Mean 11/4.
		{"batch-semi-hard strict", BatchSemiHardTripletLoss{}, [][][]float64{{{3}, {6}, {0}, {-1}}}, "class", []float64{1, 1, 0, 0}, 11.0 / 4},
		// One positive (d 1) and negatives at 0.1, 0.2, 0.6: negatives are cut at their own mean 0.3, so
		// 0.1 and 0.2 are hard: (1-0.1)^2 + (1-0.2)^2; the positive beats the smallest negative: 1^2.
		{"online-contrastive one positive", OnlineContrastiveLoss{Margin: 1},
			[][][]float64{unitRows(1, 1, 1, 1), unitRows(1-1, 1-0.1, 1-0.2, 1-0.6)}, "score", []float64{1, 0, 0, 0}, 1 + 0.81 + 0.64},
		// One negative (d 0.3) and positives at 0.1, 0.4, 0.9: positives are cut at their mean 0.467, so
		// only 0.9 is hard: 0.9^2; the negative is below the largest positive: (0.5-0.3)^2.
		{"online-contrastive one negative", OnlineContrastiveLoss{},
			[][][]float64{unitRows(1, 1, 1, 1), unitRows(1-0.3, 1-0.1, 1-0.4, 1-0.9)}, "score", []float64{0, 1, 1, 1}, 0.81 + 0.04},
		// Only pair 1 (score 0.2) below pair 2 (0.8): log(1 + exp(20*1 - 20*0)).
		{"cosent", CoSENTLoss{}, [][][]float64{{{1, 0}, {1, 0}}, {{2, 0}, {0, 3}}}, "score", []float64{0.2, 0.8}, math.Log1p(math.Exp(20))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cols := make([]*torch.Tensor, len(tc.cols))
			for i, c := range tc.cols {
				cols[i] = lossLeaf(t, c, torch.Float64)
			}
			got := runLossStep(t, tc.loss, cols, lossLabels(t, tc.kind, tc.labels))
			assert.InDelta(t, tc.want, got, 1e-9)
		})
	}
}

// unitRows returns the 2-D unit vectors (c, sqrt(1-c^2)), one per cosine c: their cosine distance to
// (1, 0) is 1 - c.
func unitRows(cosines ...float64) [][]float64 {
	var out [][]float64
	for _, c := range cosines {
		out = append(out, []float64{c, math.Sqrt(1 - c*c)})
	}
	return out
}

// TestLossPairwiseEuclidean checks ST's batch distance matrix on a 3-4-5 triangle: exact zeros on the
// diagonal and a finite gradient there (the reason for ST's epsilon trick).
func TestLossPairwiseEuclidean(t *testing.T) {
	x := lossLeaf(t, [][]float64{{0, 0}, {3, 0}, {3, 4}}, torch.Float64)
	s := torch.NewScope()
	defer s.Close()
	bi := batchInfo{rows: 3, dtype: torch.Float64, dev: torch.CPU}
	idx := s.Arange(0, 3, torch.Int64, torch.CPU)
	eye := s.Eq(s.Unsqueeze(idx, 1), s.Unsqueeze(idx, 0))
	d := pairwiseEuclidean(s, x, eye, bi)
	total := s.Sum(d, false)
	require.NoError(t, s.Err())
	got := lossValues64(t, d)
	want := []float64{0, 3, 5, 3, 0, 4, 5, 4, 0}
	for i := range want {
		assert.InDelta(t, want[i], got[i], 1e-12, "d[%d][%d]", i/3, i%3)
	}
	assert.Equal(t, []float64{0, 0, 0}, []float64{got[0], got[4], got[8]}, "the diagonal is exactly zero")
	require.NoError(t, total.Backward())
	// d/dx_i of sum_{j,k} d_jk = 2 * sum_j (x_i - x_j) / |x_i - x_j|.
	wantGrad := []float64{
		2 * (-1 + -3.0/5), 2 * (-4.0 / 5),
		2 * (1 + 0), 2 * (-1),
		2 * (3.0/5 + 0), 2 * (4.0/5 + 1),
	}
	g := lossGrad(t, x)
	for i := range wantGrad {
		assert.InDelta(t, wantGrad[i], g[i], 1e-9, "gradient %d", i)
	}
}

// TestLossByName checks names, defaults, overrides and the errors of the registry.
func TestLossByName(t *testing.T) {
	tests := []struct {
		name    string
		opts    LossOptions
		want    Loss
		kind    LabelKind
		minCols int
		maxCols int
	}{
		{"cosine", LossOptions{}, CosineSimilarityLoss{}, LabelsScore, 2, 2},
		{"contrastive", LossOptions{}, ContrastiveLoss{Margin: 0.5}, LabelsScore, 2, 2},
		{"contrastive", LossOptions{Margin: 1.5}, ContrastiveLoss{Margin: 1.5}, LabelsScore, 2, 2},
		{"online-contrastive", LossOptions{}, OnlineContrastiveLoss{Margin: 0.5}, LabelsScore, 2, 2},
		{"mnrl", LossOptions{}, MultipleNegativesRankingLoss{Scale: 20}, LabelsNone, 2, 8},
		{"mnrl", LossOptions{Scale: 5}, MultipleNegativesRankingLoss{Scale: 5}, LabelsNone, 2, 8},
		{"triplet", LossOptions{}, TripletLoss{Margin: 5}, LabelsNone, 3, 3},
		{"triplet", LossOptions{Margin: 1}, TripletLoss{Margin: 1}, LabelsNone, 3, 3},
		{"batch-hard", LossOptions{}, BatchHardTripletLoss{Margin: 5}, LabelsClass, 1, 1},
		{"batch-semi-hard", LossOptions{}, BatchSemiHardTripletLoss{Margin: 5}, LabelsClass, 1, 1},
		{"batch-all", LossOptions{Margin: 2}, BatchAllTripletLoss{Margin: 2}, LabelsClass, 1, 1},
		{"cosent", LossOptions{}, CoSENTLoss{Scale: 20}, LabelsScore, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := LossByName(tc.name, tc.opts)
			require.NoError(t, err)
			assert.Equal(t, tc.want, l)
			assert.Equal(t, tc.name, l.Name())
			assert.Equal(t, tc.kind, l.Labels())
			lo, hi := l.Columns()
			assert.Equal(t, tc.minCols, lo)
			assert.Equal(t, tc.maxCols, hi)
		})
	}
	assert.Len(t, LossNames(), 9)
	for _, n := range LossNames() {
		assert.Contains(t, LossHelp(), n)
	}

	errs := []struct {
		name string
		opts LossOptions
		msg  []string
	}{
		{"softmax", LossOptions{}, []string{`unknown loss "softmax"`, "cosine, contrastive, online-contrastive, mnrl, triplet, batch-hard, batch-semi-hard, batch-all, cosent"}},
		{"", LossOptions{}, []string{`unknown loss ""`}},
		{"mnrl", LossOptions{Margin: 1}, []string{"loss mnrl has no margin"}},
		{"cosine", LossOptions{Scale: 2}, []string{"loss cosine has no scale"}},
		{"triplet", LossOptions{Scale: 2}, []string{"loss triplet has no scale"}},
		{"triplet", LossOptions{Margin: -1}, []string{"margin must be a positive finite number", "-1"}},
		{"cosent", LossOptions{Scale: math.NaN()}, []string{"scale must be a positive finite number"}},
		{"mnrl", LossOptions{Scale: math.Inf(1)}, []string{"scale must be a positive finite number"}},
	}
	for _, tc := range errs {
		_, err := LossByName(tc.name, tc.opts)
		require.Error(t, err, "%s %+v", tc.name, tc.opts)
		for _, m := range tc.msg {
			assert.Contains(t, err.Error(), m)
		}
	}
}

// TestLossInputErrors checks that bad inputs are recorded in the scope with a clear message and that
// Forward returns nil instead of running.
func TestLossInputErrors(t *testing.T) {
	pair := [][]float64{{1, 0, 0}, {0, 1, 0}}
	emb := func(m [][]float64) *torch.Tensor { return lossLeaf(t, m, torch.Float64) }
	vec, err := torch.FromSlice([]float64{1, 2, 3})
	require.NoError(t, err)
	t.Cleanup(vec.Close)
	intScores := lossLabels(t, "class", []float64{1, 0})
	tests := []struct {
		name   string
		loss   Loss
		cols   []*torch.Tensor
		labels *torch.Tensor
		msg    string
	}{
		{"one column for a pair loss", CosineSimilarityLoss{}, []*torch.Tensor{emb(pair)}, lossLabels(t, "score", []float64{1, 0}),
			"loss cosine: needs 2 text column(s), got 1"},
		{"two columns for triplet", TripletLoss{}, []*torch.Tensor{emb(pair), emb(pair)}, nil, "loss triplet: needs 3 text column(s), got 2"},
		{"one column for mnrl", MultipleNegativesRankingLoss{}, []*torch.Tensor{emb(pair)}, nil, "loss mnrl: needs 2 to 8 text columns, got 1"},
		{"two columns for batch-hard", BatchHardTripletLoss{}, []*torch.Tensor{emb(pair), emb(pair)}, lossLabels(t, "class", []float64{0, 1}),
			"loss batch-hard: needs 1 text column(s), got 2"},
		{"no columns", BatchAllTripletLoss{}, nil, lossLabels(t, "class", []float64{0, 1}), "loss batch-all: needs 1 text column(s), got 0"},
		{"missing scores", ContrastiveLoss{}, []*torch.Tensor{emb(pair), emb(pair)}, nil, "loss contrastive: needs labels (a float score per row), got none"},
		{"missing classes", BatchSemiHardTripletLoss{}, []*torch.Tensor{emb(pair)}, nil, "loss batch-semi-hard: needs labels (an int64 class id per row), got none"},
		{"label count", CoSENTLoss{}, []*torch.Tensor{emb(pair), emb(pair)}, lossLabels(t, "score", []float64{1, 0, 1}),
			"loss cosent: labels must have shape [2] (one per row), got [3]"},
		{"float classes", BatchHardTripletLoss{}, []*torch.Tensor{emb(pair)}, lossLabels(t, "score", []float64{0, 1}),
			"loss batch-hard: labels must be integer class ids, got float32"},
		{"integer scores", OnlineContrastiveLoss{}, []*torch.Tensor{emb(pair), emb(pair)}, intScores,
			"loss online-contrastive: labels must be floating-point scores, got int64"},
		{"row mismatch", TripletLoss{}, []*torch.Tensor{emb(pair), emb(pair), emb(pair[:1])}, nil, "loss triplet: column 2 has shape [1 3], column 0 has [2 3]"},
		{"dim mismatch", MultipleNegativesRankingLoss{}, []*torch.Tensor{emb(pair), emb([][]float64{{1, 0}, {0, 1}})}, nil,
			"loss mnrl: column 1 has shape [2 2], column 0 has [2 3]"},
		{"1-D embeddings", CosineSimilarityLoss{}, []*torch.Tensor{vec, vec}, lossLabels(t, "score", []float64{1}),
			"loss cosine: embeddings of column 0 must be [batch, dim], got shape [3]"},
		{"empty batch", MultipleNegativesRankingLoss{}, []*torch.Tensor{emb([][]float64{}), emb([][]float64{})}, nil, "loss mnrl: empty batch"},
		{"closed tensor", TripletLoss{}, []*torch.Tensor{emb(pair), nil, emb(pair)}, nil, "loss triplet: embeddings of column 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := torch.NewScope()
			defer s.Close()
			out := tc.loss.Forward(s, tc.cols, tc.labels)
			assert.Nil(t, out)
			require.Error(t, s.Err())
			assert.Contains(t, s.Err().Error(), tc.msg)
			assert.Zero(t, s.Len(), "nothing should have run")
		})
	}

	t.Run("scope already failed", func(t *testing.T) {
		s := torch.NewScope()
		defer s.Close()
		s.Fail(os.ErrInvalid)
		out := CosineSimilarityLoss{}.Forward(s, []*torch.Tensor{emb(pair), emb(pair)}, lossLabels(t, "score", []float64{1, 0}))
		assert.Nil(t, out)
		assert.ErrorIs(t, s.Err(), os.ErrInvalid, "the first error is kept")
	})
}

// lossPaddedBatch right-pads token id sequences with pad (mask 0, token types 0).
func lossPaddedBatch(seqs [][]int64, pad int64) model.Batch {
	n := 0
	for _, s := range seqs {
		n = max(n, len(s))
	}
	b := model.Batch{Size: len(seqs), SeqLen: n}
	for _, s := range seqs {
		for j := 0; j < n; j++ {
			if j < len(s) {
				b.IDs = append(b.IDs, s[j])
				b.Mask = append(b.Mask, 1)
			} else {
				b.IDs = append(b.IDs, pad)
				b.Mask = append(b.Mask, 0)
			}
			b.TypeIDs = append(b.TypeIDs, 0)
		}
	}
	return b
}

// lossParamGrad returns the gradient of the checkpoint tensor name (a new handle the caller closes). For a
// row block of a fused parameter (a layer's query/key/value) it is that block of the fused gradient.
func lossParamGrad(t *testing.T, m *model.Model, name string) *torch.Tensor {
	t.Helper()
	for _, p := range m.Parameters() {
		for i, part := range p.Parts {
			if part != name {
				continue
			}
			g, err := p.Tensor.Grad()
			require.NoError(t, err)
			require.NotNil(t, g, "parameter %s has no gradient", name)
			if len(p.Parts) == 1 {
				return g
			}
			defer g.Close()
			rows, err := g.Size(0)
			require.NoError(t, err)
			block := rows / int64(len(p.Parts))
			v, err := torch.Narrow(g, 0, int64(i)*block, block)
			require.NoError(t, err)
			return v
		}
	}
	t.Fatalf("model has no parameter %s", name)
	return nil
}

// TestLossesBertStep runs one training step (forward without dropout, loss, backward) through the tiny
// BERT for every loss and compares the loss, the embeddings, d loss / d embeddings and the gradients of
// named parameters with the PyTorch reference (float64 weights), to 1e-5 with the model loaded in float64
// (observed differences <= 5e-15) and in float32, the training dtype (observed <= 3e-6).
func TestLossesBertStep(t *testing.T) {
	cases := readLossFixture[lossBertCase](t, "bert_step.json")
	for _, dt := range []torch.DType{torch.Float64, torch.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			m, err := model.Load(tinyBertDir, model.LoadOptions{Precision: dt})
			require.NoError(t, err)
			defer m.Close()
			require.NoError(t, m.SetTrainable(true))
			pad := int64(m.Arch.PadTokenID)
			for _, tc := range cases {
				t.Run(tc.Loss, func(t *testing.T) {
					for _, p := range m.Parameters() {
						require.NoError(t, p.Tensor.ZeroGrad())
					}
					l, err := LossByName(tc.Loss, LossOptions{})
					require.NoError(t, err)
					labels := lossLabels(t, tc.LabelKind, tc.Labels)
					worst := 0.0
					note := func(d float64) { worst = math.Max(worst, d) }

					// The step through the model.
					embs := make([]*torch.Tensor, len(tc.InputIDs))
					for i, seqs := range tc.InputIDs {
						e, err := m.Forward(lossPaddedBatch(seqs, pad), false)
						require.NoError(t, err)
						t.Cleanup(e.Close)
						embs[i] = e
						want, _, _ := lossFlatten(tc.Embeddings[i])
						note(lossCompare(t, "embeddings of column "+strconv.Itoa(i), want, lossValues64(t, e), lossTol))
					}
					got := runLossStep(t, l, embs, labels)
					assert.InDelta(t, tc.Value, got, lossTol, "loss value")
					note(math.Abs(got - tc.Value))
					for name, pg := range tc.Params {
						g := lossParamGrad(t, m, name)
						if pg.Rows != nil {
							idx, err := torch.FromSlice(pg.Rows, int64(len(pg.Rows)))
							require.NoError(t, err)
							sel, err := torch.IndexSelect(g, 0, idx)
							idx.Close()
							g.Close()
							require.NoError(t, err)
							g = sel
						}
						gotG := lossValues64(t, g)
						g.Close()
						want := lossNumbers(t, pg.Grad)
						note(lossCompare(t, "gradient of "+name, want, gotG, lossTol))
					}

					// d loss / d embeddings: the same loss on detached copies that are leaves.
					leaves := make([]*torch.Tensor, len(embs))
					for i, e := range embs {
						d, err := torch.Detach(e)
						require.NoError(t, err)
						t.Cleanup(d.Close)
						require.NoError(t, d.SetRequiresGrad(true))
						leaves[i] = d
					}
					runLossStep(t, l, leaves, labels)
					for i, d := range leaves {
						want, _, _ := lossFlatten(tc.EmbeddingGrads[i])
						note(lossCompare(t, "d loss / d embeddings of column "+strconv.Itoa(i), want, lossGrad(t, d), lossTol))
					}
					t.Logf("max |difference| %.3g", worst)
				})
			}
		})
	}
}

// lossNumbers reads a JSON number array of any nesting depth, flattened in row-major order.
func lossNumbers(t *testing.T, raw json.RawMessage) []float64 {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(raw, &v))
	var out []float64
	var walk func(x any)
	walk = func(x any) {
		switch y := x.(type) {
		case float64:
			out = append(out, y)
		case []any:
			for _, z := range y {
				walk(z)
			}
		default:
			t.Fatalf("unexpected JSON value %v", x)
		}
	}
	walk(v)
	return out
}
