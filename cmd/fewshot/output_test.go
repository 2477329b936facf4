package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNPYHeader checks the header bytes against the format written out by hand.
func TestNPYHeader(t *testing.T) {
	h, err := npyHeader(3, 32)
	require.NoError(t, err)
	require.Len(t, h, 128)
	assert.Equal(t, "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32), }", string(h[:70]))
	assert.Equal(t, bytes.Repeat([]byte{' '}, 128-70-1), h[70:127])
	assert.Equal(t, byte('\n'), h[127])

	big, err := npyHeader(math.MaxInt64, math.MaxInt64)
	require.NoError(t, err, "the largest shape still fits the fixed header")
	assert.Len(t, big, 128)
	_, err = npyHeader(-1, 3)
	assert.Error(t, err)
}

// TestEmbeddingWriter writes two rows each way and reads them back.
func TestEmbeddingWriter(t *testing.T) {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	w, err := newEmbeddingWriter(formatJSONL, 3, bw)
	require.NoError(t, err)
	require.NoError(t, w.write(4, []float32{0.1, -2, 3e-8}))
	require.NoError(t, w.write(json.Number("17"), []float32{1, 0, float32(math.Pi)}))
	assert.ErrorContains(t, w.write("x", []float32{1, 2}), "2 values, want 3")
	assert.ErrorContains(t, w.write("y", []float32{1, float32(math.NaN()), 2}), "non-finite")
	require.NoError(t, bw.Flush())
	assert.Equal(t, `{"id":4,"embedding":[0.1,-2,3e-08]}`+"\n"+`{"id":17,"embedding":[1,0,3.1415927]}`+"\n", buf.String())
	h, err := w.header()
	require.NoError(t, err)
	assert.Nil(t, h)

	buf.Reset()
	bw = bufio.NewWriter(&buf)
	w, err = newEmbeddingWriter(formatNPY, 2, bw)
	require.NoError(t, err)
	require.NoError(t, w.write(0, []float32{1.5, -0.25}))
	require.NoError(t, w.write(1, []float32{float32(math.Inf(1)), 7}))
	require.NoError(t, bw.Flush())
	h, err = w.header()
	require.NoError(t, err)
	b := append(h, buf.Bytes()[len(h):]...)
	rows, cols, data := readNPY(t, b)
	assert.Equal(t, 2, rows)
	assert.Equal(t, 2, cols)
	assert.Equal(t, []float32{1.5, -0.25, float32(math.Inf(1)), 7}, data)
}

// TestSink checks that a file output appears only on commit, and abort leaves nothing.
func TestSink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	s, err := newSink(path, nil, true)
	require.NoError(t, err)
	_, err = s.w.WriteString("0123456789")
	require.NoError(t, err)
	assert.NoFileExists(t, path)
	require.NoError(t, s.commit([]byte("ab")))
	s.abort() // no effect after commit
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "ab23456789", string(b))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	s, err = newSink(filepath.Join(dir, "y.jsonl"), nil, false)
	require.NoError(t, err)
	_, err = s.w.WriteString("partial")
	require.NoError(t, err)
	s.abort()
	assert.Equal(t, []string{"x.npy"}, dirNames(t, dir))

	var out bytes.Buffer
	s, err = newSink("-", &out, true)
	require.NoError(t, err)
	_, err = s.w.WriteString("..cd")
	require.NoError(t, err)
	assert.Empty(t, out.String(), "npy on stdout waits for the header")
	require.NoError(t, s.commit([]byte("ab")))
	assert.Equal(t, "abcd", out.String())
}
