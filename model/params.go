package model

import (
	"fmt"
	"strings"

	"github.com/fewshot-go/fewshot/torch"
)

// Param is one trainable tensor. Fused tensors (a layer's query/key/value matrix) list the checkpoint
// names of their row blocks in Parts, in order; others have one name in Parts.
type Param struct {
	Tensor *torch.Tensor
	Parts  []string
	// Module is "" for the Transformer, or the folder of a Dense module ("2_Dense").
	Module string
}

// Name is a readable name for the parameter (its checkpoint name, or the fused names joined by "+").
func (p Param) Name() string {
	if p.Module != "" {
		return p.Module + "/" + strings.Join(p.Parts, "+")
	}
	return strings.Join(p.Parts, "+")
}

// NoDecay reports whether weight decay should skip this parameter: biases and LayerNorm weights, as the
// Hugging Face trainer does.
func (p Param) NoDecay() bool {
	for _, n := range p.Parts {
		if strings.HasSuffix(n, ".bias") || strings.Contains(n, "LayerNorm") || strings.Contains(n, "layer_norm") {
			return true
		}
	}
	return false
}

// Parameters lists every trainable tensor of the model in a fixed order.
func (m *Model) Parameters() []Param {
	e := m.Encoder
	c := e.Config
	var ps []Param
	add := func(t *torch.Tensor, names ...string) {
		if t != nil {
			ps = append(ps, Param{Tensor: t, Parts: names})
		}
	}
	add(e.word, "embeddings.word_embeddings.weight")
	add(e.pos, "embeddings.position_embeddings.weight")
	add(e.typ, "embeddings.token_type_embeddings.weight")
	add(e.embNormW, "embeddings.LayerNorm.weight")
	add(e.embNormB, "embeddings.LayerNorm.bias")
	add(e.relBias, "encoder.relative_attention_bias.weight")
	for i := range e.layers {
		k := layerKeys(c.ModelType, i)
		l := &e.layers[i]
		add(l.QKVWeight, k[0], k[2], k[4])
		add(l.QKVBias, k[1], k[3], k[5])
		add(l.OutWeight, k[6])
		add(l.OutBias, k[7])
		add(l.AttnNormWeight, k[8])
		add(l.AttnNormBias, k[9])
		add(l.InterWeight, k[10])
		add(l.InterBias, k[11])
		add(l.OutputWeight, k[12])
		add(l.OutputBias, k[13])
		add(l.OutputNormWeight, k[14])
		add(l.OutputNormBias, k[15])
	}
	for _, d := range m.Dense {
		mod := d.module()
		ps = append(ps, Param{Tensor: d.Weight, Parts: []string{"linear.weight"}, Module: mod})
		if d.Bias != nil {
			ps = append(ps, Param{Tensor: d.Bias, Parts: []string{"linear.bias"}, Module: mod})
		}
	}
	return ps
}

func (d *Dense) module() string {
	parts := strings.Split(strings.TrimRight(d.Path, "/"), "/")
	return parts[len(parts)-1]
}

// SetTrainable marks every parameter as requiring (or not) gradients. A trainable model's inference
// runs on the plain path (the oneDNN copies would go stale as the weights change).
func (m *Model) SetTrainable(on bool) error {
	if on {
		m.Encoder.SetFast(false, 0)
	}
	for _, p := range m.Parameters() {
		if err := p.Tensor.SetRequiresGrad(on); err != nil {
			return fmt.Errorf("parameter %s: %w", p.Name(), err)
		}
	}
	return nil
}

// ParamGroups splits the parameters into a weight-decay group and a no-decay group for AdamW.
func (m *Model) ParamGroups(weightDecay float64) []torch.ParamGroup {
	var decay, none []*torch.Tensor
	for _, p := range m.Parameters() {
		if p.NoDecay() {
			none = append(none, p.Tensor)
		} else {
			decay = append(decay, p.Tensor)
		}
	}
	return []torch.ParamGroup{{Params: decay, WeightDecay: weightDecay}, {Params: none}}
}

// expand returns each checkpoint name with its tensor (row blocks of fused tensors as views); the caller
// closes the returned tensors.
func (p Param) expand() (map[string]*torch.Tensor, error) {
	out := map[string]*torch.Tensor{}
	if len(p.Parts) == 1 {
		t, err := p.Tensor.Alias()
		if err != nil {
			return nil, err
		}
		out[p.Parts[0]] = t
		return out, nil
	}
	rows, err := p.Tensor.Size(0)
	if err != nil {
		return nil, err
	}
	n := int64(len(p.Parts))
	if rows%n != 0 {
		return nil, fmt.Errorf("fused parameter %s has %d rows, not divisible into %d parts", p.Name(), rows, n)
	}
	for i, name := range p.Parts {
		v, err := torch.Narrow(p.Tensor, 0, int64(i)*rows/n, rows/n)
		if err != nil {
			for _, t := range out {
				t.Close()
			}
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}
