package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadSnap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.snap")
	require.NoError(t, os.WriteFile(p, []byte("---\nsource: a\nexpression: b\n---\n- - 0.5\n  - -1.25\n- - 2\n  - 3e-2\n"), 0o644))
	assert.Equal(t, [][]float32{{0.5, -1.25}, {2, 0.03}}, readSnap(t, p))
	ref := filepath.Join("..", "..", "shared", "data", "reference", "all-MiniLM-L6-v2", "test_bert__bert_batch.snap")
	if _, err := os.Stat(ref); err != nil {
		t.Skip("shared data not present")
	}
	rows := readSnap(t, ref)
	require.Len(t, rows, 3)
	for _, r := range rows {
		assert.Len(t, r, 384)
	}
	assert.Equal(t, rows[0], rows[2], "the first and third inputs are the same text")
}
