package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/model"
)

// embedFlags are fewshot embed's flags.
type embedFlags struct {
	modelFlags
	batchSize   int
	chunkSize   int
	normalize   bool
	input       string
	inputFormat string
	output      string
	format      string
	shard       string
	quiet       bool
}

func newEmbedCmd() *cobra.Command {
	f := &embedFlags{}
	cmd := &cobra.Command{
		Use:   "embed [--model M] [--input FILE|-] [--output FILE|-] [--format jsonl|npy] [--shard I/N]",
		Short: "Embed one text per line (or JSONL {\"text\", \"id\"}) into JSONL or an npy matrix",
		Long: `Embed texts with a sentence-transformers model, streaming: texts are read, encoded and written
in chunks, so memory stays bounded on inputs of any length.

Input (--input, default stdin) holds one text per line, or with --input-format jsonl (the default for
files ending in .jsonl) one JSON object per line with a string "text" and an optional "id". Blank
lines are skipped. Without an "id", a text's id is its 0-based line number.

Output (--output, default stdout) is JSONL, one {"id": ..., "embedding": [...]} per text in input
order, or with --format npy (the default for files ending in .npy) one float32 matrix of N rows in
input order. A file is written under a temporary name and renamed when complete.

--shard I/N embeds only the lines whose 0-based line number is I modulo N, so N jobs split one input;
ids keep the original line numbers.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEmbed(cmd, f) },
	}
	addModelFlags(cmd, &f.modelFlags)
	fl := cmd.Flags()
	fl.IntVar(&f.batchSize, "batch-size", 32, "texts per forward pass")
	fl.IntVar(&f.chunkSize, "chunk-size", 4096, "texts read, encoded (sorted by length) and written at a time")
	fl.BoolVar(&f.normalize, "normalize", false, "L2-normalise the embeddings")
	fl.StringVar(&f.input, "input", "-", "input file, or - for stdin")
	fl.StringVar(&f.inputFormat, "input-format", "auto", "text (one text per line), jsonl, or auto (jsonl for *.jsonl files)")
	fl.StringVar(&f.output, "output", "-", "output file, or - for stdout")
	fl.StringVar(&f.format, "format", "", "jsonl or npy (default: npy for *.npy outputs, else jsonl)")
	fl.StringVar(&f.shard, "shard", "0/1", "embed only lines I, I+N, I+2N, ... (0-based line numbers) of the input")
	fl.BoolVar(&f.quiet, "quiet", false, "do not print the summary line on stderr")
	return cmd
}

// noArgs refuses positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.Name(), args[0])}
	}
	return nil
}

// shardSpec is --shard I/N.
type shardSpec struct{ index, count int }

// parseShard reads "I/N" with 0 <= I < N.
func parseShard(s string) (shardSpec, error) {
	bad := usageError{fmt.Errorf("--shard %q: want I/N with integers 0 <= I < N, such as 0/4", s)}
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return shardSpec{}, bad
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return shardSpec{}, bad
	}
	return shardSpec{index: i, count: n}, nil
}

// takes reports whether the shard embeds the 1-based line lineNo.
func (s shardSpec) takes(lineNo int) bool { return (lineNo-1)%s.count == s.index }

// outputFormat resolves --format against the --output name.
func outputFormat(format, output string) (string, error) {
	switch strings.ToLower(format) {
	case formatJSONL:
		return formatJSONL, nil
	case formatNPY:
		return formatNPY, nil
	case "":
		if strings.HasSuffix(strings.ToLower(output), ".npy") {
			return formatNPY, nil
		}
		return formatJSONL, nil
	}
	return "", usageError{fmt.Errorf("--format %q: want jsonl or npy", format)}
}

// inputIsJSONL resolves --input-format against the --input name.
func inputIsJSONL(format, input string) (bool, error) {
	switch strings.ToLower(format) {
	case "text", "txt", "lines":
		return false, nil
	case formatJSONL:
		return true, nil
	case "", "auto":
		return strings.HasSuffix(strings.ToLower(input), ".jsonl"), nil
	}
	return false, usageError{fmt.Errorf("--input-format %q: want text, jsonl or auto", format)}
}

// openInput opens --input ("-" is the command's stdin) and returns it with its name for messages and
// its size in bytes (-1 when unknown).
func openInput(cmd *cobra.Command, path string) (r io.Reader, name string, size int64, closeFn func(), err error) {
	if path == "" || path == "-" {
		return cmd.InOrStdin(), "stdin", -1, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", 0, nil, fmt.Errorf("--input %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", 0, nil, fmt.Errorf("--input %s: %w", path, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, "", 0, nil, fmt.Errorf("--input %s: is a folder", path)
	}
	size = -1
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, path, size, func() { f.Close() }, nil
}

// errStopReading stops dataset.ReadTexts when the callback failed for a reason that is not about the
// line being read; the real error is kept aside.
var errStopReading = errors.New("stop reading")

func runEmbed(cmd *cobra.Command, f *embedFlags) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	stderr := cmd.ErrOrStderr()
	shard, err := parseShard(f.shard)
	if err != nil {
		return err
	}
	format, err := outputFormat(f.format, f.output)
	if err != nil {
		return err
	}
	jsonl, err := inputIsJSONL(f.inputFormat, f.input)
	if err != nil {
		return err
	}
	if f.batchSize <= 0 {
		return usageError{fmt.Errorf("--batch-size %d: must be positive", f.batchSize)}
	}
	if f.chunkSize <= 0 {
		return usageError{fmt.Errorf("--chunk-size %d: must be positive", f.chunkSize)}
	}
	if f.maxSeqLength < 0 {
		return usageError{fmt.Errorf("--max-seq-length %d: must not be negative", f.maxSeqLength)}
	}
	in, inName, inSize, closeIn, err := openInput(cmd, f.input)
	if err != nil {
		return err
	}
	defer closeIn()
	out, err := newSink(f.output, cmd.OutOrStdout(), format == formatNPY)
	if err != nil {
		return err
	}
	defer out.abort()
	m, err := f.load(ctx, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	ew, err := newEmbeddingWriter(format, m.Dim(), out.w)
	if err != nil {
		return fmt.Errorf("write %s: %w", out.name(), err)
	}

	counted := &countingReader{r: in}
	prog := newProgress(stderr, inSize, counted)
	start := time.Now()
	texts := make([]string, 0, f.chunkSize)
	ids := make([]any, 0, f.chunkSize)
	done := 0
	flush := func() error {
		if len(texts) == 0 {
			return nil
		}
		vecs, err := m.Encode(ctx, texts, model.EncodeOptions{
			BatchSize: f.batchSize,
			Normalize: f.normalize,
			Progress:  func(n int) { prog.update(done + n) },
		})
		if err != nil {
			return fmt.Errorf("embed texts %d to %d of %s: %w", done, done+len(texts)-1, inName, err)
		}
		for i, v := range vecs {
			if err := ew.write(ids[i], v); err != nil {
				return fmt.Errorf("write %s: %w", out.name(), err)
			}
		}
		done += len(texts)
		texts, ids = texts[:0], ids[:0]
		clear(ids[:cap(ids)])
		return nil
	}
	var stopErr error
	err = dataset.ReadTexts(counted, inName, jsonl, func(lineNo int, id any, text string) error {
		if err := ctx.Err(); err != nil {
			stopErr = err
			return errStopReading
		}
		if !shard.takes(lineNo) {
			return nil
		}
		texts = append(texts, text)
		ids = append(ids, id)
		if len(texts) >= f.chunkSize {
			if err := flush(); err != nil {
				stopErr = err
				return errStopReading
			}
		}
		return nil
	})
	if err == nil {
		err = flush()
	} else if stopErr != nil {
		err = stopErr
	}
	if err == nil {
		err = ctx.Err()
	}
	prog.finish()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("embed stopped (%w); %s", ctx.Err(), out.unfinished())
		}
		return err
	}
	header, err := ew.header()
	if err != nil {
		return err
	}
	if err := out.commit(header); err != nil {
		return err
	}
	if !f.quiet {
		secs := time.Since(start).Seconds()
		fmt.Fprintf(stderr, "fewshot embed: %d texts, dim %d, %.2fs, %.0f texts/s -> %s\n",
			done, m.Dim(), secs, float64(done)/max(secs, 1e-9), out.name())
	}
	return nil
}
