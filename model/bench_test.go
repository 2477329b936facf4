package model

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fewshot-go/fewshot/model/safetensors"
	"github.com/fewshot-go/fewshot/model/tokenizer"
	"github.com/fewshot-go/fewshot/torch"
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

// benchThreads sets libtorch's intra-op threads for a benchmark: $FEWSHOT_BENCH_THREADS, else one per core
// (libtorch's own default can be lower than the core count), restoring the previous count after.
func benchThreads(b *testing.B) int {
	n := runtime.NumCPU()
	if v := os.Getenv("FEWSHOT_BENCH_THREADS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("FEWSHOT_BENCH_THREADS=%q: want a positive integer", v)
		}
	}
	prev := torch.NumThreads()
	if err := torch.SetNumThreads(n); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = torch.SetNumThreads(prev) })
	return n
}

func benchEncode(b *testing.B, opt LoadOptions) {
	threads := benchThreads(b)
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
	b.ReportMetric(float64(threads), "threads")
}

// BenchmarkEncodeMiniLMShape embeds 256 STS-B sentences with a MiniLM-L6-shaped model, oneDNN path.
func BenchmarkEncodeMiniLMShape(b *testing.B) { benchEncode(b, LoadOptions{}) }

// BenchmarkEncodeMiniLMShapePlain is the same on libtorch's default (BLAS) path.
func BenchmarkEncodeMiniLMShapePlain(b *testing.B) { benchEncode(b, LoadOptions{CPUMode: PackPlain}) }

// BenchmarkEncodeMiniLMShapeBF16 is the oneDNN path with bfloat16-packed weights.
func BenchmarkEncodeMiniLMShapeBF16(b *testing.B) { benchEncode(b, LoadOptions{CPUMode: PackBFloat16}) }

// BenchmarkEncodeMiniLMShapeInt8 is the dynamic int8 path (the float32 oneDNN path where it falls back).
// It flatters int8: oneDNN compiles a kernel for each activation scale, and the repeated batches of a
// benchmark find theirs in oneDNN's primitive cache, which new texts do not; scripts/bench_embed.sh, on
// 2,000 distinct sentences in a fresh process, gives the figure to quote.
func BenchmarkEncodeMiniLMShapeInt8(b *testing.B) { benchEncode(b, LoadOptions{CPUMode: PackInt8}) }

// BenchmarkEncodePhasesMiniLMShape splits Encode's time over its phases on the MiniLM-shaped model, 256
// STS-B sentences in batches of 32: tokenisation (with sorting and padding), embeddings (the encoder with
// its layers removed: lookups, LayerNorm, the attention mask), the transformer layers (the encoder's time
// less the embeddings'), pooling with normalisation, and copying the embeddings out to Go. Each metric is
// milliseconds per 256 sentences. $FEWSHOT_BENCH_CPU_MODE picks the path: fast (default), plain, bf16, int8.
func BenchmarkEncodePhasesMiniLMShape(b *testing.B) {
	benchThreads(b)
	opt := LoadOptions{}
	mode := os.Getenv("FEWSHOT_BENCH_CPU_MODE")
	var err error
	if opt.CPUMode, err = ParseCPUMode(mode); err != nil {
		b.Fatalf("FEWSHOT_BENCH_CPU_MODE=%q: want fast, plain, bf16 or int8", mode)
	}
	m, err := Load(writeMiniLMShape(b), opt)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Encoder.inferenceLayers(); err != nil { // pack before timing
		b.Fatal(err)
	}
	texts := benchSentences(256)
	// withoutLayers runs fn with an encoder that has no layers (embeddings only).
	withoutLayers := func(fn func() error) error {
		e := m.Encoder
		e.packMu.Lock()
		layers, fast := e.layers, e.fast
		e.layers, e.fast = nil, false
		e.packMu.Unlock()
		defer func() {
			e.packMu.Lock()
			e.layers, e.fast = layers, fast
			e.packMu.Unlock()
		}()
		return fn()
	}
	var tok, emb, enc, pl, cp time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		encs, err := m.Tokenizer.EncodeBatch(texts, 0)
		if err != nil {
			b.Fatal(err)
		}
		order := make([]int, len(texts))
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(x, y int) bool { return len(encs[order[x]].IDs) > len(encs[order[y]].IDs) })
		var batches []Batch
		for s := 0; s < len(order); s += 32 {
			var bt []tokenizer.Encoding
			for _, j := range order[s:min(s+32, len(order))] {
				bt = append(bt, encs[j])
			}
			batches = append(batches, BatchFromEncodings(bt, m.Tokenizer.PadID()))
		}
		tok += time.Since(t0)
		for _, bt := range batches {
			err := torch.InferenceMode(func() error {
				t1 := time.Now()
				if err := withoutLayers(func() error {
					h, err := m.Encoder.Forward(bt, false)
					h.Close()
					return err
				}); err != nil {
					return err
				}
				t2 := time.Now()
				hidden, err := m.Encoder.Forward(bt, false)
				if err != nil {
					return err
				}
				t3 := time.Now()
				s := torch.NewScope()
				defer s.Close()
				s.Track(hidden, nil)
				x := s.Normalize(pool(s, hidden, bt, m.Pooling, m.dev), 2, 1, 1e-12)
				if err := s.Err(); err != nil {
					return err
				}
				t4 := time.Now()
				if _, err := x.Float32s(); err != nil {
					return err
				}
				t5 := time.Now()
				emb += t2.Sub(t1)
				enc += t3.Sub(t2)
				pl += t4.Sub(t3)
				cp += t5.Sub(t4)
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) }
	b.ReportMetric(per(tok), "tokenize-ms")
	b.ReportMetric(per(emb), "embeddings-ms")
	b.ReportMetric(per(enc-emb), "layers-ms")
	b.ReportMetric(per(pl), "pool-ms")
	b.ReportMetric(per(cp), "copyout-ms")
}
