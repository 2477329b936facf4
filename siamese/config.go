package siamese

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/fewshot-go/fewshot/siamese/augment"
)

// TrainConfig configures Train. DefaultTrainConfig gives the defaults; zero fields of the numeric
// settings below are replaced by them.
type TrainConfig struct {
	// Epochs is the number of passes over the data (default 1); MaxSteps, when positive, replaces it
	// with a number of optimizer steps (the data is cycled through, epoch after epoch).
	Epochs   int
	MaxSteps int
	// BatchSize is the number of rows per forward pass (default 16). GradAccum micro-batches
	// (default 1) make one optimizer step, each micro-batch loss divided by their number.
	BatchSize int
	GradAccum int
	// LR is AdamW's peak learning rate (default 2e-5). WeightDecay is its decoupled weight decay
	// (default 0.01, negative means none; biases and LayerNorm weights never get any). WarmupRatio is
	// the share of steps of linear warm-up (default 0.1, negative means none) before linear decay to
	// 0. MaxGradNorm is the gradient clipping norm (default 1, negative turns clipping off; the norm
	// is measured and logged either way).
	LR, WeightDecay, WarmupRatio, MaxGradNorm float64
	// Seed seeds libtorch (dropout), the batch order and augmentation.
	Seed uint64
	// Order is the batch order; empty picks DefaultBatchOrder(loss).
	Order BatchOrder
	// SamplesPerLabel is the number of rows per label in a group-by-label batch (default 2).
	SamplesPerLabel int

	// OutDir receives metrics.jsonl, checkpoints/, best/ and, at the end, the final model. It must be
	// empty or absent unless Resume is set.
	OutDir string
	// SaveEvery saves a checkpoint every that many steps (0: only when interrupted), keeping the
	// newest Keep (0: all).
	SaveEvery, Keep int
	// Evaluator, when set, is run every EvalEvery steps (0: only at the end); the best result's model
	// is saved to OutDir/best. Patience > 0 stops training after that many evaluations in a row
	// without improvement.
	Evaluator Evaluator
	EvalEvery int
	Patience  int
	// LogEvery writes a metrics.jsonl record every that many steps (default 10; the last step is
	// always logged).
	LogEvery int
	// Resume names a checkpoint folder, or a run folder whose newest valid checkpoint is taken.
	Resume string

	// TextAugmenter changes each training text before tokenisation; TokenAugmenter each tokenised
	// text (e.g. cutoff). Both draw from the trainer's seeded Go generator. Nil means none.
	TextAugmenter  augment.Augmenter
	TokenAugmenter augment.TokenAugmenter
	// DisableDropout runs the forward passes without dropout.
	DisableDropout bool

	// BaseModel is recorded in checkpoints (the --model the run started from).
	BaseModel string
	// ProbeTexts are embedded with the final model after it is saved (TrainResult.ProbeEmbeddings).
	ProbeTexts []string
	// Progress, when set, shows a progress bar with loss and throughput (give a terminal); Log
	// receives one-line messages (checkpoints, evaluations, warnings).
	Progress io.Writer
	Log      io.Writer
	// OnStep, when set, is called after each optimizer step has been logged, evaluated and saved.
	OnStep func(step int)

	// failWrite, set by tests, injects checkpoint write failures.
	failWrite func(path string) error
}

// DefaultTrainConfig returns sentence-transformers' and SetFit's usual settings: 1 epoch, batch 16,
// lr 2e-5, weight decay 0.01, warm-up ratio 0.1, clipping at norm 1, seed 42, 2 samples per label,
// a log record every 10 steps.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Epochs: 1, BatchSize: 16, GradAccum: 1, LR: 2e-5, WeightDecay: 0.01, WarmupRatio: 0.1,
		MaxGradNorm: 1, Seed: 42, SamplesPerLabel: 2, LogEvery: 10}
}

func (c TrainConfig) withDefaults() (TrainConfig, error) {
	d := DefaultTrainConfig()
	c.Epochs = orDefault(c.Epochs, d.Epochs)
	c.BatchSize = orDefault(c.BatchSize, d.BatchSize)
	c.GradAccum = orDefault(c.GradAccum, d.GradAccum)
	c.LR = orDefault(c.LR, d.LR)
	// A negative weight decay or warm-up ratio means none (max keeps a NaN, which is refused below).
	c.WeightDecay = max(orDefault(c.WeightDecay, d.WeightDecay), 0)
	c.WarmupRatio = max(orDefault(c.WarmupRatio, d.WarmupRatio), 0)
	c.MaxGradNorm = orDefault(c.MaxGradNorm, d.MaxGradNorm)
	c.SamplesPerLabel = orDefault(c.SamplesPerLabel, d.SamplesPerLabel)
	c.LogEvery = orDefault(c.LogEvery, d.LogEvery)
	switch {
	case c.Epochs < 0:
		return c, fmt.Errorf("train: epochs %d must be positive", c.Epochs)
	case c.MaxSteps < 0:
		return c, fmt.Errorf("train: max steps %d must be >= 0", c.MaxSteps)
	case c.BatchSize < 1:
		return c, fmt.Errorf("train: batch size %d must be positive", c.BatchSize)
	case c.GradAccum < 1:
		return c, fmt.Errorf("train: gradient accumulation %d must be positive", c.GradAccum)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return c, fmt.Errorf("train: learning rate %v must be a positive number", c.LR)
	case math.IsNaN(c.WeightDecay):
		return c, errors.New("train: weight decay is NaN")
	case c.WarmupRatio > 1:
		return c, fmt.Errorf("train: warm-up ratio %v must lie in [0, 1]", c.WarmupRatio)
	case c.SaveEvery < 0, c.Keep < 0, c.EvalEvery < 0, c.Patience < 0, c.LogEvery < 0:
		return c, errors.New("train: save-every, keep, eval-every, patience and log-every must be >= 0")
	case c.SamplesPerLabel < 1:
		return c, fmt.Errorf("train: samples per label %d must be positive", c.SamplesPerLabel)
	case c.OutDir == "":
		return c, errors.New("train: no output folder")
	}
	return c, nil
}

// StopReason says why training ended.
type StopReason string

// The stop reasons.
const (
	StopCompleted     StopReason = "completed"
	StopEarlyStopping StopReason = "early-stopping"
	StopInterrupted   StopReason = "interrupted"
	StopNonFinite     StopReason = "non-finite-loss"
)

// ErrNonFiniteLoss is wrapped by the error Train returns when a loss or gradient norm is NaN or
// infinite.
var ErrNonFiniteLoss = errors.New("non-finite loss")

// TrainResult describes a finished (or stopped) run.
type TrainResult struct {
	// OutDir is the run folder.
	OutDir string
	// Steps is the number of optimizer steps taken, TotalSteps the schedule's length, and Epochs the
	// (fractional) number of passes over the data.
	Steps, TotalSteps int
	Epochs            float64
	// Loss is the mean training loss of the last logging window.
	Loss float64
	// Stop says why the run ended.
	Stop StopReason
	// BestMetric and BestStep are the best evaluation result and its step (BestStep 0: none).
	BestMetric float64
	BestStep   int
	// Eval holds the last evaluation's values.
	Eval map[string]float64
	// LastCheckpoint is the newest checkpoint folder written ("" if none), ResumedFrom the one the run
	// started from.
	LastCheckpoint, ResumedFrom string
	// ProbeEmbeddings are TrainConfig.ProbeTexts embedded by the final model.
	ProbeEmbeddings [][]float32
}

// orDefault returns v, or def when v is zero (so a zero-valued loss struct uses ST's defaults, and a
// zero TrainConfig field the trainer's).
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
