package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/model/defaultmodel"
)

// Without --model every command runs the embedded default model.
func TestDefaultModelWhenModelOmitted(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("FEWSHOT_CACHE", cache)
	dir, err := defaultmodel.DirUnder(cache)
	require.NoError(t, err)

	out, _, err := runCLI(t, "", "tokenize", "--json", "hello world")
	require.NoError(t, err)
	var tok tokenRecord
	require.NoError(t, json.Unmarshal([]byte(out), &tok))
	assert.Equal(t, []int64{101, 7592, 2088, 102}, tok.IDs, "bert-base-uncased ids")

	implicit, _, err := runCLI(t, "A man is playing a guitar.\nThe cat sleeps.\n", "embed", "--input", "-", "--format", "jsonl")
	require.NoError(t, err)
	explicit, _, err := runCLI(t, "A man is playing a guitar.\nThe cat sleeps.\n", "embed", "--model", dir, "--input", "-", "--format", "jsonl")
	require.NoError(t, err)
	assert.Equal(t, explicit, implicit)
	assert.Equal(t, 2, strings.Count(implicit, "\n"))

	out, _, err = runCLI(t, "", "zeroshot", "--labels", "sports,cooking", "--json", "Who won the football match?")
	require.NoError(t, err)
	var rec zeroshotRecord
	require.NoError(t, json.Unmarshal([]byte(out), &rec))
	require.Len(t, rec.Labels, 2)
}

func TestEvalZeroshot(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "z.csv", "text,label\n"+
		"the weather is sunny,W\n"+
		"rain and cold weather,W\n"+
		"a football game,S\n"+
		"the game of tennis,S\n"+
		"hello there,W\n")
	out, _, err := runCLI(t, "", "eval", "zeroshot", "--model", "tfidf", "--data", data, "--label-names", "W=weather,S=game", "--json")
	require.NoError(t, err)
	var rec zeroshotEvalRecord
	require.NoError(t, json.Unmarshal([]byte(out), &rec))
	// "hello there" shares no word with a label: every score is 0 and the first label, S, wins.
	assert.InDelta(t, 0.8, rec.Accuracy, 1e-12)
	assert.InDelta(t, 0.8, rec.MacroF1, 1e-12) // S: P 2/3, R 1; W: P 1, R 2/3
	assert.InDelta(t, 0.6, rec.Majority, 1e-12)
	assert.Equal(t, 5, rec.Texts)
	assert.Equal(t, 2, rec.Labels)

	one := writeFile(t, dir, "one.csv", "text,label\na,X\nb,X\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"not GOLD=name", []string{"--data", data, "--label-names", "W"}, 2, `entry 1 "W" is not GOLD=name`},
		{"named twice", []string{"--data", data, "--label-names", "W=a,W=b"}, 2, `"W" named twice`},
		{"unknown gold label", []string{"--data", data, "--label-names", "Q=question"}, 2, "not a label of --data"},
		{"template without {}", []string{"--data", data, "--template", "about"}, 2, "has no {}"},
		{"one label", []string{"--data", one}, 1, "one label"},
		{"no data", []string{}, 2, "--data is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, code, err := fsRun(t, "", append([]string{"eval", "zeroshot", "--model", "tfidf"}, tc.args...)...)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
			assert.Equal(t, tc.code, code, "exit status (%v)", err)
			assert.Empty(t, out)
		})
	}
}

// train without --model fine-tunes the default model and writes a complete folder.
func TestTrainFromDefaultModel(t *testing.T) {
	t.Setenv("FEWSHOT_CACHE", t.TempDir())
	dir := t.TempDir()
	data := writeFile(t, dir, "pairs.jsonl", `{"sentence1":"a man plays a guitar","sentence2":"someone is playing the guitar","score":1}
{"sentence1":"the cat sleeps","sentence2":"a cat is asleep","score":1}
{"sentence1":"cancel my booking","sentence2":"i need to cancel my reservation","score":1}
{"sentence1":"what is the weather","sentence2":"will it rain today","score":1}
`)
	out := filepath.Join(dir, "run")
	_, _, err := runCLI(t, "", "train", "--data", data, "--loss", "mnrl", "--batch-size", "4", "--max-steps", "2", "--save-every", "0", "--out", out)
	require.NoError(t, err)
	for _, f := range []string{"model.safetensors", "modules.json", "config.json", "tokenizer.json", "metrics.jsonl"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	cfg, err := os.ReadFile(filepath.Join(out, "config.json"))
	require.NoError(t, err)
	assert.Contains(t, string(cfg), `"hidden_size": 256`)
}
