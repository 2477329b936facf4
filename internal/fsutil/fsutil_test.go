package fsutil

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entries lists a folder's names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	require.NoError(t, WriteFileAtomic(path, []byte("first"), 0o644))
	require.NoError(t, WriteFileAtomic(path, []byte("second"), 0o600))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "second", string(got))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	assert.Equal(t, []string{"out.json"}, entries(t, dir), "no temporary file left")

	// A bare file name writes in the working folder.
	t.Chdir(dir)
	require.NoError(t, WriteFileAtomic("bare.txt", []byte("x"), 0o644))
	got, err = os.ReadFile(filepath.Join(dir, "bare.txt"))
	require.NoError(t, err)
	assert.Equal(t, "x", string(got))
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	boom := errors.New("disk full")
	cases := []struct {
		name  string
		write func(path string) error
		want  string
	}{
		{"content fails half-way", func(path string) error {
			return WriteAtomic(path, 0o644, func(w io.Writer) error {
				if _, err := w.Write([]byte("half of the new")); err != nil {
					return err
				}
				return boom
			})
		}, "disk full"},
		{"aborted stream", func(path string) error {
			f, err := Create(path)
			if err != nil {
				return err
			}
			if _, err := f.WriteString("half of the new"); err != nil {
				return err
			}
			f.Abort()
			f.Abort() // idempotent
			return f.Commit(path)
		}, "already committed or aborted"},
		{"folder missing", func(path string) error {
			return WriteFileAtomic(filepath.Join(filepath.Dir(path), "absent", "x"), []byte("new"), 0o644)
		}, "create temporary file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "model.json")
			require.NoError(t, os.WriteFile(path, []byte("old content"), 0o644))
			err := tc.write(path)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
			got, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			assert.Equal(t, "old content", string(got), "the old file is intact")
			assert.Equal(t, []string{"model.json"}, entries(t, dir), "no temporary file left")
		})
	}
}

func TestCommitFailureRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	// The destination is a non-empty folder: the rename fails, the folder stays, the temp file goes.
	dst := filepath.Join(dir, "taken")
	require.NoError(t, os.MkdirAll(filepath.Join(dst, "inside"), 0o755))
	err := WriteFileAtomic(dst, []byte("new"), 0o644)
	require.Error(t, err)
	assert.ErrorContains(t, err, "rename")
	assert.Equal(t, []string{"taken"}, entries(t, dir))
	assert.Equal(t, []string{"inside"}, entries(t, dst))
}

func TestFileStreamsWithSeek(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rows.npy")
	f, err := CreateTemp(dir, "rows.*.incomplete")
	require.NoError(t, err)
	defer f.Abort()
	_, err = f.WriteString("HEADER--body")
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("header"), 0)
	require.NoError(t, err)
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing at the destination before Commit")
	require.NoError(t, f.Commit(path))
	f.Abort() // after Commit: nothing happens
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "header--body", string(got))
	assert.Equal(t, []string{"rows.npy"}, entries(t, dir))
	assert.ErrorContains(t, f.Commit(path), "already committed")
}

func TestWriteFileSyncAndSyncDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	require.NoError(t, WriteFileSync(path, []byte("long old content"), 0o644))
	require.NoError(t, WriteFileSync(path, []byte("new"), 0o644))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got), "truncated, not overlaid")
	require.NoError(t, SyncDir(dir))
	assert.Error(t, SyncDir(filepath.Join(dir, "absent")))
	assert.Error(t, WriteFileSync(filepath.Join(dir, "absent", "x"), nil, 0o644))
}
