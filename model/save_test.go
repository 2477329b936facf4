package model

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	f := loadFixture(t)
	for name, fm := range f.Models {
		t.Run(name, func(t *testing.T) {
			m := loadTiny(t, name)
			out := filepath.Join(t.TempDir(), "saved")
			require.NoError(t, os.MkdirAll(out, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(out, "stale"), []byte("x"), 0o644))
			require.NoError(t, m.Save(out, map[string][]byte{"model_head.json": []byte("{}")}))
			_, err := os.Stat(filepath.Join(out, "stale"))
			assert.True(t, os.IsNotExist(err), "the folder is replaced as a whole")
			for _, f := range []string{"modules.json", "config.json", "sentence_bert_config.json", "config_sentence_transformers.json",
				"model.safetensors", "tokenizer.json", "1_Pooling/config.json", "model_head.json"} {
				assert.FileExists(t, filepath.Join(out, f))
			}
			if len(m.Dense) > 0 {
				assert.FileExists(t, filepath.Join(out, "2_Dense", "model.safetensors"))
				assert.FileExists(t, filepath.Join(out, "2_Dense", "config.json"))
			}
			if m.Normalize {
				assert.DirExists(t, filepath.Join(out, "2_Normalize"))
			}
			back, err := Load(out, LoadOptions{})
			require.NoError(t, err)
			defer back.Close()
			assert.Empty(t, back.Encoder.Unexpected)
			texts := []string{fm.Texts[0].Text, fm.Texts[5].Text}
			got, err := back.Encode(context.Background(), texts, EncodeOptions{})
			require.NoError(t, err)
			assertParity(t, fm.Texts[0].SentenceEmbedding, got[0], "saved "+name)
			assertParity(t, fm.Texts[5].SentenceEmbedding, got[1], "saved "+name)
			entries, err := os.ReadDir(filepath.Dir(out))
			require.NoError(t, err)
			assert.Len(t, entries, 1, "no temporary folders are left behind")
		})
	}
}

func TestModelIDIgnoresExtraFiles(t *testing.T) {
	dir := copyModel(t, "bert")
	id := modelID(dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fewshot_head.json"), []byte("{}"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte("{}"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "checkpoints", "c1"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "checkpoints", "c1", "model.safetensors"), []byte("x"), 0o644))
	assert.Equal(t, id, modelID(dir), "a head, logs and checkpoints do not change the model's identity")
	editJSON(t, filepath.Join(dir, "config.json"), `"layer_norm_eps": 1e-12`, `"layer_norm_eps": 1e-11`)
	assert.NotEqual(t, id, modelID(dir), "a changed config does")
	assert.True(t, strings.HasPrefix(id, "bert@"))
}
