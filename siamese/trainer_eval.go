package siamese

import (
	"context"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/eval"
	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/torch"
)

// Evaluator scores a model during training.
type Evaluator interface {
	// Metric is the key of the value that selects the best model and drives early stopping.
	Metric() string
	// HigherIsBetter says whether a larger Metric is better.
	HigherIsBetter() bool
	// Evaluate returns the evaluation values, Metric among them.
	Evaluate(ctx context.Context, m *model.Model) (map[string]float64, error)
}

// STSEvaluator correlates cosine similarities of pairs with their gold scores (EvaluateSTS); its metric
// is "spearman" (Pearson is reported too).
type STSEvaluator struct {
	Pairs []dataset.Pair
}

// Metric implements Evaluator.
func (e *STSEvaluator) Metric() string { return "spearman" }

// HigherIsBetter implements Evaluator.
func (e *STSEvaluator) HigherIsBetter() bool { return true }

// Evaluate implements Evaluator.
func (e *STSEvaluator) Evaluate(ctx context.Context, m *model.Model) (map[string]float64, error) {
	r, err := eval.EvaluateSTS(ctx, m, e.Pairs)
	if err != nil {
		return nil, err
	}
	return map[string]float64{"spearman": r.Spearman, "pearson": r.Pearson}, nil
}

// EpisodeEvaluator measures few-shot episode accuracy (EvaluateEpisodes) on a labelled set; its
// metric is "accuracy".
type EpisodeEvaluator struct {
	Texts, Labels []string
	Config        eval.EpisodeConfig
	// NewClassifier makes each episode's head; nil means a cosine Prototype.
	NewClassifier func() classify.Classifier
}

// Metric implements Evaluator.
func (e *EpisodeEvaluator) Metric() string { return "accuracy" }

// HigherIsBetter implements Evaluator.
func (e *EpisodeEvaluator) HigherIsBetter() bool { return true }

// Evaluate implements Evaluator.
func (e *EpisodeEvaluator) Evaluate(ctx context.Context, m *model.Model) (map[string]float64, error) {
	emb, err := m.Encode(ctx, e.Texts, model.EncodeOptions{})
	if err != nil {
		return nil, err
	}
	nc := e.NewClassifier
	if nc == nil {
		nc = func() classify.Classifier { return &classify.Prototype{} }
	}
	r, err := eval.EvaluateEpisodes(ctx, emb, e.Labels, e.Config, nc)
	if err != nil {
		return nil, err
	}
	return map[string]float64{"accuracy": r.Accuracy, "accuracy_ci95": r.CI95}, nil
}

// LossEvaluator is the mean loss (without dropout or augmentation) over held-out rows; its metric is
// "loss", lower is better.
type LossEvaluator struct {
	Data      TrainData
	Loss      Loss
	BatchSize int // default 32
}

// Metric implements Evaluator.
func (e *LossEvaluator) Metric() string { return "loss" }

// HigherIsBetter implements Evaluator.
func (e *LossEvaluator) HigherIsBetter() bool { return false }

// Evaluate implements Evaluator.
func (e *LossEvaluator) Evaluate(ctx context.Context, m *model.Model) (map[string]float64, error) {
	if err := e.Data.check(e.Loss); err != nil {
		return nil, err
	}
	bs := e.BatchSize
	if bs <= 0 {
		bs = 32
	}
	var sum float64
	n := len(e.Data.Rows)
	err := torch.NoGrad(func() error {
		for start := 0; start < n; start += bs {
			if err := ctx.Err(); err != nil {
				return err
			}
			idx := make([]int, 0, bs)
			for i := start; i < min(start+bs, n); i++ {
				idx = append(idx, i)
			}
			s := torch.NewScope()
			l, err := forwardLoss(s, m, e.Loss, e.Data, idx, false, nil, nil, nil)
			if err == nil {
				var v float64
				if v, err = l.Item(); err == nil {
					sum += v * float64(len(idx))
				}
			}
			s.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]float64{"loss": sum / float64(n)}, nil
}
