package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// readCLINC reads the splits opt.Split (comma-separated, in that order) of a CLINC150 JSON object of
// splits, each an array of [text, intent] arrays.
func readCLINC(src *source, opt Options) ([]Example, error) {
	br, err := textReader(src.br, src.name, opt.Encoding)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(br)
	if err != nil {
		return nil, &Error{Path: src.name, Err: err}
	}
	if err := checkUTF8Data(src.name, data); err != nil {
		return nil, err
	}
	var want []string
	for _, s := range strings.Split(opt.Split, ",") {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			want = append(want, s)
		}
	}
	wanted := func(k string) bool {
		for _, w := range want {
			if strings.EqualFold(k, w) {
				return true
			}
		}
		return false
	}
	name := src.name
	c := &lineCounter{data: data}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(name, c, 0, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errorf(name, c.at(skipSep(data, 0)), "want a JSON object of splits ({\"train\": [[text, intent], ...], ...})")
	}
	splits := map[string][]Example{}
	var names []string
	for dec.More() {
		at := skipSep(data, int(dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(name, c, at, err)
		}
		key, _ := tok.(string)
		names = append(names, key)
		at = skipSep(data, int(dec.InputOffset()))
		for at < len(data) && data[at] == ':' {
			at = skipSep(data, at+1)
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, jsonError(name, c, at, err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, errorf(name, c.at(at), "split %q: want an array of [text, intent], got %s", key, jsonKind(data[at:]))
		}
		keep := wanted(key)
		var out []Example
		for item := 1; dec.More(); item++ {
			at := skipSep(data, int(dec.InputOffset()))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, jsonError(name, c, at, err)
			}
			if !keep {
				continue
			}
			ex, err := clincItem(raw)
			if err != nil {
				return nil, errorf(name, c.at(at), "split %q item %d: %v", key, item, err)
			}
			out = append(out, ex)
		}
		at = skipSep(data, int(dec.InputOffset()))
		if _, err := dec.Token(); err != nil {
			return nil, jsonError(name, c, at, err)
		}
		if keep {
			splits[strings.ToLower(key)] = out
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonError(name, c, int(dec.InputOffset()), err)
	}
	sort.Strings(names)
	if len(want) == 0 {
		return nil, errorf(name, 0, "holds several splits; choose one or more (comma-separated) with Split: %s", listKeys(names))
	}
	var out []Example
	for _, w := range want {
		ex, ok := splits[w]
		if !ok {
			return nil, errorf(name, 0, "no split %q; splits: %s", w, listKeys(names))
		}
		out = append(out, ex...)
	}
	if len(out) == 0 {
		return nil, errorf(name, 0, "split %q is empty", opt.Split)
	}
	return out, nil
}

// clincItem reads one [text, intent] array.
func clincItem(raw json.RawMessage) (Example, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return Example{}, fmt.Errorf("want [text, intent], got %s", clip(string(bytes.TrimSpace(raw))))
	}
	var text, label string
	if json.Unmarshal(pair[0], &text) != nil {
		return Example{}, fmt.Errorf("text is %s, want a string", jsonKind(pair[0]))
	}
	if json.Unmarshal(pair[1], &label) != nil {
		return Example{}, fmt.Errorf("intent is %s, want a string", jsonKind(pair[1]))
	}
	text, label = strings.TrimSpace(text), strings.TrimSpace(label)
	switch {
	case text == "":
		return Example{}, errors.New("empty text")
	case label == "":
		return Example{}, errors.New("empty intent")
	}
	return Example{Text: text, Label: label}, nil
}
