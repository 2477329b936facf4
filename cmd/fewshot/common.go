package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/model/defaultmodel"
	"github.com/fewshot-go/fewshot/model/hub"
	"github.com/fewshot-go/fewshot/torch"
)

// modelFlagHelp describes --model.
const modelFlagHelp = "model folder, or Hugging Face hub name such as sentence-transformers/all-MiniLM-L6-v2 (default: the small model embedded in fewshot, trained by this project; far weaker than hub models)"

// modelFlags are the flags every command that runs a model shares.
type modelFlags struct {
	model        string
	device       string
	precision    string
	threads      int
	maxSeqLength int
	cpuMode      string
}

func addModelFlags(cmd *cobra.Command, f *modelFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", modelFlagHelp)
	fl.StringVar(&f.device, "device", "auto", "cpu, cuda, cuda:N or auto")
	fl.StringVar(&f.precision, "precision", "float32", "compute precision: float32, or float16/bfloat16 on CUDA")
	fl.IntVar(&f.threads, "threads", 0, "intra-op CPU threads (0: $OMP_NUM_THREADS, else one per core)")
	fl.IntVar(&f.maxSeqLength, "max-seq-length", 0, "truncate texts to this many tokens (0: the model's max_seq_length)")
	fl.StringVar(&f.cpuMode, "cpu-mode", "fast", "CPU path: fast (oneDNN linears, same results to float rounding; in training too), plain (libtorch's default BLAS path), bf16 (oneDNN in bfloat16: faster on AVX-512 BF16, less exact) or int8 (dynamic int8 quantization: fastest, least exact; falls back to fast where the CPU or libtorch cannot)")
}

// isTerminal reports whether w is a terminal (progress output goes only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// setThreads applies --threads, else OMP_NUM_THREADS, else one thread per core.
func setThreads(n int) error {
	if n <= 0 {
		if v, err := strconv.Atoi(os.Getenv("OMP_NUM_THREADS")); err == nil && v > 0 {
			n = v
		} else {
			n = runtime.NumCPU()
		}
	}
	if err := torch.SetNumThreads(n); err != nil {
		return usageError{fmt.Errorf("--threads %d: %w", n, err)}
	}
	return nil
}

// load resolves --model (a folder or a hub name) and loads it on --device with --precision.
func (f *modelFlags) load(ctx context.Context, stderr io.Writer) (*model.Model, error) {
	if err := setThreads(f.threads); err != nil {
		return nil, err
	}
	dev, err := torch.ParseDevice(f.device)
	if err != nil {
		return nil, usageError{fmt.Errorf("--device: %w", err)}
	}
	prec, err := torch.ParseDType(f.precision)
	if err != nil || !prec.IsFloat() {
		return nil, usageError{fmt.Errorf("--precision %q: want float32, float16 or bfloat16", f.precision)}
	}
	if prec != torch.Float32 && !dev.IsCUDA() {
		return nil, usageError{fmt.Errorf("--precision %s needs a CUDA device (got %s)", f.precision, dev)}
	}
	mode, err := model.ParseCPUMode(f.cpuMode)
	if err != nil {
		return nil, usageError{fmt.Errorf("--cpu-mode %q: want fast, plain, bf16 or int8", f.cpuMode)}
	}
	lopt := model.LoadOptions{Device: dev, Precision: prec, MaxSeqLength: f.maxSeqLength, CPUMode: mode}
	dir, err := locateModel(ctx, f.model, stderr)
	if err != nil {
		return nil, err
	}
	m, err := model.Load(dir, lopt)
	if err != nil {
		return nil, err
	}
	reportFallback(stderr, m)
	if len(m.Encoder.Unexpected) > 0 {
		fmt.Fprintf(stderr, "fewshot: %s: ignoring %d unexpected tensors (%s ...)\n", dir, len(m.Encoder.Unexpected), m.Encoder.Unexpected[0])
	}
	return m, nil
}

// locateModel resolves --model to a folder: the embedded default model when name is empty, else a
// model folder or a Hugging Face hub name (from the cache, or downloaded where the network allows).
func locateModel(ctx context.Context, name string, stderr io.Writer) (string, error) {
	if name == "" {
		dir, err := defaultmodel.Dir()
		if err != nil {
			return "", fmt.Errorf("no --model given, and the embedded default model: %w", err)
		}
		return dir, nil
	}
	opt := hub.OptionsFromEnv()
	if isTerminal(stderr) {
		opt.Progress = stderr
	}
	dir, err := hub.Locate(ctx, name, opt)
	if err != nil {
		return "", fmt.Errorf("--model %s: %w", name, err)
	}
	return dir, nil
}

// reportFallback logs, on stderr, a CPU mode that could not be used (int8 without an engine for this CPU).
func reportFallback(stderr io.Writer, m *model.Model) {
	if m.Encoder != nil && m.Encoder.Fallback != "" {
		fmt.Fprintf(stderr, "fewshot: --cpu-mode: %s\n", m.Encoder.Fallback)
	}
}
