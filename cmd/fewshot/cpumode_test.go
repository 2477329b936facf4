package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/torch"
)

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

// Every --cpu-mode embeds the fixture texts close to the independent reference: fast and plain to 1e-5,
// bf16 and int8 within the cosines model's tests justify. int8 says nothing on stderr where it runs, and
// says why where it falls back (then giving the fast path's values).
func TestEmbedCPUModes(t *testing.T) {
	fx := loadFixtures(t)["bert"]
	_, _, engineErr := torch.QuantizedEngine()
	cases := []struct {
		mode   string
		maxAbs float64
		minCos float64
	}{
		{"fast", 1e-5, 0.99999},
		{"plain", 1e-5, 0.99999},
		{"bf16", 0.05, 0.999},
		{"int8", 0.1, 0.995},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			dir := t.TempDir()
			var in strings.Builder
			var want [][]float32
			for _, ft := range fx.Texts {
				if strings.TrimSpace(ft.Text) == "" || strings.ContainsAny(ft.Text, "\n\r") {
					continue
				}
				in.WriteString(ft.Text + "\n")
				want = append(want, ft.SentenceEmbedding)
			}
			input := writeFile(t, dir, "texts.txt", in.String())
			out := filepath.Join(dir, "emb.jsonl")
			_, stderr, err := runCLI(t, "", "embed", "--model", bertModel, "--input", input, "--output", out, "--cpu-mode", c.mode)
			require.NoError(t, err)
			if c.mode == "int8" && engineErr != nil {
				assert.Contains(t, stderr, "int8 CPU mode unavailable")
				c.maxAbs, c.minCos = 1e-5, 0.99999
			} else {
				assert.NotContains(t, stderr, "--cpu-mode")
			}
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			recs := parseJSONL(t, string(b))
			require.Len(t, recs, len(want))
			for i, r := range recs {
				assert.LessOrEqual(t, maxAbsDiff(t, want[i], r.Embedding), c.maxAbs, "text %d", i)
				assert.GreaterOrEqual(t, cosine(want[i], r.Embedding), c.minCos, "text %d", i)
			}
		})
	}
	_, _, err := runCLI(t, "", "embed", "--model", bertModel, "--cpu-mode", "int4")
	require.Error(t, err)
	assert.True(t, isUsage(err))
	assert.Contains(t, err.Error(), `--cpu-mode "int4": want fast, plain, bf16 or int8`)
}

// A CPU mode that could not be used is logged on stderr, once, naming the flag and the reason.
func TestReportFallback(t *testing.T) {
	cases := []struct {
		name     string
		fallback string
		want     string
	}{
		{"fallback", "int8 CPU mode unavailable, using the float32 oneDNN path: int8: this CPU lacks AVX2",
			"fewshot: --cpu-mode: int8 CPU mode unavailable, using the float32 oneDNN path: int8: this CPU lacks AVX2\n"},
		{"none", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			reportFallback(&buf, &model.Model{Encoder: &model.Encoder{Fallback: c.fallback}})
			assert.Equal(t, c.want, buf.String())
		})
	}
	var buf bytes.Buffer
	reportFallback(&buf, &model.Model{})
	assert.Empty(t, buf.String(), "a model without an encoder logs nothing")
}
