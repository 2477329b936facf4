// Package seeded holds the seeded generator that the samplers share (episodes,
// SetFit sampling, pairs, batch orders), so one seed draws the same numbers
// wherever it is used.
package seeded

import "math/rand/v2"

// Stream is the second PCG seed word; with it a single uint64 seed selects
// the generator.
const Stream = 0x9e3779b97f4a7c15

// New returns the seeded generator: math/rand/v2 PCG with seed and Stream.
func New(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, Stream)) }
