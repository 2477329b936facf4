package siamese

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/fewshot-go/fewshot/internal/fsutil"
)

// logf writes a message line to the log, clearing the progress bar first.
func (t *trainer) logf(format string, args ...any) {
	if t.bar != nil {
		_ = t.bar.Clear()
	}
	fmt.Fprintf(t.logw, format, args...)
}

// openMetrics opens metrics.jsonl for appending; on resume it first drops the records after the
// checkpoint's step (written by the interrupted run after its last checkpoint).
func (t *trainer) openMetrics() error {
	path := filepath.Join(t.cfg.OutDir, "metrics.jsonl")
	if t.cfg.Resume != "" {
		if err := truncateMetrics(path, t.st.Step); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("train: metrics log: %w", err)
	}
	t.metrics = f
	return nil
}

// truncateMetrics rewrites a metrics log without the records of steps after step.
func truncateMetrics(path string, step int) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var kept []byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var rec struct {
			Step int `json:"step"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Step > step {
			continue
		}
		kept = append(append(kept, sc.Bytes()...), '\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return fsutil.WriteFileAtomic(path, kept, 0o644)
}

// writeRecord appends one JSON record to metrics.jsonl.
func (t *trainer) writeRecord(rec map[string]any) error {
	for k, v := range rec {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			rec[k] = nil // JSON has no NaN
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := t.metrics.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("train: write metrics log: %w", err)
	}
	return nil
}

// logWindow writes the metrics record of the steps since the last one.
func (t *trainer) logWindow(lr, gnorm float64) error {
	if t.winSteps == 0 {
		return nil
	}
	t.res.Loss = t.winLoss / float64(t.winSteps)
	rec := map[string]any{"step": t.st.Step, "epoch": round6(t.epochPos()), "loss": t.res.Loss, "lr": lr,
		"grad_norm": gnorm, "examples": t.st.Examples}
	if s := t.winTime.Seconds(); s > 0 {
		rec["examples_per_s"] = round6(float64(t.winRows) / s)
	}
	t.winLoss, t.winSteps, t.winRows, t.winTime = 0, 0, 0, 0
	return t.writeRecord(rec)
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
