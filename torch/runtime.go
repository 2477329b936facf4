package torch

/*
#include "torchshim.h"
*/
import "C"

// ManualSeed seeds libtorch's global generators (CPU and every CUDA device).
func ManualSeed(seed uint64) error { return check("manual_seed", C.ts_manual_seed(C.uint64_t(seed))) }

// RNGState returns a copy of the CPU generator's state, for checkpoints.
func RNGState() ([]byte, error) {
	var out C.ts_tensor
	if err := check("get_rng_state", C.ts_get_rng_state(&out)); err != nil {
		return nil, err
	}
	t := wrap(out)
	defer t.Close()
	return Data[uint8](t)
}

// SetRNGState restores a CPU generator state returned by RNGState.
func SetRNGState(state []byte) error {
	t, err := FromSlice(state)
	if err != nil {
		return err
	}
	defer t.Close()
	h, err := t.handle()
	if err != nil {
		return err
	}
	return check("set_rng_state", C.ts_set_rng_state(h))
}

// SetNumThreads sets libtorch's intra-op thread count (process-wide).
func SetNumThreads(n int) error { return check("set_num_threads", C.ts_set_num_threads(C.int(n))) }

// NumThreads returns libtorch's intra-op thread count.
func NumThreads() int {
	var v C.int
	if err := check("get_num_threads", C.ts_get_num_threads(&v)); err != nil {
		return 1
	}
	return int(v)
}

// SetNumInteropThreads sets the inter-op pool size; libtorch accepts it only before any parallel work.
func SetNumInteropThreads(n int) error {
	return check("set_num_interop_threads", C.ts_set_num_interop_threads(C.int(n)))
}

// MKLDNNAvailable reports whether libtorch was built with oneDNN (mkldnn).
func MKLDNNAvailable() bool {
	var v C.int
	if err := check("mkldnn_available", C.ts_mkldnn_available(&v)); err != nil {
		return false
	}
	return v != 0
}
