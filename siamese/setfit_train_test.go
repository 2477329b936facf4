package siamese

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/eval"
	"github.com/fewshot-go/fewshot/model"
)

func toyExamples() []dataset.Example {
	var ex []dataset.Example
	for i := 0; i < 10; i++ {
		ex = append(ex,
			dataset.Example{Text: fmt.Sprintf("the cat number %d sleeps on the warm sofa", i), Label: "animal"},
			dataset.Example{Text: fmt.Sprintf("train %d leaves the station at noon", i), Label: "vehicle"})
	}
	return ex
}

// TestTrainSetFit: the body is fine-tuned on SetFit pairs, the head is fitted on the fine-tuned
// embeddings of the sampled examples and saved with the saved model's ID. The head's weights are
// checked against a LogReg fitted independently on embeddings from the reloaded output folder.
func TestTrainSetFit(t *testing.T) {
	out := filepath.Join(t.TempDir(), "setfit")
	m := loadTinyBert(t)
	res, err := TrainSetFit(context.Background(), m, toyExamples(), SetFitConfig{
		Train: TrainConfig{OutDir: out, BatchSize: 8, LR: 1e-3},
		Shots: 4,
	})
	require.NoError(t, err)
	assert.Equal(t, 8, res.Examples)
	// Two classes of 4 with self pairs: 2*10 = 20 positives, 16 negatives; oversampling gives 20 + 20.
	assert.Equal(t, 40, res.Rows)
	assert.Equal(t, 5, res.Train.Steps, "one epoch of 40 pairs in batches of 8")
	assert.Equal(t, filepath.Join(out, HeadFileName), res.HeadPath)

	saved, err := classify.ReadSavedClassifier(res.HeadPath)
	require.NoError(t, err)
	assert.Equal(t, "logreg", saved.Method)
	assert.Equal(t, []string{"animal", "vehicle"}, saved.Labels)
	assert.Equal(t, res.ModelID, saved.EmbedderID)

	// The recorded ID is that of the output folder without the head file (model IDs hash every file
	// in the folder, so the head's own bytes cannot be part of the ID it records).
	aside := filepath.Join(t.TempDir(), HeadFileName)
	require.NoError(t, os.Rename(res.HeadPath, aside))
	reloaded, err := model.Load(out, model.LoadOptions{})
	require.NoError(t, err)
	defer reloaded.Close()
	assert.Equal(t, reloaded.ID(), saved.EmbedderID)
	require.NoError(t, os.Rename(aside, res.HeadPath))

	sampled, err := eval.SamplePerLabel(toyExamples(), 4, 42)
	require.NoError(t, err)
	texts, labels := make([]string, len(sampled)), make([]string, len(sampled))
	for i, ex := range sampled {
		texts[i], labels[i] = ex.Text, ex.Label
	}
	fit := func(e *model.Model) [][]float64 {
		emb, err := e.Encode(context.Background(), texts, model.EncodeOptions{})
		require.NoError(t, err)
		lr := &classify.LogReg{}
		require.NoError(t, lr.Fit(emb, labels))
		w, _ := lr.Weights()
		return w
	}
	want := fit(reloaded)
	require.Len(t, saved.Weights, 2)
	for c := range want {
		assert.InDeltaSlice(t, want[c], saved.Weights[c], 1e-6, "class %d", c)
	}
	base := fit(loadTinyBert(t))
	assert.NotEqual(t, base, saved.Weights, "the head was fitted on fine-tuned, not base, embeddings")
}

func TestTrainSetFitErrors(t *testing.T) {
	one := []dataset.Example{{Text: "a", Label: "x"}, {Text: "b", Label: "x"}}
	_, err := TrainSetFit(context.Background(), loadTinyBert(t), one, SetFitConfig{Train: TrainConfig{OutDir: filepath.Join(t.TempDir(), "o")}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at least two labels")
	_, err = TrainSetFit(context.Background(), loadTinyBert(t), nil, SetFitConfig{Train: TrainConfig{OutDir: filepath.Join(t.TempDir(), "o")}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no examples")
}
