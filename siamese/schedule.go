package siamese

import (
	"fmt"
	"math"
)

// LinearSchedule is the learning-rate schedule of Hugging Face's get_linear_schedule_with_warmup (and
// sentence-transformers' WarmupLinear): the rate climbs linearly from 0 to Base over Warmup optimizer
// steps, then falls linearly to 0 at Total steps.
//
// Optimizer step k (0-based: the first update is k = 0) uses
//
//	Base * k / Warmup                         for k < Warmup
//	Base * max(0, (Total-k) / (Total-Warmup)) otherwise
//
// so, as in transformers, the first update of a run with warmup has rate 0, and the last one
// (k = Total-1) has Base/(Total-Warmup).
type LinearSchedule struct {
	Base   float64 // peak learning rate
	Warmup int     // warm-up steps
	Total  int     // total optimizer steps
}

// NewLinearSchedule builds the schedule for total steps with ceil(warmupRatio*total) warm-up steps
// (transformers' TrainingArguments.get_warmup_steps).
func NewLinearSchedule(base float64, total int, warmupRatio float64) (LinearSchedule, error) {
	if !(base >= 0) || math.IsInf(base, 0) {
		return LinearSchedule{}, fmt.Errorf("schedule: learning rate %v must be a finite number >= 0", base)
	}
	if total < 1 {
		return LinearSchedule{}, fmt.Errorf("schedule: total steps %d must be at least 1", total)
	}
	if !(warmupRatio >= 0 && warmupRatio <= 1) {
		return LinearSchedule{}, fmt.Errorf("schedule: warm-up ratio %v must lie in [0, 1]", warmupRatio)
	}
	return LinearSchedule{Base: base, Warmup: WarmupSteps(total, warmupRatio), Total: total}, nil
}

// WarmupSteps is ceil(ratio*total), the warm-up length for a ratio of the total steps.
func WarmupSteps(total int, ratio float64) int {
	// The small tolerance keeps 0.1*30 at 3 rather than letting float rounding make it 4.
	return int(math.Ceil(ratio*float64(total) - 1e-9))
}

// LR is the learning rate of 0-based optimizer step k.
func (s LinearSchedule) LR(k int) float64 {
	if k < s.Warmup {
		return s.Base * float64(k) / float64(max(1, s.Warmup))
	}
	return s.Base * max(0, float64(s.Total-k)/float64(max(1, s.Total-s.Warmup)))
}
