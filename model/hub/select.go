package hub

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// moduleDirRE matches a sentence-transformers module folder such as
// "1_Pooling" or "2_Dense".
var moduleDirRE = regexp.MustCompile(`^[0-9]+_[A-Za-z0-9_.-]+$`)

// shardRE matches the shards named by model.safetensors.index.json.
var shardRE = regexp.MustCompile(`^model-[0-9]+-of-[0-9]+\.safetensors$`)

// isWantedName reports whether base is one of the configuration and
// tokenizer files fetched from the repo root and from every module folder.
func isWantedName(base string) bool {
	switch base {
	case "modules.json", "config_sentence_transformers.json", "sentence_bert_config.json",
		"config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
		"vocab.txt", "vocab.json", "merges.txt", "sentencepiece.bpe.model":
		return true
	}
	return false
}

// SelectFiles picks, from a repo's file list, the files a sentence-transformers
// model needs: the configuration and tokenizer files, and one weights format
// (model.safetensors, its shards, or else pytorch_model.bin), both at the root
// and in each N_Name/ module folder. ONNX, OpenVINO, TensorFlow, Flax, Rust
// and GGUF weights, deeper folders and everything else are skipped.
//
// The result is ordered so that config.json and then modules.json come last:
// a snapshot that has them was downloaded completely.
func SelectFiles(siblings []string) []string {
	byDir := map[string]map[string]bool{}
	for _, s := range siblings {
		if strings.HasPrefix(s, "/") || strings.Contains(s, "\\") {
			continue
		}
		dir, base := path.Split(s)
		dir = strings.TrimSuffix(dir, "/")
		if dir != "" && !moduleDirRE.MatchString(dir) {
			continue
		}
		if byDir[dir] == nil {
			byDir[dir] = map[string]bool{}
		}
		byDir[dir][base] = true
	}
	var picked []string
	for dir, names := range byDir {
		join := func(base string) string {
			if dir == "" {
				return base
			}
			return dir + "/" + base
		}
		for n := range names {
			if isWantedName(n) {
				picked = append(picked, join(n))
			}
		}
		switch {
		case names["model.safetensors"]:
			picked = append(picked, join("model.safetensors"))
		case names["model.safetensors.index.json"]:
			picked = append(picked, join("model.safetensors.index.json"))
			for n := range names {
				if shardRE.MatchString(n) {
					picked = append(picked, join(n))
				}
			}
		case names["pytorch_model.bin"]:
			picked = append(picked, join("pytorch_model.bin"))
		}
	}
	rank := func(p string) int {
		switch p {
		case "modules.json":
			return 2
		case "config.json":
			return 1
		}
		return 0
	}
	slices.SortFunc(picked, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return picked
}
