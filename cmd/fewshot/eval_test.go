package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/eval"
)

type episodesLine struct {
	Method   string  `json:"method"`
	Model    string  `json:"model"`
	Accuracy float64 `json:"accuracy"`
	CI95     float64 `json:"ci95"`
	Episodes int     `json:"episodes"`
	Way      int     `json:"way"`
	Shot     int     `json:"shot"`
	Query    int     `json:"query"`
	Seed     uint64  `json:"seed"`
}

type setfitLine struct {
	Method       string  `json:"method"`
	Model        string  `json:"model"`
	N            int     `json:"n"`
	AccuracyMean float64 `json:"accuracy_mean"`
	AccuracySD   float64 `json:"accuracy_sd"`
	MacroF1Mean  float64 `json:"macro_f1_mean"`
	MacroF1SD    float64 `json:"macro_f1_sd"`
	Runs         []struct {
		Seed      uint64  `json:"seed"`
		TrainSize int     `json:"train_size"`
		Accuracy  float64 `json:"accuracy"`
		MacroF1   float64 `json:"macro_f1"`
	} `json:"runs"`
}

type stsLine struct {
	Model    string  `json:"model"`
	Spearman float64 `json:"spearman"`
	Pearson  float64 `json:"pearson"`
	Pairs    int     `json:"pairs"`
}

// separableJSONL has four labels of six texts; every text of a label shares the label's word and
// no word with another label, so with TF-IDF a query is similar to its own class only.
func separableJSONL() string {
	words := map[string][]string{
		"fruit":  {"apple", "banana", "cherry", "grape", "lemon", "mango"},
		"animal": {"cat", "dog", "horse", "mouse", "tiger", "zebra"},
		"colour": {"red", "blue", "green", "yellow", "purple", "orange"},
		"tool":   {"hammer", "saw", "drill", "wrench", "chisel", "pliers"},
	}
	var b strings.Builder
	for _, l := range []string{"animal", "colour", "fruit", "tool"} {
		for _, w := range words[l] {
			fmt.Fprintf(&b, "{\"text\": \"%s %s\", \"label\": \"%s\"}\n", l, w, l)
		}
	}
	return b.String()
}

func TestEvalEpisodesTFIDFSeparable(t *testing.T) {
	data := fsFile(t, t.TempDir(), "sep.jsonl", separableJSONL())
	out, _, code, err := fsRun(t, "", "eval", "episodes", "--model", "tfidf", "--data", data, "--way", "3", "--shot", "1",
		"--query", "4", "--episodes", "30", "--seed", "7", "--method", "prototype,knn,logreg", "--json")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	got := fsDecodeLines[episodesLine](t, out)
	require.Len(t, got, 3)
	for i, m := range []string{"prototype", "knn", "logreg"} {
		assert.Equal(t, episodesLine{Method: m, Model: "tfidf", Accuracy: 1, CI95: 0, Episodes: 30, Way: 3, Shot: 1, Query: 4, Seed: 7}, got[i])
	}

	// The text form says the same.
	out, _, code, err = fsRun(t, "", "eval", "episodes", "--model", "tfidf", "--data", data, "--way", "3", "--shot", "2", "--query", "4", "--episodes", "10")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	assert.Equal(t, "prototype: 3-way 2-shot (4 queries per label), 10 episodes: accuracy 100.00% ± 0.00\n", out)
}

// TestEvalEpisodesMatchesIndependentPrototype: with the tiny BERT, the reported accuracy equals a
// nearest-prototype classification done here from independently computed embeddings over the
// same sampled episodes.
func TestEvalEpisodesMatchesIndependentPrototype(t *testing.T) {
	var texts, labels []string
	for _, line := range strings.Split(strings.TrimSpace(supportCSV), "\n")[1:] {
		text, label, _ := strings.Cut(line, ",")
		texts, labels = append(texts, text), append(labels, label)
	}
	extra := map[string][]string{
		"account": {"update my billing address", "delete my profile"},
		"weather": {"forecast for Paris", "is it windy now"},
		"music":   {"next track please", "louder music"},
	}
	for _, l := range supportLabels {
		for _, text := range extra[l] {
			texts, labels = append(texts, text), append(labels, l)
		}
	}
	var csv strings.Builder
	csv.WriteString("text,label\n")
	for i := range texts {
		csv.WriteString(texts[i] + "," + labels[i] + "\n")
	}
	data := fsFile(t, t.TempDir(), "data.csv", csv.String())
	cfg := eval.EpisodeConfig{Way: 2, Shot: 2, Query: 3, Episodes: 25, Seed: 3}
	out, _, code, err := fsRun(t, "", "eval", "episodes", "--model", fsBERT, "--data", data, "--way", "2", "--shot", "2",
		"--query", "3", "--episodes", "25", "--seed", "3", "--json")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	got := fsDecodeLines[episodesLine](t, out)
	require.Len(t, got, 1)

	emb := fsEncode(t, fsBERT, texts)
	episodes, err := eval.SampleEpisodes(labels, cfg)
	require.NoError(t, err)
	total := 0.0
	for _, ep := range episodes {
		protos := map[string][]float32{}
		for _, i := range ep.Support {
			p := protos[labels[i]]
			if p == nil {
				p = make([]float32, len(emb[i]))
			}
			for j, v := range emb[i] {
				p[j] += v / float32(cfg.Shot)
			}
			protos[labels[i]] = p
		}
		classes := append([]string(nil), ep.Classes...)
		sort.Strings(classes)
		right := 0
		for _, q := range ep.Query {
			scores := make([]float64, len(classes))
			for c, l := range classes {
				scores[c] = fsCos(emb[q], protos[l])
			}
			if fsRank(classes, scores)[0].Label == labels[q] {
				right++
			}
		}
		total += float64(right) / float64(len(ep.Query))
	}
	assert.InDelta(t, total/float64(len(episodes)), got[0].Accuracy, 1e-9)
	assert.Contains(t, got[0].Model, "bert")
	assert.Greater(t, got[0].CI95, 0.0)
}

func TestEvalClassifyTFIDF(t *testing.T) {
	dir := t.TempDir()
	train := fsFile(t, dir, "train.csv", "text,label\nsunny warm day,a\nwarm sunny beach,a\nhot sunny sand,a\ncold snowy night,b\nsnowy icy road,b\nicy cold wind,b\n")
	// Five clear test texts and one whose only word is unseen in training: every prototype
	// scores it 0, the tie goes to the first label (a), so it is wrong.
	test := fsFile(t, dir, "test.csv", "text,label\nsunny warm,a\nhot beach,a\nwarm sand,a\ncold road,b\nicy night,b\nzzz,b\n")
	out, _, code, err := fsRun(t, "", "eval", "classify", "--model", "tfidf", "--train", train, "--test", test, "--shots", "2", "--seeds", "3", "--json")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	got := fsDecodeLines[setfitLine](t, out)
	require.Len(t, got, 1)
	r := got[0]
	assert.Equal(t, "prototype", r.Method)
	assert.Equal(t, "tfidf", r.Model)
	assert.Equal(t, 2, r.N)
	require.Len(t, r.Runs, 3)
	// Gold a a a b b b, predicted a a a b b a: F1(a) = 6/7, F1(b) = 4/5.
	wantF1 := (6.0/7 + 4.0/5) / 2
	for i, run := range r.Runs {
		assert.Equal(t, uint64(i), run.Seed)
		assert.Equal(t, 4, run.TrainSize)
		assert.InDelta(t, 5.0/6, run.Accuracy, 1e-12)
		assert.InDelta(t, wantF1, run.MacroF1, 1e-12)
	}
	assert.InDelta(t, 5.0/6, r.AccuracyMean, 1e-12)
	assert.InDelta(t, 0, r.AccuracySD, 1e-12)
	assert.InDelta(t, wantF1, r.MacroF1Mean, 1e-12)

	out, _, code, err = fsRun(t, "", "eval", "classify", "--model", "tfidf", "--train", train, "--test", test, "--shots", "3", "--seeds", "1", "--method", "prototype,logreg")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	assert.True(t, strings.HasPrefix(lines[0], "prototype: 3 per label, 1 seeds, 6 test texts: accuracy 83.33%"), lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "logreg: 3 per label"), lines[1])

	// One CLINC150-style file holds both splits.
	clinc := fsFile(t, dir, "clinc.json", `{"train": [["sunny warm day", "a"], ["warm sunny beach", "a"], ["cold snowy night", "b"], ["icy cold wind", "b"]],
		"test": [["sunny beach", "a"], ["icy night", "b"]]}`)
	out, _, code, err = fsRun(t, "", "eval", "classify", "--model", "tfidf", "--train", clinc, "--train-split", "train", "--test", clinc, "--test-split", "test", "--format", "clinc150", "--shots", "2", "--seeds", "1", "--json")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	got = fsDecodeLines[setfitLine](t, out)
	require.Len(t, got, 1)
	assert.Equal(t, 1.0, got[0].AccuracyMean)
}

// stsPairs are sentence pairs whose gold scores fall with the number of shared words.
const stsPairs = `sentence1,sentence2,score
red apple pie,red apple pie,5
red apple pie,red apple tart,3.5
red apple pie,red plum tart,1.5
red apple pie,green plum tart,0
`

func TestEvalSTS(t *testing.T) {
	dir := t.TempDir()
	data := fsFile(t, dir, "pairs.csv", stsPairs)
	out, _, code, err := fsRun(t, "", "eval", "sts", "--model", "tfidf", "--data", data, "--json")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	got := fsDecodeLines[stsLine](t, out)
	require.Len(t, got, 1)
	// TF-IDF cosines fall with every shared word lost (1, two words, one word, none): the same
	// order as the gold scores.
	assert.InDelta(t, 1, got[0].Spearman, 1e-12)
	assert.Equal(t, 4, got[0].Pairs)
	assert.Equal(t, "tfidf", got[0].Model)
	assert.Greater(t, got[0].Pearson, 0.8)

	reversed := fsFile(t, dir, "rev.csv", strings.NewReplacer(",5\n", ",0\n", ",3.5\n", ",1.5\n", ",1.5\n", ",3.5\n", ",0\n", ",5\n").Replace(stsPairs))
	out, _, code, err = fsRun(t, "", "eval", "sts", "--model", "tfidf", "--data", reversed)
	require.NoError(t, err)
	require.Equal(t, 0, code)
	// Reversed gold scores (5 - score) flip both correlations.
	assert.Equal(t, fmt.Sprintf("4 pairs: Spearman -1.0000, Pearson %.4f", -got[0].Pearson), strings.TrimSpace(out))

	// With the tiny BERT: Spearman of the independently computed cosines (no ties: 1 - 6Σd²/(n(n²-1))).
	out, _, code, err = fsRun(t, "", "eval", "sts", "--model", fsBERT, "--data", data, "--json")
	require.NoError(t, err)
	require.Equal(t, 0, code)
	got = fsDecodeLines[stsLine](t, out)
	require.Len(t, got, 1)
	emb := fsEncode(t, fsBERT, []string{"red apple pie", "red apple tart", "red plum tart", "green plum tart"})
	cos := []float64{fsCos(emb[0], emb[0]), fsCos(emb[0], emb[1]), fsCos(emb[0], emb[2]), fsCos(emb[0], emb[3])}
	gold := []float64{5, 3.5, 1.5, 0}
	rank := func(v []float64) []float64 {
		r := make([]float64, len(v))
		for i := range v {
			for j := range v {
				if v[j] < v[i] {
					r[i]++
				}
			}
		}
		return r
	}
	rc, rg := rank(cos), rank(gold)
	d2 := 0.0
	for i := range rc {
		d2 += (rc[i] - rg[i]) * (rc[i] - rg[i])
	}
	assert.InDelta(t, 1-6*d2/(4*15), got[0].Spearman, 1e-12)
}

// fsShared returns the shared data folder or skips.
func fsShared(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FEWSHOT_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "classification")); err != nil {
		t.Skipf("shared data not found at %s (set FEWSHOT_SHARED_DATA): %v", dir, err)
	}
	return dir
}

// TestEvalOnSharedData runs the eval commands on the real sets through the reader's flags.
func TestEvalOnSharedData(t *testing.T) {
	d := fsShared(t)
	c := filepath.Join(d, "classification")
	s := filepath.Join(d, "similarity")

	t.Run("sts-b dev", func(t *testing.T) {
		out, _, code, err := fsRun(t, "", "eval", "sts", "--model", "tfidf", "--data", filepath.Join(s, "stsbenchmark", "sts-dev.csv"), "--json")
		require.NoError(t, err)
		require.Equal(t, 0, code)
		got := fsDecodeLines[stsLine](t, out)
		assert.Equal(t, 1500, got[0].Pairs)
		assert.Greater(t, got[0].Spearman, 0.5, "word overlap tracks similarity")
	})
	t.Run("sick test", func(t *testing.T) {
		out, _, code, err := fsRun(t, "", "eval", "sts", "--model", "tfidf", "--data", filepath.Join(s, "sick", "SICK.txt"), "--format", "sick", "--split", "TEST", "--json")
		require.NoError(t, err)
		require.Equal(t, 0, code)
		got := fsDecodeLines[stsLine](t, out)
		assert.Equal(t, 4906, got[0].Pairs, "SemEval-2014 test size")
	})
	t.Run("snips episodes", func(t *testing.T) {
		out, _, code, err := fsRun(t, "", "eval", "episodes", "--model", "tfidf", "--data", filepath.Join(c, "snips"), "--split", "test",
			"--shot", "5", "--episodes", "50", "--method", "prototype,logreg", "--json")
		require.NoError(t, err)
		require.Equal(t, 0, code)
		got := fsDecodeLines[episodesLine](t, out)
		require.Len(t, got, 2)
		for _, g := range got {
			assert.Greater(t, g.Accuracy, 0.6, g.Method)
		}
	})
	t.Run("trec with the reader's format", func(t *testing.T) {
		out, _, code, err := fsRun(t, "", "eval", "episodes", "--model", "tfidf", "--data", filepath.Join(c, "trec", "TREC.train"), "--format", "trec",
			"--way", "6", "--episodes", "20", "--json")
		require.NoError(t, err)
		require.Equal(t, 0, code)
		assert.Equal(t, 6, fsDecodeLines[episodesLine](t, out)[0].Way, "6 coarse classes")
		_, _, code, err = fsRun(t, "", "eval", "episodes", "--model", "tfidf", "--data", filepath.Join(c, "trec", "TREC.train"), "--format", "trec",
			"--way", "7", "--episodes", "20")
		assert.Equal(t, 1, code)
		assert.ErrorContains(t, err, "way 7")
	})
	t.Run("sst-2 setfit", func(t *testing.T) {
		out, _, code, err := fsRun(t, "", "eval", "classify", "--model", "tfidf", "--train", filepath.Join(c, "sst2", "stsa.binary.train"),
			"--test", filepath.Join(c, "sst2", "stsa.binary.dev"), "--shots", "8", "--seeds", "2", "--json")
		require.NoError(t, err)
		require.Equal(t, 0, code)
		got := fsDecodeLines[setfitLine](t, out)
		require.Len(t, got[0].Runs, 2)
		assert.Equal(t, 16, got[0].Runs[0].TrainSize, "8 per label, 2 labels")
	})
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	sep := fsFile(t, dir, "sep.jsonl", separableJSONL())
	one := fsFile(t, dir, "one.csv", "text,label\na b,x\nc d,x\n")
	train := fsFile(t, dir, "train.csv", "text,label\nsunny day,a\ncold night,b\n")
	test := fsFile(t, dir, "test.csv", "text,label\nsunny,a\nwindy,c\nrainy,d\n")
	onePair := fsFile(t, dir, "pair.csv", "sentence1,sentence2,score\na,b,1\n")
	pairs := fsFile(t, dir, "pairs.csv", stsPairs)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"eval"}, 2, "subcommand"},
		{"unknown subcommand", []string{"eval", "accuracy"}, 2, "accuracy"},
		{"episodes args", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "extra"}, 2, "takes no arguments"},
		{"way 1", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--way", "1"}, 2, "--way 1"},
		{"shot 0", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--shot", "0"}, 2, "--shot 0"},
		{"episodes 0", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--episodes", "0"}, 2, "--episodes 0"},
		{"no data", []string{"eval", "episodes", "--model", "tfidf"}, 2, "--data is required"},
		{"bad method", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--method", "prototype,svm"}, 2, "svm"},
		{"method twice", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--method", "knn,knn"}, 2, "twice"},
		{"shot+query too large", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--shot", "3", "--query", "4"}, 1, "shot+query = 7 is larger than every class"},
		{"way above classes", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--way", "5", "--query", "2"}, 1, "way 5"},
		{"unknown column", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--label-col", "intent"}, 1, "intent"},
		{"unknown format", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--format", "xml"}, 1, "xml"},
		{"split on a plain file", []string{"eval", "episodes", "--model", "tfidf", "--data", sep, "--split", "train"}, 1, "split"},
		{"missing data file", []string{"eval", "episodes", "--model", "tfidf", "--data", filepath.Join(dir, "none.csv")}, 1, "none.csv"},
		{"classify no train", []string{"eval", "classify", "--model", "tfidf", "--test", test}, 2, "--train is required"},
		{"classify shots 0", []string{"eval", "classify", "--model", "tfidf", "--train", train, "--test", test, "--shots", "0"}, 2, "--shots 0"},
		{"classify seeds 0", []string{"eval", "classify", "--model", "tfidf", "--train", train, "--test", test, "--seeds", "0"}, 2, "--seeds 0"},
		{"class without training examples", []string{"eval", "classify", "--model", "tfidf", "--train", train, "--test", test}, 1, `2 labels have no examples in --train`},
		{"one class in train", []string{"eval", "classify", "--model", "tfidf", "--train", one, "--test", one}, 1, "one label"},
		{"sts no data", []string{"eval", "sts", "--model", "tfidf"}, 2, "--data is required"},
		{"sts one pair", []string{"eval", "sts", "--model", "tfidf", "--data", onePair}, 1, "need at least 2"},
		{"sts missing model", []string{"eval", "sts", "--model", filepath.Join(dir, "nomodel"), "--data", pairs}, 1, "nomodel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, _, code, err := fsRun(t, "", tc.args...)
			require.Error(t, err)
			assert.Equal(t, tc.code, code, "exit status (%v)", err)
			assert.ErrorContains(t, err, tc.want)
			assert.Empty(t, out)
		})
	}
}
