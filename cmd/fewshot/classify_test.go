package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/model"
)

// The tiny random models of the model package's test data.
const (
	fsBERT  = "../../model/testdata/models/bert"
	fsMPNet = "../../model/testdata/models/mpnet"
)

// fsRun runs the CLI with args (stdin text) and returns stdout, stderr and the exit status main
// would give (0, 1, or 2 for usage errors).
func fsRun(t *testing.T, stdin string, args ...string) (string, string, int, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	err := cmd.ExecuteContext(context.Background())
	code := 0
	if err != nil {
		code = 1
		var ue usageError
		if errors.As(err, &ue) {
			code = 2
		}
	}
	return out.String(), errOut.String(), code, err
}

// fsFile writes content to name in dir and returns its path.
func fsFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// fsDecodeLines decodes JSON lines strictly (unknown fields are errors) into values of T.
func fsDecodeLines[T any](t *testing.T, s string) []T {
	t.Helper()
	var out []T
	for i, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if line == "" {
			continue
		}
		var v T
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&v), "line %d: %s", i+1, line)
		out = append(out, v)
	}
	return out
}

// fsEncode embeds texts with the model at dir, independently of the CLI.
func fsEncode(t *testing.T, dir string, texts []string) [][]float32 {
	t.Helper()
	m, err := model.Load(dir, model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	emb, err := m.Encode(context.Background(), texts, model.EncodeOptions{})
	require.NoError(t, err)
	return emb
}

// fsCos is the cosine similarity in float64.
func fsCos(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

type fsScore struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// fsRank returns labels with scores, best first (ties in label order).
func fsRank(labels []string, scores []float64) []fsScore {
	out := make([]fsScore, len(labels))
	for i := range labels {
		out[i] = fsScore{labels[i], scores[i]}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out
}

func assertRanking(t *testing.T, want, got []fsScore, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].Label, got[i].Label, "rank %d", i+1)
		assert.InDelta(t, want[i].Score, got[i].Score, tol, "rank %d score", i+1)
	}
}

type classifyLine struct {
	Text   string    `json:"text"`
	Label  string    `json:"label"`
	Scores []fsScore `json:"scores"`
}

// supportCSV is a small hand-made support set: three labels, three texts each.
const supportCSV = `text,label
how do I reset my password,account
I forgot my login details,account
change the email on my account,account
what is the weather tomorrow,weather
will it rain this weekend,weather
how hot is it outside,weather
play some jazz music,music
put on my workout playlist,music
skip this song,music
`

var supportLabels = []string{"account", "music", "weather"}

func TestClassifyPrototypeMatchesCosine(t *testing.T) {
	dir := t.TempDir()
	sup := fsFile(t, dir, "support.csv", supportCSV)
	queries := []string{"I cannot sign in", "is it sunny today", "turn the volume up"}

	out, _, code, err := fsRun(t, "", append([]string{"classify", "--model", fsBERT, "--support", sup, "--json"}, queries...)...)
	require.NoError(t, err)
	require.Equal(t, 0, code)
	got := fsDecodeLines[classifyLine](t, out)
	require.Len(t, got, len(queries))

	// Independent: prototypes are the mean support embeddings per label.
	var texts, labels []string
	for _, line := range strings.Split(strings.TrimSpace(supportCSV), "\n")[1:] {
		text, label, _ := strings.Cut(line, ",")
		texts, labels = append(texts, text), append(labels, label)
	}
	emb := fsEncode(t, fsBERT, append(texts, queries...))
	protos := map[string][]float32{}
	for i, l := range labels {
		p := protos[l]
		if p == nil {
			p = make([]float32, len(emb[i]))
		}
		for j, v := range emb[i] {
			p[j] += v / 3
		}
		protos[l] = p
	}
	for qi, q := range queries {
		scores := make([]float64, len(supportLabels))
		for c, l := range supportLabels {
			scores[c] = fsCos(emb[len(texts)+qi], protos[l])
		}
		want := fsRank(supportLabels, scores)
		assert.Equal(t, q, got[qi].Text)
		assert.Equal(t, want[0].Label, got[qi].Label)
		assertRanking(t, want, got[qi].Scores, 1e-4)
	}

	// Text output: LABEL<TAB>SCORE<TAB>TEXT, the same labels.
	out, _, code, err = fsRun(t, "", append([]string{"classify", "--model", fsBERT, "--support", sup}, queries...)...)
	require.NoError(t, err)
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(queries))
	for i, line := range lines {
		f := strings.Split(line, "\t")
		require.Len(t, f, 3, line)
		assert.Equal(t, got[i].Label, f[0])
		assert.Equal(t, queries[i], f[2])
	}
}

func TestClassifyMethodsAndInput(t *testing.T) {
	dir := t.TempDir()
	sup := fsFile(t, dir, "support.csv", supportCSV)
	in := fsFile(t, dir, "queries.txt", "I cannot sign in\n\nis it sunny today\n")
	for _, tc := range []struct {
		method string
		extra  []string
		check  func(t *testing.T, l classifyLine)
	}{
		{"knn", []string{"--k", "3"}, func(t *testing.T, l classifyLine) {
			sum := 0.0
			for _, s := range l.Scores {
				sum += s.Score
				assert.InDelta(t, 0, math.Mod(s.Score*3, 1), 1e-9, "a vote share of 3 neighbours")
			}
			assert.InDelta(t, 1, sum, 1e-9)
		}},
		{"logreg", nil, func(t *testing.T, l classifyLine) {
			sum := 0.0
			for _, s := range l.Scores {
				assert.True(t, s.Score > 0 && s.Score < 1)
				sum += s.Score
			}
			assert.InDelta(t, 1, sum, 1e-9, "probabilities")
		}},
		{"prototype", []string{"--metric", "euclidean", "--top-k", "2"}, func(t *testing.T, l classifyLine) {
			require.Len(t, l.Scores, 2, "top-k")
			assert.LessOrEqual(t, l.Scores[0].Score, 0.0, "negative squared distance")
		}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			args := append([]string{"classify", "--model", fsBERT, "--support", sup, "--method", tc.method, "--input", in, "--json"}, tc.extra...)
			out, _, code, err := fsRun(t, "", args...)
			require.NoError(t, err)
			require.Equal(t, 0, code)
			got := fsDecodeLines[classifyLine](t, out)
			require.Len(t, got, 2, "blank line skipped")
			assert.Equal(t, "I cannot sign in", got[0].Text)
			for _, l := range got {
				assert.Contains(t, supportLabels, l.Label)
				assert.Equal(t, l.Label, l.Scores[0].Label, "label is the best score")
				for i := 1; i < len(l.Scores); i++ {
					assert.GreaterOrEqual(t, l.Scores[i-1].Score, l.Scores[i].Score, "best first")
				}
				tc.check(t, l)
			}
		})
	}

	// Texts from stdin.
	out, _, code, err := fsRun(t, "play a song\nwhat's my balance\n", "classify", "--model", fsBERT, "--support", sup, "--input", "-", "--json")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	got := fsDecodeLines[classifyLine](t, out)
	require.Len(t, got, 2)
	assert.Equal(t, "what's my balance", got[1].Text)
}

// TestClassifySaveLoad: a saved classifier gives the same answers as the support set it was fitted
// on, and is refused for another model.
func TestClassifySaveLoad(t *testing.T) {
	dir := t.TempDir()
	sup := fsFile(t, dir, "support.csv", supportCSV)
	queries := []string{"I cannot sign in", "is it sunny today", "turn the volume up"}
	for _, method := range []string{"prototype", "knn", "logreg"} {
		t.Run(method, func(t *testing.T) {
			path := filepath.Join(dir, method+".json")
			direct, _, code, err := fsRun(t, "", append([]string{"classify", "--model", fsBERT, "--support", sup, "--method", method, "--save-classifier", path, "--json"}, queries...)...)
			require.NoError(t, err)
			require.Equal(t, 0, code)
			saved, err := classify.ReadSavedClassifier(path)
			require.NoError(t, err)
			assert.Equal(t, method, saved.Method)
			assert.Equal(t, supportLabels, saved.Labels)
			assert.Contains(t, saved.EmbedderID, "bert")

			loaded, _, code, err := fsRun(t, "", append([]string{"classify", "--model", fsBERT, "--classifier", path, "--json"}, queries...)...)
			require.NoError(t, err)
			require.Equal(t, 0, code)
			assert.Equal(t, direct, loaded, "same predictions and scores")

			_, _, code, err = fsRun(t, "", "classify", "--model", fsMPNet, "--classifier", path, "x")
			require.Error(t, err)
			assert.Equal(t, 1, code)
			assert.ErrorIs(t, err, classify.ErrModelMismatch)
			assert.ErrorContains(t, err, "another model")
		})
	}
	// Saving needs no texts to classify.
	path := filepath.Join(dir, "only-save.json")
	out, _, code, err := fsRun(t, "", "classify", "--model", fsBERT, "--support", sup, "--save-classifier", path)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
	assert.FileExists(t, path)
}

// TestClassifyDatasetFlags reads a support set through the reader's flags: a TSV with other column
// names, and a CLINC150-style JSON split.
func TestClassifyDatasetFlags(t *testing.T) {
	dir := t.TempDir()
	var tsv strings.Builder
	tsv.WriteString("utterance\tintent\n")
	for _, line := range strings.Split(strings.TrimSpace(supportCSV), "\n")[1:] {
		text, label, _ := strings.Cut(line, ",")
		tsv.WriteString(text + "\t" + label + "\n")
	}
	sup := fsFile(t, dir, "support.tsv", tsv.String())
	out, _, code, err := fsRun(t, "", "classify", "--model", fsBERT, "--support", sup, "--text-col", "utterance", "--label-col", "intent", "--json", "skip this song")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	require.Len(t, fsDecodeLines[classifyLine](t, out), 1)

	clinc := fsFile(t, dir, "clinc.json", `{"train": [["reset my password", "account"], ["play jazz", "music"]],
		"test": [["only one label here", "music"], ["and again", "music"]]}`)
	out, _, code, err = fsRun(t, "", "classify", "--model", fsBERT, "--support", clinc, "--format", "clinc150", "--split", "train", "--json", "hi")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	got := fsDecodeLines[classifyLine](t, out)
	require.Len(t, got, 1)
	require.Len(t, got[0].Scores, 2)
	_, _, code, err = fsRun(t, "", "classify", "--model", fsBERT, "--support", clinc, "--format", "clinc150", "--split", "test", "hi")
	assert.Equal(t, 1, code)
	assert.ErrorContains(t, err, "one label")
}

func TestClassifyErrors(t *testing.T) {
	dir := t.TempDir()
	sup := fsFile(t, dir, "support.csv", supportCSV)
	empty := fsFile(t, dir, "empty.csv", "text,label\n")
	one := fsFile(t, dir, "one.csv", "text,label\na,x\nb,x\n")
	noLabel := fsFile(t, dir, "nolabel.csv", "text,label\na,x\nb,\n")
	saved := filepath.Join(dir, "head.json")
	_, _, code, err := fsRun(t, "", "classify", "--model", fsBERT, "--support", sup, "--save-classifier", saved)
	require.NoError(t, err, "setup")
	require.Equal(t, 0, code)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no support or classifier", []string{"classify", "--model", fsBERT, "x"}, 2, "exactly one of --support"},
		{"both", []string{"classify", "--model", fsBERT, "--support", sup, "--classifier", saved, "x"}, 2, "exactly one of --support"},
		{"no texts", []string{"classify", "--model", fsBERT, "--support", sup}, 2, "no texts"},
		{"texts and input", []string{"classify", "--model", fsBERT, "--support", sup, "--input", sup, "x"}, 2, "not both"},
		{"empty text", []string{"classify", "--model", fsBERT, "--support", sup, ""}, 2, "empty"},
		{"bad method", []string{"classify", "--model", fsBERT, "--support", sup, "--method", "svm", "x"}, 2, "want prototype, knn or logreg"},
		{"two methods", []string{"classify", "--model", fsBERT, "--support", sup, "--method", "knn,logreg", "x"}, 2, "give one method"},
		{"bad k", []string{"classify", "--model", fsBERT, "--support", sup, "--method", "knn", "--k", "0", "x"}, 2, "--k 0"},
		{"bad metric", []string{"classify", "--model", fsBERT, "--support", sup, "--metric", "manhattan", "x"}, 2, "--metric"},
		{"method with classifier", []string{"classify", "--model", fsBERT, "--classifier", saved, "--method", "knn", "x"}, 2, "--method applies to --support"},
		{"negative top-k", []string{"classify", "--model", fsBERT, "--support", sup, "--top-k", "-1", "x"}, 2, "--top-k"},
		{"unknown flag", []string{"classify", "--model", fsBERT, "--support", sup, "--bogus", "x"}, 2, "bogus"},
		{"tfidf", []string{"classify", "--model", "tfidf", "--support", sup, "x"}, 2, "only for the eval commands"},
		{"empty support", []string{"classify", "--model", fsBERT, "--support", empty, "x"}, 1, "empty.csv"},
		{"one class", []string{"classify", "--model", fsBERT, "--support", one, "x"}, 1, "one label"},
		{"empty label", []string{"classify", "--model", fsBERT, "--support", noLabel, "x"}, 1, "line 3"},
		{"unknown column", []string{"classify", "--model", fsBERT, "--support", sup, "--text-col", "nope", "x"}, 1, "nope"},
		{"missing support file", []string{"classify", "--model", fsBERT, "--support", filepath.Join(dir, "missing.csv"), "x"}, 1, "missing.csv"},
		{"missing classifier file", []string{"classify", "--model", fsBERT, "--classifier", filepath.Join(dir, "missing.json"), "x"}, 1, "missing.json"},
		{"missing model", []string{"classify", "--model", filepath.Join(dir, "no-model"), "--support", sup, "x"}, 1, "no-model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, _, code, err := fsRun(t, "", tc.args...)
			require.Error(t, err)
			assert.Equal(t, tc.code, code, "exit status (%v)", err)
			assert.ErrorContains(t, err, tc.want)
			assert.Empty(t, out, "nothing printed on error")
		})
	}
}
