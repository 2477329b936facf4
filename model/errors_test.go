package model

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// copyModel copies a tiny model folder into a temp dir so a test can damage it.
func copyModel(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "models", name)
	dst := filepath.Join(t.TempDir(), name)
	require.NoError(t, filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	}))
	return dst
}

func editJSON(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), old)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name   string
		model  string
		break_ func(t *testing.T, dir string)
		want   []string
	}{
		{"not a folder", "bert", func(t *testing.T, dir string) {
			require.NoError(t, os.RemoveAll(dir))
			require.NoError(t, os.WriteFile(dir, []byte("x"), 0o644))
		}, []string{"not a folder"}},
		{"missing folder", "bert", func(t *testing.T, dir string) { require.NoError(t, os.RemoveAll(dir)) }, []string{"no such file"}},
		{"no config.json", "bert", func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, "config.json"))) },
			[]string{"not a model folder", "config.json"}},
		{"unknown model_type", "bert", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "config.json"), `"model_type": "bert"`, `"model_type": "gpt2"`)
		}, []string{"config.json", `model_type "gpt2" is not supported`}},
		{"bad config json", "bert", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte("{"), 0o644))
		}, []string{"config.json", "invalid JSON"}},
		{"wrong shape", "bert", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "config.json"), `"intermediate_size": 64`, `"intermediate_size": 65`)
		}, []string{"model.safetensors", "intermediate.dense.weight", "shape"}},
		{"unsupported pooling", "bert", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "1_Pooling", "config.json")
			editJSON(t, p, `"pooling_mode_mean_tokens": true`, `"pooling_mode_mean_tokens": false`)
		}, []string{"1_Pooling", "no pooling mode"}},
		{"unknown module", "bert", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "modules.json"), "sentence_transformers.models.Normalize", "sentence_transformers.models.LayerNorm")
		}, []string{"modules.json", "not supported"}},
		{"no weights", "bert", func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, "model.safetensors"))) },
			[]string{"no weights"}},
		{"truncated safetensors", "bert", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(p, b[:len(b)/2], 0o644))
		}, []string{"model.safetensors"}},
		{"header offsets lie", "bert", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			s := string(b)
			i := strings.Index(s, `"data_offsets":[0,`)
			require.Greater(t, i, 0)
			b[i+len(`"data_offsets":[`)] = '9'
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}, []string{"model.safetensors"}},
		{"huge header length", "bert", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			binary.LittleEndian.PutUint64(b[:8], 1<<40)
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}, []string{"model.safetensors", "header"}},
		{"missing tensor", "mpnet", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "config.json"), `"num_hidden_layers": 2`, `"num_hidden_layers": 3`)
		}, []string{"missing", "encoder.layer.2."}},
		{"corrupt bin", "distilbert", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), []byte("PK\x03\x04 nonsense"), 0o644))
		}, []string{"pytorch_model.bin"}},
		{"dense mismatch", "distilbert", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "2_Dense", "config.json"), `"in_features": 32`, `"in_features": 31`)
		}, []string{"2_Dense", "in_features 31"}},
		{"max_seq_length too long", "bert", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "sentence_bert_config.json"), `"max_seq_length": 48`, `"max_seq_length": 500`)
		}, []string{"max_seq_length 500", "64 positions"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyModel(t, c.model)
			c.break_(t, dir)
			m, err := Load(dir, LoadOptions{})
			require.Error(t, err)
			assert.Nil(t, m)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestWithoutModulesJSONFallsBackToMeanPooling(t *testing.T) {
	dir := copyModel(t, "bert")
	require.NoError(t, os.Remove(filepath.Join(dir, "modules.json")))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "1_Pooling")))
	m, err := Load(dir, LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, []string{"mean"}, m.Pooling.Modes())
	assert.False(t, m.Normalize)
}

func TestHardTexts(t *testing.T) {
	m := loadTiny(t, "bert")
	long := strings.Repeat("a fairly long sentence about nothing in particular ", 2000)[:100000]
	texts := []string{"", "   \t\n ", "caf\xe9 \xff\xfe broken utf-8", long, "x"}
	got, err := m.Encode(context.Background(), texts, EncodeOptions{BatchSize: 2})
	require.NoError(t, err)
	require.Len(t, got, len(texts))
	for i, v := range got {
		require.Len(t, v, m.Dim(), "text %d", i)
		var n float64
		for _, x := range v {
			require.False(t, x != x, "text %d has NaN", i)
			n += float64(x) * float64(x)
		}
		assert.InDelta(t, 1, n, 1e-4, "text %d is normalised by the model's Normalize module", i)
	}
	enc, err := m.Tokenizer.Encode(long)
	require.NoError(t, err)
	assert.Len(t, enc.IDs, 48, "truncated at max_seq_length")
	// Cancelled context stops encoding.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = m.Encode(ctx, texts, EncodeOptions{BatchSize: 1})
	assert.ErrorIs(t, err, context.Canceled)
}
