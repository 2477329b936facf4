package model

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/fewshot-go/fewshot/model/safetensors"
	"github.com/fewshot-go/fewshot/torch"
)

// stDType is the safetensors name of a torch dtype.
func stDType(d torch.DType) (string, error) {
	switch d {
	case torch.Float32:
		return "F32", nil
	case torch.Float16:
		return "F16", nil
	case torch.BFloat16:
		return "BF16", nil
	case torch.Float64:
		return "F64", nil
	case torch.Int64:
		return "I64", nil
	}
	return "", fmt.Errorf("dtype %s cannot be saved", d)
}

// TensorInfos copies named tensors to the host as safetensors records (float32 unless keep is set).
func TensorInfos(named map[string]*torch.Tensor) ([]safetensors.TensorInfo, error) {
	names := make([]string, 0, len(named))
	for n := range named {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []safetensors.TensorInfo
	for _, n := range names {
		t := named[n]
		shape, err := t.Shape()
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", n, err)
		}
		dt, err := t.DType()
		if err != nil {
			return nil, err
		}
		sd, err := stDType(dt)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", n, err)
		}
		raw, err := t.Bytes()
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", n, err)
		}
		out = append(out, safetensors.TensorInfo{Name: n, DType: sd, Shape: shape, Data: raw})
	}
	return out, nil
}

// moduleWeights gathers the checkpoint-named tensors of one module ("" is the Transformer).
func (m *Model) moduleWeights(module string) (map[string]*torch.Tensor, error) {
	all := map[string]*torch.Tensor{}
	for _, p := range m.Parameters() {
		if p.Module != module {
			continue
		}
		part, err := p.expand()
		if err != nil {
			closeAll(all)
			return nil, err
		}
		for k, v := range part {
			all[k] = v
		}
	}
	return all, nil
}

func closeAll(ts map[string]*torch.Tensor) {
	for _, t := range ts {
		t.Close()
	}
}

func writeWeights(path string, named map[string]*torch.Tensor) error {
	defer closeAll(named)
	infos, err := TensorInfos(named)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return safetensors.Write(path, infos, map[string]string{"format": "pt"})
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// tokenizerFiles are copied verbatim from the source folder when present.
var tokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
	"vocab.json", "merges.txt", "sentencepiece.bpe.model", "added_tokens.json"}

// Save writes the model as a sentence-transformers folder (the layout SentenceTransformer.save writes:
// modules.json, config files, model.safetensors, tokenizer files, module folders), atomically: it is
// built in a temporary sibling folder and renamed into place, replacing dir if it exists. extra files
// (name -> bytes) are written into the folder root too (e.g. a classification head).
func (m *Model) Save(dir string, extra map[string][]byte) (err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := m.writeFolder(tmp, extra); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	old := ""
	if _, serr := os.Stat(dir); serr == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("save %s: move the previous folder aside: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return fmt.Errorf("save %s: %w", dir, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

func (m *Model) writeFolder(dir string, extra map[string][]byte) error {
	mods := make([]Module, 0, len(m.Modules))
	for i, mod := range m.Modules {
		mod.Idx, mod.Name = i, fmt.Sprint(i)
		if i == 0 {
			mod.Path = ""
		} else {
			mod.Path = fmt.Sprintf("%d_%s", i, mod.Kind())
		}
		mods = append(mods, mod)
	}
	if err := writeJSONFile(filepath.Join(dir, "modules.json"), mods); err != nil {
		return err
	}
	if err := writeJSONFile(filepath.Join(dir, "sentence_bert_config.json"), m.ST); err != nil {
		return err
	}
	stcfg := map[string]any{
		"__version__":         map[string]string{"sentence_transformers": "3.0.0", "fewshot": "dev"},
		"prompts":             map[string]string{},
		"default_prompt_name": nil,
		"similarity_fn_name":  "cosine",
	}
	if err := writeJSONFile(filepath.Join(dir, "config_sentence_transformers.json"), stcfg); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(m.Dir, "config.json"), filepath.Join(dir, "config.json")); err != nil {
		return err
	}
	for _, f := range tokenizerFiles {
		if _, err := os.Stat(filepath.Join(m.Dir, f)); err == nil {
			if err := copyFile(filepath.Join(m.Dir, f), filepath.Join(dir, f)); err != nil {
				return err
			}
		}
	}
	w, err := m.moduleWeights("")
	if err != nil {
		return err
	}
	if err := writeWeights(filepath.Join(dir, "model.safetensors"), w); err != nil {
		return err
	}
	di := 0
	for _, mod := range mods[1:] {
		sub := filepath.Join(dir, mod.Path)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		switch mod.Kind() {
		case "Pooling":
			p := m.Pooling
			p.WordEmbeddingDimension = m.Arch.HiddenSize
			if err := writeJSONFile(filepath.Join(sub, "config.json"), p); err != nil {
				return err
			}
		case "Dense":
			d := m.Dense[di]
			di++
			if err := writeJSONFile(filepath.Join(sub, "config.json"), d.Config); err != nil {
				return err
			}
			dw, err := m.moduleWeights(d.module())
			if err != nil {
				return err
			}
			if err := writeWeights(filepath.Join(sub, "model.safetensors"), dw); err != nil {
				return err
			}
		}
	}
	for name, b := range extra {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
