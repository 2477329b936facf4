package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/model"
	"github.com/fewshot-go/fewshot/model/tokenizer"
)

// tokenizeFlags are fewshot tokenize's flags.
type tokenizeFlags struct {
	model        string
	maxSeqLength int
	json         bool
	input        string
	inputFormat  string
}

func newTokenizeCmd() *cobra.Command {
	f := &tokenizeFlags{}
	cmd := &cobra.Command{
		Use:   "tokenize [--model M] [--json] TEXT... | --input FILE",
		Short: "Show the token ids and tokens a model's tokenizer gives each text",
		Long: `Tokenize texts as the model does before embedding them: special tokens included, truncated to
the model's max_seq_length (or --max-seq-length). Only the tokenizer and the model's configuration are
read, never the weights.

Texts come from the arguments, or from --input (a file or - for stdin; one text per line, or JSONL
objects with a "text" when --input-format is jsonl or the file ends in .jsonl). With --json each text
gives one line {"ids": [...], "tokens": [...]}; otherwise a table per text.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runTokenize(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", modelFlagHelp)
	fl.IntVar(&f.maxSeqLength, "max-seq-length", 0, "truncate texts to this many tokens (0: the model's max_seq_length)")
	fl.BoolVar(&f.json, "json", false, "print one JSON object per text")
	fl.StringVar(&f.input, "input", "", "read texts from this file (- for stdin) instead of the arguments")
	fl.StringVar(&f.inputFormat, "input-format", "auto", "text (one text per line), jsonl, or auto (jsonl for *.jsonl files)")
	return cmd
}

// tokenRecord is one --json line.
type tokenRecord struct {
	IDs    []int64  `json:"ids"`
	Tokens []string `json:"tokens"`
}

func runTokenize(cmd *cobra.Command, f *tokenizeFlags, args []string) error {
	switch {
	case f.input != "" && len(args) > 0:
		return usageError{errors.New("give texts as arguments or with --input, not both")}
	case f.input == "" && len(args) == 0:
		return usageError{errors.New("no texts: give them as arguments or with --input FILE")}
	case f.maxSeqLength < 0:
		return usageError{fmt.Errorf("--max-seq-length %d: must not be negative", f.maxSeqLength)}
	}
	jsonl, err := inputIsJSONL(f.inputFormat, f.input)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	dir, err := locateModel(ctx, f.model, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	tok, err := model.LoadTokenizer(dir, f.maxSeqLength)
	if err != nil {
		return fmt.Errorf("--model %s: %w", f.model, err)
	}
	w := bufio.NewWriter(cmd.OutOrStdout())
	p := &tokenPrinter{tok: tok, w: w, json: f.json}
	if f.input == "" {
		for i, text := range args {
			if err := p.print(i, text); err != nil {
				return fmt.Errorf("text %d: %w", i, err)
			}
		}
	} else {
		in, name, _, closeIn, err := openInput(cmd, f.input)
		if err != nil {
			return err
		}
		defer closeIn()
		n := 0
		err = dataset.ReadTexts(in, name, jsonl, func(_ int, _ any, text string) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			n++
			return p.print(n-1, text)
		})
		if err != nil {
			_ = w.Flush()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write stdout: %w", err)
	}
	return nil
}

// tokenPrinter writes tokenizations as JSON lines or tables.
type tokenPrinter struct {
	tok  *tokenizer.Tokenizer
	w    io.Writer
	json bool
}

func (p *tokenPrinter) print(i int, text string) error {
	enc, err := p.tok.Encode(text)
	if err != nil {
		return fmt.Errorf("tokenize: %w", err)
	}
	if p.json {
		je := json.NewEncoder(p.w)
		je.SetEscapeHTML(false)
		return je.Encode(tokenRecord{IDs: enc.IDs, Tokens: enc.Tokens})
	}
	if i > 0 {
		fmt.Fprintln(p.w)
	}
	fmt.Fprintf(p.w, "text %d (%d tokens): %s\n", i, len(enc.IDs), quoteIfOdd(text))
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pos\tid\t  token")
	for j, id := range enc.IDs {
		tok := ""
		if j < len(enc.Tokens) {
			tok = enc.Tokens[j]
		}
		fmt.Fprintf(tw, "%d\t%d\t  %s\n", j, id, quoteIfOdd(tok))
	}
	return tw.Flush()
}

// quoteIfOdd quotes s when it is empty or holds white space or unprintable runes, so a table stays
// readable.
func quoteIfOdd(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 ||
		strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return strconv.Quote(s)
	}
	return s
}
