package siamese

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// copyTree copies a folder (for building damaged checkpoints).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	}))
}

// TestDamagedCheckpointsAreSkipped builds a run with checkpoints at steps 2 and 4, then damages a copy
// of the newest one in the ways a kill -9 or a full disk can (no manifest, a truncated or altered
// weight file, a missing file, an unfinished temporary folder, a stray file) and checks that resume
// takes the last intact checkpoint every time.
func TestDamagedCheckpointsAreSkipped(t *testing.T) {
	root := filepath.Join(t.TempDir(), "run")
	_, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, toyPairs(12),
		TrainConfig{MaxSteps: 4, BatchSize: 6, SaveEvery: 2, OutDir: root})
	require.NoError(t, err)
	ckRoot := filepath.Join(root, "checkpoints")
	good := filepath.Join(ckRoot, checkpointName(4))
	_, err = ValidateCheckpoint(good)
	require.NoError(t, err)

	damage := []struct {
		name string
		hurt func(dir string) error
		want string // in ValidateCheckpoint's error
	}{
		{"manifest deleted", func(d string) error { return os.Remove(filepath.Join(d, manifestName)) }, "no such file"},
		{"manifest truncated", func(d string) error { return os.Truncate(filepath.Join(d, manifestName), 10) }, manifestName},
		{"weights truncated", func(d string) error {
			return os.Truncate(filepath.Join(d, "model", "model.safetensors"), 100)
		}, "model/model.safetensors has 100 bytes"},
		{"optimizer byte flipped", func(d string) error {
			p := filepath.Join(d, optimizerName)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)-1] ^= 0xff
			return os.WriteFile(p, b, 0o644)
		}, "optimizer.safetensors does not match its checksum"},
		{"rng state deleted", func(d string) error { return os.Remove(filepath.Join(d, torchRNGName)) }, "torch_rng.bin is missing"},
		{"stray file", func(d string) error { return os.WriteFile(filepath.Join(d, "extra.bin"), []byte("x"), 0o644) }, "extra.bin is not in the manifest"},
	}
	for _, tc := range damage {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(ckRoot, checkpointName(6))
			require.NoError(t, os.RemoveAll(bad))
			copyTree(t, good, bad)
			_, err := ValidateCheckpoint(bad)
			require.NoError(t, err, "an intact copy is valid")
			require.NoError(t, tc.hurt(bad))
			_, err = ValidateCheckpoint(bad)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			dir, skipped, err := LatestCheckpoint(root)
			require.NoError(t, err)
			assert.Equal(t, good, dir)
			assert.Len(t, skipped, 1)
			// Naming the damaged folder itself is an error, not a silent fallback.
			_, _, err = LatestCheckpoint(bad)
			assert.Error(t, err)
			require.NoError(t, os.RemoveAll(bad))
		})
	}

	t.Run("unfinished temporary folder", func(t *testing.T) {
		tmp := filepath.Join(ckRoot, tmpPrefix+checkpointName(6)+"-123")
		copyTree(t, good, tmp)
		dir, _, err := LatestCheckpoint(root)
		require.NoError(t, err)
		assert.Equal(t, good, dir)
		// Resuming (one more step) takes step 4 and clears the leftover.
		res, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, toyPairs(12),
			TrainConfig{MaxSteps: 5, BatchSize: 6, SaveEvery: 2, OutDir: root, Resume: root})
		require.NoError(t, err)
		assert.Equal(t, good, res.ResumedFrom)
		assert.Equal(t, 5, res.Steps)
		_, err = os.Stat(tmp)
		assert.True(t, os.IsNotExist(err), "stale temporary folder removed")
	})
}

func TestCheckpointRotationKeepsNewest(t *testing.T) {
	root := filepath.Join(t.TempDir(), "run")
	_, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, toyPairs(12),
		TrainConfig{MaxSteps: 5, BatchSize: 6, SaveEvery: 1, Keep: 2, OutDir: root})
	require.NoError(t, err)
	entries, err := os.ReadDir(filepath.Join(root, "checkpoints"))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{checkpointName(4), checkpointName(5)}, names)
}

// TestCheckpointWriteFailure injects a write error (as from a full disk) into the second checkpoint:
// Train fails with a message naming the step, the first checkpoint stays valid and is what resume
// takes, and no temporary folder is left behind.
func TestCheckpointWriteFailure(t *testing.T) {
	for _, at := range []string{"model", optimizerName, stateName, manifestName} {
		t.Run(at, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "run")
			cfg := TrainConfig{MaxSteps: 6, BatchSize: 6, SaveEvery: 2, OutDir: root}
			cfg.failWrite = func(p string) error {
				if filepath.Base(p) == at && strings.Contains(p, checkpointName(4)) {
					return fmt.Errorf("write %s: no space left on device", p)
				}
				return nil
			}
			res, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, toyPairs(12), cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "save checkpoint step 4")
			assert.Contains(t, err.Error(), "no space left on device")
			assert.Contains(t, err.Error(), "previous checkpoint")
			require.NotNil(t, res)
			dir, skipped, err := LatestCheckpoint(root)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(root, "checkpoints", checkpointName(2)), dir)
			assert.Empty(t, skipped)
			entries, err := os.ReadDir(filepath.Join(root, "checkpoints"))
			require.NoError(t, err)
			assert.Len(t, entries, 1, "only checkpoint 2, no temporary folder")
		})
	}
}

// TestKillDuringCheckpoint runs training in a child process that checkpoints every step and kills it
// with SIGKILL at random moments; after each kill the newest valid checkpoint must load and training
// must resume from it. Skipped with -short.
func TestKillDuringCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test skipped in -short mode")
	}
	if os.Getenv("FEWSHOT_TRAIN_CHILD") != "" {
		t.Skip("child process")
	}
	root := filepath.Join(t.TempDir(), "run")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills := 0
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTrainChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FEWSHOT_TRAIN_CHILD="+root, "FEWSHOT_TRAIN_RESUME="+strconv.Itoa(round))
		require.NoError(t, cmd.Start())
		// Wait until the child has written something, then kill it a random few ms later.
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if dirs, _ := listCheckpoints(filepath.Join(root, "checkpoints")); len(dirs) > round {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		kills++
		if entries, err := os.ReadDir(filepath.Join(root, "checkpoints")); err == nil {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Logf("after kill %d: %v", kills, names)
		}
		dir, _, err := LatestCheckpoint(root)
		require.NoError(t, err, "after kill %d", kills)
		_, err = ValidateCheckpoint(dir)
		require.NoError(t, err)
	}
	// A last resume in this process continues from the newest valid checkpoint for two more steps.
	dir, _, err := LatestCheckpoint(root)
	require.NoError(t, err)
	st, _, err := readCheckpointState(dir)
	require.NoError(t, err)
	cfg := childConfig(root, true)
	cfg.MaxSteps, cfg.SaveEvery = st.Step+2, 0
	res, err := Train(context.Background(), loadTinyBert(t), mseCosLoss{}, toyPairs(12), cfg)
	require.NoError(t, err)
	assert.Equal(t, dir, res.ResumedFrom)
	assert.Equal(t, st.Step+2, res.Steps)
}

func childConfig(root string, resume bool) TrainConfig {
	cfg := TrainConfig{MaxSteps: 400, BatchSize: 6, SaveEvery: 1, Keep: 3, OutDir: root, LR: 1e-4}
	if resume {
		cfg.Resume = root
	}
	return cfg
}

// TestTrainChildProcess is the child of TestKillDuringCheckpoint.
func TestTrainChildProcess(t *testing.T) {
	root := os.Getenv("FEWSHOT_TRAIN_CHILD")
	if root == "" {
		t.Skip("helper for TestKillDuringCheckpoint")
	}
	_, _, err := LatestCheckpoint(root)
	_, _ = Train(context.Background(), loadTinyBert(t), mseCosLoss{}, toyPairs(12), childConfig(root, err == nil))
}
