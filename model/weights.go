package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/fewshot-go/fewshot/model/safetensors"
	"github.com/fewshot-go/fewshot/model/torchbin"
	"github.com/fewshot-go/fewshot/torch"
)

// weightSet holds named tensors read from a module folder, and where they came from.
type weightSet struct {
	path    string
	tensors map[string]*torch.Tensor
}

func (w *weightSet) close() {
	for _, t := range w.tensors {
		t.Close()
	}
	w.tensors = nil
}

func dtypeFromST(s string) (torch.DType, error) {
	switch s {
	case "F32":
		return torch.Float32, nil
	case "F16":
		return torch.Float16, nil
	case "BF16":
		return torch.BFloat16, nil
	case "F64":
		return torch.Float64, nil
	case "I64":
		return torch.Int64, nil
	case "I32":
		return torch.Int32, nil
	case "U8":
		return torch.Uint8, nil
	case "BOOL":
		return torch.Bool, nil
	}
	return 0, fmt.Errorf("dtype %s is not supported", s)
}

// loadWeights reads model.safetensors (or a sharded set through model.safetensors.index.json), else
// pytorch_model.bin, from dir. Floating-point tensors are converted to dtype and moved to dev; the file
// bytes are mapped, not read, so the weights are held once in Go-visible memory and once by libtorch.
func loadWeights(dir string, dtype torch.DType, dev torch.Device) (*weightSet, error) {
	st := filepath.Join(dir, "model.safetensors")
	if _, err := os.Stat(st); err == nil {
		return loadSafetensors([]string{st}, dtype, dev)
	}
	idx := filepath.Join(dir, "model.safetensors.index.json")
	if _, err := os.Stat(idx); err == nil {
		var index struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := readJSON(idx, &index); err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		var files []string
		for _, f := range index.WeightMap {
			if !seen[f] {
				seen[f] = true
				files = append(files, filepath.Join(dir, filepath.Clean("/" + f)[1:]))
			}
		}
		sort.Strings(files)
		return loadSafetensors(files, dtype, dev)
	}
	bin := filepath.Join(dir, "pytorch_model.bin")
	if _, err := os.Stat(bin); err == nil {
		return loadTorchBin(bin, dtype, dev)
	}
	return nil, fmt.Errorf("%s: no weights (model.safetensors or pytorch_model.bin): %w", dir, os.ErrNotExist)
}

// TensorFromInfo copies a safetensors record into a new tensor of the record's dtype on dev: the inverse
// of TensorInfos.
func TensorFromInfo(info safetensors.TensorInfo, dev torch.Device) (*torch.Tensor, error) {
	dt, err := dtypeFromST(info.DType)
	if err != nil {
		return nil, err
	}
	return torch.FromBytes(info.Data, dt, info.Shape, dev)
}

// toDevice makes the tensor of a weights-file record on dev, converting floating-point tensors to dtype.
func toDevice(info safetensors.TensorInfo, dtype torch.DType, dev torch.Device) (*torch.Tensor, error) {
	t, err := TensorFromInfo(info, torch.CPU)
	if err != nil {
		return nil, err
	}
	src, err := t.DType()
	if err != nil {
		t.Close()
		return nil, err
	}
	target := src
	if src.IsFloat() {
		target = dtype
	}
	if target == src && dev == torch.CPU {
		return t, nil
	}
	defer t.Close()
	return t.To(target, dev)
}

func loadSafetensors(paths []string, dtype torch.DType, dev torch.Device) (*weightSet, error) {
	ws := &weightSet{path: paths[0], tensors: map[string]*torch.Tensor{}}
	for _, p := range paths {
		f, err := safetensors.Open(p)
		if err != nil {
			ws.close()
			return nil, err
		}
		for _, ti := range f.Tensors {
			if _, dup := ws.tensors[ti.Name]; dup {
				f.Close()
				ws.close()
				return nil, fmt.Errorf("%s: tensor %s appears in two shards", p, ti.Name)
			}
			t, err := toDevice(ti, dtype, dev)
			if err != nil {
				f.Close()
				ws.close()
				return nil, fmt.Errorf("%s: tensor %s: %w", p, ti.Name, err)
			}
			ws.tensors[ti.Name] = t
		}
		if err := f.Close(); err != nil {
			ws.close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return ws, nil
}

func loadTorchBin(path string, dtype torch.DType, dev torch.Device) (*weightSet, error) {
	ts, err := torchbin.Read(path)
	if err != nil {
		return nil, err
	}
	ws := &weightSet{path: path, tensors: map[string]*torch.Tensor{}}
	for _, ti := range ts {
		t, err := toDevice(safetensors.TensorInfo{Name: ti.Name, DType: ti.DType, Shape: ti.Shape, Data: ti.Data}, dtype, dev)
		if err != nil {
			ws.close()
			return nil, fmt.Errorf("%s: tensor %s: %w", path, ti.Name, err)
		}
		ws.tensors[ti.Name] = t
	}
	return ws, nil
}

// take removes and returns the tensor called name, checking its shape; missing is collected by the caller.
func (w *weightSet) take(name string, shape ...int64) (*torch.Tensor, error) {
	t, ok := w.tensors[name]
	if !ok {
		return nil, errMissing{name}
	}
	got, err := t.Shape()
	if err != nil {
		return nil, err
	}
	if len(shape) > 0 && !equalShape(got, shape) {
		return nil, fmt.Errorf("%s: tensor %s has shape %v, the config says %v", w.path, name, got, shape)
	}
	delete(w.tensors, name)
	return t, nil
}

type errMissing struct{ name string }

func (e errMissing) Error() string { return "missing tensor " + e.name }

func equalShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// isMissing reports whether err is a missing-tensor error.
func isMissing(err error) bool {
	var m errMissing
	return errors.As(err, &m)
}
