package siamese

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/eval"
	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/model/safetensors"
	"github.com/fewshot-go/fewshot/torch"
)

// readMetrics parses metrics.jsonl.
func readMetrics(t *testing.T, dir string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
		out = append(out, rec)
	}
	require.NoError(t, sc.Err())
	return out
}

// settledLiveTensors counts live tensor handles after letting the garbage collector run the
// finalizers of tensors that earlier tests dropped.
func settledLiveTensors() int64 {
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	return torch.LiveTensors()
}

// heldOutLoss is the mean test loss over data without dropout, computed independently of the trainer
// from embeddings and cosine similarity in Go.
func heldOutLoss(t *testing.T, m *model.Model, data TrainData) float64 {
	t.Helper()
	var a, b []string
	for _, r := range data.Rows {
		a, b = append(a, r.Texts[0]), append(b, r.Texts[1])
	}
	ea, err := m.Encode(context.Background(), a, model.EncodeOptions{})
	require.NoError(t, err)
	eb, err := m.Encode(context.Background(), b, model.EncodeOptions{})
	require.NoError(t, err)
	sum := 0.0
	for i, r := range data.Rows {
		c, err := classify.CosineSimilarity(ea[i], eb[i])
		require.NoError(t, err)
		d := c - float64(r.Score)
		sum += d * d
	}
	return sum / float64(len(data.Rows))
}

func TestTrainLossDecreases(t *testing.T) {
	// The plain inference path keeps no packed weight copies, so the live tensor count is stable.
	m, err := model.Load(tinyBert, model.LoadOptions{CPUMode: model.PackPlain})
	require.NoError(t, err)
	defer m.Close()
	data := toyPairs(20)
	before := heldOutLoss(t, m, data)
	out := filepath.Join(t.TempDir(), "run")
	cfg := TrainConfig{MaxSteps: 30, BatchSize: 10, LR: 1e-3, Seed: 1, OutDir: out, LogEvery: 1, WarmupRatio: 0.1}
	live := settledLiveTensors()
	res, err := Train(context.Background(), m, mseCosLoss{}, data, cfg)
	require.NoError(t, err)
	assert.Equal(t, StopCompleted, res.Stop)
	assert.Equal(t, 30, res.Steps)
	after := heldOutLoss(t, m, data)
	assert.Equal(t, live, settledLiveTensors(), "tensors leaked by training")
	t.Logf("held-out loss %.4f -> %.4f", before, after)
	assert.Less(t, after, before*0.5, "loss should fall by half on a task this easy")

	recs := readMetrics(t, out)
	require.Len(t, recs, 30)
	for i, r := range recs {
		assert.EqualValues(t, i+1, r["step"])
	}
	// 20 rows in batches of 10: 2 steps per epoch, so step 30 ends epoch 15.
	assert.InDelta(t, 15.0, recs[29]["epoch"], 1e-9)
	assert.EqualValues(t, 300, recs[29]["examples"])
	// Step 1 (k = 0) is the first warm-up step: lr 0, as in transformers.
	assert.EqualValues(t, 0, recs[0]["lr"])
}

// TestTrainLoggedLearningRates compares the logged rates with the schedule worked by hand: peak 1e-3,
// 30 steps, ceil(0.1*30) = 3 warm-up steps, so step k+1 uses 1e-3*k/3 for k < 3 and
// 1e-3*(30-k)/27 after.
func TestTrainLoggedLearningRates(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	_, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, toyPairs(10),
		TrainConfig{MaxSteps: 30, BatchSize: 10, LR: 1e-3, OutDir: out, LogEvery: 1})
	require.NoError(t, err)
	recs := readMetrics(t, out)
	require.Len(t, recs, 30)
	want := map[int]float64{1: 0, 2: 1e-3 / 3, 3: 2e-3 / 3, 4: 1e-3, 5: 1e-3 * 26 / 27, 17: 1e-3 * 14 / 27, 30: 1e-3 / 27}
	for step, lr := range want {
		assert.InDelta(t, lr, recs[step-1]["lr"], 1e-15, "step %d", step)
	}
}

// TestGradAccumulationEqualsFullBatch: two micro-batches of 4 with accumulation 2 make the same step as
// one batch of 8 (dropout off). The gradients are compared through AdamW's first moment after step 1
// (exp_avg = 0.1 * clipped gradient, read from the step-1 checkpoint; equal to 1e-5 of the largest
// entry, float32 summation order being the only difference), and the logged gradient norm
// (before clipping) and loss: summing the micro-batch losses without dividing by 2 would double the
// norm. The weights agree to 1e-6 after one step with lr 1e-5; Adam's division by sqrt(v)+eps turns
// float rounding in gradient entries near eps into differences of up to lr, so larger rates would
// need a looser bound for the weights.
func TestGradAccumulationEqualsFullBatch(t *testing.T) {
	data := toyPairs(16)
	run := func(bs, accum int) (map[string][]float32, []map[string]any, map[string][]float32) {
		out := filepath.Join(t.TempDir(), "run")
		m := loadTinyBert(t)
		_, err := Train(context.Background(), m, mseCosLoss{}, data, TrainConfig{MaxSteps: 1, BatchSize: bs, GradAccum: accum,
			LR: 1e-5, WarmupRatio: -1, DisableDropout: true, OutDir: out, LogEvery: 1, SaveEvery: 1})
		require.NoError(t, err)
		f, err := safetensors.Open(filepath.Join(out, "checkpoints", checkpointName(1), optimizerName))
		require.NoError(t, err)
		defer f.Close()
		moments := map[string][]float32{}
		for _, ti := range f.Tensors {
			if strings.HasPrefix(ti.Name, "exp_avg.") {
				v, err := safetensors.Float32s(ti)
				require.NoError(t, err)
				moments[ti.Name] = v
			}
		}
		return paramValues(t, m), readMetrics(t, out), moments
	}
	wFull, logFull, mFull := run(8, 1)
	wAcc, logAcc, mAcc := run(4, 2)
	require.NotEmpty(t, mFull)
	scale := 0.0
	for _, v := range mFull {
		for _, x := range v {
			scale = math.Max(scale, math.Abs(float64(x)))
		}
	}
	t.Logf("largest first moment %.3g, largest difference %.3g", scale, maxAbsDiff(t, mFull, mAcc))
	assert.Less(t, maxAbsDiff(t, mFull, mAcc), 1e-5*scale, "gradients differ")
	assert.Less(t, maxAbsDiff(t, wFull, wAcc), 1e-6, "weights differ")
	require.Len(t, logAcc, 1)
	assert.InEpsilon(t, logFull[0]["grad_norm"], logAcc[0]["grad_norm"], 1e-5)
	assert.InEpsilon(t, logFull[0]["loss"], logAcc[0]["loss"], 1e-5)
	assert.EqualValues(t, 8, logAcc[0]["examples"])
	// And accumulation is not a no-op: one micro-batch of 4 alone gives another gradient.
	_, logHalf, mHalf := run(4, 1)
	assert.Greater(t, math.Abs(logHalf[0]["grad_norm"].(float64)-logFull[0]["grad_norm"].(float64)), 1e-4)
	assert.Greater(t, maxAbsDiff(t, mFull, mHalf), 1e-6)
}

func TestNonFiniteLossStops(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	calls := 0
	res, err := Train(context.Background(), loadTinyBert(t), nanLoss{after: 3, calls: &calls}, toyPairs(12),
		TrainConfig{MaxSteps: 10, BatchSize: 6, SaveEvery: 2, OutDir: out, LogEvery: 1})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNonFiniteLoss)
	assert.Contains(t, err.Error(), "step 4")
	assert.Contains(t, err.Error(), "loss is NaN")
	good := filepath.Join(out, "checkpoints", checkpointName(2))
	assert.Contains(t, err.Error(), good)
	require.NotNil(t, res)
	assert.Equal(t, StopNonFinite, res.Stop)
	assert.Equal(t, 3, res.Steps)
	dir, _, err := LatestCheckpoint(out)
	require.NoError(t, err)
	assert.Equal(t, good, dir)
	_, err = os.Stat(filepath.Join(out, "model.safetensors"))
	assert.True(t, os.IsNotExist(err), "no final model after a failed run")
}

// TestFinalModelReloads: the output folder is a complete model folder that loads back and embeds the
// probe texts exactly as the trainer's model did at the end.
func TestFinalModelReloads(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	probes := []string{"the cat sleeps", "a completely different sentence about trains", "x"}
	res, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, toyPairs(12),
		TrainConfig{MaxSteps: 3, BatchSize: 6, LR: 1e-3, SaveEvery: 2, OutDir: out, ProbeTexts: probes})
	require.NoError(t, err)
	require.Len(t, res.ProbeEmbeddings, len(probes))
	for _, f := range []string{"modules.json", "config.json", "config_sentence_transformers.json", "sentence_bert_config.json",
		"model.safetensors", "tokenizer.json", "vocab.txt", "1_Pooling/config.json", "metrics.jsonl",
		"checkpoints/" + checkpointName(2) + "/manifest.json", "checkpoints/" + checkpointName(3) + "/manifest.json"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	// A model in training embeds on its unpacked weights (through oneDNN's linears where libtorch has
	// oneDNN, else BLAS); the folder loaded with Plain (BLAS) or with the default packed oneDNN path must
	// give the same numbers to 1e-5 (the model package's stated agreement of the paths).
	base, err := loadTinyBert(t).Encode(context.Background(), probes, model.EncodeOptions{})
	require.NoError(t, err)
	for _, mode := range []model.CPUPacking{model.PackPlain, model.PackFloat32} {
		m, err := model.Load(out, model.LoadOptions{CPUMode: mode})
		require.NoError(t, err)
		got, err := m.Encode(context.Background(), probes, model.EncodeOptions{})
		m.Close()
		require.NoError(t, err)
		tol := 1e-5
		for i := range probes {
			worst, moved := 0.0, 0.0
			for j := range got[i] {
				worst = math.Max(worst, math.Abs(float64(got[i][j]-res.ProbeEmbeddings[i][j])))
				moved = math.Max(moved, math.Abs(float64(base[i][j]-res.ProbeEmbeddings[i][j])))
			}
			assert.LessOrEqual(t, worst, tol, "probe %d, CPU mode %s", i, mode)
			assert.Greater(t, moved, 1e-4, "probe %d: training changed the embedding", i)
		}
	}
}

// scriptedEvaluator returns a fixed sequence of values.
type scriptedEvaluator struct {
	values []float64
	n      int
}

func (e *scriptedEvaluator) Metric() string       { return "score" }
func (e *scriptedEvaluator) HigherIsBetter() bool { return true }
func (e *scriptedEvaluator) Evaluate(context.Context, *model.Model) (map[string]float64, error) {
	v := e.values[min(e.n, len(e.values)-1)]
	e.n++
	return map[string]float64{"score": v}, nil
}

// TestEvaluationBestAndEarlyStopping: evaluations every step score 0.5, 0.6, 0.55, 0.54, ...; with
// patience 2 the run stops after step 4, the best is step 2, and out/best holds that step's model.
func TestEvaluationBestAndEarlyStopping(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	var atStep2 map[string][]float32
	var m *model.Model
	m = loadTinyBert(t)
	cfg := TrainConfig{MaxSteps: 10, BatchSize: 6, LR: 1e-3, OutDir: out, EvalEvery: 1, Patience: 2, LogEvery: 1,
		Evaluator: &scriptedEvaluator{values: []float64{0.5, 0.6, 0.55, 0.54, 0.53}}}
	cfg.OnStep = func(step int) {
		if step == 2 {
			atStep2 = paramValues(t, m)
		}
	}
	res, err := Train(context.Background(), m, mseCosLoss{}, toyPairs(12), cfg)
	require.NoError(t, err)
	assert.Equal(t, StopEarlyStopping, res.Stop)
	assert.Equal(t, 4, res.Steps)
	assert.Equal(t, 2, res.BestStep)
	assert.InDelta(t, 0.6, res.BestMetric, 1e-12)
	b, err := os.ReadFile(filepath.Join(out, "best", "best.json"))
	require.NoError(t, err)
	var info struct {
		Step  int     `json:"step"`
		Value float64 `json:"value"`
	}
	require.NoError(t, json.Unmarshal(b, &info))
	assert.Equal(t, 2, info.Step)
	best, err := model.Load(filepath.Join(out, "best"), model.LoadOptions{})
	require.NoError(t, err)
	defer best.Close()
	assert.Zero(t, maxAbsDiff(t, atStep2, paramValues(t, best)))
	evals := 0
	for _, r := range readMetrics(t, out) {
		if _, ok := r["eval_score"]; ok {
			evals++
			assert.Equal(t, r["step"] == float64(2) || r["step"] == float64(1), r["best"], "step %v", r["step"])
		}
	}
	assert.Equal(t, 4, evals)
}

// TestSTSAndLossEvaluators: the logged STS Spearman of the final model equals the value recomputed from
// the saved folder, and the held-out loss evaluator equals the mean squared error computed in Go.
func TestSTSAndLossEvaluators(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	data := toyPairs(12)
	var pairs []dataset.Pair
	for _, r := range data.Rows {
		pairs = append(pairs, dataset.Pair{A: r.Texts[0], B: r.Texts[1], Score: float64(r.Score)})
	}
	res, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, data,
		TrainConfig{MaxSteps: 4, BatchSize: 6, LR: 1e-3, OutDir: out, EvalEvery: 2, Evaluator: &STSEvaluator{Pairs: pairs}})
	require.NoError(t, err)
	m, err := model.Load(out, model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	sts, err := eval.EvaluateSTS(context.Background(), m, pairs)
	require.NoError(t, err)
	assert.InDelta(t, sts.Spearman, res.Eval["spearman"], 1e-9)

	le := &LossEvaluator{Data: data, Loss: mseCosLoss{}, BatchSize: 5}
	vals, err := le.Evaluate(context.Background(), m)
	require.NoError(t, err)
	assert.InDelta(t, heldOutLoss(t, m, data), vals["loss"], 1e-5)
}

func TestTrainOutputErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	used := filepath.Join(dir, "used")
	require.NoError(t, os.MkdirAll(used, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(used, "notes.txt"), []byte("x"), 0o644))
	cases := []struct {
		name, out, want string
		skipRoot        bool
	}{
		{"a file in place of the folder", file, "is a file", false},
		{"under a file", filepath.Join(file, "run"), "not a directory", false},
		{"not empty", used, "is not empty", false},
		{"read-only parent", filepath.Join(dir, "ro", "run"), "permission denied", true},
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "ro"), 0o555))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skipRoot && os.Geteuid() == 0 {
				t.Skip("root ignores folder permissions")
			}
			_, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, toyPairs(6), TrainConfig{MaxSteps: 1, OutDir: tc.out})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// classRecorder is a test loss on class labels: it records each batch's labels and returns the mean
// squared embedding (any differentiable scalar will do).
type classRecorder struct{ batches *[][]int64 }

func (classRecorder) Name() string          { return "test-class" }
func (classRecorder) Columns() (lo, hi int) { return 1, 1 }
func (classRecorder) Labels() LabelKind     { return LabelsClass }
func (c classRecorder) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	v, err := labels.Int64s()
	if err != nil {
		s.Fail(err)
		return nil
	}
	*c.batches = append(*c.batches, v)
	return s.Mean(s.Square(emb[0]), false)
}

// TestTrainGroupByLabelOrder: a loss on class labels gets batches of SamplesPerLabel rows of each of
// BatchSize/SamplesPerLabel labels.
func TestTrainGroupByLabelOrder(t *testing.T) {
	var ex []dataset.Example
	for i := 0; i < 24; i++ {
		ex = append(ex, dataset.Example{Text: fmt.Sprintf("text number %d", i), Label: fmt.Sprintf("L%d", i%4)})
	}
	var batches [][]int64
	loss := classRecorder{batches: &batches}
	data, err := ExamplesData(ex, loss, DataOptions{}, "mem")
	require.NoError(t, err)
	require.Equal(t, LabelsClass, data.Labels)
	_, err = Train(context.Background(), loadTinyBert(t), loss, data, TrainConfig{Epochs: 1, BatchSize: 4, OutDir: filepath.Join(t.TempDir(), "run")})
	require.NoError(t, err)
	// 4 labels x 6 texts, K = 2: 3 groups per label, 12 groups, 2 per batch: 6 batches.
	require.Len(t, batches, 6)
	for _, b := range batches {
		counts := map[int64]int{}
		for _, c := range b {
			counts[c]++
		}
		assert.Len(t, counts, 2, "%v", b)
		for _, n := range counts {
			assert.Equal(t, 2, n, "%v", b)
		}
	}
}
