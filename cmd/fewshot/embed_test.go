package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/model"
)

// TestEmbedMatchesFixtures embeds the non-blank fixture texts of every tiny model from a JSONL file and
// compares with the sentence embeddings that the independent PyTorch implementation computed.
func TestEmbedMatchesFixtures(t *testing.T) {
	fx := loadFixtures(t)
	for _, name := range []string{"bert", "distilbert", "roberta", "mpnet"} {
		t.Run(name, func(t *testing.T) {
			want := fx[name]
			dir := t.TempDir()
			var in strings.Builder
			var wantIDs []string
			var wantVecs [][]float32
			for i, ft := range want.Texts {
				if strings.TrimSpace(ft.Text) == "" {
					continue // blank texts are skipped by embed (and rejected in JSONL)
				}
				line, err := json.Marshal(map[string]any{"id": fmt.Sprintf("t%d", i), "text": ft.Text})
				require.NoError(t, err)
				in.Write(append(line, '\n'))
				wantIDs = append(wantIDs, fmt.Sprintf("%q", fmt.Sprintf("t%d", i)))
				wantVecs = append(wantVecs, ft.SentenceEmbedding)
			}
			require.GreaterOrEqual(t, len(wantIDs), 5)
			input := writeFile(t, dir, "texts.jsonl", in.String())
			out := filepath.Join(dir, "emb.jsonl")
			_, _, err := runCLI(t, "", "embed", "--model", filepath.Join(testModels, name), "--input", input, "--output", out, "--batch-size", "4")
			require.NoError(t, err)
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			recs := parseJSONL(t, string(b))
			require.Equal(t, wantIDs, ids(recs))
			for i, r := range recs {
				require.Len(t, r.Embedding, want.EmbeddingDim)
				assert.LessOrEqual(t, maxAbsDiff(t, wantVecs[i], r.Embedding), 1e-5, "text %s", wantIDs[i])
			}
		})
	}
}

// TestEmbedPlainTextMatchesEncode reads plain text from stdin: ids are 0-based line numbers (blank lines
// count but give no record) and the values equal model.Encode's.
func TestEmbedPlainTextMatchesEncode(t *testing.T) {
	lines := []string{"A plane is taking off.", "", "A man is playing a large flute.", "   ", "Three children stand on or near a fence.", "x"}
	stdout, stderr, err := runCLI(t, strings.Join(lines, "\n")+"\n", "embed", "--model", bertModel, "--batch-size", "2")
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, "4 texts, dim 32")
	recs := parseJSONL(t, stdout)
	assert.Equal(t, []string{"0", "2", "4", "5"}, ids(recs))

	m, err := model.Load(bertModel, model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	texts := []string{lines[0], lines[2], lines[4], lines[5]}
	want, err := m.Encode(context.Background(), texts, model.EncodeOptions{BatchSize: 2})
	require.NoError(t, err)
	require.Len(t, recs, len(want))
	for i := range want {
		assert.LessOrEqual(t, maxAbsDiff(t, want[i], recs[i].Embedding), 1e-6, "line %s", recs[i].ID)
	}

	// CRLF line ends and a missing final newline change nothing.
	stdout2, _, err := runCLI(t, strings.Join(lines, "\r\n"), "embed", "--model", bertModel, "--batch-size", "2", "--quiet")
	require.NoError(t, err)
	assert.Equal(t, stdout, stdout2)
}

// TestEmbedJSONLIDs keeps the ids of JSONL records as written (strings, big numbers, objects) and uses
// the 0-based line number when a record has none.
func TestEmbedJSONLIDs(t *testing.T) {
	in := `{"id": "a<b>", "text": "A plane is taking off."}
{"text": "no id here"}

{"id": 12345678901234567890, "text": "big number"}
{"id": 1.5e3, "text": "float id"}
{"id": {"doc": 7}, "text": "object id"}
`
	for _, args := range [][]string{
		{"--input-format", "jsonl"},
		{"--input-format", "auto", "--input", "FILE.jsonl"},
	} {
		if args[len(args)-1] == "FILE.jsonl" {
			args[len(args)-1] = writeFile(t, t.TempDir(), "in.jsonl", in)
		}
		stdout, stderr, err := runCLI(t, in, append([]string{"embed", "--model", bertModel}, args...)...)
		require.NoError(t, err, stderr)
		recs := parseJSONL(t, stdout)
		assert.Equal(t, []string{`"a<b>"`, "1", "12345678901234567890", "1.5e3", `{"doc":7}`}, ids(recs))
	}
}

// TestEmbedNPY writes npy to a file (format from the name) and to stdout; both parse back to the JSONL
// values, and numpy (when installed) reads the same matrix.
func TestEmbedNPY(t *testing.T) {
	dir := t.TempDir()
	texts := "A plane is taking off.\nA man is playing a large flute.\n\nThree children stand on or near a fence.\n"
	input := writeFile(t, dir, "in.txt", texts)
	jsonlOut, _, err := runCLI(t, "", "embed", "--model", bertModel, "--input", input)
	require.NoError(t, err)
	recs := parseJSONL(t, jsonlOut)
	require.Len(t, recs, 3)

	npyPath := filepath.Join(dir, "emb.npy")
	_, _, err = runCLI(t, "", "embed", "--model", bertModel, "--input", input, "--output", npyPath)
	require.NoError(t, err)
	fileBytes, err := os.ReadFile(npyPath)
	require.NoError(t, err)
	stdoutNPY, _, err := runCLI(t, texts, "embed", "--model", bertModel, "--format", "npy")
	require.NoError(t, err)
	assert.Equal(t, fileBytes, []byte(stdoutNPY), "npy on stdout equals npy in a file")

	rows, cols, data := readNPY(t, fileBytes)
	require.Equal(t, 3, rows)
	require.Equal(t, 32, cols)
	for i, r := range recs {
		assert.Equal(t, r.Embedding, data[i*cols:(i+1)*cols], "row %d equals the JSONL embedding (shortest float32 text round-trips)", i)
	}

	// numpy, when some python3 has it (Debian's /usr/bin/python3 with python3-numpy, or the one on PATH),
	// is an independent reader of the file.
	script := `import sys, json, numpy as np
a = np.load(sys.argv[1])
print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "row2": [float(x) for x in a[2]]}))`
	var outb []byte
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if outb, err = exec.Command(py, "-c", script, npyPath).Output(); err == nil {
			break
		}
	}
	if err != nil {
		t.Logf("no python3 with numpy (%v); skipping the numpy cross-check", err)
		return
	}
	var np struct {
		Shape []int     `json:"shape"`
		DType string    `json:"dtype"`
		Row2  []float32 `json:"row2"`
	}
	require.NoError(t, json.Unmarshal(outb, &np))
	assert.Equal(t, []int{3, 32}, np.Shape)
	assert.Equal(t, "float32", np.DType)
	assert.Equal(t, recs[2].Embedding, np.Row2)
}

// TestEmbedShard splits one input into shards that together cover every non-blank line exactly once,
// with the original line numbers as ids and the same embeddings as the unsharded run.
func TestEmbedShard(t *testing.T) {
	var lines []string
	for i := range 23 {
		if i == 7 {
			lines = append(lines, "")
			continue
		}
		lines = append(lines, fmt.Sprintf("sentence number %d is about %s", i, strings.Repeat("plane ", i%5)))
	}
	input := writeFile(t, t.TempDir(), "in.txt", strings.Join(lines, "\n")+"\n")
	full, _, err := runCLI(t, "", "embed", "--model", bertModel, "--input", input)
	require.NoError(t, err)
	byID := map[string][]float32{}
	for _, r := range parseJSONL(t, full) {
		byID[string(r.ID)] = r.Embedding
	}
	require.Len(t, byID, 22)

	for _, n := range []int{2, 3} {
		seen := map[string]int{}
		for i := range n {
			out, _, err := runCLI(t, "", "embed", "--model", bertModel, "--input", input, "--shard", fmt.Sprintf("%d/%d", i, n), "--batch-size", "3")
			require.NoError(t, err)
			recs := parseJSONL(t, out)
			for _, r := range recs {
				seen[string(r.ID)]++
				var line int
				_, err := fmt.Sscan(string(r.ID), &line)
				require.NoError(t, err)
				assert.Equal(t, i, line%n, "shard %d/%d got line %d", i, n, line)
				assert.LessOrEqual(t, maxAbsDiff(t, byID[string(r.ID)], r.Embedding), 1e-5, "line %d", line)
			}
		}
		assert.Len(t, seen, 22, "shards of %d cover every text", n)
		for id, c := range seen {
			assert.Equal(t, 1, c, "id %s appears %d times over %d shards", id, c, n)
		}
	}
}

// TestEmbedNormalize: distilbert (Dense + Tanh, no Normalize module) gives non-unit vectors; with
// --normalize each is the same vector divided by its norm.
func TestEmbedNormalize(t *testing.T) {
	in := "A plane is taking off.\nA man is playing a large flute.\nThree children stand on or near a fence.\n"
	dm := filepath.Join(testModels, "distilbert")
	raw, _, err := runCLI(t, in, "embed", "--model", dm)
	require.NoError(t, err)
	normed, _, err := runCLI(t, in, "embed", "--model", dm, "--normalize")
	require.NoError(t, err)
	a, b := parseJSONL(t, raw), parseJSONL(t, normed)
	require.Len(t, a, 3)
	require.Len(t, b, 3)
	for i := range a {
		n := norm(a[i].Embedding)
		require.Greater(t, abs(n-1), 1e-3, "raw vector %d already has unit norm; the test would prove nothing", i)
		assert.InDelta(t, 1, norm(b[i].Embedding), 1e-5)
		want := make([]float32, len(a[i].Embedding))
		for j, x := range a[i].Embedding {
			want[j] = float32(float64(x) / n)
		}
		assert.LessOrEqual(t, maxAbsDiff(t, want, b[i].Embedding), 1e-6)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestEmbedErrors checks that bad input and flags give errors that name the flag or the file and line,
// with exit status 2 (usageError) for usage errors, and that no output file appears.
func TestEmbedErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.txt", "hello\n")
	badJSON := writeFile(t, dir, "bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"oops\"\n")
	noText := writeFile(t, dir, "notext.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"ok\"}\n{\"label\": \"x\"}\n")
	empty := writeFile(t, dir, "empty.txt", "")
	badUTF8 := writeFile(t, dir, "latin1.txt", "ok\ncaf\xe9\n")
	out := filepath.Join(dir, "out.jsonl")
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  []string
	}{
		{"malformed JSONL", []string{"--input", badJSON}, false, []string{badJSON, "line 2", "malformed JSON"}},
		{"missing text", []string{"--input", noText}, false, []string{noText, "line 3", `missing field "text"`}},
		{"empty input", []string{"--input", empty}, false, []string{empty}},
		{"invalid UTF-8", []string{"--input", badUTF8}, false, []string{badUTF8, "line 2"}},
		{"missing input", []string{"--input", filepath.Join(dir, "nope.txt")}, false, []string{"--input", "nope.txt"}},
		{"bad shard order", []string{"--input", good, "--shard", "3/2"}, true, []string{`--shard "3/2"`}},
		{"bad shard text", []string{"--input", good, "--shard", "half"}, true, []string{"--shard"}},
		{"zero shards", []string{"--input", good, "--shard", "0/0"}, true, []string{"--shard"}},
		{"bad format", []string{"--input", good, "--format", "csv"}, true, []string{`--format "csv"`}},
		{"bad input format", []string{"--input", good, "--input-format", "xml"}, true, []string{"--input-format"}},
		{"bad batch size", []string{"--input", good, "--batch-size", "0"}, true, []string{"--batch-size"}},
		{"unknown flag", []string{"--input", good, "--bogus"}, true, []string{"--bogus"}},
		{"positional argument", []string{"--input", good, "some text"}, true, []string{"no arguments"}},
		{"unwritable output", []string{"--input", good, "--output", filepath.Join(dir, "no", "such", "dir", "o.jsonl")}, false, []string{"--output", "no/such/dir"}},
		{"output is a folder", []string{"--input", good, "--output", dir}, true, []string{"--output", "folder"}},
		{"missing model folder", []string{"--input", good, "--model", filepath.Join(dir, "no-model")}, false, []string{"--model", "no-model"}},
		{"not a model folder", []string{"--input", good, "--model", dir}, false, []string{"config.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"embed", "--model", bertModel, "--output", out}, tc.args...)
			stdout, _, err := runCLI(t, "", args...)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, tc.usage, isUsage(err), "usage error (exit 2): %v", err)
			assert.Empty(t, stdout)
			assert.NoFileExists(t, out)
		})
	}
	assert.ElementsMatch(t, []string{"good.txt", "bad.jsonl", "notext.jsonl", "empty.txt", "latin1.txt"}, dirNames(t, dir), "no temporary files left behind")
}

// cancelAfter is a reader that cancels a context once more than limit bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int
	limit  int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n > c.limit {
		c.cancel()
	}
	p = p[:min(len(p), 512)]
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestEmbedInterrupted cancels the context (as Ctrl-C does in main) halfway through the input: the
// command fails and neither the output file nor a temporary file is left.
func TestEmbedInterrupted(t *testing.T) {
	var in strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&in, "text number %d\n", i)
	}
	for _, format := range []string{"jsonl", "npy"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out."+format)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := &cancelAfter{r: strings.NewReader(in.String()), limit: in.Len() / 2, cancel: cancel}
			var stdout bytes.Buffer
			_, err := execCLI(ctx, r, &stdout, "embed", "--model", bertModel, "--output", out, "--chunk-size", "100")
			require.Error(t, err)
			assert.ErrorIs(t, err, context.Canceled)
			assert.Contains(t, err.Error(), "was not written")
			assert.Less(t, r.n, in.Len(), "stopped before the end of the input")
			assert.NoFileExists(t, out)
			assert.Empty(t, dirNames(t, dir))
		})
	}
}

// TestEmbedOverwritesAtomically replaces an existing output only when the new one is complete.
func TestEmbedOverwritesAtomically(t *testing.T) {
	dir := t.TempDir()
	out := writeFile(t, dir, "out.jsonl", "old contents\n")
	bad := writeFile(t, dir, "bad.jsonl", "{\"text\": \"a\"}\n{\"text\": 3}\n")
	_, _, err := runCLI(t, "", "embed", "--model", bertModel, "--input", bad, "--output", out, "--chunk-size", "1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 2")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "old contents\n", string(b), "a failed run keeps the old file")

	_, _, err = runCLI(t, "", "embed", "--model", bertModel, "--input", writeFile(t, dir, "ok.txt", "fine\n"), "--output", out)
	require.NoError(t, err)
	b, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.Len(t, parseJSONL(t, string(b)), 1)
	assert.ElementsMatch(t, []string{"out.jsonl", "bad.jsonl", "ok.txt"}, dirNames(t, dir))
}

// progressReader counts the bytes read so the output writer can see how much input was consumed.
type progressReader struct {
	r io.Reader
	n atomic.Int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n.Add(int64(n))
	return n, err
}

// firstWriteWatcher records how much input had been read when the first output bytes arrived.
type firstWriteWatcher struct {
	in        *progressReader
	buf       bytes.Buffer
	readFirst int64
}

func (w *firstWriteWatcher) Write(p []byte) (int, error) {
	if w.buf.Len() == 0 {
		w.readFirst = w.in.n.Load()
	}
	return w.buf.Write(p)
}

// TestEmbedStreams embeds 20,000 generated lines: every line comes out once, in order, and output starts
// before most of the input has been read (the job streams instead of reading everything first).
func TestEmbedStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("streaming test embeds 20,000 texts")
	}
	const n = 20000
	var in strings.Builder
	for i := range n {
		fmt.Fprintf(&in, "line %d w%d\n", i, i%97)
	}
	pr := &progressReader{r: strings.NewReader(in.String())}
	w := &firstWriteWatcher{in: pr}
	stderr, err := execCLI(context.Background(), pr, w, "embed", "--model", bertModel, "--batch-size", "256")
	require.NoError(t, err, stderr)
	assert.Less(t, w.readFirst, int64(in.Len()/2), "output began after %d of %d input bytes", w.readFirst, in.Len())
	recs := parseJSONL(t, w.buf.String())
	require.Len(t, recs, n)
	for i, r := range recs {
		if string(r.ID) != fmt.Sprint(i) || len(r.Embedding) != 32 {
			require.Failf(t, "wrong record", "record %d has id %s and %d values", i, r.ID, len(r.Embedding))
		}
	}
}
