package model

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fewshot-go/fewshot/model/safetensors"
)

// writeMiniLMShape writes a MiniLM-L6-shaped BERT folder (6 layers, 384 hidden, 12 heads, 1536 inner) with
// random weights and the tiny test vocabulary, for benchmarks: the speed is the real model's.
func writeMiniLMShape(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	src := filepath.Join("testdata", "models", "bert")
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "modules.json"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	const H, L, I, V, P = 384, 6, 1536, 4000, 512
	js := map[string]any{
		"config.json": map[string]any{"model_type": "bert", "hidden_size": H, "num_hidden_layers": L, "num_attention_heads": 12,
			"intermediate_size": I, "hidden_act": "gelu", "layer_norm_eps": 1e-12, "max_position_embeddings": P,
			"type_vocab_size": 2, "pad_token_id": 0, "vocab_size": V},
		"sentence_bert_config.json": map[string]any{"max_seq_length": 256, "do_lower_case": false},
		"1_Pooling/config.json":     map[string]any{"word_embedding_dimension": H, "pooling_mode_mean_tokens": true},
	}
	if err := os.MkdirAll(filepath.Join(dir, "1_Pooling"), 0o755); err != nil {
		b.Fatal(err)
	}
	for name, v := range js {
		data, _ := json.Marshal(v)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var ts []safetensors.TensorInfo
	add := func(name string, std float32, shape ...int64) {
		n := int64(1)
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64()) * std
			if std == 0 {
				v[i] = 1
			}
		}
		t, err := safetensors.FromFloat32s(name, shape, v)
		if err != nil {
			b.Fatal(err)
		}
		ts = append(ts, t)
	}
	lin := func(p string, o, i int64) { add(p+".weight", 0.02, o, i); add(p+".bias", 0.02, o) }
	ln := func(p string) { add(p+".weight", 0, H); add(p+".bias", 0.02, H) }
	add("embeddings.word_embeddings.weight", 0.02, V, H)
	add("embeddings.position_embeddings.weight", 0.02, P, H)
	add("embeddings.token_type_embeddings.weight", 0.02, 2, H)
	ln("embeddings.LayerNorm")
	for l := 0; l < L; l++ {
		p := "encoder.layer." + string(rune('0'+l)) + "."
		for _, s := range []string{"query", "key", "value"} {
			lin(p+"attention.self."+s, H, H)
		}
		lin(p+"attention.output.dense", H, H)
		ln(p + "attention.output.LayerNorm")
		lin(p+"intermediate.dense", I, H)
		lin(p+"output.dense", H, I)
		ln(p + "output.LayerNorm")
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchSentences reads up to n real sentences from STS-B (or makes mixed-length ones without shared data).
func benchSentences(n int) []string {
	var out []string
	if f, err := os.Open(filepath.Join("..", "..", "shared", "data", "similarity", "stsbenchmark", "sts-train.csv")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() && len(out) < n {
			if cols := strings.Split(sc.Text(), "\t"); len(cols) >= 7 {
				out = append(out, cols[5], cols[6])
			}
		}
	}
	for i := 0; len(out) < n; i++ {
		out = append(out, strings.Repeat("a mixed length sentence ", 1+i%12))
	}
	return out[:n]
}

func benchEncode(b *testing.B, opt LoadOptions) {
	dir := writeMiniLMShape(b)
	m, err := Load(dir, opt)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	texts := benchSentences(256)
	var tokens int64
	for _, t := range texts {
		e, _ := m.Tokenizer.Encode(t)
		tokens += int64(len(e.IDs))
	}
	ctx := context.Background()
	if _, err := m.Encode(ctx, texts[:32], EncodeOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Encode(ctx, texts, EncodeOptions{BatchSize: 32}); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(len(texts)*b.N)/sec, "sentences/s")
	// Dense FLOPs per token per layer: 2*(4H^2 + 2HI) for the projections; attention adds ~4*S*H (ignored).
	const H, I, L = 384, 1536, 6
	b.ReportMetric(float64(tokens)*float64(b.N)*2*(4*H*H+2*H*I)*L/sec/1e9, "GFLOP/s")
}

// BenchmarkEncodeMiniLMShape embeds 256 STS-B sentences with a MiniLM-L6-shaped model, oneDNN path.
func BenchmarkEncodeMiniLMShape(b *testing.B) { benchEncode(b, LoadOptions{}) }

// BenchmarkEncodeMiniLMShapePlain is the same on libtorch's default (BLAS) path.
func BenchmarkEncodeMiniLMShapePlain(b *testing.B) { benchEncode(b, LoadOptions{Plain: true}) }

// BenchmarkEncodeMiniLMShapeBF16 is the oneDNN path with bfloat16-packed weights.
func BenchmarkEncodeMiniLMShapeBF16(b *testing.B) { benchEncode(b, LoadOptions{CPUBFloat16: true}) }
