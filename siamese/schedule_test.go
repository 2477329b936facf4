package siamese

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWarmupSteps(t *testing.T) {
	cases := []struct {
		total int
		ratio float64
		want  int
	}{
		{30, 0.1, 3}, // exactly 3.0 despite 0.1 not being exact in binary
		{25, 0.1, 3}, // ceil(2.5)
		{7, 0, 0},    // no warm-up
		{10, 1, 10},  // warm-up over the whole run
		{1000, 0.06, 60},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, WarmupSteps(c.total, c.ratio), "total %d ratio %v", c.total, c.ratio)
	}
}

// TestLinearScheduleByHand checks values worked out by hand: base 1, 10 steps, 2 of warm-up. Warm-up
// k/2 for k = 0, 1; then (10-k)/8.
func TestLinearScheduleByHand(t *testing.T) {
	s, err := NewLinearSchedule(1, 10, 0.2)
	require.NoError(t, err)
	require.Equal(t, 2, s.Warmup)
	want := map[int]float64{0: 0, 1: 0.5, 2: 1, 3: 0.875, 4: 0.75, 6: 0.5, 9: 0.125, 10: 0, 12: 0}
	for k, v := range want {
		assert.InDelta(t, v, s.LR(k), 1e-15, "step %d", k)
	}
	// No warm-up: 2e-5 * (4-k)/4.
	s, err = NewLinearSchedule(2e-5, 4, 0)
	require.NoError(t, err)
	for k, v := range []float64{2e-5, 1.5e-5, 1e-5, 0.5e-5} {
		assert.InDelta(t, v, s.LR(k), 1e-20, "step %d", k)
	}
	for _, bad := range []struct {
		base  float64
		total int
		ratio float64
	}{{-1, 10, 0.1}, {1, 0, 0.1}, {1, 10, 1.5}, {1, 10, -0.1}} {
		_, err := NewLinearSchedule(bad.base, bad.total, bad.ratio)
		assert.Error(t, err, "%+v", bad)
	}
}
