// Package model loads sentence-transformers model folders (modules.json with Transformer, Pooling,
// Dense and Normalize modules; BERT, DistilBERT, RoBERTa/XLM-R and MPNet encoders; safetensors or
// pytorch_model.bin weights in float32, float16 or bfloat16) and turns texts into embeddings on libtorch,
// giving the same numbers as Python's sentence-transformers. It also saves models in the same layout.
package model

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/fewshot-go/fewshot/model/tokenizer"
	"github.com/fewshot-go/fewshot/torch"
)

// LoadOptions choose where and how a model runs.
type LoadOptions struct {
	Device    torch.Device // torch.CPU by default
	Precision torch.DType  // compute dtype; 0 means float32. float16/bfloat16 are for CUDA.
	// MaxSeqLength overrides sentence_bert_config.json's max_seq_length when positive.
	MaxSeqLength int
	// CPUMode is the CPU path of a float32 model: PackFloat32 (the zero value: oneDNN linears in
	// inference and training where libtorch has oneDNN, the plain path's results to float rounding),
	// PackPlain (libtorch's default BLAS path, no oneDNN), PackBFloat16 (oneDNN in bfloat16: faster on
	// CPUs with AVX-512 BF16, less exact) or PackInt8 (dynamic int8 quantization at load: the fastest,
	// least exact; without an engine for this CPU it falls back to PackFloat32 and says why in
	// Encoder.Fallback). See the README for the measured accuracy of each.
	CPUMode CPUPacking
}

// Model is a loaded sentence-transformers pipeline: tokenizer, encoder, pooling, optional Dense layers
// and Normalize. It is safe for concurrent use; forward passes are serialised because each already uses
// every intra-op thread.
type Model struct {
	Dir       string
	Modules   []Module
	ST        STConfig
	Arch      ArchConfig
	Pooling   PoolingConfig
	Tokenizer *tokenizer.Tokenizer
	Encoder   *Encoder
	Dense     []*Dense
	Normalize bool

	dev   torch.Device
	dtype torch.DType
	id    string
	mu    sync.Mutex
}

// Dense is a sentence-transformers Dense module: y = act(x W^T + b).
type Dense struct {
	Config DenseConfig
	Path   string
	Weight *torch.Tensor
	Bias   *torch.Tensor
	act    func(*torch.Scope, *torch.Tensor) *torch.Tensor
}

// Load reads a sentence-transformers folder. Errors name the file and the problem.
func Load(dir string, opt LoadOptions) (m *Model, err error) {
	if opt.CPUMode < PackFloat32 || opt.CPUMode > PackPlain {
		return nil, fmt.Errorf("load model %s: unknown CPU mode %s", dir, opt.CPUMode)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("load model %s: not a folder", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		return nil, fmt.Errorf("load model %s: not a model folder (no config.json): %w", dir, err)
	}
	dtype := opt.Precision
	if dtype == 0 {
		dtype = torch.Float32
	}
	if !dtype.IsFloat() {
		return nil, fmt.Errorf("load model %s: precision %s is not a floating-point type", dir, dtype)
	}
	m = &Model{Dir: dir, dev: opt.Device, dtype: dtype}
	defer func() {
		if err != nil {
			m.Close()
			m = nil
		}
	}()
	if m.Modules, _, err = readModules(dir); err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if m.ST, err = readSTConfig(dir); err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	cfgPath := filepath.Join(dir, "config.json")
	if err := readJSON(cfgPath, &m.Arch); err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if err := m.Arch.normalize(cfgPath); err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	maxLen, err := effectiveMaxSeqLength(dir, m.ST.MaxSeqLength, opt.MaxSeqLength, m.Arch)
	if err != nil {
		return nil, err
	}
	m.ST.MaxSeqLength = maxLen
	if m.Tokenizer, err = tokenizer.Load(dir, tokenizer.Options{MaxLength: maxLen, DoLowerCase: m.ST.DoLowerCase}); err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	ws, err := loadWeights(dir, dtype, opt.Device)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer ws.close()
	if m.Encoder, err = newEncoder(m.Arch, ws, dtype, opt.Device); err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	plain := opt.CPUMode == PackPlain
	m.Encoder.SetFast(!plain, opt.CPUMode)
	m.Encoder.SetTrainOneDNN(!plain)
	dim := m.Arch.HiddenSize
	sawPooling := false
	for _, mod := range m.Modules[1:] {
		mdir := filepath.Join(dir, mod.Path)
		switch mod.Kind() {
		case "Pooling":
			p := filepath.Join(mdir, "config.json")
			if err := readJSON(p, &m.Pooling); err != nil {
				if os.IsNotExist(err) && mod.Path == "1_Pooling" && !fileExists(filepath.Join(dir, "modules.json")) {
					m.Pooling = PoolingConfig{WordEmbeddingDimension: dim, Mean: true}
				} else {
					return nil, fmt.Errorf("load model: %w", err)
				}
			}
			if err := checkPooling(p, m.Pooling, dim); err != nil {
				return nil, fmt.Errorf("load model: %w", err)
			}
			dim *= len(m.Pooling.Modes())
			sawPooling = true
		case "Dense":
			d, err := loadDense(mdir, dim, dtype, opt.Device)
			if err != nil {
				return nil, fmt.Errorf("load model: %w", err)
			}
			m.Dense = append(m.Dense, d)
			dim = d.Config.OutFeatures
		case "Normalize":
			m.Normalize = true
		}
	}
	if !sawPooling {
		return nil, fmt.Errorf("load model %s: modules.json has no Pooling module", dir)
	}
	m.id = modelID(dir)
	return m, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func checkPooling(path string, p PoolingConfig, hidden int) error {
	if len(p.Modes()) == 0 {
		return fmt.Errorf("%s: no pooling mode is enabled", path)
	}
	if p.WordEmbeddingDimension != 0 && p.WordEmbeddingDimension != hidden {
		return fmt.Errorf("%s: word_embedding_dimension %d differs from the encoder's hidden size %d", path, p.WordEmbeddingDimension, hidden)
	}
	// include_prompt=false needs no handling: this project prepends no prompts.
	return nil
}

func loadDense(dir string, in int, dtype torch.DType, dev torch.Device) (*Dense, error) {
	d := &Dense{Path: dir}
	cfgPath := filepath.Join(dir, "config.json")
	if err := readJSON(cfgPath, &d.Config); err != nil {
		return nil, err
	}
	if d.Config.InFeatures != in {
		return nil, fmt.Errorf("%s: in_features %d, but the previous module outputs %d", cfgPath, d.Config.InFeatures, in)
	}
	if d.Config.OutFeatures <= 0 {
		return nil, fmt.Errorf("%s: out_features must be positive", cfgPath)
	}
	act, err := denseActivation(d.Config.ActivationFunction)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	d.act = act
	ws, err := loadWeights(dir, dtype, dev)
	if err != nil {
		return nil, err
	}
	defer ws.close()
	if d.Weight, err = ws.take("linear.weight", int64(d.Config.OutFeatures), int64(d.Config.InFeatures)); err != nil {
		return nil, fmt.Errorf("%s: %w", ws.path, err)
	}
	if d.Config.Bias == nil || *d.Config.Bias {
		if d.Bias, err = ws.take("linear.bias", int64(d.Config.OutFeatures)); err != nil {
			d.Weight.Close()
			return nil, fmt.Errorf("%s: %w", ws.path, err)
		}
	}
	return d, nil
}

// modelID identifies a model's weights for saved classifiers: the folder name and a hash of the files
// that define the model (configs, tokenizer, weights: names and sizes, and the first 64 KiB of each).
// Other files in the folder (a saved classification head, training logs, checkpoints) do not count.
func modelID(dir string) string {
	h := sha256.New()
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(name, ".") || name == "checkpoints" || name == "best") {
				return filepath.SkipDir
			}
			return nil
		}
		if definesModel(name) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Stat(p)
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), info.Size())
		if f, err := os.Open(p); err == nil {
			_, _ = io.CopyN(h, f, 1<<16)
			f.Close()
		}
	}
	base := filepath.Base(filepath.Clean(dir))
	if len(base) == 40 && filepath.Base(filepath.Dir(dir)) == "snapshots" {
		base = strings.TrimPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "models--")
	}
	return base + "@" + hex.EncodeToString(h.Sum(nil))[:16]
}

// definesModel reports whether a file name is part of a model's definition.
func definesModel(name string) bool {
	switch name {
	case "config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json", "vocab.txt", "vocab.json",
		"merges.txt", "sentencepiece.bpe.model", "model.safetensors.index.json":
		return true
	}
	return strings.HasSuffix(name, ".safetensors") || strings.HasSuffix(name, ".bin")
}

// ID identifies the model's weights (name@hash); classifiers saved with one model refuse another.
func (m *Model) ID() string { return m.id }

// Dim is the length of the sentence embeddings.
func (m *Model) Dim() int {
	if len(m.Dense) > 0 {
		return m.Dense[len(m.Dense)-1].Config.OutFeatures
	}
	return m.Arch.HiddenSize * len(m.Pooling.Modes())
}

// Device is where the model's weights live.
func (m *Model) Device() torch.Device { return m.dev }

// Close frees the model's native memory.
func (m *Model) Close() {
	if m == nil {
		return
	}
	if m.Encoder != nil {
		m.Encoder.Close()
	}
	for _, d := range m.Dense {
		d.Weight.Close()
		d.Bias.Close()
	}
}

// Forward runs the whole pipeline on a padded batch and returns sentence embeddings [Size, Dim], owned by
// the caller. With train set, dropout is on; autograd records unless the caller is in a no-grad region.
func (m *Model) Forward(b Batch, train bool) (*torch.Tensor, error) {
	hidden, err := m.Encoder.Forward(b, train)
	if err != nil {
		return nil, err
	}
	s := torch.NewScope()
	defer s.Close()
	s.Track(hidden, nil)
	x := pool(s, hidden, b, m.Pooling, m.dev)
	for _, d := range m.Dense {
		x = d.act(s, s.Linear(x, d.Weight, d.Bias))
	}
	if m.Normalize {
		x = s.Normalize(x, 2, 1, 1e-12)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("model forward: %w", err)
	}
	return s.Keep(x), nil
}

// TokenEmbeddings runs the encoder alone and returns the last hidden state [Size, SeqLen, H].
func (m *Model) TokenEmbeddings(b Batch) (*torch.Tensor, error) { return m.Encoder.Forward(b, false) }

// BatchFromEncodings pads tokenizer encodings into a Batch.
func BatchFromEncodings(encs []tokenizer.Encoding, padID int64) Batch {
	ids, types, mask, seq := tokenizer.Pad(encs, padID)
	return Batch{IDs: ids, TypeIDs: types, Mask: mask, Size: len(encs), SeqLen: seq}
}

// Tokenize encodes texts into a padded batch.
func (m *Model) Tokenize(texts []string) (Batch, error) {
	encs, err := m.Tokenizer.EncodeBatch(texts, 0)
	if err != nil {
		return Batch{}, err
	}
	return BatchFromEncodings(encs, m.Tokenizer.PadID()), nil
}

// Embed implements classify.Embedder with default options (batch 32, no extra normalisation).
func (m *Model) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return m.Encode(ctx, texts, EncodeOptions{})
}
