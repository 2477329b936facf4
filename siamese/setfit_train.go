package siamese

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/eval"
	"github.com/fewshot-go/fewshot/model"
)

// HeadFileName is the file TrainSetFit writes the fitted classification head to, in the output folder.
const HeadFileName = "fewshot_head.json"

// SetFitConfig configures TrainSetFit.
type SetFitConfig struct {
	// Train configures the contrastive fine-tuning of the body; its zero fields take SetFit's defaults
	// (1 epoch, batch 16, lr 2e-5, seed 42, warm-up ratio 0.1). Train.OutDir receives the model.
	Train TrainConfig
	// Shots, when positive, first samples that many examples of every label (SamplePerLabel, seeded
	// with Train.Seed).
	Shots int
	// Pairs configures the pair generation (a strategy, or NumIterations); a zero Seed means Train.Seed.
	Pairs PairOptions
	// Loss is the body's loss; nil means CosineSimilarityLoss, SetFit's default. A loss on class
	// labels (batch-hard and the like) trains on the examples themselves instead of pairs.
	Loss Loss
	// Head is the classifier fitted on the fine-tuned embeddings of the examples; nil means LogReg,
	// SetFit's default.
	Head classify.SaveableClassifier
}

// SetFitTrainResult describes a TrainSetFit run.
type SetFitTrainResult struct {
	// Train is the body's training result.
	Train *TrainResult
	// Examples is the number of labelled examples used, Rows the number of training rows (pairs).
	Examples, Rows int
	// Head is the fitted head, HeadPath the file it was saved to, and ModelID the ID of the saved
	// model recorded in it.
	Head     classify.SaveableClassifier
	HeadPath string
	ModelID  string
}

// TrainSetFit runs SetFit: it fine-tunes the body of m contrastively on pairs drawn from the labelled
// examples (CosineSimilarityLoss on same-label = 1, different-label = 0 pairs by default), saves the
// fine-tuned model into cfg.Train.OutDir, fits the head on the fine-tuned embeddings of the original
// examples, and saves it there as HeadFileName with the saved model's ID.
func TrainSetFit(ctx context.Context, m *model.Model, examples []dataset.Example, cfg SetFitConfig) (*SetFitTrainResult, error) {
	if m == nil {
		return nil, errors.New("setfit: nil model")
	}
	tc := cfg.Train
	if tc.Seed == 0 {
		tc.Seed = DefaultTrainConfig().Seed
	}
	source := "setfit examples"
	if err := dataset.Validate(examples, source); err != nil {
		return nil, fmt.Errorf("setfit: %w", err)
	}
	if cfg.Shots > 0 {
		var err error
		if examples, err = eval.SamplePerLabel(examples, cfg.Shots, tc.Seed); err != nil {
			return nil, fmt.Errorf("setfit: %w", err)
		}
	}
	loss := cfg.Loss
	if loss == nil {
		loss = CosineSimilarityLoss{}
	}
	head := cfg.Head
	if head == nil {
		head = &classify.LogReg{}
	}
	pairs := cfg.Pairs
	if pairs.Seed == 0 {
		pairs.Seed = tc.Seed
	}
	data, err := ExamplesData(examples, loss, DataOptions{Pairs: pairs}, source)
	if err != nil {
		return nil, fmt.Errorf("setfit: %w", err)
	}
	tr, err := Train(ctx, m, loss, data, tc)
	res := &SetFitTrainResult{Train: tr, Examples: len(examples), Rows: len(data.Rows), Head: head}
	if err != nil {
		return res, fmt.Errorf("setfit: %w", err)
	}
	texts := make([]string, len(examples))
	labels := make([]string, len(examples))
	for i, ex := range examples {
		texts[i], labels[i] = ex.Text, ex.Label
	}
	emb, err := m.Encode(ctx, texts, model.EncodeOptions{})
	if err != nil {
		return res, fmt.Errorf("setfit: embed the examples: %w", err)
	}
	if err := head.Fit(emb, labels); err != nil {
		return res, fmt.Errorf("setfit: fit the %s head: %w", head.Method(), err)
	}
	// The head records the ID of the folder as saved (what model.Load of it reports).
	saved, err := model.Load(tc.OutDir, model.LoadOptions{MaxSeqLength: m.ST.MaxSeqLength})
	if err != nil {
		return res, fmt.Errorf("setfit: reload the saved model: %w", err)
	}
	res.ModelID = saved.ID()
	saved.Close()
	res.HeadPath = filepath.Join(tc.OutDir, HeadFileName)
	if err := classify.SaveClassifier(res.HeadPath, head, res.ModelID); err != nil {
		return res, fmt.Errorf("setfit: %w", err)
	}
	return res, nil
}
