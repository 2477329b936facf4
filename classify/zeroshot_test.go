package classify

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func zeroShotEmbedder() *fakeEmbedder {
	return &fakeEmbedder{id: "fake", vecs: map[string][]float32{
		// sports: (2,0) and (0,3) normalise to (1,0) and (0,1); their mean
		// normalised is (1/√2, 1/√2). (Averaging raw vectors would give
		// (1,1.5)/|(1,1.5)| instead.)
		"This text is about sports.": {2, 0},
		"A sports story":             {0, 3},
		// politics: both templates (-1,0).
		"This text is about politics.":       {-1, 0},
		"A politics story":                   {-5, 0},
		"sports":                             {0, 1},
		"politics":                           {1, 0},
		"This text is about athletic games.": {0, 4},
		"A athletic games story":             {0, 4},
		"goal":                               {1, 1},
		"vote":                               {-1, 0.1},
		"nothing":                            {0, -1},
	}}
}

var twoTemplates = []string{DefaultZeroShotTemplate, "A {} story"}

func TestZeroShotLabelEmbeddingsComputedOnce(t *testing.T) {
	ctx := context.Background()
	e := zeroShotEmbedder()
	z, err := NewZeroShot(ctx, e, []string{"sports", "politics"}, ZeroShotOptions{Templates: twoTemplates})
	require.NoError(t, err)
	require.Len(t, e.calls, 1)
	assert.Equal(t, []string{"This text is about sports.", "A sports story", "This text is about politics.", "A politics story"}, e.calls[0])

	r := 1 / math.Sqrt2
	le := z.LabelEmbeddings()
	require.Len(t, le, 2)
	assert.InDeltaSlice(t, []float32{float32(r), float32(r)}, le[0], 1e-7)
	assert.InDeltaSlice(t, []float32{-1, 0}, le[1], 1e-7)

	p, err := z.Classify(ctx, []string{"goal", "vote"})
	require.NoError(t, err)
	assert.Equal(t, []string{"sports", "politics"}, labelsOf(p))
	// goal (1,1): cos sports 1, politics -1/√2.
	assertScores(t, []LabelScore{{"sports", 1}, {"politics", -r}}, p[0].Scores)
	assert.Nil(t, p[0].Labels)

	_, err = z.Classify(ctx, []string{"nothing"})
	require.NoError(t, err)
	require.Len(t, e.calls, 3, "one call at construction, one per Classify")
	assert.Equal(t, []string{"goal", "vote"}, e.calls[1])
	assert.Equal(t, []string{"nothing"}, e.calls[2])

	p, err = z.Classify(ctx, nil)
	assert.NoError(t, err)
	assert.Empty(t, p)
	assert.Len(t, e.calls, 3)
}

// assertScores checks labels exactly and scores to float32 precision.
func assertScores(t *testing.T, want, got []LabelScore) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].Label, got[i].Label, "rank %d", i)
		assert.InDelta(t, want[i].Score, got[i].Score, 1e-6, "rank %d", i)
	}
}

func TestZeroShotOptions(t *testing.T) {
	ctx := context.Background()
	r := 1 / math.Sqrt2

	t.Run("bare labels", func(t *testing.T) {
		e := zeroShotEmbedder()
		z, err := NewZeroShot(ctx, e, []string{"sports", "politics"}, ZeroShotOptions{})
		require.NoError(t, err)
		assert.Equal(t, [][]string{{"sports", "politics"}}, e.calls)
		p, err := z.Classify(ctx, []string{"vote"})
		require.NoError(t, err)
		// vote (-1, 0.1): sports (0,1) cos 0.1/|v|, politics (1,0) cos -1/|v|.
		assert.Equal(t, "sports", p[0].Label)
	})

	t.Run("descriptions", func(t *testing.T) {
		e := zeroShotEmbedder()
		z, err := NewZeroShot(ctx, e, []string{"sports", "politics"}, ZeroShotOptions{
			Templates: twoTemplates, Descriptions: map[string]string{"sports": "athletic games"}})
		require.NoError(t, err)
		assert.Equal(t, "This text is about athletic games.", e.calls[0][0])
		assert.Equal(t, []string{"sports", "politics"}, z.Labels())
		p, err := z.Classify(ctx, []string{"goal"})
		require.NoError(t, err)
		assert.Equal(t, "sports", p[0].Label)
		assertScores(t, []LabelScore{{"sports", r}, {"politics", -r}}, p[0].Scores)
	})

	t.Run("probabilities", func(t *testing.T) {
		z, err := NewZeroShot(ctx, zeroShotEmbedder(), []string{"sports", "politics"},
			ZeroShotOptions{Templates: twoTemplates, Probabilities: true, Temperature: 0.5})
		require.NoError(t, err)
		p, err := z.Classify(ctx, []string{"goal"})
		require.NoError(t, err)
		// softmax((1, -1/√2)/0.5): p(sports) = 1/(1+e^{-(1+1/√2)/0.5}).
		want := 1 / (1 + math.Exp(-(1+r)/0.5))
		assert.Equal(t, "sports", p[0].Scores[0].Label)
		assert.InDelta(t, want, p[0].Scores[0].Score, 1e-7)
		assert.InDelta(t, 1-want, p[0].Scores[1].Score, 1e-7)

		z, err = NewZeroShot(ctx, zeroShotEmbedder(), []string{"sports", "politics"},
			ZeroShotOptions{Templates: twoTemplates, Probabilities: true})
		require.NoError(t, err)
		p, err = z.Classify(ctx, []string{"goal"})
		require.NoError(t, err)
		want = 1 / (1 + math.Exp(-(1+r)/DefaultCosineTemperature))
		assert.InDelta(t, want, p[0].Scores[0].Score, 1e-7)
	})

	t.Run("top k", func(t *testing.T) {
		z, err := NewZeroShot(ctx, zeroShotEmbedder(), []string{"sports", "politics"},
			ZeroShotOptions{Templates: twoTemplates, TopK: 1})
		require.NoError(t, err)
		p, err := z.Classify(ctx, []string{"vote"})
		require.NoError(t, err)
		require.Len(t, p[0].Scores, 1)
		assert.Equal(t, "politics", p[0].Scores[0].Label)
	})

	t.Run("multi-label", func(t *testing.T) {
		z, err := NewZeroShot(ctx, zeroShotEmbedder(), []string{"sports", "politics"},
			ZeroShotOptions{Templates: twoTemplates, MultiLabel: true, Threshold: 0.5})
		require.NoError(t, err)
		// goal: sports 1 passes, politics -0.71 fails.
		// vote (-1,0.1): politics 0.995 passes, sports (-1+0.1)/(|v|·√2) = -0.63 fails.
		// nothing (0,-1): sports -0.71, politics 0: none.
		p, err := z.Classify(ctx, []string{"goal", "vote", "nothing"})
		require.NoError(t, err)
		assert.Equal(t, []string{"sports"}, p[0].Labels)
		assert.Equal(t, "sports", p[0].Label)
		assert.Equal(t, []string{"politics"}, p[1].Labels)
		assert.Equal(t, []string{}, p[2].Labels)
		assert.Equal(t, "", p[2].Label)
		assert.Len(t, p[2].Scores, 2, "scores are still reported")

		z, err = NewZeroShot(ctx, zeroShotEmbedder(), []string{"sports", "politics"},
			ZeroShotOptions{Templates: twoTemplates, MultiLabel: true, Threshold: -0.8})
		require.NoError(t, err)
		p, err = z.Classify(ctx, []string{"goal"})
		require.NoError(t, err)
		assert.Equal(t, []string{"sports", "politics"}, p[0].Labels)
	})

	t.Run("precomputed embeddings", func(t *testing.T) {
		e := zeroShotEmbedder()
		z, err := NewZeroShot(ctx, e, []string{"sports", "politics"}, ZeroShotOptions{Templates: twoTemplates})
		require.NoError(t, err)
		p, err := z.ClassifyEmbeddings([][]float32{{-3, 0}})
		require.NoError(t, err)
		assert.Equal(t, "politics", p[0].Label)
		assert.Len(t, e.calls, 1)
		_, err = z.ClassifyEmbeddings([][]float32{{1, 2, 3}})
		assert.ErrorContains(t, err, "dimension 3, want 2")
	})
}

func TestZeroShotErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		labels []string
		opts   ZeroShotOptions
		msg    string
	}{
		{"no labels", nil, ZeroShotOptions{}, "no labels"},
		{"empty label", []string{"sports", " "}, ZeroShotOptions{}, "label 1 is empty"},
		{"duplicate label", []string{"sports", "politics", "sports"}, ZeroShotOptions{}, `duplicate label "sports"`},
		{"template without placeholder", []string{"sports"}, ZeroShotOptions{Templates: []string{"A {} story", "About it"}}, `template 1 "About it" has no {}`},
		{"unknown description", []string{"sports"}, ZeroShotOptions{Descriptions: map[string]string{"art": "paintings"}}, `unknown labels ["art"]`},
		{"empty description", []string{"sports"}, ZeroShotOptions{Descriptions: map[string]string{"sports": ""}}, "description of label \"sports\" is empty"},
		{"negative top k", []string{"sports"}, ZeroShotOptions{TopK: -1}, "TopK"},
		{"negative temperature", []string{"sports"}, ZeroShotOptions{Temperature: -0.1}, "temperature"},
		{"nan threshold", []string{"sports"}, ZeroShotOptions{Threshold: math.NaN()}, "threshold"},
		{"embedder does not know text", []string{"chess"}, ZeroShotOptions{}, `unknown text "chess"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := zeroShotEmbedder()
			_, err := NewZeroShot(ctx, e, tc.labels, tc.opts)
			assert.ErrorContains(t, err, tc.msg)
		})
	}

	_, err := NewZeroShot(ctx, &fakeEmbedder{id: "x", err: errors.New("device lost")}, []string{"a"}, ZeroShotOptions{})
	assert.ErrorContains(t, err, "device lost")
	_, err = NewZeroShot(ctx, &fakeEmbedder{id: "x", vecs: map[string][]float32{"a": {1}, "b": {0}}, short: true}, []string{"a", "b"}, ZeroShotOptions{})
	assert.ErrorContains(t, err, "2 texts gave 1 embeddings")
	nan := &fakeEmbedder{id: "x", vecs: map[string][]float32{"a": {float32(math.NaN())}}}
	_, err = NewZeroShot(ctx, nan, []string{"a"}, ZeroShotOptions{})
	assert.ErrorContains(t, err, "NaN")

	e := zeroShotEmbedder()
	z, err := NewZeroShot(ctx, e, []string{"sports", "politics"}, ZeroShotOptions{})
	require.NoError(t, err)
	_, err = z.Classify(ctx, []string{"unknown words"})
	assert.ErrorContains(t, err, `unknown text "unknown words"`)
}
