package siamese

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/torch"
)

// tinyBert is the tiny random BERT in the model package's test data (hidden size 32, 2 layers).
var tinyBert = filepath.Join("..", "model", "testdata", "models", "bert")

func loadTinyBert(t *testing.T) *model.Model {
	t.Helper()
	m, err := model.Load(tinyBert, model.LoadOptions{})
	require.NoError(t, err)
	t.Cleanup(m.Close)
	return m
}

// mseCosLoss is a test loss: the mean squared difference between the cosine similarity of the two
// columns and the score (CosineSimilarityLoss), written here so the trainer's tests do not depend on
// the package's losses.
type mseCosLoss struct{}

func (mseCosLoss) Name() string          { return "test-mse-cos" }
func (mseCosLoss) Columns() (lo, hi int) { return 2, 2 }
func (mseCosLoss) Labels() LabelKind     { return LabelsScore }
func (mseCosLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	return s.MSELoss(s.CosineSimilarity(emb[0], emb[1], 1, 1e-8), labels)
}

// nanLoss returns the test loss at first and NaN from its (after+1)-th forward pass on.
type nanLoss struct {
	mseCosLoss
	after int
	calls *int
}

func (l nanLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	*l.calls++
	x := l.mseCosLoss.Forward(s, emb, labels)
	if *l.calls > l.after {
		return s.MulScalar(x, math.NaN())
	}
	return x
}

// toyPairs is a small STS-like task: paraphrases score 1, unrelated sentences 0.
func toyPairs(n int) TrainData {
	subjects := []string{"the cat", "a dog", "my friend", "the teacher", "our neighbour", "the child", "a bird", "the farmer", "his sister", "the pilot"}
	verbs := []string{"sleeps on the sofa", "runs in the park", "reads a book", "cooks dinner", "plays the piano", "drives to work", "sings a song", "paints the wall", "writes a letter", "watches the rain"}
	var rows []TrainExample
	for i := 0; len(rows) < n; i++ {
		s := subjects[i%len(subjects)]
		v := verbs[(i*3)%len(verbs)]
		if i%2 == 0 {
			rows = append(rows, TrainExample{Texts: []string{s + " " + v, s + " " + v + " today"}, Score: 1})
		} else {
			o := verbs[(i*3+5)%len(verbs)]
			rows = append(rows, TrainExample{Texts: []string{s + " " + v, fmt.Sprintf("nobody %s", o)}, Score: 0})
		}
	}
	return TrainData{Rows: rows, Labels: LabelsScore, Source: "toy"}
}

// paramValues copies every parameter of m to the host.
func paramValues(t *testing.T, m *model.Model) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, p := range m.Parameters() {
		v, err := p.Tensor.Float32s()
		require.NoError(t, err)
		out[p.Name()] = v
	}
	return out
}

// maxAbsDiff is the largest element difference between two parameter sets with the same names.
func maxAbsDiff(t *testing.T, a, b map[string][]float32) float64 {
	t.Helper()
	require.Equal(t, len(a), len(b))
	worst := 0.0
	for k, va := range a {
		vb, ok := b[k]
		require.True(t, ok, k)
		require.Equal(t, len(va), len(vb), k)
		for i := range va {
			worst = math.Max(worst, math.Abs(float64(va[i])-float64(vb[i])))
		}
	}
	return worst
}
