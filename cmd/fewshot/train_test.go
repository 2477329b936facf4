package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/siamese"
)

// trainPairs writes a small scored-pairs file with STS-B-like 0-5 scores.
func trainPairs(t *testing.T, dir string) string {
	t.Helper()
	subjects := []string{"the cat", "a dog", "my friend", "the teacher", "a bird", "the pilot"}
	var b strings.Builder
	for i := 0; i < 16; i++ {
		s := subjects[i%len(subjects)]
		if i%2 == 0 {
			fmt.Fprintf(&b, `{"sentence1": "%s sleeps", "sentence2": "%s is sleeping", "score": %.1f}`+"\n", s, s, 4+float64(i%3)/3)
		} else {
			fmt.Fprintf(&b, `{"sentence1": "%s sleeps", "sentence2": "nobody reads the news", "score": %.1f}`+"\n", s, float64(i%3)/3)
		}
	}
	return writeFile(t, dir, "pairs.jsonl", b.String())
}

// trainTexts writes labelled texts of two classes.
func trainTexts(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("text,label\n")
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&b, "the cat number %d sleeps on the sofa,animal\ntrain %d leaves the station,vehicle\n", i, i)
	}
	return writeFile(t, dir, "texts.csv", b.String())
}

func decodeSummary(t *testing.T, stdout string) trainSummary {
	t.Helper()
	var s trainSummary
	require.NoError(t, json.Unmarshal([]byte(stdout), &s), stdout)
	return s
}

func TestTrainCommand(t *testing.T) {
	dir := t.TempDir()
	data := trainPairs(t, dir)
	out := filepath.Join(dir, "run")
	stdout, stderr, err := runCLI(t, "", "train", "--model", bertModel, "--data", data, "--out", out, "--loss", "cosine",
		"--score-range", "0,5", "--max-steps", "4", "--batch-size", "4", "--lr", "1e-3", "--save-every", "2",
		"--eval", data, "--eval-every", "2", "--log-every", "1", "--device", "cpu")
	require.NoError(t, err, stderr)
	s := decodeSummary(t, stdout)
	assert.Equal(t, 4, s.Steps)
	assert.Equal(t, "completed", s.Stop)
	assert.Equal(t, 16, s.Rows)
	assert.InDelta(t, 1.0, s.Epochs, 1e-9, "16 rows in batches of 4: 4 steps is one epoch")
	require.NotNil(t, s.BestMetric)
	assert.Contains(t, s.Eval, "spearman")
	for _, f := range []string{"model.safetensors", "modules.json", "metrics.jsonl", "best/best.json",
		"checkpoints/checkpoint-00000002/manifest.json", "checkpoints/checkpoint-00000004/manifest.json"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	assert.Contains(t, stderr, "saved checkpoint")
	m, err := model.Load(out, model.LoadOptions{})
	require.NoError(t, err)
	m.Close()
}

// TestTrainCommandResume: a run stopped at step 2 (its --max-steps) continues with --resume to step 4,
// taking the model from the checkpoint when --model is not given.
func TestTrainCommandResume(t *testing.T) {
	dir := t.TempDir()
	data := trainPairs(t, dir)
	out := filepath.Join(dir, "run")
	args := []string{"train", "--data", data, "--out", out, "--score-range", "0,5", "--batch-size", "4", "--save-every", "1", "--device", "cpu"}
	_, stderr, err := runCLI(t, "", append(args, "--model", bertModel, "--max-steps", "2")...)
	require.NoError(t, err, stderr)
	stdout, stderr, err := runCLI(t, "", append(args, "--resume", out, "--max-steps", "4")...)
	require.NoError(t, err, stderr)
	s := decodeSummary(t, stdout)
	assert.Equal(t, filepath.Join(out, "checkpoints", "checkpoint-00000002"), s.ResumedFrom)
	assert.Equal(t, 4, s.Steps)
	assert.Contains(t, stderr, "schedule length changed from 2 to 4 steps")
}

func TestTrainSetFitCommand(t *testing.T) {
	dir := t.TempDir()
	data := trainTexts(t, dir)
	out := filepath.Join(dir, "setfit")
	stdout, stderr, err := runCLI(t, "", "train", "setfit", "--model", bertModel, "--data", data, "--out", out,
		"--shots", "4", "--method", "prototype", "--batch-size", "8", "--lr", "1e-3", "--eval", data, "--device", "cpu")
	require.NoError(t, err, stderr)
	s := decodeSummary(t, stdout)
	// 4 + 4 texts, oversampled pairs: 20 positives (with self pairs) and 20 negatives, one epoch of 5 batches.
	assert.Equal(t, 40, s.Rows)
	assert.Equal(t, 5, s.Steps)
	assert.Equal(t, filepath.Join(out, siamese.HeadFileName), s.Head)
	require.NotNil(t, s.Accuracy)
	assert.GreaterOrEqual(t, *s.Accuracy, 0.0)
	assert.LessOrEqual(t, *s.Accuracy, 1.0)
	saved, err := classify.ReadSavedClassifier(s.Head)
	require.NoError(t, err)
	assert.Equal(t, "prototype", saved.Method)
	assert.Equal(t, s.ModelID, saved.EmbedderID)
	assert.Equal(t, []string{"animal", "vehicle"}, saved.Labels)
}

func TestTrainCommandErrors(t *testing.T) {
	dir := t.TempDir()
	pairs := trainPairs(t, dir)
	texts := trainTexts(t, dir)
	bad := writeFile(t, dir, "bad.jsonl", `{"sentence1":"a","sentence2":"b","score":1}`+"\n"+`{"sentence1":"c","score":0}`+"\n")
	one := writeFile(t, dir, "one.csv", "text,label\na,x\nb,x\n")
	empty := writeFile(t, dir, "empty.jsonl", "")
	file := writeFile(t, dir, "file", "x")
	out := func() string { return filepath.Join(t.TempDir(), "run") }
	cases := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no data", []string{"train", "--model", bertModel, "--out", out()}, true, "--data is required"},
		{"no out", []string{"train", "--model", bertModel, "--data", pairs}, true, "--out is required"},
		{"unknown loss", []string{"train", "--model", bertModel, "--data", pairs, "--out", out(), "--loss", "hinge"}, true, "unknown loss"},
		{"bad score range", []string{"train", "--model", bertModel, "--data", pairs, "--out", out(), "--score-range", "5"}, true, "--score-range"},
		{"bad augment", []string{"train", "--model", bertModel, "--data", pairs, "--out", out(), "--augment", "mixup"}, true, "--augment"},
		{"bad data kind", []string{"train", "--model", bertModel, "--data", pairs, "--out", out(), "--data-kind", "rows"}, true, "--data-kind"},
		{"eval-every without eval", []string{"train", "--model", bertModel, "--data", pairs, "--out", out(), "--score-range", "0,5", "--eval-every", "2"}, true, "need --eval"},
		{"scores out of range", []string{"train", "--model", bertModel, "--data", pairs, "--out", out()}, false, "--score-range"},
		{"malformed line", []string{"train", "--model", bertModel, "--data", bad, "--out", out()}, false, "line 2"},
		{"empty file", []string{"train", "--model", bertModel, "--data", empty, "--out", out()}, false, "empty file"},
		{"one class", []string{"train", "--model", bertModel, "--data", one, "--out", out()}, false, "at least two labels"},
		{"out is a file", []string{"train", "--model", bertModel, "--data", pairs, "--score-range", "0,5", "--out", file, "--device", "cpu"}, false, "is a file"},
		{"resume of nothing", []string{"train", "--data", pairs, "--score-range", "0,5", "--out", out(), "--resume", dir}, false, "no checkpoint"},
		{"setfit one class", []string{"train", "setfit", "--model", bertModel, "--data", one, "--out", out(), "--device", "cpu"}, false, "at least two labels"},
		{"setfit knn head", []string{"train", "setfit", "--model", bertModel, "--data", texts, "--out", out(), "--method", "knn"}, true, "logreg or prototype"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runCLI(t, "", tc.args...)
			require.Error(t, err, stderr)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, tc.usage, isUsage(err), "usage error (exit 2)? %v", err)
		})
	}
}
