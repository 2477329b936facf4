package model

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readSnap parses an insta YAML snapshot holding a list of float vectors ("- - 0.1\n  - 0.2\n- - ...").
func readSnap(t *testing.T, path string) [][]float32 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out [][]float32
	sc := bufio.NewScanner(f)
	dashes := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "---" {
			dashes++
			continue
		}
		if dashes < 2 {
			continue
		}
		trimmed := strings.TrimSpace(line)
		newRow := strings.HasPrefix(trimmed, "- - ")
		v := strings.TrimPrefix(strings.TrimPrefix(trimmed, "- "), "- ")
		if v == "" {
			continue
		}
		x, err := strconv.ParseFloat(v, 32)
		require.NoError(t, err, "%s: %q", path, line)
		if newRow || len(out) == 0 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], float32(x))
	}
	require.NoError(t, sc.Err())
	return out
}

// TestRealMiniLM compares with the published outputs of the real all-MiniLM-L6-v2 (from Hugging Face's
// text-embeddings-inference snapshots in ../shared/data/reference). Opt-in: set FEWSHOT_MINILM_DIR to a
// downloaded sentence-transformers/all-MiniLM-L6-v2 folder.
func TestRealMiniLM(t *testing.T) {
	dir := os.Getenv("FEWSHOT_MINILM_DIR")
	if dir == "" {
		t.Skip("FEWSHOT_MINILM_DIR is not set: point it at a sentence-transformers/all-MiniLM-L6-v2 folder to compare with the published reference outputs")
	}
	ref := os.Getenv("FEWSHOT_SHARED_DATA")
	if ref == "" {
		ref = filepath.Join("..", "..", "shared", "data")
	}
	ref = filepath.Join(ref, "reference", "all-MiniLM-L6-v2")
	if _, err := os.Stat(ref); err != nil {
		t.Skipf("reference outputs not found at %s", ref)
	}
	m, err := Load(dir, LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	m.Normalize = false // the snapshots hold un-normalised pooled vectors
	texts := []string{"What is Deep Learning?", "Deep Learning is...", "What is Deep Learning?"}
	mean, err := m.Encode(context.Background(), texts, EncodeOptions{})
	require.NoError(t, err)
	want := readSnap(t, filepath.Join(ref, "test_bert__bert_batch.snap"))
	require.Len(t, want, 3)
	for i := range want {
		assertParityTol(t, want[i], mean[i], 1e-4, 0.9999, "mean pooling "+texts[i])
	}
	single := readSnap(t, filepath.Join(ref, "test_bert__bert_single.snap"))
	assertParityTol(t, single[0], mean[0], 1e-4, 0.9999, "single")
	m.Pooling = PoolingConfig{CLS: true}
	cls, err := m.Encode(context.Background(), texts, EncodeOptions{})
	require.NoError(t, err)
	wantCLS := readSnap(t, filepath.Join(ref, "test_bert__bert_batch_pooled.snap"))
	for i := range wantCLS {
		assertParityTol(t, wantCLS[i], cls[i], 1e-4, 0.9999, "cls pooling "+texts[i])
	}
}
