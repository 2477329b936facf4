package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type zeroshotLine struct {
	Text     string    `json:"text"`
	Labels   []fsScore `json:"labels"`
	Selected *[]string `json:"selected"`
}

// zeroshotWant ranks labels for each text by the cosine of independently computed embeddings of the
// texts and of embedded[i] (what stands for label i: the label, a template sentence, a description).
func zeroshotWant(t *testing.T, labels, embedded, texts []string) [][]fsScore {
	t.Helper()
	emb := fsEncode(t, fsBERT, append(append([]string(nil), embedded...), texts...))
	out := make([][]fsScore, len(texts))
	for i := range texts {
		scores := make([]float64, len(labels))
		for c := range labels {
			scores[c] = fsCos(emb[len(labels)+i], emb[c])
		}
		out[i] = fsRank(labels, scores)
	}
	return out
}

func TestZeroshotRanksByCosine(t *testing.T) {
	labels := []string{"business", "art & culture", "politics"}
	texts := []string{"Who are you voting for in 2020?", "The museum opens a new exhibition"}
	want := zeroshotWant(t, labels, labels, texts)

	out, _, code, err := fsRun(t, "", append([]string{"zeroshot", "--model", fsBERT, "--labels", "business,art & culture,politics", "--json"}, texts...)...)
	require.NoError(t, err)
	require.Equal(t, 0, code)
	assert.Contains(t, out, `"art & culture"`, "& is not escaped")
	got := fsDecodeLines[zeroshotLine](t, out)
	require.Len(t, got, 2)
	for i := range texts {
		assert.Equal(t, texts[i], got[i].Text)
		assertRanking(t, want[i], got[i].Labels, 1e-5)
		assert.Nil(t, got[i].Selected, "no selection outside multi-label mode")
	}

	// The readable ranking: the text, then the labels in the same order with their scores.
	out, _, code, err = fsRun(t, "", "zeroshot", "--model", fsBERT, "--labels", "business,art & culture,politics", texts[0])
	require.NoError(t, err)
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 4, out)
	assert.Equal(t, texts[0], lines[0])
	for r, line := range lines[1:] {
		f := strings.Fields(strings.TrimSpace(line))
		require.GreaterOrEqual(t, len(f), 3, line)
		assert.Equal(t, strconv.Itoa(r+1)+".", f[0])
		assert.Equal(t, strings.Fields(want[0][r].Label), f[1:len(f)-1], "rank %d: %q", r+1, line)
		score, err := strconv.ParseFloat(f[len(f)-1], 64)
		require.NoError(t, err)
		assert.InDelta(t, want[0][r].Score, score, 6e-5, "printed to 4 decimals")
	}
}

func TestZeroshotTemplatesDescriptionsTopK(t *testing.T) {
	labels := []string{"sport", "cooking", "travel"}
	texts := []string{"The match ended in a draw", "Boil the pasta for ten minutes"}

	t.Run("template", func(t *testing.T) {
		embedded := []string{"A text about sport.", "A text about cooking.", "A text about travel."}
		want := zeroshotWant(t, labels, embedded, texts)
		out, _, code, err := fsRun(t, "", append([]string{"zeroshot", "--model", fsBERT, "--labels", "sport,cooking,travel", "--template", "A text about {}.", "--json"}, texts...)...)
		require.NoError(t, err)
		require.Equal(t, 0, code)
		got := fsDecodeLines[zeroshotLine](t, out)
		require.Len(t, got, 2)
		for i := range texts {
			assertRanking(t, want[i], got[i].Labels, 1e-5)
		}
	})

	t.Run("label file with descriptions", func(t *testing.T) {
		dir := t.TempDir()
		lf := fsFile(t, dir, "labels.txt", "# candidate labels\nsport\tfootball and tennis matches\n\ncooking\ntravel\tflights, hotels, holidays\n")
		embedded := []string{"football and tennis matches", "cooking", "flights, hotels, holidays"}
		want := zeroshotWant(t, labels, embedded, texts)
		out, _, code, err := fsRun(t, "", append([]string{"zeroshot", "--model", fsBERT, "--label-file", lf, "--json"}, texts...)...)
		require.NoError(t, err)
		require.Equal(t, 0, code)
		got := fsDecodeLines[zeroshotLine](t, out)
		require.Len(t, got, 2)
		for i := range texts {
			assertRanking(t, want[i], got[i].Labels, 1e-5)
		}
	})

	want := zeroshotWant(t, labels, labels, texts)
	t.Run("top-k", func(t *testing.T) {
		out, _, code, err := fsRun(t, "", append([]string{"zeroshot", "--model", fsBERT, "--labels", "sport,cooking,travel", "--top-k", "2", "--json"}, texts...)...)
		require.NoError(t, err)
		require.Equal(t, 0, code)
		got := fsDecodeLines[zeroshotLine](t, out)
		for i := range texts {
			assertRanking(t, want[i][:2], got[i].Labels, 1e-5)
		}
	})

	t.Run("multi-label", func(t *testing.T) {
		// A threshold between the first and second cosine of the first text selects exactly its
		// best label; for the second text whatever reaches it.
		th := (want[0][0].Score + want[0][1].Score) / 2
		thArg := strconv.FormatFloat(th, 'g', -1, 64)
		out, _, code, err := fsRun(t, "", append([]string{"zeroshot", "--model", fsBERT, "--labels", "sport,cooking,travel", "--multi-label", "--threshold", thArg, "--json"}, texts...)...)
		require.NoError(t, err)
		require.Equal(t, 0, code)
		got := fsDecodeLines[zeroshotLine](t, out)
		require.Len(t, got, 2)
		require.NotNil(t, got[0].Selected)
		assert.Equal(t, []string{want[0][0].Label}, *got[0].Selected)
		var sel []string
		for _, s := range want[1] {
			if s.Score >= th {
				sel = append(sel, s.Label)
			}
		}
		require.NotNil(t, got[1].Selected)
		assert.Equal(t, len(sel), len(*got[1].Selected))

		// Above every cosine: nothing selected, an empty list (not a missing field).
		out, _, code, err = fsRun(t, "", "zeroshot", "--model", fsBERT, "--labels", "sport,cooking,travel", "--multi-label", "--threshold", "1.01", "--json", texts[0])
		require.NoError(t, err)
		require.Equal(t, 0, code)
		assert.Contains(t, out, `"selected":[]`)
	})

	t.Run("input file and stdin", func(t *testing.T) {
		dir := t.TempDir()
		in := fsFile(t, dir, "texts.jsonl", `{"text": "The match ended in a draw"}`+"\n"+`{"id": 7, "text": "Boil the pasta for ten minutes"}`+"\n")
		out, _, code, err := fsRun(t, "", "zeroshot", "--model", fsBERT, "--labels", "sport,cooking,travel", "--input", in, "--json")
		require.NoError(t, err)
		require.Equal(t, 0, code)
		got := fsDecodeLines[zeroshotLine](t, out)
		require.Len(t, got, 2)
		assert.Equal(t, texts[1], got[1].Text)
		assertRanking(t, want[1], got[1].Labels, 1e-5)

		out, _, code, err = fsRun(t, strings.Join(texts, "\n"), "zeroshot", "--model", fsBERT, "--labels", "sport,cooking,travel", "--input", "-", "--json")
		require.NoError(t, err)
		require.Equal(t, 0, code)
		require.Len(t, fsDecodeLines[zeroshotLine](t, out), 2)
	})
}

func TestZeroshotErrors(t *testing.T) {
	dir := t.TempDir()
	dupFile := fsFile(t, dir, "dup.txt", "a\nb\na\n")
	oneFile := fsFile(t, dir, "one.txt", "only\n\n")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no labels", []string{"zeroshot", "--model", fsBERT, "x"}, 2, "exactly one of --labels"},
		{"labels and file", []string{"zeroshot", "--model", fsBERT, "--labels", "a,b", "--label-file", dupFile, "x"}, 2, "exactly one of --labels"},
		{"empty label", []string{"zeroshot", "--model", fsBERT, "--labels", "a,,b", "x"}, 2, "label 2 is empty"},
		{"duplicate label", []string{"zeroshot", "--model", fsBERT, "--labels", "a,b,a", "x"}, 2, `"a" given twice`},
		{"one label", []string{"zeroshot", "--model", fsBERT, "--labels", "a", "x"}, 2, "at least 2 labels"},
		{"template without {}", []string{"zeroshot", "--model", fsBERT, "--labels", "a,b", "--template", "about it", "x"}, 2, "has no {}"},
		{"threshold without multi-label", []string{"zeroshot", "--model", fsBERT, "--labels", "a,b", "--threshold", "0.3", "x"}, 2, "--multi-label"},
		{"negative top-k", []string{"zeroshot", "--model", fsBERT, "--labels", "a,b", "--top-k", "-2", "x"}, 2, "--top-k"},
		{"no texts", []string{"zeroshot", "--model", fsBERT, "--labels", "a,b"}, 2, "no texts"},
		{"texts and input", []string{"zeroshot", "--model", fsBERT, "--labels", "a,b", "--input", dupFile, "x"}, 2, "not both"},
		{"bad threshold", []string{"zeroshot", "--model", fsBERT, "--labels", "a,b", "--multi-label", "--threshold", "high", "x"}, 2, "threshold"},
		{"tfidf", []string{"zeroshot", "--model", "tfidf", "--labels", "a,b", "x"}, 2, "eval commands"},
		{"duplicate in label file", []string{"zeroshot", "--model", fsBERT, "--label-file", dupFile, "x"}, 1, `label "a" repeats line 1`},
		{"one label in file", []string{"zeroshot", "--model", fsBERT, "--label-file", oneFile, "x"}, 1, "need at least 2"},
		{"missing label file", []string{"zeroshot", "--model", fsBERT, "--label-file", dir + "/none.txt", "x"}, 1, "none.txt"},
		{"missing input", []string{"zeroshot", "--model", fsBERT, "--labels", "a,b", "--input", dir + "/none.txt"}, 1, "none.txt"},
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
