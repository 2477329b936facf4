// Package defaultmodel holds the default sentence-transformers model that is embedded in every fewshot
// binary: a small BERT encoder trained from random initialisation by this project's own trainer
// (scripts/train_default_model.sh; files/recipe.json records how). Commands use it when --model is
// omitted. It is far weaker than pretrained hub models such as all-MiniLM-L6-v2; its measured quality is
// in the README.
//
// The model loader reads folders (and maps the weights into memory), so Dir writes the embedded files
// once into a folder under the user's cache directory, named by a hash of their contents, and returns
// that folder on every later call.
package defaultmodel

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/fewshot-go/fewshot/internal/fsutil"
)

//go:embed files
var files embed.FS

// root is the folder inside files that holds the model.
const root = "files"

// Name is how messages name the default model.
const Name = "fewshot default model (embedded)"

// marker is written last into an extracted folder; a folder without it is incomplete.
const marker = ".fewshot-complete"

// Files returns the embedded model folder as a file system (model files at its root).
func Files() fs.FS {
	sub, err := fs.Sub(files, root)
	if err != nil {
		panic(err) // cannot happen: root is a constant folder of the embedded tree
	}
	return sub
}

// Hash returns a hex SHA-256 over the embedded files' names and contents, in name order.
func Hash() (string, error) {
	hashOnce.Do(func() { hashValue, hashErr = hashFiles(Files()) })
	return hashValue, hashErr
}

var (
	hashOnce  sync.Once
	hashValue string
	hashErr   error
)

func hashFiles(fsys fs.FS) (string, error) {
	names, err := list(fsys)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", fmt.Errorf("embedded default model: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// list returns the regular files of fsys, sorted.
func list(fsys fs.FS) ([]string, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded default model: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// CacheRoot returns the folder under which Dir extracts the model: $FEWSHOT_CACHE if set, else the
// user's cache directory (os.UserCacheDir) joined with "fewshot", else the temporary directory.
func CacheRoot() string {
	if v := os.Getenv("FEWSHOT_CACHE"); v != "" {
		return v
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "fewshot")
	}
	return filepath.Join(os.TempDir(), "fewshot")
}

// Dir returns a folder holding the default model, extracting the embedded files into
// CacheRoot()/default-model-<hash> on first use. Extraction writes a temporary folder and renames it
// into place, so a crash or a concurrent process never leaves a half-written model that a later call
// would take.
//
// Without $FEWSHOT_CACHE, a cache directory that cannot be written falls back to the temporary
// directory.
func Dir() (string, error) {
	dir, err := DirUnder(CacheRoot())
	if err != nil && os.Getenv("FEWSHOT_CACHE") == "" {
		if d, err2 := DirUnder(filepath.Join(os.TempDir(), fmt.Sprintf("fewshot-%d", os.Getuid()))); err2 == nil {
			return d, nil
		}
	}
	return dir, err
}

// DirUnder is Dir with the cache folder given.
func DirUnder(cache string) (string, error) {
	h, err := Hash()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "default-model-"+h[:16])
	if complete(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("default model: %w", err)
	}
	tmp, err := os.MkdirTemp(cache, ".default-model-*")
	if err != nil {
		return "", fmt.Errorf("default model: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op after a successful rename
	if err := extract(Files(), tmp, h); err != nil {
		return "", fmt.Errorf("default model: extract into %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process may have put a complete copy there first.
		if complete(dir) {
			return dir, nil
		}
		// A folder without the marker was not written by Dir (which renames only finished copies):
		// replace it once.
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			return "", fmt.Errorf("default model: %w", err)
		}
		if err := os.Rename(tmp, dir); err != nil && !complete(dir) {
			return "", fmt.Errorf("default model: %w", err)
		}
	}
	return dir, nil
}

// complete reports whether dir holds a finished extraction.
func complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, marker))
	return err == nil
}

// extract writes every file of fsys under dir, each synced, then the marker.
func extract(fsys fs.FS, dir, hash string) error {
	names, err := list(fsys)
	if err != nil {
		return err
	}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := fsutil.WriteFileSync(dst, b, 0o644); err != nil {
			return err
		}
	}
	return fsutil.WriteFileSync(filepath.Join(dir, marker), []byte(hash+"\n"), 0o644)
}
