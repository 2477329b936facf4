package defaultmodel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/model/defaultmodel"
)

// The shipped folder is a sentence-transformers folder within the size the project allows, and records
// how it was made.
func TestEmbeddedFolder(t *testing.T) {
	fsys := defaultmodel.Files()
	total := int64(0)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.Type().IsRegular() {
			info, err := d.Info()
			require.NoError(t, err)
			total += info.Size()
		}
		return nil
	})
	require.NoError(t, err)
	assert.LessOrEqual(t, total, int64(40<<20), "the default model may take at most 40 MB")
	for _, name := range []string{"modules.json", "config.json", "sentence_bert_config.json", "model.safetensors", "tokenizer.json", "1_Pooling/config.json", "recipe.json"} {
		_, err := fs.Stat(fsys, name)
		assert.NoError(t, err, name)
	}
	raw, err := fs.ReadFile(fsys, "recipe.json")
	require.NoError(t, err)
	var recipe map[string]any
	require.NoError(t, json.Unmarshal(raw, &recipe))
	assert.Equal(t, "scripts/train_default_model.sh", recipe["recipe"])
	assert.Contains(t, recipe, "seed")
	assert.Contains(t, recipe, "commit")
	assert.Contains(t, recipe["held_out"], "Banking77")
}

func TestDirExtractsOnceAndRepairs(t *testing.T) {
	cache := t.TempDir()
	dir, err := defaultmodel.DirUnder(cache)
	require.NoError(t, err)
	h, err := defaultmodel.Hash()
	require.NoError(t, err)
	require.Len(t, h, 64)
	assert.Equal(t, filepath.Join(cache, "default-model-"+h[:16]), dir)

	// Every embedded file is there, byte for byte.
	fsys := defaultmodel.Files()
	n := 0
	require.NoError(t, fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if !d.Type().IsRegular() {
			return nil
		}
		want, err := fs.ReadFile(fsys, p)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		require.NoError(t, err, p)
		assert.True(t, bytes.Equal(want, got), p)
		n++
		return nil
	}))
	assert.GreaterOrEqual(t, n, 6)

	// A second call reuses the folder; a user's edit there is not overwritten while the marker stands.
	probe := filepath.Join(dir, "probe")
	require.NoError(t, os.WriteFile(probe, []byte("x"), 0o644))
	again, err := defaultmodel.DirUnder(cache)
	require.NoError(t, err)
	assert.Equal(t, dir, again)
	assert.FileExists(t, probe)

	// A folder left without the completion marker (a copy made by hand, half a copy) is replaced.
	require.NoError(t, os.Remove(filepath.Join(dir, ".fewshot-complete")))
	require.NoError(t, os.Remove(filepath.Join(dir, "model.safetensors")))
	again, err = defaultmodel.DirUnder(cache)
	require.NoError(t, err)
	assert.Equal(t, dir, again)
	assert.FileExists(t, filepath.Join(dir, "model.safetensors"))
	assert.NoFileExists(t, probe)

	// No temporary folders are left behind.
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}

func TestDirConcurrent(t *testing.T) {
	cache := t.TempDir()
	var wg sync.WaitGroup
	dirs := make([]string, 6)
	errs := make([]error, 6)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = defaultmodel.DirUnder(cache)
		}()
	}
	wg.Wait()
	for i := range dirs {
		require.NoError(t, errs[i])
		assert.Equal(t, dirs[0], dirs[i])
	}
	assert.FileExists(t, filepath.Join(dirs[0], "model.safetensors"))
}

func TestDirUnwritableCache(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root writes anywhere")
	}
	ro := t.TempDir()
	require.NoError(t, os.Chmod(ro, 0o500))
	t.Cleanup(func() { _ = os.Chmod(ro, 0o700) })
	_, err := defaultmodel.DirUnder(filepath.Join(ro, "cache"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "default model")
}

// The embedded model is the trained one, not a random or swapped file: paraphrases score above
// unrelated sentences.
func TestDefaultModelSimilarities(t *testing.T) {
	dir, err := defaultmodel.DirUnder(t.TempDir())
	require.NoError(t, err)
	m, err := model.Load(dir, model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	cases := []struct{ anchor, paraphrase, unrelated string }{
		{"A man is playing a guitar.", "A person plays the guitar.", "A woman is slicing an onion."},
		{"How do I reset my password?", "I forgot my password and need to change it.", "What is the weather in Paris tomorrow?"},
		{"Please cancel my reservation for tonight.", "I need to cancel my booking.", "Play some jazz music."},
		{"The cat sleeps on the sofa.", "A cat is sleeping on the couch.", "Stock markets fell sharply today."},
		{"car", "automobile", "banana"},
	}
	for _, c := range cases {
		emb, err := m.Embed(context.Background(), []string{c.anchor, c.paraphrase, c.unrelated})
		require.NoError(t, err)
		para, err := classify.CosineSimilarity(emb[0], emb[1])
		require.NoError(t, err)
		other, err := classify.CosineSimilarity(emb[0], emb[2])
		require.NoError(t, err)
		assert.Greater(t, para, other+0.05, "%q: paraphrase %.3f, unrelated %.3f", c.anchor, para, other)
	}
}
