package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tiny random models in the sentence-transformers layout, and their expected outputs from an
// independent PyTorch implementation (model/testdata/README.md).
const (
	testModels   = "../../model/testdata/models"
	bertModel    = testModels + "/bert"
	fixturesFile = "../../model/testdata/expected.json"
)

// execCLI runs the root command with args, stdin and stdout, returning stderr and the error.
func execCLI(ctx context.Context, stdin io.Reader, stdout io.Writer, args ...string) (string, error) {
	cmd := newRootCmd()
	var stderr bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(&stderr)
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	cmd.SetIn(stdin)
	err := cmd.ExecuteContext(ctx)
	return stderr.String(), err
}

// runCLI runs the root command with stdin text and returns stdout, stderr and the error.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out bytes.Buffer
	stderr, err := execCLI(context.Background(), strings.NewReader(stdin), &out, args...)
	return out.String(), stderr, err
}

// fixtureText is one text of expected.json for one model.
type fixtureText struct {
	Text              string    `json:"text"`
	Tokens            []string  `json:"tokens"`
	InputIDs          []int64   `json:"input_ids"`
	SentenceEmbedding []float32 `json:"sentence_embedding"`
}

// fixtureModel is one model of expected.json.
type fixtureModel struct {
	Path         string        `json:"path"`
	MaxSeqLength int           `json:"max_seq_length"`
	EmbeddingDim int           `json:"embedding_dim"`
	Texts        []fixtureText `json:"texts"`
}

func loadFixtures(t *testing.T) map[string]fixtureModel {
	t.Helper()
	b, err := os.ReadFile(fixturesFile)
	require.NoError(t, err)
	var f struct {
		Models map[string]fixtureModel `json:"models"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	require.Len(t, f.Models, 4)
	return f.Models
}

// embRecord is one JSONL output line; ID keeps the raw JSON so ids are compared as written.
type embRecord struct {
	ID        json.RawMessage `json:"id"`
	Embedding []float32       `json:"embedding"`
}

func parseJSONL(t *testing.T, s string) []embRecord {
	t.Helper()
	var recs []embRecord
	for i, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if line == "" && i == 0 {
			break
		}
		var r embRecord
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&r), "line %d: %s", i+1, line)
		recs = append(recs, r)
	}
	return recs
}

func ids(recs []embRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.ID)
	}
	return out
}

// readNPY is a minimal .npy reader written from the format description (NEP 1): magic, version 1.0,
// little-endian uint16 header length, a Python dict literal padded so the data starts on a multiple of
// 64 bytes, then the raw data.
func readNPY(t *testing.T, b []byte) (rows, cols int, data []float32) {
	t.Helper()
	require.GreaterOrEqual(t, len(b), 10)
	require.Equal(t, "\x93NUMPY", string(b[:6]), "magic")
	require.Equal(t, []byte{1, 0}, b[6:8], "version")
	hlen := int(binary.LittleEndian.Uint16(b[8:10]))
	require.GreaterOrEqual(t, len(b), 10+hlen)
	assert.Zero(t, (10+hlen)%64, "data offset %d is not 64-byte aligned", 10+hlen)
	header := string(b[10 : 10+hlen])
	assert.True(t, strings.HasSuffix(header, "\n"), "header ends with a newline")
	assert.Contains(t, header, "'descr': '<f4'")
	assert.Contains(t, header, "'fortran_order': False")
	m := regexp.MustCompile(`'shape': \((\d+), (\d+)\)`).FindStringSubmatch(header)
	require.NotNil(t, m, "shape in %q", header)
	rows, _ = strconv.Atoi(m[1])
	cols, _ = strconv.Atoi(m[2])
	raw := b[10+hlen:]
	require.Len(t, raw, rows*cols*4, "data size")
	data = make([]float32, rows*cols)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return rows, cols, data
}

// maxAbsDiff is the largest |a[i]-b[i]|; lengths must match.
func maxAbsDiff(t *testing.T, a, b []float32) float64 {
	t.Helper()
	require.Len(t, b, len(a))
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

func norm(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// dirNames lists a folder's entries (to show that no temporary file was left behind).
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func isUsage(err error) bool {
	var ue usageError
	return errors.As(err, &ue)
}
