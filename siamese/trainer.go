package siamese

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/fewshot-go/fewshot/internal/fsutil"
	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/siamese/augment"
	"github.com/fewshot-go/fewshot/torch"
)

// goRNGStream is the second PCG seed word of the trainer's Go generator.
const goRNGStream = 0x853c49e6748fea9b

// trainer is the state of one Train call.
type trainer struct {
	cfg     TrainConfig
	m       *model.Model
	loss    Loss
	data    TrainData
	order   BatchOrder
	labels  []string // class names per row, for group-by-label batches
	texts   [][]string
	params  []*torch.Tensor
	opt     *torch.AdamW
	sched   LinearSchedule
	st      TrainerState
	pcg     *rand.PCG
	rng     *rand.Rand
	dev     torch.Device
	ckpt    checkpointWriter
	metrics *os.File
	logw    io.Writer
	bar     *progressbar.ProgressBar
	res     *TrainResult

	epochCache     int
	epochBatches   [][]int
	winLoss        float64
	winSteps       int
	winRows        int
	winTime        time.Duration
	lastCkptStep   int
	earlyStop      bool
	interruptedErr error
}

// Train fine-tunes m on data with loss: AdamW with a linear warm-up/decay schedule, gradient clipping
// and accumulation, periodic evaluation and checkpoints, and at the end the final model saved into
// cfg.OutDir as a sentence-transformers folder. It is reproducible on the CPU: the same seed, data
// and settings give the same weights, also across an interruption and Resume.
//
// When ctx is cancelled, Train finishes the current optimizer step, saves a checkpoint and returns
// the result with an error wrapping ctx.Err(). A NaN or infinite loss stops it with an error wrapping
// ErrNonFiniteLoss that names the step; the last checkpoint written before stays valid.
//
// On the CPU training runs in float32. On CUDA the model may be loaded in bfloat16 or float16 (pure
// low-precision training: no float32 master weights and no loss scaling; the loss is computed in
// float32).
func Train(ctx context.Context, m *model.Model, loss Loss, data TrainData, cfg TrainConfig) (*TrainResult, error) {
	if m == nil || loss == nil {
		return nil, errors.New("train: nil model or loss")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err = data.check(loss); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	t := &trainer{cfg: cfg, m: m, loss: loss, data: data, dev: m.Device(), epochCache: -1, logw: cfg.Log}
	if t.logw == nil {
		t.logw = io.Discard
	}
	t.st = TrainerState{Seed: cfg.Seed, DataSeed: cfg.Seed, BaseModel: cfg.BaseModel, Loss: loss.Name(),
		Rows: len(data.Rows), BatchSize: cfg.BatchSize, GradAccum: cfg.GradAccum, LR: cfg.LR}
	t.order = cfg.Order
	if t.order == "" {
		t.order = DefaultBatchOrder(loss)
	}
	if err := t.prepareBatching(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := t.prepareOut(); err != nil {
		return nil, err
	}
	t.ckpt = checkpointWriter{root: filepath.Join(cfg.OutDir, checkpointsDir), failAt: cfg.failWrite}
	removeStaleTemps(t.ckpt.root)
	removeStaleTemps(cfg.OutDir)

	for _, p := range m.Parameters() {
		t.params = append(t.params, p.Tensor)
	}
	if len(t.params) == 0 {
		return nil, errors.New("train: the model has no parameters")
	}
	if err := m.SetTrainable(true); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer m.SetTrainable(false)
	if t.opt, err = torch.NewAdamW(m.ParamGroups(cfg.WeightDecay), torch.DefaultAdamW(cfg.LR)); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer t.opt.Close()

	total := cfg.MaxSteps
	if total == 0 {
		if total, err = t.countSteps(); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	t.st.TotalSteps = total
	t.pcg = rand.NewPCG(cfg.Seed, goRNGStream)
	t.rng = rand.New(t.pcg)
	t.res = &TrainResult{OutDir: cfg.OutDir, TotalSteps: total}
	if cfg.Resume != "" {
		if err := t.resume(); err != nil {
			return nil, err
		}
	} else if err := torch.ManualSeed(cfg.Seed); err != nil {
		return nil, fmt.Errorf("train: seed: %w", err)
	}
	if t.sched, err = NewLinearSchedule(cfg.LR, t.st.TotalSteps, cfg.WarmupRatio); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := t.openMetrics(); err != nil {
		return nil, err
	}
	defer t.metrics.Close()
	if cfg.Progress != nil {
		t.bar = progressbar.NewOptions(t.st.TotalSteps, progressbar.OptionSetWriter(cfg.Progress),
			progressbar.OptionSetDescription("train"), progressbar.OptionShowCount(), progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(cfg.Progress) }))
		_ = t.bar.Set(t.st.Step)
	}

	if err := t.loop(ctx); err != nil {
		t.res.Steps, t.res.Epochs = t.st.Step, t.epochPos()
		return t.res, err
	}
	return t.finish(ctx)
}

// prepareOut creates the output folder; a fresh run needs it empty or absent.
func (t *trainer) prepareOut() error {
	out := t.cfg.OutDir
	fi, err := os.Stat(out)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("train: output folder %s is a file", out)
	case err == nil && t.cfg.Resume == "":
		entries, rerr := os.ReadDir(out)
		if rerr != nil {
			return fmt.Errorf("train: output folder %s: %w", out, rerr)
		}
		if len(entries) > 0 {
			return fmt.Errorf("train: output folder %s is not empty (resume a run in it with --resume %s, or choose another folder)", out, out)
		}
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("train: output folder %s: %w", out, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("train: create output folder: %w", err)
	}
	probe := filepath.Join(out, ".write-test")
	if err := os.WriteFile(probe, nil, 0o644); err != nil {
		return fmt.Errorf("train: output folder %s is not writable: %w", out, err)
	}
	os.Remove(probe)
	return nil
}

// resume restores weights, optimizer, schedule position and random state from a checkpoint.
func (t *trainer) resume() error {
	dir, skipped, err := LatestCheckpoint(t.cfg.Resume)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	for _, s := range skipped {
		t.logf("skipping %s\n", s)
	}
	st, rng, err := readCheckpointState(dir)
	if err != nil {
		return fmt.Errorf("train: resume %s: %w", dir, err)
	}
	switch {
	case st.Rows != len(t.data.Rows):
		return fmt.Errorf("train: resume %s: the checkpoint was trained on %d rows, the data has %d", dir, st.Rows, len(t.data.Rows))
	case st.BatchSize != t.cfg.BatchSize || st.GradAccum != t.cfg.GradAccum:
		return fmt.Errorf("train: resume %s: the checkpoint used batch size %d and gradient accumulation %d, this run %d and %d", dir, st.BatchSize, st.GradAccum, t.cfg.BatchSize, t.cfg.GradAccum)
	case st.Loss != t.loss.Name():
		return fmt.Errorf("train: resume %s: the checkpoint was trained with loss %s, this run uses %s", dir, st.Loss, t.loss.Name())
	}
	if st.Seed != t.cfg.Seed {
		t.logf("resume: continuing with the checkpoint's seed %d (not %d)\n", st.Seed, t.cfg.Seed)
	}
	if st.LR != t.cfg.LR {
		t.logf("resume: learning rate changed from %g to %g\n", st.LR, t.cfg.LR)
	}
	if st.TotalSteps != t.st.TotalSteps {
		t.logf("resume: schedule length changed from %d to %d steps\n", st.TotalSteps, t.st.TotalSteps)
		st.TotalSteps = t.st.TotalSteps
	}
	if st.Step >= st.TotalSteps {
		return fmt.Errorf("train: resume %s: the checkpoint is at step %d, the run has %d steps: nothing left to train", dir, st.Step, st.TotalSteps)
	}
	if err := loadCheckpointWeights(dir, t.m); err != nil {
		return fmt.Errorf("train: resume %s: %w", dir, err)
	}
	if err := readOptimizer(filepath.Join(dir, optimizerName), t.opt, t.dev); err != nil {
		return fmt.Errorf("train: resume %s: %w", dir, err)
	}
	if err := torch.SetRNGState(rng); err != nil {
		return fmt.Errorf("train: resume %s: torch RNG state: %w", dir, err)
	}
	if err := t.pcg.UnmarshalBinary(st.GoRNG); err != nil {
		return fmt.Errorf("train: resume %s: Go RNG state: %w", dir, err)
	}
	st.LR, st.BaseModel = t.cfg.LR, cmpOr(t.cfg.BaseModel, st.BaseModel)
	t.st = st
	t.epochCache = -1
	t.lastCkptStep = st.Step
	t.res.ResumedFrom, t.res.LastCheckpoint, t.res.TotalSteps = dir, dir, st.TotalSteps
	if st.BestMetric != nil {
		t.res.BestMetric, t.res.BestStep = *st.BestMetric, st.BestStep
	}
	t.logf("resumed from %s at step %d (epoch %d, batch %d)\n", dir, st.Step, st.Epoch+1, st.BatchInEpoch)
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// epochPos is the fractional epoch of the trainer's position.
func (t *trainer) epochPos() float64 {
	b, err := t.batches(t.st.Epoch)
	if err != nil || len(b) == 0 {
		return float64(t.st.Epoch)
	}
	return float64(t.st.Epoch) + float64(t.st.BatchInEpoch)/float64(len(b))
}

// loop runs optimizer steps until the schedule ends, early stopping, an interruption or an error.
func (t *trainer) loop(ctx context.Context) error {
	for t.st.Step < t.st.TotalSteps && !t.earlyStop {
		if err := ctx.Err(); err != nil {
			return t.interrupt(err)
		}
		batches, err := t.batches(t.st.Epoch)
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		if t.st.BatchInEpoch >= len(batches) {
			t.st.Epoch++
			t.st.BatchInEpoch = 0
			continue
		}
		group := batches[t.st.BatchInEpoch:min(t.st.BatchInEpoch+t.cfg.GradAccum, len(batches))]
		start := time.Now()
		lossv, gnorm, lr, rows, err := t.step(group)
		if err != nil {
			if errors.Is(err, ErrNonFiniteLoss) {
				t.res.Stop = StopNonFinite
				last := "no checkpoint was written"
				if t.res.LastCheckpoint != "" {
					last = fmt.Sprintf("the last good checkpoint is %s (step %d)", t.res.LastCheckpoint, t.lastCkptStep)
				}
				return fmt.Errorf("train: step %d: %w; training stopped, %s", t.st.Step+1, err, last)
			}
			return fmt.Errorf("train: step %d: %w", t.st.Step+1, err)
		}
		t.winTime += time.Since(start)
		t.st.Step++
		t.st.BatchInEpoch += len(group)
		if t.st.BatchInEpoch >= len(batches) {
			t.st.Epoch++
			t.st.BatchInEpoch = 0
		}
		t.st.Examples += int64(rows)
		t.winLoss += lossv
		t.winSteps++
		t.winRows += rows
		if t.cfg.LogEvery > 0 && (t.st.Step%t.cfg.LogEvery == 0 || t.st.Step == t.st.TotalSteps) {
			if err := t.logWindow(lr, gnorm); err != nil {
				return err
			}
		}
		if t.bar != nil {
			t.bar.Describe(fmt.Sprintf("loss %.4f, %.1f ex/s", lossv, float64(rows)/time.Since(start).Seconds()))
			_ = t.bar.Set(t.st.Step)
		}
		if t.cfg.Evaluator != nil && t.cfg.EvalEvery > 0 && t.st.Step%t.cfg.EvalEvery == 0 {
			if err := t.evaluate(ctx); err != nil {
				if ctx.Err() != nil {
					return t.interrupt(ctx.Err())
				}
				return err
			}
		}
		if t.cfg.SaveEvery > 0 && t.st.Step%t.cfg.SaveEvery == 0 {
			if err := t.saveCheckpoint(); err != nil {
				return err
			}
		}
		if t.cfg.OnStep != nil {
			t.cfg.OnStep(t.st.Step)
		}
	}
	return nil
}

// interrupt saves a checkpoint of the last completed step and returns the error to report.
func (t *trainer) interrupt(cause error) error {
	t.res.Stop = StopInterrupted
	if t.st.Step == 0 {
		return fmt.Errorf("train: interrupted before the first step, nothing saved: %w", cause)
	}
	if t.winSteps > 0 {
		_ = t.logWindow(t.sched.LR(t.st.Step-1), math.NaN())
	}
	if err := t.saveCheckpoint(); err != nil {
		return fmt.Errorf("train: interrupted at step %d, and the checkpoint failed: %w (%w)", t.st.Step, err, cause)
	}
	return fmt.Errorf("train: interrupted at step %d; checkpoint saved in %s; continue with --resume %s: %w", t.st.Step, t.res.LastCheckpoint, t.cfg.OutDir, cause)
}

// step runs one optimizer step over the micro-batches of group and returns the mean loss, the
// gradient norm before clipping, the learning rate used and the number of rows.
func (t *trainer) step(group [][]int) (lossv, gnorm, lr float64, rows int, err error) {
	for i, idx := range group {
		v, err := t.microBatch(idx, len(group))
		if err != nil {
			_ = t.opt.ZeroGrad()
			if errors.Is(err, ErrNonFiniteLoss) {
				return 0, 0, 0, 0, fmt.Errorf("micro-batch %d of %d: %w", i+1, len(group), err)
			}
			return 0, 0, 0, 0, err
		}
		lossv += v / float64(len(group))
		rows += len(idx)
	}
	maxNorm := t.cfg.MaxGradNorm
	if maxNorm <= 0 {
		maxNorm = math.Inf(1) // no clipping, but the norm is still measured
	}
	if gnorm, err = torch.ClipGradNorm(t.params, maxNorm); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("clip gradients: %w", err)
	}
	if math.IsNaN(gnorm) || math.IsInf(gnorm, 0) {
		_ = t.opt.ZeroGrad()
		return 0, 0, 0, 0, fmt.Errorf("%w: the gradient norm is %v", ErrNonFiniteLoss, gnorm)
	}
	lr = t.sched.LR(t.st.Step)
	t.opt.Config.LR = lr
	if err := t.opt.Step(); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("optimizer: %w", err)
	}
	if err := t.opt.ZeroGrad(); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("optimizer: %w", err)
	}
	return lossv, gnorm, lr, rows, nil
}

// microBatch runs forward and backward on one micro-batch, the loss divided by parts.
func (t *trainer) microBatch(idx []int, parts int) (float64, error) {
	s := torch.NewScope()
	defer s.Close()
	l, err := forwardLoss(s, t.m, t.loss, t.data, idx, !t.cfg.DisableDropout, t.cfg.TextAugmenter, t.cfg.TokenAugmenter, t.rng)
	if err != nil {
		return 0, err
	}
	v, err := l.Item()
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: the loss is %v", ErrNonFiniteLoss, v)
	}
	scaled := l
	if parts > 1 {
		scaled = s.DivScalar(l, float64(parts))
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	if err := scaled.Backward(); err != nil {
		return 0, fmt.Errorf("backward: %w", err)
	}
	return v, nil
}

// forwardLoss embeds each text column of the rows idx (augmented when augmenters are given) and
// returns the loss tensor, made through s.
func forwardLoss(s *torch.Scope, m *model.Model, loss Loss, data TrainData, idx []int, train bool,
	textAug augment.Augmenter, tokAug augment.TokenAugmenter, rng *rand.Rand) (*torch.Tensor, error) {
	cols := data.Columns()
	dev := m.Device()
	embs := make([]*torch.Tensor, cols)
	for c := 0; c < cols; c++ {
		texts := make([]string, len(idx))
		for i, r := range idx {
			texts[i] = data.Rows[r].Texts[c]
			if textAug != nil {
				texts[i] = textAug.Augment(texts[i], rng)
			}
		}
		encs, err := m.Tokenizer.EncodeBatch(texts, 0)
		if err != nil {
			return nil, fmt.Errorf("tokenize: %w", err)
		}
		if tokAug != nil {
			for i := range encs {
				ids, mask, err := tokAug.AugmentTokens(encs[i].IDs, encs[i].Mask, rng)
				if err != nil {
					return nil, fmt.Errorf("augment tokens: %w", err)
				}
				encs[i].IDs, encs[i].Mask = ids, mask
			}
		}
		emb := s.Track(m.Forward(model.BatchFromEncodings(encs, m.Tokenizer.PadID()), train))
		if emb == nil {
			return nil, fmt.Errorf("forward: %w", s.Err())
		}
		if dt, err := emb.DType(); err == nil && dt != torch.Float32 {
			emb = s.To(emb, torch.Float32, dev)
		}
		embs[c] = emb
	}
	var labels *torch.Tensor
	switch loss.Labels() {
	case LabelsScore:
		v := make([]float32, len(idx))
		for i, r := range idx {
			v[i] = data.Rows[r].Score
		}
		labels = s.Track(torch.FromSliceOn(dev, v, int64(len(v))))
	case LabelsClass:
		v := make([]int64, len(idx))
		for i, r := range idx {
			v[i] = data.Rows[r].Class
		}
		labels = s.Track(torch.FromSliceOn(dev, v, int64(len(v))))
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	l := loss.Forward(s, embs, labels)
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("loss %s: %w", loss.Name(), err)
	}
	if l == nil {
		return nil, fmt.Errorf("loss %s returned no tensor", loss.Name())
	}
	return l, nil
}

// saveCheckpoint writes a checkpoint of the current step (unless one exists) and rotates old ones.
func (t *trainer) saveCheckpoint() error {
	if t.st.Step == t.lastCkptStep && t.res.LastCheckpoint != "" {
		return nil
	}
	gorng, err := t.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	t.st.GoRNG = gorng
	trng, err := torch.RNGState()
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	dir, err := t.ckpt.write(t.m, t.opt, t.st, trng)
	if err != nil {
		prev := "no earlier checkpoint"
		if t.res.LastCheckpoint != "" {
			prev = "the previous checkpoint " + t.res.LastCheckpoint + " is intact"
		}
		return fmt.Errorf("train: %w; %s", err, prev)
	}
	t.res.LastCheckpoint, t.lastCkptStep = dir, t.st.Step
	t.logf("saved checkpoint %s\n", dir)
	if err := rotateCheckpoints(t.ckpt.root, t.cfg.Keep); err != nil {
		t.logf("warning: %v\n", err)
	}
	return nil
}

// evaluate runs the evaluator, logs the result, keeps the best model in OutDir/best and decides on
// early stopping.
func (t *trainer) evaluate(ctx context.Context) error {
	ev := t.cfg.Evaluator
	vals, err := ev.Evaluate(ctx, t.m)
	if err != nil {
		return fmt.Errorf("train: evaluate at step %d: %w", t.st.Step, err)
	}
	v, ok := vals[ev.Metric()]
	if !ok {
		return fmt.Errorf("train: evaluator gave no %s", ev.Metric())
	}
	t.st.LastEvalStep = t.st.Step
	t.res.Eval = vals
	better := t.st.BestMetric == nil || (ev.HigherIsBetter() && v > *t.st.BestMetric) || (!ev.HigherIsBetter() && v < *t.st.BestMetric)
	rec := map[string]any{"step": t.st.Step, "epoch": round6(t.epochPos())}
	for k, x := range vals {
		rec["eval_"+k] = x
	}
	rec["best"] = better
	if better {
		t.st.BestMetric, t.st.BestStep, t.st.EvalsSinceBest = &v, t.st.Step, 0
		t.res.BestMetric, t.res.BestStep = v, t.st.Step
		info, _ := json.Marshal(map[string]any{"step": t.st.Step, "metric": ev.Metric(), "value": v})
		if err := t.m.Save(filepath.Join(t.cfg.OutDir, "best"), map[string][]byte{"best.json": info}); err != nil {
			return fmt.Errorf("train: save best model: %w", err)
		}
	} else {
		t.st.EvalsSinceBest++
	}
	if err := t.writeRecord(rec); err != nil {
		return err
	}
	t.logf("step %d: %s %.6g (best %.6g at step %d)\n", t.st.Step, ev.Metric(), v, *t.st.BestMetric, t.st.BestStep)
	if t.cfg.Patience > 0 && t.st.EvalsSinceBest >= t.cfg.Patience {
		t.logf("early stopping: no improvement in %d evaluations\n", t.st.EvalsSinceBest)
		t.earlyStop = true
	}
	return nil
}

// finish runs the last evaluation and checkpoint, saves the final model and embeds the probe texts.
func (t *trainer) finish(ctx context.Context) (*TrainResult, error) {
	res := t.res
	res.Steps = t.st.Step
	res.Stop = StopCompleted
	if t.earlyStop {
		res.Stop = StopEarlyStopping
	}
	if t.cfg.Evaluator != nil && t.st.LastEvalStep != t.st.Step {
		if err := t.evaluate(ctx); err != nil {
			if ctx.Err() != nil {
				return res, t.interrupt(ctx.Err())
			}
			return res, err
		}
	}
	if t.cfg.SaveEvery > 0 {
		if err := t.saveCheckpoint(); err != nil {
			return res, err
		}
	}
	if t.bar != nil {
		_ = t.bar.Finish()
	}
	res.Epochs = t.epochPos()
	if err := t.metrics.Sync(); err != nil {
		return res, fmt.Errorf("train: metrics log: %w", err)
	}
	if err := saveModelInto(t.m, t.cfg.OutDir); err != nil {
		return res, fmt.Errorf("train: save final model: %w", err)
	}
	if err := t.m.SetTrainable(false); err != nil {
		return res, fmt.Errorf("train: %w", err)
	}
	if len(t.cfg.ProbeTexts) > 0 {
		emb, err := t.m.Encode(ctx, t.cfg.ProbeTexts, model.EncodeOptions{})
		if err != nil {
			return res, fmt.Errorf("train: embed probe texts: %w", err)
		}
		res.ProbeEmbeddings = emb
	}
	return res, nil
}

// saveModelInto writes m as a sentence-transformers folder into dir, which may hold other things
// (checkpoints, metrics): the folder is saved beside them and its entries moved in one by one,
// replacing entries of the same name.
func saveModelInto(m *model.Model, dir string) error {
	tmp := filepath.Join(dir, tmpPrefix+"final")
	os.RemoveAll(tmp)
	if err := m.Save(tmp, nil); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		dst := filepath.Join(dir, e.Name())
		if _, err := os.Lstat(dst); err == nil {
			aside := filepath.Join(dir, tmpPrefix+"old-"+e.Name())
			os.RemoveAll(aside)
			if err := os.Rename(dst, aside); err != nil {
				return err
			}
			defer os.RemoveAll(aside)
		}
		if err := os.Rename(filepath.Join(tmp, e.Name()), dst); err != nil {
			return err
		}
	}
	return fsutil.SyncDir(dir)
}
