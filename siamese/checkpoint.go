package siamese

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/fewshot-go/fewshot/internal/fsutil"
	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/model/safetensors"
	"github.com/fewshot-go/fewshot/torch"
)

// Checkpoint layout. A checkpoint is a folder checkpoints/checkpoint-NNNNNNNN (the optimizer step,
// zero-padded) in the run's output folder, holding
//
//	model/                   the model weights as a sentence-transformers folder (model.Save)
//	optimizer.safetensors    AdamW's moment buffers (exp_avg.G.P, exp_avg_sq.G.P)
//	torch_rng.bin            libtorch's CPU generator state (torch.RNGState)
//	trainer_state.json       step, epoch, position in the epoch, seeds, Go RNG state, best metric, ...
//	manifest.json            written last: the size and SHA-256 of every other file
//
// It is written into a temporary folder (checkpoints/.tmp-...), every file synced, and renamed into
// place; a folder without a manifest that matches its files is not a checkpoint and resume skips it.
const (
	// CheckpointFormat is the "format" value of a checkpoint manifest.
	CheckpointFormat = "fewshot-checkpoint"
	// CheckpointFormatVersion is the version of the checkpoint layout.
	CheckpointFormatVersion = 1

	checkpointPrefix   = "checkpoint-"
	checkpointsDir     = "checkpoints"
	manifestName       = "manifest.json"
	stateName          = "trainer_state.json"
	optimizerName      = "optimizer.safetensors"
	torchRNGName       = "torch_rng.bin"
	checkpointModelDir = "model"
	tmpPrefix          = ".tmp-"
)

// TrainerState is the trainer's position and bookkeeping, saved in every checkpoint.
type TrainerState struct {
	// Step is the number of optimizer steps taken.
	Step int `json:"step"`
	// Epoch is the 0-based epoch the next step starts in, and BatchInEpoch the index of its first
	// micro-batch in that epoch's batch order.
	Epoch        int `json:"epoch"`
	BatchInEpoch int `json:"batch_in_epoch"`
	// TotalSteps is the length of the learning-rate schedule.
	TotalSteps int `json:"total_steps"`
	// Seed is the run's seed; DataSeed seeds the batch order of every epoch.
	Seed     uint64 `json:"seed"`
	DataSeed uint64 `json:"data_seed"`
	// GoRNG is the state of the Go generator (math/rand/v2 PCG) used by augmentation.
	GoRNG []byte `json:"go_rng"`
	// Examples is the number of training rows consumed so far.
	Examples int64 `json:"examples"`
	// BestMetric is the best evaluation value so far (nil before the first evaluation), reached at
	// BestStep; EvalsSinceBest counts later evaluations that did not improve on it.
	BestMetric     *float64 `json:"best_metric,omitempty"`
	BestStep       int      `json:"best_step,omitempty"`
	EvalsSinceBest int      `json:"evals_since_best"`
	// LastEvalStep is the step of the last evaluation (0: none).
	LastEvalStep int `json:"last_eval_step,omitempty"`
	// The run's settings, checked when resuming.
	BaseModel string  `json:"base_model"`
	Loss      string  `json:"loss"`
	Rows      int     `json:"rows"`
	BatchSize int     `json:"batch_size"`
	GradAccum int     `json:"grad_accum"`
	LR        float64 `json:"lr"`
}

// Manifest is a checkpoint's manifest.json: the list of its files with their sizes and SHA-256 sums.
type Manifest struct {
	Format  string         `json:"format"`
	Version int            `json:"version"`
	Step    int            `json:"step"`
	Files   []ManifestFile `json:"files"`
}

// ManifestFile is one file of a checkpoint, its path relative to the checkpoint folder.
type ManifestFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// checkpointName is the folder name of the checkpoint at step.
func checkpointName(step int) string { return fmt.Sprintf("%s%08d", checkpointPrefix, step) }

// checkpointStep parses a checkpoint folder name; ok is false for other names.
func checkpointStep(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, checkpointPrefix)
	if !ok || rest == "" {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// checkpointWriter writes checkpoints; failAt, when set (by tests), is called before each file is
// written and an error it returns is treated as a write failure (a full disk, say).
type checkpointWriter struct {
	root   string // the checkpoints folder
	failAt func(path string) error
}

func (w *checkpointWriter) fail(path string) error {
	if w.failAt != nil {
		return w.failAt(path)
	}
	return nil
}

// write saves a checkpoint of m, opt and st (with the torch RNG state) and returns its folder. The
// folder appears complete or not at all; on error the temporary folder is removed and earlier
// checkpoints are untouched.
func (w *checkpointWriter) write(m *model.Model, opt *torch.AdamW, st TrainerState, torchRNG []byte) (dir string, err error) {
	name := checkpointName(st.Step)
	final := filepath.Join(w.root, name)
	if _, err := ValidateCheckpoint(final); err == nil {
		return final, nil // this step is saved already
	}
	if err := os.MkdirAll(w.root, 0o755); err != nil {
		return "", fmt.Errorf("save checkpoint step %d: %w", st.Step, err)
	}
	tmp, err := os.MkdirTemp(w.root, tmpPrefix+name+"-")
	if err != nil {
		return "", fmt.Errorf("save checkpoint step %d: %w", st.Step, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			err = fmt.Errorf("save checkpoint step %d in %s: %w", st.Step, w.root, err)
		}
	}()
	if err := w.fail(filepath.Join(tmp, checkpointModelDir)); err != nil {
		return "", err
	}
	if err := m.Save(filepath.Join(tmp, checkpointModelDir), nil); err != nil {
		return "", err
	}
	if err := w.fail(filepath.Join(tmp, optimizerName)); err != nil {
		return "", err
	}
	if err := writeOptimizer(filepath.Join(tmp, optimizerName), opt); err != nil {
		return "", err
	}
	if err := w.fail(filepath.Join(tmp, torchRNGName)); err != nil {
		return "", err
	}
	if err := fsutil.WriteFileSync(filepath.Join(tmp, torchRNGName), torchRNG, 0o644); err != nil {
		return "", err
	}
	stb, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return "", err
	}
	if err := w.fail(filepath.Join(tmp, stateName)); err != nil {
		return "", err
	}
	if err := fsutil.WriteFileSync(filepath.Join(tmp, stateName), append(stb, '\n'), 0o644); err != nil {
		return "", err
	}
	files, err := hashTree(tmp, true)
	if err != nil {
		return "", err
	}
	man := Manifest{Format: CheckpointFormat, Version: CheckpointFormatVersion, Step: st.Step, Files: files}
	mb, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return "", err
	}
	if err := w.fail(filepath.Join(tmp, manifestName)); err != nil {
		return "", err
	}
	if err := fsutil.WriteFileSync(filepath.Join(tmp, manifestName), append(mb, '\n'), 0o644); err != nil {
		return "", err
	}
	if err := fsutil.SyncDir(tmp); err != nil {
		return "", err
	}
	if _, err := os.Stat(final); err == nil {
		// An invalid leftover of an earlier attempt at this step: move it out of the way.
		if err := removeAside(final); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	if err := fsutil.SyncDir(w.root); err != nil {
		return "", err
	}
	return final, nil
}

// writeOptimizer stores AdamW's buffers (copied to the host) and step count in a safetensors file.
func writeOptimizer(path string, opt *torch.AdamW) error {
	state, step := opt.State()
	infos, err := model.TensorInfos(state)
	if err != nil {
		return fmt.Errorf("optimizer state: %w", err)
	}
	return safetensors.Write(path, infos, map[string]string{"step": strconv.FormatInt(step, 10), "optimizer": "adamw"})
}

// readOptimizer restores AdamW's buffers and step count from a file written by writeOptimizer.
func readOptimizer(path string, opt *torch.AdamW, dev torch.Device) error {
	f, err := safetensors.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	step, err := strconv.ParseInt(f.Metadata["step"], 10, 64)
	if err != nil {
		return fmt.Errorf("%s: bad step metadata %q", path, f.Metadata["step"])
	}
	state := make(map[string]*torch.Tensor, len(f.Tensors))
	defer func() {
		for _, t := range state {
			t.Close()
		}
	}()
	for _, info := range f.Tensors {
		t, err := model.TensorFromInfo(info, dev)
		if err != nil {
			return fmt.Errorf("%s: tensor %s: %w", path, info.Name, err)
		}
		state[info.Name] = t
	}
	if err := opt.LoadState(state, step); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// hashTree lists every regular file under dir (but the manifest) with its size and SHA-256, sorted by
// path. With sync set it also syncs each file (and folder) to disk.
func hashTree(dir string, sync bool) ([]ManifestFile, error) {
	var out []ManifestFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if sync && rel != "." {
				return fsutil.SyncDir(p)
			}
			return nil
		}
		if rel == manifestName {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		sum, size, err := hashFile(p, sync)
		if err != nil {
			return err
		}
		out = append(out, ManifestFile{Path: filepath.ToSlash(rel), Size: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func hashFile(path string, sync bool) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return "", 0, fmt.Errorf("sync %s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ValidateCheckpoint checks that dir is a complete checkpoint: a manifest of the right format whose
// listed files all exist with the recorded sizes and SHA-256 sums, covering every file in the folder,
// and the files the trainer needs. It returns the manifest, or an error saying what is wrong.
func ValidateCheckpoint(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	var man Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %s: %w", dir, manifestName, err)
	}
	if man.Format != CheckpointFormat || man.Version != CheckpointFormatVersion {
		return nil, fmt.Errorf("checkpoint %s: manifest format %q version %d, want %q version %d", dir, man.Format, man.Version, CheckpointFormat, CheckpointFormatVersion)
	}
	have, err := hashTree(dir, false)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	byPath := make(map[string]ManifestFile, len(have))
	for _, f := range have {
		byPath[f.Path] = f
	}
	for _, want := range man.Files {
		got, ok := byPath[want.Path]
		switch {
		case !ok:
			return nil, fmt.Errorf("checkpoint %s: %s is missing", dir, want.Path)
		case got.Size != want.Size:
			return nil, fmt.Errorf("checkpoint %s: %s has %d bytes, the manifest says %d", dir, want.Path, got.Size, want.Size)
		case got.SHA256 != want.SHA256:
			return nil, fmt.Errorf("checkpoint %s: %s does not match its checksum", dir, want.Path)
		}
		delete(byPath, want.Path)
	}
	for p := range byPath {
		return nil, fmt.Errorf("checkpoint %s: %s is not in the manifest", dir, p)
	}
	for _, need := range []string{stateName, optimizerName, torchRNGName, checkpointModelDir + "/model.safetensors"} {
		found := false
		for _, f := range man.Files {
			found = found || f.Path == need
		}
		if !found {
			return nil, fmt.Errorf("checkpoint %s: the manifest lists no %s", dir, need)
		}
	}
	return &man, nil
}

// listCheckpoints returns the checkpoint folders under root (valid or not), oldest step first.
func listCheckpoints(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	type ck struct {
		step int
		dir  string
	}
	var cks []ck
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if n, ok := checkpointStep(e.Name()); ok {
			cks = append(cks, ck{n, filepath.Join(root, e.Name())})
		}
	}
	sort.Slice(cks, func(i, j int) bool { return cks[i].step < cks[j].step })
	out := make([]string, len(cks))
	for i, c := range cks {
		out[i] = c.dir
	}
	return out, nil
}

// LatestCheckpoint resolves a --resume path: a checkpoint folder (which must be valid), or a run's
// output folder or its checkpoints folder, in which case the valid checkpoint with the highest step
// is taken and invalid ones (a write cut short) are skipped. skipped lists why each newer folder
// was passed over.
func LatestCheckpoint(path string) (dir string, skipped []string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", nil, fmt.Errorf("resume %s: %w", path, err)
	}
	if !st.IsDir() {
		return "", nil, fmt.Errorf("resume %s: not a folder", path)
	}
	if _, err := os.Stat(filepath.Join(path, manifestName)); err == nil {
		if _, err := ValidateCheckpoint(path); err != nil {
			return "", nil, fmt.Errorf("resume: %w", err)
		}
		return path, nil, nil
	}
	if _, ok := checkpointStep(filepath.Base(filepath.Clean(path))); ok {
		// A checkpoint folder without a manifest: a write that never finished.
		return "", nil, fmt.Errorf("resume %s: incomplete checkpoint (no %s); resume from the run folder to take the newest valid one", path, manifestName)
	}
	root := path
	if fi, err := os.Stat(filepath.Join(path, checkpointsDir)); err == nil && fi.IsDir() {
		root = filepath.Join(path, checkpointsDir)
	}
	dirs, err := listCheckpoints(root)
	if err != nil {
		return "", nil, fmt.Errorf("resume %s: %w", path, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := ValidateCheckpoint(dirs[i]); err != nil {
			skipped = append(skipped, err.Error())
			continue
		}
		return dirs[i], skipped, nil
	}
	if len(dirs) == 0 {
		return "", nil, fmt.Errorf("resume %s: no checkpoint-* folder in %s", path, root)
	}
	return "", skipped, fmt.Errorf("resume %s: none of the %d checkpoints is complete: %s", path, len(dirs), strings.Join(skipped, "; "))
}

// rotateCheckpoints deletes the oldest checkpoints under root so that at most keep remain (keep <= 0
// keeps all). A checkpoint is first renamed to a temporary name, so a deletion cut short never leaves
// a folder that looks like a checkpoint.
func rotateCheckpoints(root string, keep int) error {
	if keep <= 0 {
		return nil
	}
	dirs, err := listCheckpoints(root)
	if err != nil {
		return err
	}
	for len(dirs) > keep {
		if err := removeAside(dirs[0]); err != nil {
			return err
		}
		dirs = dirs[1:]
	}
	return nil
}

// removeAside renames dir to a temporary name in its parent and deletes it.
func removeAside(dir string) error {
	aside := filepath.Join(filepath.Dir(dir), tmpPrefix+"delete-"+filepath.Base(dir))
	os.RemoveAll(aside)
	if err := os.Rename(dir, aside); err != nil {
		return fmt.Errorf("remove old checkpoint %s: %w", dir, err)
	}
	return os.RemoveAll(aside)
}

// removeStaleTemps deletes the temporary folders a killed run may have left under root.
func removeStaleTemps(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// readCheckpointState reads a checkpoint's trainer state and torch RNG state.
func readCheckpointState(dir string) (TrainerState, []byte, error) {
	var st TrainerState
	b, err := os.ReadFile(filepath.Join(dir, stateName))
	if err != nil {
		return st, nil, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, nil, fmt.Errorf("%s: %w", filepath.Join(dir, stateName), err)
	}
	rng, err := os.ReadFile(filepath.Join(dir, torchRNGName))
	if err != nil {
		return st, nil, err
	}
	return st, rng, nil
}

// loadCheckpointWeights copies the weights saved in a checkpoint into m (same architecture).
func loadCheckpointWeights(dir string, m *model.Model) error {
	params := m.Parameters()
	if len(params) == 0 {
		return errors.New("model has no parameters")
	}
	dt, err := params[0].Tensor.DType()
	if err != nil {
		return err
	}
	src, err := model.Load(filepath.Join(dir, checkpointModelDir), model.LoadOptions{Device: m.Device(), Precision: dt, MaxSeqLength: m.ST.MaxSeqLength})
	if err != nil {
		return err
	}
	defer src.Close()
	sp := src.Parameters()
	if len(sp) != len(params) {
		return fmt.Errorf("checkpoint model has %d parameters, the model %d", len(sp), len(params))
	}
	for i, p := range params {
		if sp[i].Name() != p.Name() {
			return fmt.Errorf("checkpoint parameter %d is %s, the model's is %s", i, sp[i].Name(), p.Name())
		}
		if err := p.Tensor.CopyFrom(sp[i].Tensor); err != nil {
			return fmt.Errorf("restore %s: %w", p.Name(), err)
		}
	}
	return nil
}

// ReadTrainerState reads the trainer state of a checkpoint folder (which it validates first).
func ReadTrainerState(dir string) (TrainerState, error) {
	if _, err := ValidateCheckpoint(dir); err != nil {
		return TrainerState{}, err
	}
	st, _, err := readCheckpointState(dir)
	if err != nil {
		return TrainerState{}, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	return st, nil
}
