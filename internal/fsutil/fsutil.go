// Package fsutil writes files safely: atomically (a reader sees the old file
// or the complete new one, never half a file), and synced to disk, so a crash
// or a killed job leaves no complete-looking file that is not.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path atomically: to a temporary file in the
// same folder, synced, given mode perm, renamed over path, and the folder
// synced. On failure path is untouched and the temporary file removed.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	return WriteAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteAtomic is WriteFileAtomic for content produced by write, which gets
// the temporary file; an error from write aborts the whole write.
func WriteAtomic(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f.Perm = perm
	return f.Commit(path)
}

// WriteFileSync writes data to path in place (created or truncated, mode
// perm) and syncs it to disk before it returns. Use it for the files of a
// folder that is itself renamed into place once complete.
func WriteFileSync(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

// SyncDir syncs a folder's entries (creations, renames) to disk. File
// systems that cannot sync a folder (EINVAL) count as synced.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// File is an output being written under a temporary name in its final
// folder, for outputs that are streamed (or need Seek, WriteAt or reading
// back) before they are complete. Commit moves it into place; Abort, safe to
// defer, discards it.
type File struct {
	// File is the temporary file, open for reading and writing.
	*os.File
	// Perm is the mode Commit gives the file (Create sets 0644).
	Perm fs.FileMode

	done bool
}

// Create starts an atomic write of path: a temporary file named
// ".<base>.*.tmp" beside it.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	return CreateTemp(dir, "."+base+".*.tmp")
}

// CreateTemp starts an atomic write in folder dir, with a temporary file
// named by pattern as os.CreateTemp names it; Commit names the destination.
func CreateTemp(dir, pattern string) (*File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	return &File{File: f, Perm: 0o644}, nil
}

// Commit syncs and closes the temporary file, gives it mode Perm, renames it
// to path (which must be in the same folder) and syncs the folder. On
// failure the temporary file is removed and path left as it was.
func (f *File) Commit(path string) error {
	if f.done {
		return fmt.Errorf("commit %s: already committed or aborted", path)
	}
	f.done = true
	tmp := f.Name()
	fail := func(what string, err error) error {
		_ = f.File.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("%s %s: %w", what, tmp, err)
	}
	if err := f.Chmod(f.Perm); err != nil {
		return fail("chmod", err)
	}
	if err := f.Sync(); err != nil {
		return fail("sync", err)
	}
	if err := f.File.Close(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename %s to %s: %w", tmp, path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// Abort closes and removes the temporary file. It does nothing after Commit
// or a first Abort.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	_ = f.File.Close()
	_ = os.Remove(f.Name())
}
