package torch

/*
#include "torchshim.h"
*/
import "C"

import (
	"fmt"
	"strconv"
)

// ParamGroup is a set of parameters sharing one weight decay (e.g. biases and LayerNorm weights get none).
type ParamGroup struct {
	Params      []*Tensor
	WeightDecay float64
}

// AdamWConfig holds AdamW's hyper-parameters (PyTorch's defaults apart from the learning rate).
type AdamWConfig struct {
	LR, Beta1, Beta2, Eps float64
}

// DefaultAdamW is PyTorch's AdamW default with the given learning rate.
func DefaultAdamW(lr float64) AdamWConfig {
	return AdamWConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter), updating parameters in place:
// p -= lr*wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
type AdamW struct {
	Config AdamWConfig
	groups []ParamGroup
	m, v   [][]*Tensor
	step   int64
}

// NewAdamW allocates the moment buffers (zeros shaped like each parameter).
func NewAdamW(groups []ParamGroup, cfg AdamWConfig) (*AdamW, error) {
	if cfg.LR < 0 || cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.Eps <= 0 {
		return nil, fmt.Errorf("torch: adamw: bad hyper-parameters %+v", cfg)
	}
	o := &AdamW{Config: cfg, groups: groups}
	for gi, g := range groups {
		var ms, vs []*Tensor
		for pi, p := range g.Params {
			m, err := zerosLike(p)
			if err != nil {
				o.Close()
				return nil, fmt.Errorf("torch: adamw: group %d parameter %d: %w", gi, pi, err)
			}
			v, err := zerosLike(p)
			if err != nil {
				m.Close()
				o.Close()
				return nil, fmt.Errorf("torch: adamw: group %d parameter %d: %w", gi, pi, err)
			}
			ms, vs = append(ms, m), append(vs, v)
		}
		o.m, o.v = append(o.m, ms), append(o.v, vs)
	}
	return o, nil
}

func zerosLike(p *Tensor) (*Tensor, error) {
	shape, err := p.Shape()
	if err != nil {
		return nil, err
	}
	dt, err := p.DType()
	if err != nil {
		return nil, err
	}
	dev, err := p.Device()
	if err != nil {
		return nil, err
	}
	return Zeros(shape, dt, dev)
}

// Step applies one update to every parameter that has a gradient.
func (o *AdamW) Step() error {
	o.step++
	for gi, g := range o.groups {
		if len(g.Params) == 0 {
			continue
		}
		ps, err := handles("adamw", g.Params...)
		if err != nil {
			return err
		}
		ms, err := handles("adamw", o.m[gi]...)
		if err != nil {
			return err
		}
		vs, err := handles("adamw", o.v[gi]...)
		if err != nil {
			return err
		}
		c := o.Config
		if err := check("adamw_step", C.ts_adamw_step(&ps[0], &ms[0], &vs[0], C.int(len(ps)), C.double(c.LR),
			C.double(c.Beta1), C.double(c.Beta2), C.double(c.Eps), C.double(g.WeightDecay), C.int64_t(o.step))); err != nil {
			return err
		}
	}
	return nil
}

// ZeroGrad drops the gradients of every parameter.
func (o *AdamW) ZeroGrad() error { return zeroGrads(o.groups) }

// StepCount is the number of steps taken (restored by LoadState).
func (o *AdamW) StepCount() int64 { return o.step }

// State returns the optimizer's buffers by name ("exp_avg.G.P", "exp_avg_sq.G.P") and its step count.
// The tensors are the live buffers: copy them out before the next Step.
func (o *AdamW) State() (map[string]*Tensor, int64) {
	out := map[string]*Tensor{}
	for gi := range o.groups {
		for pi := range o.m[gi] {
			k := strconv.Itoa(gi) + "." + strconv.Itoa(pi)
			out["exp_avg."+k] = o.m[gi][pi]
			out["exp_avg_sq."+k] = o.v[gi][pi]
		}
	}
	return out, o.step
}

// LoadState copies buffers saved by State into this optimizer, whose parameter layout must match.
func (o *AdamW) LoadState(state map[string]*Tensor, step int64) error {
	for name, dst := range mapState(o) {
		src, ok := state[name]
		if !ok {
			return fmt.Errorf("torch: adamw: state has no %s", name)
		}
		if err := dst.CopyFrom(src); err != nil {
			return fmt.Errorf("torch: adamw: restore %s: %w", name, err)
		}
	}
	if want := len(mapState(o)); len(state) != want {
		return fmt.Errorf("torch: adamw: state has %d buffers, optimizer has %d", len(state), want)
	}
	o.step = step
	return nil
}

func mapState(o *AdamW) map[string]*Tensor {
	s, _ := o.State()
	return s
}

// Close frees the optimizer's buffers (not the parameters).
func (o *AdamW) Close() {
	for _, ms := range o.m {
		for _, t := range ms {
			t.Close()
		}
	}
	for _, vs := range o.v {
		for _, t := range vs {
			t.Close()
		}
	}
}

func zeroGrads(groups []ParamGroup) error {
	for _, g := range groups {
		for _, p := range g.Params {
			if err := p.ZeroGrad(); err != nil {
				return err
			}
		}
	}
	return nil
}

// SGD is stochastic gradient descent with optional momentum (PyTorch's form, no dampening) and
// coupled weight decay.
type SGD struct {
	LR, Momentum float64
	Nesterov     bool
	groups       []ParamGroup
	buf          [][]*Tensor
	step         int64
}

// NewSGD allocates momentum buffers when momentum is non-zero.
func NewSGD(groups []ParamGroup, lr, momentum float64, nesterov bool) (*SGD, error) {
	if lr < 0 || momentum < 0 {
		return nil, fmt.Errorf("torch: sgd: bad hyper-parameters lr=%g momentum=%g", lr, momentum)
	}
	o := &SGD{LR: lr, Momentum: momentum, Nesterov: nesterov, groups: groups}
	for _, g := range groups {
		var bs []*Tensor
		for _, p := range g.Params {
			b, err := zerosLike(p)
			if err != nil {
				o.Close()
				return nil, fmt.Errorf("torch: sgd: %w", err)
			}
			bs = append(bs, b)
		}
		o.buf = append(o.buf, bs)
	}
	return o, nil
}

// Step applies one update.
func (o *SGD) Step() error {
	o.step++
	for gi, g := range o.groups {
		if len(g.Params) == 0 {
			continue
		}
		ps, err := handles("sgd", g.Params...)
		if err != nil {
			return err
		}
		bs, err := handles("sgd", o.buf[gi]...)
		if err != nil {
			return err
		}
		if err := check("sgd_step", C.ts_sgd_step(&ps[0], &bs[0], C.int(len(ps)), C.double(o.LR), C.double(o.Momentum),
			C.double(g.WeightDecay), cbool(o.Nesterov), C.int64_t(o.step))); err != nil {
			return err
		}
	}
	return nil
}

// ZeroGrad drops the gradients of every parameter.
func (o *SGD) ZeroGrad() error { return zeroGrads(o.groups) }

// State returns the momentum buffers by name ("momentum.G.P") and the step count.
func (o *SGD) State() (map[string]*Tensor, int64) {
	out := map[string]*Tensor{}
	for gi := range o.buf {
		for pi, b := range o.buf[gi] {
			out["momentum."+strconv.Itoa(gi)+"."+strconv.Itoa(pi)] = b
		}
	}
	return out, o.step
}

// LoadState copies buffers saved by State into this optimizer.
func (o *SGD) LoadState(state map[string]*Tensor, step int64) error {
	mine, _ := o.State()
	if len(state) != len(mine) {
		return fmt.Errorf("torch: sgd: state has %d buffers, optimizer has %d", len(state), len(mine))
	}
	for name, dst := range mine {
		src, ok := state[name]
		if !ok {
			return fmt.Errorf("torch: sgd: state has no %s", name)
		}
		if err := dst.CopyFrom(src); err != nil {
			return fmt.Errorf("torch: sgd: restore %s: %w", name, err)
		}
	}
	o.step = step
	return nil
}

// Close frees the momentum buffers.
func (o *SGD) Close() {
	for _, bs := range o.buf {
		for _, b := range bs {
			b.Close()
		}
	}
}
