package model

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/fewshot-go/fewshot/model/tokenizer"
)

// LoadTokenizer reads only the tokenizer of a sentence-transformers folder, configured as Load configures
// it (max_seq_length and do_lower_case from sentence_bert_config.json, capped by config.json's position
// embeddings), without reading any weights. maxSeqLength overrides max_seq_length when positive, as
// LoadOptions.MaxSeqLength does.
func LoadTokenizer(dir string, maxSeqLength int) (*tokenizer.Tokenizer, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("load tokenizer %s: not a folder", dir)
	}
	cfgPath := filepath.Join(dir, "config.json")
	var arch ArchConfig
	if err := readJSON(cfgPath, &arch); err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("load tokenizer %s: not a model folder (no config.json): %w", dir, err)
		}
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	stc, err := readSTConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	maxLen, err := effectiveMaxSeqLength(dir, stc.MaxSeqLength, maxSeqLength, arch)
	if err != nil {
		return nil, err
	}
	t, err := tokenizer.Load(dir, tokenizer.Options{MaxLength: maxLen, DoLowerCase: stc.DoLowerCase})
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	return t, nil
}

// effectiveMaxSeqLength is the truncation rule Load and LoadTokenizer share: the override, else
// max_seq_length, else the number of usable position embeddings; a length above that number is an error.
// A config.json without max_position_embeddings (not validated here) means no cap.
func effectiveMaxSeqLength(dir string, configured, override int, arch ArchConfig) (int, error) {
	maxPos := arch.MaxPositionEmbeddings
	maxLen := configured
	if override > 0 {
		maxLen = override
	}
	if maxPos <= 0 {
		return max(maxLen, 0), nil
	}
	limit := maxPos - arch.positionOffset()
	if maxLen > limit {
		return 0, fmt.Errorf("load %s: max_seq_length %d exceeds the model's %d positions", dir, maxLen, limit)
	}
	if maxLen <= 0 {
		maxLen = limit
	}
	return maxLen, nil
}
