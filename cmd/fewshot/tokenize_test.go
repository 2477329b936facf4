package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseTokenLines(t *testing.T, s string) []tokenRecord {
	t.Helper()
	var recs []tokenRecord
	for i, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		var r tokenRecord
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&r), "line %d: %s", i+1, line)
		recs = append(recs, r)
	}
	return recs
}

// TestTokenizeMatchesFixtures gives every fixture text (blank and over-long ones included) to tokenize
// --json for every tiny model and compares with the ids and tokens of the reference implementation,
// which truncates to max_seq_length with the special tokens kept.
func TestTokenizeMatchesFixtures(t *testing.T) {
	fx := loadFixtures(t)
	for _, name := range []string{"bert", "distilbert", "roberta", "mpnet"} {
		t.Run(name, func(t *testing.T) {
			want := fx[name]
			args := []string{"tokenize", "--model", filepath.Join(testModels, name), "--json"}
			truncated := false
			for _, ft := range want.Texts {
				args = append(args, ft.Text)
				truncated = truncated || len(ft.InputIDs) == want.MaxSeqLength
			}
			require.True(t, truncated, "some fixture text reaches max_seq_length")
			stdout, _, err := runCLI(t, "", args...)
			require.NoError(t, err)
			recs := parseTokenLines(t, stdout)
			require.Len(t, recs, len(want.Texts))
			for i, ft := range want.Texts {
				assert.Equal(t, ft.InputIDs, recs[i].IDs, "text %d %q", i, ft.Text)
				assert.Equal(t, ft.Tokens, recs[i].Tokens, "text %d %q", i, ft.Text)
			}
		})
	}
}

// TestTokenizeWithoutWeights shows that tokenize reads no weights: it works on a copy of the model
// folder without model.safetensors, where embed fails.
func TestTokenizeWithoutWeights(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json",
		"tokenizer_config.json", "special_tokens_map.json", "vocab.txt"} {
		b, err := os.ReadFile(filepath.Join(bertModel, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	stdout, _, err := runCLI(t, "", "tokenize", "--model", dir, "--json", "A plane is taking off.")
	require.NoError(t, err)
	assert.Equal(t, `{"ids":[2,43,2357,1009,1537,1131,18,3],"tokens":["[CLS]","a","plane","is","taking","off",".","[SEP]"]}`+"\n", stdout)

	_, _, err = runCLI(t, "A plane\n", "embed", "--model", dir)
	assert.Error(t, err, "embed needs the weights")
}

// TestTokenizeTable checks the readable table: a header per text, then position, id and token rows.
func TestTokenizeTable(t *testing.T) {
	stdout, _, err := runCLI(t, "", "tokenize", "--model", bertModel, "A plane is taking off.", "")
	require.NoError(t, err)
	lines := strings.Split(stdout, "\n")
	require.GreaterOrEqual(t, len(lines), 10)
	assert.Equal(t, "text 0 (8 tokens): A plane is taking off.", lines[0])
	assert.Equal(t, []string{"pos", "id", "token"}, strings.Fields(lines[1]))
	assert.Equal(t, []string{"0", "2", "[CLS]"}, strings.Fields(lines[2]))
	assert.Equal(t, []string{"2", "2357", "plane"}, strings.Fields(lines[4]))
	assert.Equal(t, []string{"7", "3", "[SEP]"}, strings.Fields(lines[9]))
	assert.Contains(t, stdout, "text 1 (2 tokens): \"\"\n")
}

// TestTokenizeInputAndLength reads texts from a JSONL file and from stdin, and truncates to
// --max-seq-length with the special tokens kept.
func TestTokenizeInputAndLength(t *testing.T) {
	input := writeFile(t, t.TempDir(), "in.jsonl", `{"id": 9, "text": "A plane is taking off."}`+"\n\n"+`{"text": "A man."}`+"\n")
	stdout, _, err := runCLI(t, "", "tokenize", "--model", bertModel, "--json", "--input", input)
	require.NoError(t, err)
	recs := parseTokenLines(t, stdout)
	require.Len(t, recs, 2)
	assert.Equal(t, []string{"[CLS]", "a", "plane", "is", "taking", "off", ".", "[SEP]"}, recs[0].Tokens)
	assert.Equal(t, "[CLS]", recs[1].Tokens[0])

	stdout, _, err = runCLI(t, "A plane is taking off.\n", "tokenize", "--model", bertModel, "--json", "--input", "-", "--max-seq-length", "5")
	require.NoError(t, err)
	recs = parseTokenLines(t, stdout)
	require.Len(t, recs, 1)
	assert.Equal(t, []int64{2, 43, 2357, 1009, 3}, recs[0].IDs)
}

// TestTokenizeErrors checks usage errors (exit 2) and errors that name the flag or file.
func TestTokenizeErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.jsonl", "{\"text\": \"ok\"}\n[1, 2]\n")
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  []string
	}{
		{"no texts", []string{"--model", bertModel}, true, []string{"no texts"}},
		{"texts and input", []string{"--model", bertModel, "--input", bad, "hello"}, true, []string{"not both"}},
		{"missing model folder", []string{"--model", filepath.Join(dir, "missing"), "hello"}, false, []string{"--model", "missing"}},
		{"not a model folder", []string{"--model", dir, "hello"}, false, []string{"--model", "config.json"}},
		{"too long", []string{"--model", bertModel, "--max-seq-length", "100", "hello"}, false, []string{"max_seq_length 100", "64 positions"}},
		{"negative length", []string{"--model", bertModel, "--max-seq-length", "-1", "hello"}, true, []string{"--max-seq-length"}},
		{"bad JSONL", []string{"--model", bertModel, "--input", bad}, false, []string{bad, "line 2", "JSON object"}},
		{"missing input", []string{"--model", bertModel, "--input", filepath.Join(dir, "nope.txt")}, false, []string{"--input", "nope.txt"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCLI(t, "", append([]string{"tokenize"}, tc.args...)...)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, tc.usage, isUsage(err), "usage error (exit 2): %v", err)
		})
	}
}
