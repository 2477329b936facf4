package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Module is one entry of a sentence-transformers modules.json pipeline.
type Module struct {
	Idx  int    `json:"idx"`
	Name string `json:"name"`
	Path string `json:"path"`
	Type string `json:"type"`
}

// Kind is the module's class name without its package ("Transformer", "Pooling", "Dense", "Normalize").
func (m Module) Kind() string {
	if i := strings.LastIndex(m.Type, "."); i >= 0 {
		return m.Type[i+1:]
	}
	return m.Type
}

// STConfig is sentence_bert_config.json: the Transformer module's settings.
type STConfig struct {
	MaxSeqLength int  `json:"max_seq_length"`
	DoLowerCase  bool `json:"do_lower_case"`
}

// PoolingConfig is 1_Pooling/config.json.
type PoolingConfig struct {
	WordEmbeddingDimension int   `json:"word_embedding_dimension"`
	CLS                    bool  `json:"pooling_mode_cls_token"`
	Mean                   bool  `json:"pooling_mode_mean_tokens"`
	Max                    bool  `json:"pooling_mode_max_tokens"`
	MeanSqrtLen            bool  `json:"pooling_mode_mean_sqrt_len_tokens"`
	WeightedMean           bool  `json:"pooling_mode_weightedmean_tokens"`
	LastToken              bool  `json:"pooling_mode_lasttoken"`
	IncludePrompt          *bool `json:"include_prompt,omitempty"`
}

// Modes lists the enabled pooling modes in the order sentence-transformers concatenates them.
func (p PoolingConfig) Modes() []string {
	var m []string
	if p.CLS {
		m = append(m, "cls")
	}
	if p.Max {
		m = append(m, "max")
	}
	if p.Mean {
		m = append(m, "mean")
	}
	if p.MeanSqrtLen {
		m = append(m, "mean_sqrt_len_tokens")
	}
	if p.WeightedMean {
		m = append(m, "weightedmean")
	}
	if p.LastToken {
		m = append(m, "lasttoken")
	}
	return m
}

// DenseConfig is N_Dense/config.json.
type DenseConfig struct {
	InFeatures         int    `json:"in_features"`
	OutFeatures        int    `json:"out_features"`
	Bias               *bool  `json:"bias,omitempty"`
	ActivationFunction string `json:"activation_function"`
}

// ArchConfig is the Hugging Face config.json of the Transformer module, with DistilBERT's own key names
// folded into the common ones.
type ArchConfig struct {
	ModelType             string  `json:"model_type"`
	HiddenSize            int     `json:"hidden_size"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	IntermediateSize      int     `json:"intermediate_size"`
	HiddenAct             string  `json:"hidden_act"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	TypeVocabSize         int     `json:"type_vocab_size"`
	PadTokenID            int     `json:"pad_token_id"`
	VocabSize             int     `json:"vocab_size"`
	HiddenDropoutProb     float64 `json:"hidden_dropout_prob"`
	AttentionDropoutProb  float64 `json:"attention_probs_dropout_prob"`
	RelativeBuckets       int     `json:"relative_attention_num_buckets"`
	PositionEmbeddingType string  `json:"position_embedding_type"`

	// DistilBERT spellings.
	Dim                int     `json:"dim"`
	NLayers            int     `json:"n_layers"`
	NHeads             int     `json:"n_heads"`
	HiddenDim          int     `json:"hidden_dim"`
	Activation         string  `json:"activation"`
	Dropout            float64 `json:"dropout"`
	AttentionDropout   float64 `json:"attention_dropout"`
	SinusoidalPosEmbds bool    `json:"sinusoidal_pos_embds"`
}

// SupportedModelTypes are the config.json model_type values the encoder implements.
var SupportedModelTypes = []string{"bert", "distilbert", "roberta", "xlm-roberta", "camembert", "mpnet"}

// normalize fills defaults, folds DistilBERT names and validates the config.
func (c *ArchConfig) normalize(path string) error {
	if c.ModelType == "distilbert" {
		c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize = c.Dim, c.NLayers, c.NHeads, c.HiddenDim
		c.HiddenAct = c.Activation
		c.HiddenDropoutProb, c.AttentionDropoutProb = c.Dropout, c.AttentionDropout
		c.LayerNormEps = 1e-12
		c.TypeVocabSize = 0
		if c.SinusoidalPosEmbds {
			return fmt.Errorf("%s: sinusoidal position embeddings are not supported", path)
		}
	}
	supported := false
	for _, t := range SupportedModelTypes {
		supported = supported || t == c.ModelType
	}
	if !supported {
		return fmt.Errorf("%s: model_type %q is not supported (supported: %s)", path, c.ModelType, strings.Join(SupportedModelTypes, ", "))
	}
	if c.LayerNormEps == 0 {
		c.LayerNormEps = 1e-12
	}
	if c.HiddenAct == "" {
		c.HiddenAct = "gelu"
	}
	if c.PositionEmbeddingType != "" && c.PositionEmbeddingType != "absolute" {
		return fmt.Errorf("%s: position_embedding_type %q is not supported (only absolute)", path, c.PositionEmbeddingType)
	}
	if c.ModelType == "mpnet" && c.RelativeBuckets == 0 {
		c.RelativeBuckets = 32
	}
	switch {
	case c.HiddenSize <= 0, c.NumHiddenLayers <= 0, c.NumAttentionHeads <= 0, c.IntermediateSize <= 0,
		c.VocabSize <= 0, c.MaxPositionEmbeddings <= 0:
		return fmt.Errorf("%s: hidden size, layers, heads, intermediate size, vocab size and max positions must be positive", path)
	case c.HiddenSize%c.NumAttentionHeads != 0:
		return fmt.Errorf("%s: hidden size %d is not divisible by %d heads", path, c.HiddenSize, c.NumAttentionHeads)
	}
	if _, err := activationOf(c.HiddenAct); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// positionOffset is where position ids start: RoBERTa-style models count from padding_idx+1.
func (c *ArchConfig) positionOffset() int {
	switch c.ModelType {
	case "roberta", "xlm-roberta", "camembert", "mpnet":
		return c.PadTokenID + 1
	}
	return 0
}

// readJSON decodes a JSON file, naming the file in every error.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: invalid JSON: %w", path, err)
	}
	return nil
}

// readModules reads modules.json, or returns the Transformer + mean Pooling default when it is absent.
func readModules(dir string) ([]Module, bool, error) {
	path := filepath.Join(dir, "modules.json")
	var mods []Module
	err := readJSON(path, &mods)
	if errors.Is(err, os.ErrNotExist) {
		return []Module{
			{Idx: 0, Name: "0", Path: "", Type: "sentence_transformers.models.Transformer"},
			{Idx: 1, Name: "1", Path: "1_Pooling", Type: "sentence_transformers.models.Pooling"},
		}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if len(mods) == 0 {
		return nil, false, fmt.Errorf("%s: no modules", path)
	}
	if mods[0].Kind() != "Transformer" {
		return nil, false, fmt.Errorf("%s: the first module must be a Transformer, got %q", path, mods[0].Type)
	}
	for _, m := range mods[1:] {
		switch m.Kind() {
		case "Pooling", "Dense", "Normalize":
		default:
			return nil, false, fmt.Errorf("%s: module %q of type %q is not supported (Transformer, Pooling, Dense, Normalize)", path, m.Name, m.Type)
		}
		if strings.Contains(m.Path, "..") || filepath.IsAbs(m.Path) {
			return nil, false, fmt.Errorf("%s: module %q has an unsafe path %q", path, m.Name, m.Path)
		}
	}
	return mods, true, nil
}

// readSTConfig reads sentence_bert_config.json (or a legacy sentence_*_config.json); absent means defaults.
func readSTConfig(dir string) (STConfig, error) {
	var c STConfig
	for _, name := range []string{"sentence_bert_config.json", "sentence_roberta_config.json", "sentence_distilbert_config.json",
		"sentence_camembert_config.json", "sentence_albert_config.json", "sentence_xlm-roberta_config.json", "sentence_xlnet_config.json"} {
		err := readJSON(filepath.Join(dir, name), &c)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		return c, err
	}
	return c, nil
}
