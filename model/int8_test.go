package model

import (
	"bufio"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/torch"
)

// cosineStats returns the smallest cosine and the largest absolute difference between paired vectors.
func cosineStats(want, got [][]float32) (minCos, maxAbs float64) {
	minCos = 1
	for i := range want {
		var dot, nw, ng float64
		for j := range want[i] {
			dot += float64(want[i][j]) * float64(got[i][j])
			nw += float64(want[i][j]) * float64(want[i][j])
			ng += float64(got[i][j]) * float64(got[i][j])
			maxAbs = math.Max(maxAbs, math.Abs(float64(want[i][j]-got[i][j])))
		}
		minCos = math.Min(minCos, dot/math.Sqrt(nw*ng))
	}
	return minCos, maxAbs
}

// The int8 path stays close to the independent reference on every tiny model: cosine >= 0.995 per text.
// Weights and activations are rounded to 1/255 of their ranges in every linear; on these random
// 2-layer models the embeddings move by about 3% of their norm at worst (cosine 0.9994 measured), and
// 0.995 (10%) still fails a wrong scale, zero point or block split.
func TestInt8PathIsClose(t *testing.T) {
	if _, _, err := torch.QuantizedEngine(); err != nil {
		t.Skipf("no int8 engine here (the fallback is tested separately): %v", err)
	}
	f := loadFixture(t)
	for name, fm := range f.Models {
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", "models", name), LoadOptions{CPUMode: PackInt8})
			require.NoError(t, err)
			defer m.Close()
			assert.True(t, m.Encoder.Fast())
			assert.Equal(t, PackInt8, m.Encoder.Packing())
			assert.Empty(t, m.Encoder.Fallback)
			texts := make([]string, len(fm.Texts))
			want := make([][]float32, len(fm.Texts))
			for i, ft := range fm.Texts {
				texts[i], want[i] = ft.Text, ft.SentenceEmbedding
			}
			got, err := m.Encode(context.Background(), texts, EncodeOptions{BatchSize: 3})
			require.NoError(t, err)
			minCos, maxAbs := cosineStats(want, got)
			assert.GreaterOrEqual(t, minCos, 0.995)
			assert.Greater(t, maxAbs, 1e-5, "int8 is not exact: the quantized path really ran")
			// Training turns it off and frees the quantized copies.
			live := torch.LiveTensors()
			require.NoError(t, m.SetTrainable(true))
			assert.False(t, m.Encoder.Fast())
			assert.Less(t, torch.LiveTensors(), live)
		})
	}
}

// Without a quantized engine (a CPU without the instructions, a libtorch without the engine) the int8
// mode falls back to the float32 oneDNN path, says why, and gives the reference's embeddings.
func TestInt8FallsBackWithoutEngine(t *testing.T) {
	f := loadFixture(t)
	fm := f.Models["bert"]
	m, err := Load(filepath.Join("testdata", "models", "bert"), LoadOptions{CPUMode: PackPlain})
	require.NoError(t, err)
	defer m.Close()
	m.Encoder.quantEngine = func() (string, bool, error) {
		return "", false, errors.New("int8: this libtorch has no x86 quantized engine (x86, fbgemm or onednn); it has: none")
	}
	m.Encoder.SetFast(true, PackInt8)
	assert.Contains(t, m.Encoder.Fallback, "int8 CPU mode unavailable")
	assert.Contains(t, m.Encoder.Fallback, "no x86 quantized engine")
	assert.Equal(t, PackFloat32, m.Encoder.Packing())
	assert.Equal(t, torch.MKLDNNAvailable(), m.Encoder.Fast())
	for _, ft := range fm.Texts {
		got, err := m.Encode(context.Background(), []string{ft.Text}, EncodeOptions{})
		require.NoError(t, err)
		assertParity(t, ft.SentenceEmbedding, got[0], "fallback text "+ft.Text)
	}
	// Asking for another mode clears the notice.
	m.Encoder.SetFast(true, PackFloat32)
	assert.Empty(t, m.Encoder.Fallback)
}

// stsSentences reads up to n sentences of STS-B dev (both columns), or skips without the shared data.
func stsSentences(t *testing.T, n int) []string {
	t.Helper()
	root := os.Getenv("FEWSHOT_SHARED_DATA")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "data")
	}
	p := filepath.Join(root, "similarity", "stsbenchmark", "sts-dev.csv")
	fh, err := os.Open(p)
	if err != nil {
		t.Skipf("shared data not found (%v); set FEWSHOT_SHARED_DATA", err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() && len(out) < n {
		if cols := strings.Split(sc.Text(), "\t"); len(cols) >= 7 {
			out = append(out, cols[5], cols[6])
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// On a trained model (2 layers, hidden 128, one epoch on STS-B train: build/exp/small-sts, or
// $FEWSHOT_SMALL_MODEL) the int8 and bfloat16 embeddings of 400 real sentences (STS-B dev) stay close to
// the plain path's: cosine >= 0.999 for int8 and >= 0.9999 for bfloat16 (measured: 0.99998 and 0.999998;
// the bounds leave room for other CPUs' kernels, and int8 with 7-bit activations where there is no VNNI).
func TestReducedPrecisionOnTrainedModel(t *testing.T) {
	dir := os.Getenv("FEWSHOT_SMALL_MODEL")
	if dir == "" {
		dir = filepath.Join("..", "build", "exp", "small-sts")
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Skipf("trained model not found at %s (see the README to make it, or set FEWSHOT_SMALL_MODEL)", dir)
	}
	if !torch.MKLDNNAvailable() {
		t.Skip("libtorch has no oneDNN")
	}
	texts := stsSentences(t, 400)
	ref, err := Load(dir, LoadOptions{CPUMode: PackPlain})
	require.NoError(t, err)
	defer ref.Close()
	want, err := ref.Encode(context.Background(), texts, EncodeOptions{})
	require.NoError(t, err)
	cases := []struct {
		name   string
		opt    LoadOptions
		minCos float64
		int8   bool
	}{
		{"fast", LoadOptions{}, 0.99999, false},
		{"bf16", LoadOptions{CPUMode: PackBFloat16}, 0.9999, false},
		{"int8", LoadOptions{CPUMode: PackInt8}, 0.999, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.int8 {
				if _, _, err := torch.QuantizedEngine(); err != nil {
					t.Skipf("no int8 engine here: %v", err)
				}
			}
			m, err := Load(dir, c.opt)
			require.NoError(t, err)
			defer m.Close()
			got, err := m.Encode(context.Background(), texts, EncodeOptions{})
			require.NoError(t, err)
			minCos, maxAbs := cosineStats(want, got)
			t.Logf("%s: min cosine %.6f, max abs diff %.2e over %d sentences", c.name, minCos, maxAbs, len(texts))
			assert.GreaterOrEqual(t, minCos, c.minCos)
		})
	}
}
