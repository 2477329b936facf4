package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
)

// episodeLabels: c0..c3 with 10 examples each, c4 with 3 (interleaved).
func episodeLabels() []string {
	var labels []string
	for i := 0; i < 10; i++ {
		for c := 0; c < 4; c++ {
			labels = append(labels, fmt.Sprintf("c%d", c))
		}
		if i < 3 {
			labels = append(labels, "c4")
		}
	}
	return labels
}

func TestSampleEpisodes(t *testing.T) {
	labels := episodeLabels()
	require.Len(t, labels, 43)
	cfg := EpisodeConfig{Way: 3, Shot: 2, Query: 3, Episodes: 200, Seed: 7}
	eps, err := SampleEpisodes(labels, cfg)
	require.NoError(t, err)
	require.Len(t, eps, 200)

	seenClass := map[string]int{}
	for e, ep := range eps {
		require.Len(t, ep.Classes, 3, "episode %d", e)
		require.Len(t, ep.Support, 6)
		require.Len(t, ep.Query, 9)
		distinct := map[string]bool{}
		for _, c := range ep.Classes {
			distinct[c] = true
			seenClass[c]++
		}
		assert.Len(t, distinct, 3, "classes distinct in episode %d", e)
		used := map[int]bool{}
		for _, i := range append(append([]int(nil), ep.Support...), ep.Query...) {
			assert.False(t, used[i], "episode %d uses example %d twice", e, i)
			used[i] = true
		}
		for k, i := range ep.Support {
			assert.Equal(t, ep.Classes[k/2], labels[i], "support %d of episode %d", k, e)
		}
		for k, i := range ep.Query {
			assert.Equal(t, ep.Classes[k/3], labels[i], "query %d of episode %d", k, e)
		}
	}
	assert.Zero(t, seenClass["c4"], "c4 has 3 < shot+query = 5 examples")
	for c := 0; c < 4; c++ {
		// Each class is in an episode with probability 3/4: 150 of 200 expected.
		n := seenClass[fmt.Sprintf("c%d", c)]
		assert.Greater(t, n, 110, "class c%d", c)
		assert.Less(t, n, 190, "class c%d", c)
	}

	again, err := SampleEpisodes(labels, cfg)
	require.NoError(t, err)
	assert.Equal(t, eps, again, "same seed, same episodes")
	cfg.Seed = 8
	other, err := SampleEpisodes(labels, cfg)
	require.NoError(t, err)
	assert.NotEqual(t, eps, other, "another seed, other episodes")
}

func TestSampleEpisodesErrors(t *testing.T) {
	labels := episodeLabels()
	tests := []struct {
		name string
		cfg  EpisodeConfig
		msg  string
	}{
		{"way above eligible", EpisodeConfig{Way: 5, Shot: 2, Query: 3, Episodes: 1},
			"way 5 is more than the 4 classes (of 5) that have at least shot+query = 5 examples"},
		{"shot+query above every class", EpisodeConfig{Way: 2, Shot: 5, Query: 6, Episodes: 1},
			"shot+query = 11 is larger than every class (the largest of 5 classes has 10 examples)"},
		{"zero episodes", EpisodeConfig{Way: 2, Shot: 1, Query: 1}, "at least 1 episode"},
		{"one way", EpisodeConfig{Way: 1, Shot: 1, Query: 1, Episodes: 1}, "way must be at least 2"},
		{"zero shot", EpisodeConfig{Way: 2, Shot: 0, Query: 1, Episodes: 1}, "shot and query"},
		{"zero query", EpisodeConfig{Way: 2, Shot: 1, Query: 0, Episodes: 1}, "shot and query"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SampleEpisodes(labels, tc.cfg)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	_, err := SampleEpisodes(nil, EpisodeConfig{Way: 2, Shot: 1, Query: 1, Episodes: 1})
	assert.ErrorContains(t, err, "empty")
	_, err = SampleEpisodes([]string{"a", ""}, EpisodeConfig{Way: 2, Shot: 1, Query: 1, Episodes: 1})
	assert.ErrorContains(t, err, "example 1 has an empty label")
}

func TestEvaluateEpisodes(t *testing.T) {
	labels := episodeLabels()
	dirs := map[string][]float32{"c0": {1, 0}, "c1": {0, 1}, "c2": {-1, 0}, "c3": {0, -1}, "c4": {1, 1}}
	sep := make([][]float32, len(labels))
	same := make([][]float32, len(labels))
	for i, l := range labels {
		// Small per-example offsets keep the classes separable.
		d := float32(i%5) * 0.01
		sep[i] = []float32{dirs[l][0] + d, dirs[l][1] - d}
		same[i] = []float32{1, 1}
	}
	ctx := context.Background()
	cfg := EpisodeConfig{Way: 3, Shot: 2, Query: 3, Episodes: 50, Seed: 1}

	made := 0
	res, err := EvaluateEpisodes(ctx, sep, labels, cfg, func() classify.Classifier { made++; return &classify.Prototype{} })
	require.NoError(t, err)
	assert.Equal(t, 50, made, "a fresh classifier per episode")
	assert.Equal(t, 1.0, res.Accuracy)
	assert.Equal(t, 0.0, res.CI95)
	assert.Equal(t, EpisodeResult{Accuracy: 1, Episodes: 50, Way: 3, Shot: 2, Query: 3, PerEpisode: res.PerEpisode}, res)
	assert.Len(t, res.PerEpisode, 50)

	// Identical embeddings: every similarity ties, so every query of an
	// episode gets the same label (the first support example's) and each
	// episode scores exactly 1/way.
	res, err = EvaluateEpisodes(ctx, same, labels, cfg, func() classify.Classifier { return &classify.KNN{K: 1} })
	require.NoError(t, err)
	assert.InDelta(t, 1.0/3, res.Accuracy, 1e-12)
	assert.InDelta(t, 0, res.CI95, 1e-12)

	// Errors.
	_, err = EvaluateEpisodes(ctx, sep[:3], labels, cfg, func() classify.Classifier { return &classify.Prototype{} })
	assert.ErrorContains(t, err, "3 embeddings but 43 labels")
	_, err = EvaluateEpisodes(ctx, sep, labels, cfg, nil)
	assert.ErrorContains(t, err, "no classifier factory")
	_, err = EvaluateEpisodes(ctx, sep, labels, cfg, func() classify.Classifier { return nil })
	assert.ErrorContains(t, err, "returned nil")
	_, err = EvaluateEpisodes(ctx, sep, labels, cfg, func() classify.Classifier { return &classify.KNN{K: -2} })
	assert.ErrorContains(t, err, "episode 0")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = EvaluateEpisodes(cancelled, sep, labels, cfg, func() classify.Classifier { return &classify.Prototype{} })
	assert.ErrorIs(t, err, context.Canceled)
	bad := EpisodeConfig{Way: 3, Shot: 2, Query: 3}
	_, err = EvaluateEpisodes(ctx, sep, labels, bad, func() classify.Classifier { return &classify.Prototype{} })
	assert.ErrorContains(t, err, "at least 1 episode")
}

// sharedData returns the shared data folder (env FEWSHOT_SHARED_DATA, else
// ../../shared/data from this package) or skips the test.
func sharedData(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FEWSHOT_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared data not found at %s (set FEWSHOT_SHARED_DATA): %v", dir, err)
	}
	return dir
}

// readSNIPS reads one SNIPS split: seq.in and label, line by line.
func readSNIPS(t *testing.T, split string) []dataset.Example {
	t.Helper()
	dir := filepath.Join(sharedData(t), "classification", "snips", split)
	read := func(name string) []string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	}
	texts, labels := read("seq.in"), read("label")
	require.Equal(t, len(texts), len(labels))
	out := make([]dataset.Example, len(texts))
	for i := range texts {
		out[i] = dataset.Example{Text: strings.TrimSpace(texts[i]), Label: strings.TrimSpace(labels[i])}
	}
	return out
}

// TestEpisodesOnSNIPS runs 5-way 5-shot episodes with the TF-IDF baseline
// on SNIPS' validation split (7 intents x 100): intent words are distinctive,
// so prototypes must do far better than chance (0.2).
func TestEpisodesOnSNIPS(t *testing.T) {
	valid := readSNIPS(t, "valid")
	require.Len(t, valid, 700)
	texts := make([]string, len(valid))
	labels := make([]string, len(valid))
	for i, ex := range valid {
		texts[i], labels[i] = ex.Text, ex.Label
	}
	tf, err := classify.NewTFIDF(texts)
	require.NoError(t, err)
	emb, err := tf.Embed(context.Background(), texts)
	require.NoError(t, err)
	cfg := EpisodeConfig{Way: 5, Shot: 5, Query: 15, Episodes: 200, Seed: 1}
	for _, c := range []func() classify.Classifier{
		func() classify.Classifier { return &classify.Prototype{} },
		func() classify.Classifier { return &classify.KNN{K: 3} },
	} {
		res, err := EvaluateEpisodes(context.Background(), emb, labels, cfg, c)
		require.NoError(t, err)
		t.Logf("%T: accuracy %.3f ± %.3f", c(), res.Accuracy, res.CI95)
		assert.Greater(t, res.Accuracy, 0.6)
		assert.Less(t, res.CI95, 0.05)
	}
}

// TestLogRegEpisodesOnSNIPS: on real data, the head does far better than
// chance in 5-way 5-shot episodes with the TF-IDF baseline.
func TestLogRegEpisodesOnSNIPS(t *testing.T) {
	valid := readSNIPS(t, "valid")
	texts := make([]string, len(valid))
	labels := make([]string, len(valid))
	for i, ex := range valid {
		texts[i], labels[i] = ex.Text, ex.Label
	}
	tf, err := classify.NewTFIDF(texts)
	require.NoError(t, err)
	emb, err := tf.Embed(context.Background(), texts)
	require.NoError(t, err)
	cfg := EpisodeConfig{Way: 5, Shot: 5, Query: 10, Episodes: 40, Seed: 1}
	res, err := EvaluateEpisodes(context.Background(), emb, labels, cfg, func() classify.Classifier { return &classify.LogReg{} })
	require.NoError(t, err)
	t.Logf("logreg: accuracy %.3f ± %.3f", res.Accuracy, res.CI95)
	assert.Greater(t, res.Accuracy, 0.6)
}
