package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/eval"
	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/siamese"
	"github.com/fewshot-go/fewshot/siamese/augment"
)

// trainFlags are the flags fewshot train and fewshot train setfit share.
type trainFlags struct {
	modelFlags
	data         datasetFlags
	dataFile     string
	out          string
	loss         string
	margin       float64
	scale        float64
	epochs       int
	maxSteps     int
	batchSize    int
	gradAccum    int
	lr           float64
	weightDecay  float64
	warmupRatio  float64
	maxGradNorm  float64
	seed         uint64
	perLabel     int
	augment      string
	wordnet      string
	saveEvery    int
	keep         int
	logEvery     int
	resume       string
	pairStrategy string
	iterations   int
}

func addTrainFlags(cmd *cobra.Command, f *trainFlags, saveEvery int) {
	addModelFlags(cmd, &f.modelFlags)
	addDatasetFlags(cmd, &f.data)
	fl := cmd.Flags()
	fl.StringVar(&f.dataFile, "data", "", "training data file (required)")
	fl.StringVar(&f.out, "out", "", "output folder: the final model, metrics.jsonl, checkpoints/ and best/ (required; must be empty unless --resume)")
	fl.Float64Var(&f.margin, "margin", 0, "margin of the contrastive and triplet losses (0: the loss's default)")
	fl.Float64Var(&f.scale, "scale", 0, "scale of mnrl and cosent (0: the loss's default, 20)")
	fl.IntVar(&f.epochs, "epochs", 1, "passes over the training data")
	fl.IntVar(&f.maxSteps, "max-steps", 0, "optimizer steps to run, replacing --epochs (0: use --epochs)")
	fl.IntVar(&f.batchSize, "batch-size", 16, "rows per forward pass")
	fl.IntVar(&f.gradAccum, "grad-accum", 1, "micro-batches per optimizer step (effective batch = batch-size x grad-accum)")
	fl.Float64Var(&f.lr, "lr", 2e-5, "peak learning rate (AdamW)")
	fl.Float64Var(&f.weightDecay, "weight-decay", 0.01, "AdamW weight decay (never on biases and LayerNorm weights)")
	fl.Float64Var(&f.warmupRatio, "warmup-ratio", 0.1, "share of the steps with linear warm-up, before linear decay to 0")
	fl.Float64Var(&f.maxGradNorm, "max-grad-norm", 1, "clip the gradient norm to this (0: no clipping)")
	fl.Uint64Var(&f.seed, "seed", 42, "seed of dropout, batch order, pair sampling and augmentation")
	fl.IntVar(&f.perLabel, "samples-per-label", 2, "rows per label in a batch for the batch triplet losses")
	fl.StringVar(&f.augment, "augment", "", "on-the-fly augmentation: "+augment.FlagHelp)
	fl.StringVar(&f.wordnet, "wordnet", augment.DefaultWordNetDir, "WordNet 3.0 database folder, for EDA's synonym replacement and insertion")
	fl.IntVar(&f.saveEvery, "save-every", saveEvery, "save a checkpoint every N steps (0: only when interrupted)")
	fl.IntVar(&f.keep, "keep", 3, "checkpoints to keep (0: all)")
	fl.IntVar(&f.logEvery, "log-every", 10, "write a metrics.jsonl record every N steps")
	fl.StringVar(&f.resume, "resume", "", "continue from a checkpoint folder, or from the newest valid checkpoint of a run's --out folder")
	fl.StringVar(&f.pairStrategy, "pair-strategy", "oversampling", "pairs drawn from labelled texts: oversampling, undersampling or unique")
	fl.IntVar(&f.iterations, "num-iterations", 0, "draw R positive and R negative pairs per labelled text instead of --pair-strategy (SetFit's num_iterations)")
}

// config checks the flags and builds the trainer configuration (without data, loss or evaluator).
func (f *trainFlags) config(cmd *cobra.Command) (siamese.TrainConfig, error) {
	switch {
	case f.dataFile == "":
		return siamese.TrainConfig{}, usageError{errors.New("--data is required")}
	case f.out == "":
		return siamese.TrainConfig{}, usageError{errors.New("--out is required")}
	case f.epochs < 1:
		return siamese.TrainConfig{}, usageError{fmt.Errorf("--epochs %d: must be at least 1", f.epochs)}
	case f.maxSteps < 0:
		return siamese.TrainConfig{}, usageError{fmt.Errorf("--max-steps %d: must be >= 0", f.maxSteps)}
	case f.batchSize < 1:
		return siamese.TrainConfig{}, usageError{fmt.Errorf("--batch-size %d: must be at least 1", f.batchSize)}
	case f.gradAccum < 1:
		return siamese.TrainConfig{}, usageError{fmt.Errorf("--grad-accum %d: must be at least 1", f.gradAccum)}
	case !(f.lr > 0):
		return siamese.TrainConfig{}, usageError{fmt.Errorf("--lr %v: must be positive", f.lr)}
	case !(f.weightDecay >= 0):
		return siamese.TrainConfig{}, usageError{fmt.Errorf("--weight-decay %v: must be >= 0", f.weightDecay)}
	case !(f.warmupRatio >= 0 && f.warmupRatio <= 1):
		return siamese.TrainConfig{}, usageError{fmt.Errorf("--warmup-ratio %v: must lie in [0, 1]", f.warmupRatio)}
	case !(f.maxGradNorm >= 0):
		return siamese.TrainConfig{}, usageError{fmt.Errorf("--max-grad-norm %v: must be >= 0", f.maxGradNorm)}
	case f.perLabel < 1:
		return siamese.TrainConfig{}, usageError{fmt.Errorf("--samples-per-label %d: must be at least 1", f.perLabel)}
	case f.saveEvery < 0 || f.keep < 0 || f.logEvery < 1:
		return siamese.TrainConfig{}, usageError{errors.New("--save-every and --keep must be >= 0 and --log-every >= 1")}
	}
	cfg := siamese.TrainConfig{Epochs: f.epochs, MaxSteps: f.maxSteps, BatchSize: f.batchSize, GradAccum: f.gradAccum,
		LR: f.lr, WeightDecay: f.weightDecay, WarmupRatio: f.warmupRatio, MaxGradNorm: f.maxGradNorm, Seed: f.seed,
		SamplesPerLabel: f.perLabel, OutDir: f.out, SaveEvery: f.saveEvery, Keep: f.keep, LogEvery: f.logEvery,
		Resume: f.resume, BaseModel: f.model, Log: cmd.ErrOrStderr()}
	// Zero means "default" to the trainer; the flags mean "none".
	if f.warmupRatio == 0 {
		cfg.WarmupRatio = -1
	}
	if f.maxGradNorm == 0 {
		cfg.MaxGradNorm = -1
	}
	if f.weightDecay == 0 {
		cfg.WeightDecay = -1
	}
	if isTerminal(cmd.ErrOrStderr()) {
		cfg.Progress = cmd.ErrOrStderr()
	}
	spec, err := augment.ParseSpec("augment", f.augment)
	if err != nil {
		return cfg, usageError{err}
	}
	if spec.Enabled() {
		var wn *augment.WordNet
		if spec.NeedsWordNet() {
			if wn, err = augment.LoadWordNet(f.wordnet); err != nil {
				return cfg, fmt.Errorf("--augment %s needs WordNet (--wordnet %s; Debian package wordnet-base): %w", f.augment, f.wordnet, err)
			}
		}
		if cfg.TextAugmenter, err = spec.TextAugmenter(wn); err != nil {
			return cfg, usageError{fmt.Errorf("--augment: %w", err)}
		}
		if _, identity := cfg.TextAugmenter.(augment.Identity); identity {
			cfg.TextAugmenter = nil
		}
		cfg.TokenAugmenter = spec.TokenAugmenter()
	}
	return cfg, nil
}

// setup checks the flags both train commands share and builds from them the trainer configuration
// (without data or evaluator), the --loss and the pair generation.
func (f *trainFlags) setup(cmd *cobra.Command) (siamese.TrainConfig, siamese.Loss, siamese.PairOptions, error) {
	cfg, err := f.config(cmd)
	if err != nil {
		return cfg, nil, siamese.PairOptions{}, err
	}
	loss, err := f.lossByName()
	if err != nil {
		return cfg, nil, siamese.PairOptions{}, err
	}
	pairs, err := f.pairOptions()
	if err != nil {
		return cfg, nil, siamese.PairOptions{}, err
	}
	return cfg, loss, pairs, nil
}

// pairOptions is the pair generation the flags ask for.
func (f *trainFlags) pairOptions() (siamese.PairOptions, error) {
	s := siamese.PairStrategy(strings.ToLower(f.pairStrategy))
	switch s {
	case siamese.PairOversampling, siamese.PairUndersampling, siamese.PairUnique:
	default:
		return siamese.PairOptions{}, usageError{fmt.Errorf("--pair-strategy %q: want oversampling, undersampling or unique", f.pairStrategy)}
	}
	if f.iterations < 0 {
		return siamese.PairOptions{}, usageError{fmt.Errorf("--num-iterations %d: must be >= 0", f.iterations)}
	}
	return siamese.PairOptions{Strategy: s, NumIterations: f.iterations, Seed: f.seed}, nil
}

// lossByName builds the --loss.
func (f *trainFlags) lossByName() (siamese.Loss, error) {
	l, err := siamese.LossByName(strings.ToLower(f.loss), siamese.LossOptions{Margin: f.margin, Scale: f.scale})
	if err != nil {
		return nil, usageError{fmt.Errorf("--loss: %w", err)}
	}
	return l, nil
}

// loadModel loads --model, or with --resume and no --model the model the checkpoint's run started
// from (the embedded default model when that run named none).
func (f *trainFlags) loadModel(cmd *cobra.Command) (*model.Model, error) {
	if f.model == "" && f.resume != "" {
		dir, _, err := siamese.LatestCheckpoint(f.resume)
		if err != nil {
			return nil, fmt.Errorf("--resume: %w", err)
		}
		st, err := siamese.ReadTrainerState(dir)
		if err != nil {
			return nil, fmt.Errorf("--resume: %w", err)
		}
		f.model = st.BaseModel // "" for a run that started from the default model
	}
	return f.load(commandContext(cmd), cmd.ErrOrStderr())
}

// trainSummary is the JSON line fewshot train prints when it finishes.
type trainSummary struct {
	Out         string             `json:"out"`
	Steps       int                `json:"steps"`
	TotalSteps  int                `json:"total_steps"`
	Epochs      float64            `json:"epochs"`
	Loss        float64            `json:"loss"`
	Stop        string             `json:"stop"`
	BestMetric  *float64           `json:"best_metric,omitempty"`
	BestStep    int                `json:"best_step,omitempty"`
	Eval        map[string]float64 `json:"eval,omitempty"`
	Checkpoint  string             `json:"checkpoint,omitempty"`
	ResumedFrom string             `json:"resumed_from,omitempty"`
	Rows        int                `json:"rows"`
	Head        string             `json:"head,omitempty"`
	ModelID     string             `json:"model_id,omitempty"`
	Accuracy    *float64           `json:"eval_accuracy,omitempty"`
}

func summarize(res *siamese.TrainResult, rows int) trainSummary {
	s := trainSummary{Out: res.OutDir, Steps: res.Steps, TotalSteps: res.TotalSteps, Epochs: res.Epochs, Loss: res.Loss,
		Stop: string(res.Stop), Eval: res.Eval, Checkpoint: res.LastCheckpoint, ResumedFrom: res.ResumedFrom, Rows: rows}
	if res.BestStep > 0 {
		v := res.BestMetric
		s.BestMetric, s.BestStep = &v, res.BestStep
	}
	return s
}

// trainCmdFlags are fewshot train's own flags.
type trainCmdFlags struct {
	trainFlags
	dataKind     string
	scoreRange   string
	tripletsPer  int
	evalFile     string
	evalSplit    string
	evalMetric   string
	evalEvery    int
	evalWay      int
	evalShot     int
	evalQuery    int
	evalEpisodes int
	patience     int
	noDropout    bool
	batchOrder   string
}

func newTrainCmd() *cobra.Command {
	f := &trainCmdFlags{}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Fine-tune a sentence-transformers model as a Siamese network (and SetFit with train setfit)",
		Long: `Fine-tune a model on pairs, triplets or labelled texts with a contrastive or triplet loss:
AdamW (weight decay 0.01, none on biases and LayerNorm weights), linear warm-up then linear decay,
gradient clipping and accumulation. The --out folder ends up a sentence-transformers model folder (the
final model) with metrics.jsonl (one JSON record per --log-every steps and per evaluation),
checkpoints/ (every --save-every steps, the newest --keep kept; each written to a temporary folder and
renamed, with a manifest of checksums written last) and, with --eval, best/ (the best evaluated model).
Ctrl-C (or SIGTERM) saves a checkpoint and stops; --resume OUT continues bit-for-bit on the CPU.

Losses (--loss):
` + siamese.LossHelp() + `
Data (--data): scored pairs (sentence1, sentence2, score; --score-range 0,5 maps STS-B's 0-5 onto 0-1),
0/1-labelled pairs, triplets (anchor, positive, negative), or labelled texts (text, label) from which
pairs (SetFit's strategies, --pair-strategy / --num-iterations), triplets, or class-labelled batches
(batch-* losses, --samples-per-label per label per batch) are drawn. Batches are shuffled, grouped by
label for the batch-* losses, and without duplicate texts for mnrl.

Precision: on the CPU training runs in float32, its linear layers through oneDNN (forward and backward;
--cpu-mode plain keeps libtorch's BLAS path, same results to float rounding). On CUDA, --precision
bfloat16 or float16 loads and trains the model in that type (no float32 master weights, no loss
scaling; the loss is computed in float32); float16 may overflow, bfloat16 is the safer choice.
Resuming is bit-exact on the CPU only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, f) },
	}
	addTrainFlags(cmd, &f.trainFlags, 500)
	fl := cmd.Flags()
	fl.StringVar(&f.loss, "loss", "cosine", "loss: "+strings.Join(siamese.LossNames(), ", "))
	fl.StringVar(&f.dataKind, "data-kind", "auto", "what --data holds: auto, pairs, triplets or texts")
	fl.StringVar(&f.scoreRange, "score-range", "", "LO,HI range of the pair scores, mapped onto [0, 1] (e.g. 0,5 for STS-B; the stsb and sick formats are mapped by default)")
	fl.IntVar(&f.tripletsPer, "triplets-per-anchor", 1, "triplets drawn per labelled text for triplet losses")
	fl.StringVar(&f.evalFile, "eval", "", "evaluation data: scored pairs (STS Spearman), labelled texts (episode accuracy) or training-like rows (mean loss)")
	fl.StringVar(&f.evalSplit, "eval-split", "", "split of --eval in a multi-split source")
	fl.StringVar(&f.evalMetric, "eval-metric", "auto", "sts, episodes or loss (auto: sts for pairs, episodes for labelled texts, loss otherwise)")
	fl.IntVar(&f.evalEvery, "eval-every", 0, "evaluate every N steps (0: only at the end)")
	fl.IntVar(&f.evalWay, "eval-way", 0, "classes per evaluation episode (0: min(5, classes))")
	fl.IntVar(&f.evalShot, "eval-shot", 5, "support examples per class in evaluation episodes")
	fl.IntVar(&f.evalQuery, "eval-query", 5, "query examples per class in evaluation episodes")
	fl.IntVar(&f.evalEpisodes, "eval-episodes", 100, "evaluation episodes")
	fl.IntVar(&f.patience, "patience", 0, "stop after N evaluations without improvement (0: never)")
	fl.BoolVar(&f.noDropout, "no-dropout", false, "train without dropout")
	fl.StringVar(&f.batchOrder, "batch-order", "", "shuffle, group-by-label or no-duplicates (default: what the loss needs)")
	cmd.AddCommand(newTrainSetFitCmd())
	return cmd
}

func runTrain(cmd *cobra.Command, f *trainCmdFlags) error {
	cfg, loss, pairs, err := f.setup(cmd)
	if err != nil {
		return err
	}
	if f.tripletsPer < 1 {
		return usageError{fmt.Errorf("--triplets-per-anchor %d: must be at least 1", f.tripletsPer)}
	}
	opt := siamese.DataOptions{Kind: siamese.DataKind(strings.ToLower(f.dataKind)), Read: f.data.options(f.data.split), Pairs: pairs,
		Triplets: siamese.TripletOptions{PerAnchor: f.tripletsPer, Seed: f.seed}}
	switch opt.Kind {
	case siamese.DataAuto, siamese.DataPairs, siamese.DataTriplets, siamese.DataTexts:
	default:
		return usageError{fmt.Errorf("--data-kind %q: want auto, pairs, triplets or texts", f.dataKind)}
	}
	if f.scoreRange != "" {
		if opt.ScoreLo, opt.ScoreHi, err = parseScoreRange(f.scoreRange); err != nil {
			return usageError{fmt.Errorf("--score-range: %w", err)}
		}
	}
	switch siamese.BatchOrder(f.batchOrder) {
	case "", siamese.OrderShuffle, siamese.OrderGroupByLabel, siamese.OrderNoDuplicates:
		cfg.Order = siamese.BatchOrder(f.batchOrder)
	default:
		return usageError{fmt.Errorf("--batch-order %q: want shuffle, group-by-label or no-duplicates", f.batchOrder)}
	}
	cfg.DisableDropout = f.noDropout
	data, err := siamese.LoadTrainData(f.dataFile, loss, opt)
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	if f.evalEvery < 0 || f.patience < 0 {
		return usageError{errors.New("--eval-every and --patience must be >= 0")}
	}
	if f.evalFile == "" && (f.evalEvery > 0 || f.patience > 0) {
		return usageError{errors.New("--eval-every and --patience need --eval FILE")}
	}
	if f.evalFile != "" {
		evOpt := opt
		evOpt.Read = f.data.options(f.evalSplit)
		if cfg.Evaluator, err = f.evaluator(loss, evOpt); err != nil {
			return err
		}
		cfg.EvalEvery, cfg.Patience = f.evalEvery, f.patience
	}
	m, err := f.loadModel(cmd)
	if err != nil {
		return err
	}
	defer m.Close()
	cfg.BaseModel = f.model
	res, err := siamese.Train(commandContext(cmd), m, loss, data, cfg)
	if err != nil {
		return err
	}
	return newJSONEncoder(cmd.OutOrStdout()).Encode(summarize(res, len(data.Rows)))
}

// evaluator builds the --eval evaluator.
func (f *trainCmdFlags) evaluator(loss siamese.Loss, opt siamese.DataOptions) (siamese.Evaluator, error) {
	metric := strings.ToLower(f.evalMetric)
	var readErrs []string
	if metric == "auto" || metric == "sts" {
		pairs, err := dataset.ReadPairs(f.evalFile, opt.Read)
		if err == nil {
			lo, hi := opt.ScoreLo, opt.ScoreHi
			if !(hi > lo) {
				if fm, _ := dataset.DetectFormat(f.evalFile); fm == "stsb" || opt.Read.Format == "stsb" {
					lo, hi = 0, 5
				} else if fm == "sick" || opt.Read.Format == "sick" {
					lo, hi = 1, 5
				}
			}
			if hi > lo {
				if err := dataset.NormalizeScores(pairs, lo, hi); err != nil {
					return nil, fmt.Errorf("--eval: %w", err)
				}
			}
			return &siamese.STSEvaluator{Pairs: pairs}, nil
		}
		if metric == "sts" {
			return nil, fmt.Errorf("--eval (sts): %w", err)
		}
		readErrs = append(readErrs, "as pairs: "+err.Error())
	}
	if metric == "auto" || metric == "episodes" {
		ex, err := dataset.ReadExamples(f.evalFile, opt.Read)
		if err == nil {
			return f.episodeEvaluator(ex)
		}
		if metric == "episodes" {
			return nil, fmt.Errorf("--eval (episodes): %w", err)
		}
		readErrs = append(readErrs, "as labelled texts: "+err.Error())
	}
	if metric == "auto" || metric == "loss" {
		d, err := siamese.LoadTrainData(f.evalFile, loss, opt)
		if err == nil {
			return &siamese.LossEvaluator{Data: d, Loss: loss, BatchSize: f.batchSize}, nil
		}
		if metric == "loss" {
			return nil, fmt.Errorf("--eval (loss): %w", err)
		}
		readErrs = append(readErrs, "as training rows: "+err.Error())
	}
	if len(readErrs) == 0 {
		return nil, usageError{fmt.Errorf("--eval-metric %q: want auto, sts, episodes or loss", f.evalMetric)}
	}
	return nil, fmt.Errorf("--eval %s: cannot read it (%s)", f.evalFile, strings.Join(readErrs, "; "))
}

// episodeEvaluator builds episodic evaluation on labelled texts.
func (f *trainCmdFlags) episodeEvaluator(ex []dataset.Example) (siamese.Evaluator, error) {
	if f.evalShot < 1 || f.evalQuery < 1 || f.evalEpisodes < 1 || f.evalWay < 0 {
		return nil, usageError{errors.New("--eval-shot, --eval-query and --eval-episodes must be at least 1, --eval-way >= 0")}
	}
	counts := dataset.CountLabels(ex)
	eligible := 0
	for _, n := range counts {
		if n >= f.evalShot+f.evalQuery {
			eligible++
		}
	}
	way := f.evalWay
	if way == 0 {
		way = min(5, eligible)
	}
	if way < 2 || eligible < way {
		return nil, fmt.Errorf("--eval %s: episodes need %d classes with at least --eval-shot + --eval-query = %d examples; %d of %d classes have that",
			f.evalFile, max(way, 2), f.evalShot+f.evalQuery, eligible, len(counts))
	}
	texts, labels := textsAndLabels(ex)
	return &siamese.EpisodeEvaluator{Texts: texts, Labels: labels,
		Config: eval.EpisodeConfig{Way: way, Shot: f.evalShot, Query: f.evalQuery, Episodes: f.evalEpisodes, Seed: f.seed}}, nil
}

// setfitFlags are fewshot train setfit's own flags.
type setfitFlags struct {
	trainFlags
	shots    int
	head     headFlags
	evalFile string
}

func newTrainSetFitCmd() *cobra.Command {
	f := &setfitFlags{}
	cmd := &cobra.Command{
		Use:   "setfit",
		Short: "SetFit: fine-tune the body contrastively on pairs of labelled texts, then fit a classification head",
		Long: `SetFit (Tunstall et al. 2022) on labelled texts (--data, text and label columns):
1. draw pairs (same label 1, different labels 0; --pair-strategy, or --num-iterations R positive and R
   negative pairs per text as in the SetFit paper) and fine-tune the model on them with --loss
   (CosineSimilarityLoss by default; SetFit's defaults: 1 epoch, batch 16, lr 2e-5, seed 42);
2. fit the head (--method logreg, SetFit's default, or prototype) on the fine-tuned embeddings of the
   original texts.
--out receives the fine-tuned model (a sentence-transformers folder) and the head as fewshot_head.json,
which fewshot classify --classifier reads. --shots N first samples N texts per label (seeded).
With --eval FILE (labelled texts) the head's accuracy on it is reported.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSetFit(cmd, f) },
	}
	addTrainFlags(cmd, &f.trainFlags, 0)
	addHeadFlags(cmd, &f.head, false)
	fl := cmd.Flags()
	fl.Lookup("method").DefValue = "logreg"
	_ = fl.Set("method", "logreg")
	fl.StringVar(&f.loss, "loss", "cosine", "body loss: cosine (SetFit's default), contrastive, online-contrastive, batch-hard, batch-semi-hard or batch-all")
	fl.IntVar(&f.shots, "shots", 0, "sample this many texts per label first (0: use all)")
	fl.StringVar(&f.evalFile, "eval", "", "labelled texts to report the trained classifier's accuracy on")
	return cmd
}

func runSetFit(cmd *cobra.Command, f *setfitFlags) error {
	cfg, loss, pairs, err := f.setup(cmd)
	if err != nil {
		return err
	}
	if f.shots < 0 {
		return usageError{fmt.Errorf("--shots %d: must be >= 0", f.shots)}
	}
	heads, err := f.head.heads(false)
	if err != nil {
		return err
	}
	if heads[0].name == "knn" {
		return usageError{errors.New("--method knn: SetFit heads are logreg or prototype")}
	}
	examples, err := readLabelled("data", f.dataFile, f.data.options(f.data.split))
	if err != nil {
		return err
	}
	var evalEx []dataset.Example
	if f.evalFile != "" {
		if evalEx, err = readLabelled("eval", f.evalFile, f.data.options("")); err != nil {
			return err
		}
	}
	m, err := f.loadModel(cmd)
	if err != nil {
		return err
	}
	defer m.Close()
	cfg.BaseModel = f.model
	ctx := commandContext(cmd)
	res, err := siamese.TrainSetFit(ctx, m, examples, siamese.SetFitConfig{Train: cfg, Shots: f.shots, Pairs: pairs, Loss: loss, Head: heads[0].make()})
	if err != nil {
		return err
	}
	s := summarize(res.Train, res.Rows)
	s.Head, s.ModelID = res.HeadPath, res.ModelID
	if len(evalEx) > 0 {
		acc, err := headAccuracy(cmd, m, res.Head, evalEx)
		if err != nil {
			return err
		}
		s.Accuracy = &acc
	}
	return newJSONEncoder(cmd.OutOrStdout()).Encode(s)
}

// headAccuracy scores the fitted head on labelled texts.
func headAccuracy(cmd *cobra.Command, m *model.Model, head classify.Classifier, ex []dataset.Example) (float64, error) {
	texts, gold := textsAndLabels(ex)
	preds, err := classify.PredictTexts(commandContext(cmd), m, head, texts)
	if err != nil {
		return 0, fmt.Errorf("--eval: %w", err)
	}
	pred := make([]string, len(preds))
	for i, p := range preds {
		pred[i] = p.Label
	}
	acc, err := eval.Accuracy(gold, pred)
	if err != nil {
		return 0, fmt.Errorf("--eval: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "accuracy on %d texts of --eval: %.4f\n", len(ex), acc)
	return acc, nil
}

// parseScoreRange parses "LO,HI" (e.g. "0,5").
func parseScoreRange(s string) (lo, hi float64, err error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, fmt.Errorf("score range %q: want LO,HI such as 0,5", s)
	}
	if lo, err = strconv.ParseFloat(strings.TrimSpace(a), 64); err != nil {
		return 0, 0, fmt.Errorf("score range %q: %w", s, err)
	}
	if hi, err = strconv.ParseFloat(strings.TrimSpace(b), 64); err != nil {
		return 0, 0, fmt.Errorf("score range %q: %w", s, err)
	}
	if !(hi > lo) {
		return 0, 0, fmt.Errorf("score range %q: HI must exceed LO", s)
	}
	return lo, hi, nil
}
