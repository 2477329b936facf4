package siamese

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/siamese/augment"
)

// TestResumeMatchesStraightRun trains N steps straight, and again with an interruption after k steps
// (the context cancelled from OnStep, so Train saves a checkpoint and returns) followed by a resume on
// a freshly loaded model. The final weights must be identical bit for bit: the checkpoint restores
// the weights, AdamW's moments and step count, the schedule position, the batch order position, the
// torch generator (dropout masks) and the Go generator (augmentation).
func TestResumeMatchesStraightRun(t *testing.T) {
	eda, err := augment.NewEDA(nil, augment.EDAConfig{AlphaRS: 0.2, PRD: 0.2, NumAug: 1})
	require.NoError(t, err)
	edaAug, err := augment.NewEDAAugmenter(eda, 0.3)
	require.NoError(t, err)
	cases := []struct {
		name   string
		cfg    TrainConfig
		stopAt int
		// dropNewest deletes the interruption's checkpoint, so the resume starts from an older
		// periodic one (as after a crash between checkpoints).
		dropNewest bool
	}{
		{name: "plain", cfg: TrainConfig{MaxSteps: 7, BatchSize: 6}, stopAt: 3},
		{name: "accumulation and augmentation", cfg: TrainConfig{MaxSteps: 6, BatchSize: 4, GradAccum: 2,
			TextAugmenter: edaAug, TokenAugmenter: augment.CutoffConfig{Rate: 0.2, KeepSpecial: true}}, stopAt: 4},
		{name: "epochs, periodic checkpoint, crash", cfg: TrainConfig{Epochs: 3, BatchSize: 8, SaveEvery: 2}, stopAt: 5, dropNewest: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := toyPairs(20)
			base := tc.cfg
			base.LR, base.Seed, base.LogEvery = 5e-4, 7, 1

			straight := base
			straight.OutDir = filepath.Join(t.TempDir(), "straight")
			m1 := loadTinyBert(t)
			r1, err := Train(context.Background(), m1, mseCosLoss{}, data, straight)
			require.NoError(t, err)
			want := paramValues(t, m1)

			out := filepath.Join(t.TempDir(), "interrupted")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first := base
			first.OutDir = out
			first.OnStep = func(step int) {
				if step == tc.stopAt {
					cancel()
				}
			}
			m2 := loadTinyBert(t)
			r2, err := Train(ctx, m2, mseCosLoss{}, data, first)
			require.ErrorIs(t, err, context.Canceled)
			assert.Contains(t, err.Error(), "interrupted at step")
			require.NotNil(t, r2)
			assert.Equal(t, StopInterrupted, r2.Stop)
			assert.Equal(t, filepath.Join(out, "checkpoints", checkpointName(tc.stopAt)), r2.LastCheckpoint)
			_, err = os.Stat(filepath.Join(out, "model.safetensors"))
			assert.True(t, os.IsNotExist(err), "an interrupted run writes no final model")
			resumeStep := tc.stopAt
			if tc.dropNewest {
				require.NoError(t, os.RemoveAll(r2.LastCheckpoint))
				resumeStep = tc.stopAt - tc.stopAt%base.SaveEvery
			}

			second := base
			second.OutDir = out
			second.Resume = out
			m3 := loadTinyBert(t)
			r3, err := Train(context.Background(), m3, mseCosLoss{}, data, second)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(out, "checkpoints", checkpointName(resumeStep)), r3.ResumedFrom)
			assert.Equal(t, r1.Steps, r3.Steps)
			got := paramValues(t, m3)
			assert.Zero(t, maxAbsDiff(t, want, got), "resumed weights differ from the straight run")
			// The training actually moved the weights (so equality is not trivially true).
			assert.Greater(t, maxAbsDiff(t, want, paramValues(t, loadTinyBert(t))), 1e-4)

			// The metrics log holds each step once, and the same losses as the straight run.
			recs := readMetrics(t, out)
			ref := readMetrics(t, straight.OutDir)
			require.Len(t, recs, len(ref))
			for i := range ref {
				assert.Equal(t, ref[i]["step"], recs[i]["step"])
				assert.Equal(t, ref[i]["loss"], recs[i]["loss"], "step %v", ref[i]["step"])
				assert.Equal(t, ref[i]["lr"], recs[i]["lr"], "step %v", ref[i]["step"])
			}
		})
	}
}

// TestResumeRejectsChangedSetup: a checkpoint is only resumed with the same data size, batch
// settings and loss, and never past its end.
func TestResumeRejectsChangedSetup(t *testing.T) {
	data := toyPairs(12)
	out := filepath.Join(t.TempDir(), "run")
	cfg := TrainConfig{MaxSteps: 2, BatchSize: 6, SaveEvery: 1, OutDir: out}
	_, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, data, cfg)
	require.NoError(t, err)

	cases := []struct {
		name string
		edit func(c *TrainConfig, d *TrainData)
		want string
	}{
		{"fewer rows", func(c *TrainConfig, d *TrainData) { d.Rows = d.Rows[:10] }, "trained on 12 rows, the data has 10"},
		{"batch size", func(c *TrainConfig, d *TrainData) { c.BatchSize = 4 }, "batch size 6"},
		{"nothing left", func(c *TrainConfig, d *TrainData) {}, "nothing left to train"},
		{"fresh run in a used folder", func(c *TrainConfig, d *TrainData) { c.Resume = "" }, "is not empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.Resume = out
			d := data
			tc.edit(&c, &d)
			_, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, d, c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
