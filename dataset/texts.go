package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadTexts streams the texts of r to fn, one call a text, holding one line in memory at a time. name
// is only used in messages.
//
// Without jsonl, every line is a text; id is its 0-based line number (an int). With jsonl, every line
// is a JSON object with a string "text" and an optional "id" of any JSON type, passed on as decoded
// with json.Number for numbers (so large integers keep their digits); without one, id is the 0-based
// line number. lineNo is the 1-based line. Texts are trimmed of surrounding white space; blank lines
// are skipped (ids still count them); an empty "text" is an error. Invalid UTF-8 is an error. An error
// returned by fn stops the reading and comes back wrapped with the name and line.
func ReadTexts(r io.Reader, name string, jsonl bool, fn func(lineNo int, id any, text string) error) error {
	lr, err := openLines(r, name, "")
	if err != nil {
		return err
	}
	n := 0
	for line, err := range nonBlankLines(lr.nextUTF8) {
		if err != nil {
			return err
		}
		var id any = lr.n - 1
		var text string
		if jsonl {
			if id, text, err = textRecord(line, id); err != nil {
				return &Error{Path: name, Line: lr.n, Err: err}
			}
		} else {
			text = strings.TrimSpace(string(line))
		}
		if err := fn(lr.n, id, text); err != nil {
			return &Error{Path: name, Line: lr.n, Err: err}
		}
		n++
	}
	if n == 0 {
		return errorf(name, 0, "no texts (blank lines only)")
	}
	return nil
}

// textRecord reads {"text": ..., "id": ...} from one JSONL line; id is returned unchanged when the
// line has none.
func textRecord(line []byte, id any) (any, string, error) {
	line = bytes.TrimSpace(line)
	if line[0] != '{' {
		return nil, "", fmt.Errorf("want a JSON object, got %s", jsonKind(line))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, "", fmt.Errorf("malformed JSON: %v", err)
	}
	raw, ok := obj["text"]
	if !ok {
		return nil, "", fmt.Errorf("missing field \"text\"; fields: %s", listKeys(objectKeys(obj)))
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil || bytes.TrimSpace(raw)[0] != '"' {
		return nil, "", fmt.Errorf("field \"text\" is %s, want a string", jsonKind(raw))
	}
	if text = strings.TrimSpace(text); text == "" {
		return nil, "", errors.New("empty text")
	}
	if raw, ok := obj["id"]; ok {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, "", fmt.Errorf("field \"id\": %v", err)
		}
		id = v
	}
	return id, text, nil
}
