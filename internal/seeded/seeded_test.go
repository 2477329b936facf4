package seeded

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNewIsPCGWithStream pins the generator: the samplers' outputs (episodes, SetFit samples, pairs,
// batch orders) are reproducible from a seed only while New stays PCG(seed, Stream).
func TestNewIsPCGWithStream(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, 1 << 63} {
		want := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
		got := New(seed)
		for range 5 {
			assert.Equal(t, want.Uint64(), got.Uint64(), "seed %d", seed)
		}
	}
	assert.NotEqual(t, New(1).Uint64(), New(2).Uint64(), "seeds select different streams")
}
