package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/eval"
)

// tfidfModel is the --model value that selects the TF-IDF baseline in the eval commands.
const tfidfModel = "tfidf"

// isTFIDF reports whether --model names the TF-IDF baseline (a folder called tfidf is ./tfidf).
func isTFIDF(name string) bool { return strings.EqualFold(name, tfidfModel) }

// evalEmbedder returns the embedder --model names: the TF-IDF baseline fitted on corpus (every text
// the command sees), or the loaded model. The returned function frees it.
func evalEmbedder(ctx context.Context, cmd *cobra.Command, f *modelFlags, corpus []string) (classify.Embedder, func(), error) {
	if isTFIDF(f.model) {
		if err := setThreads(f.threads); err != nil {
			return nil, nil, err
		}
		tf, err := classify.NewTFIDF(corpus)
		if err != nil {
			return nil, nil, fmt.Errorf("--model tfidf: %w", err)
		}
		return tf, func() {}, nil
	}
	m, err := f.load(ctx, cmd.ErrOrStderr())
	if err != nil {
		return nil, nil, err
	}
	return m, m.Close, nil
}

func newEvalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure few-shot accuracy (episodes, SetFit protocol) and STS correlation on labelled data",
		Long: `Evaluate a model (or, with --model tfidf, the TF-IDF baseline fitted on the texts the command reads)
on labelled data:

  eval episodes   k-way n-shot episodes sampled from one labelled set (mean accuracy and 95% interval)
  eval classify   the SetFit protocol: N examples per label from a training set, scored on a test set
  eval sts        Spearman and Pearson correlation of cosine similarity with gold pair scores
  eval zeroshot   zero-shot accuracy with the label names as the only supervision

Data files are read by the dataset reader (--format, --text-col, --label-col, --split).`,
		Args: noArgsUsage,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("eval needs a subcommand: episodes, classify, sts or zeroshot")}
		},
	}
	cmd.AddCommand(newEvalEpisodesCmd(), newEvalClassifyCmd(), newEvalSTSCmd(), newEvalZeroshotCmd())
	return cmd
}

// evalEpisodesFlags are fewshot eval episodes' flags.
type evalEpisodesFlags struct {
	modelFlags
	data                       datasetFlags
	head                       headFlags
	path                       string
	way, shot, query, episodes int
	seed                       uint64
	json                       bool
}

func newEvalEpisodesCmd() *cobra.Command {
	f := &evalEpisodesFlags{}
	cmd := &cobra.Command{
		Use:   "episodes [--model M] --data FILE [--way 5] [--shot 1] [--query 15] [--episodes 1000] [--method prototype,knn,logreg] [--seed S] [--json]",
		Short: "Episodic k-way n-shot accuracy on one labelled set",
		Long: `Embed every text of --data once, then sample --episodes tasks: each picks --way labels among those
with at least shot+query examples, --shot support and --query query texts per label (disjoint), fits the
classifier on the support embeddings and scores the queries. Prints the mean accuracy and the half-width
of its 95% confidence interval; --json writes one {"method", "accuracy", "ci95", "episodes", "way",
"shot", "query", ...} object per method.`,
		Args: noArgsUsage,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEvalEpisodes(cmd, f) },
	}
	addModelFlags(cmd, &f.modelFlags)
	addDatasetFlags(cmd, &f.data)
	addHeadFlags(cmd, &f.head, true)
	fl := cmd.Flags()
	fl.StringVar(&f.path, "data", "", "labelled texts to sample episodes from")
	fl.IntVar(&f.way, "way", 5, "labels per episode")
	fl.IntVar(&f.shot, "shot", 1, "support examples per label")
	fl.IntVar(&f.query, "query", 15, "query examples per label")
	fl.IntVar(&f.episodes, "episodes", 1000, "number of episodes")
	fl.Uint64Var(&f.seed, "seed", 0, "sampling seed")
	fl.BoolVar(&f.json, "json", false, "write one JSON object per method")
	return cmd
}

// noArgsUsage refuses positional arguments as a usage error.
func noArgsUsage(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}

// episodesRecord is one line of fewshot eval episodes --json.
type episodesRecord struct {
	Method   string  `json:"method"`
	Model    string  `json:"model"`
	Accuracy float64 `json:"accuracy"`
	CI95     float64 `json:"ci95"`
	Episodes int     `json:"episodes"`
	Way      int     `json:"way"`
	Shot     int     `json:"shot"`
	Query    int     `json:"query"`
	Seed     uint64  `json:"seed"`
}

func runEvalEpisodes(cmd *cobra.Command, f *evalEpisodesFlags) error {
	ctx := commandContext(cmd)
	for _, c := range []struct {
		name   string
		v, min int
	}{{"way", f.way, 2}, {"shot", f.shot, 1}, {"query", f.query, 1}, {"episodes", f.episodes, 1}} {
		if c.v < c.min {
			return usageError{fmt.Errorf("--%s %d: must be at least %d", c.name, c.v, c.min)}
		}
	}
	heads, err := f.head.heads(true)
	if err != nil {
		return err
	}
	ex, err := readLabelled("data", f.path, f.data.options(f.data.split))
	if err != nil {
		return err
	}
	texts, labels := textsAndLabels(ex)
	cfg := eval.EpisodeConfig{Way: f.way, Shot: f.shot, Query: f.query, Episodes: f.episodes, Seed: f.seed}
	// Check the configuration against the data before the model runs.
	if _, err := eval.SampleEpisodes(labels, eval.EpisodeConfig{Way: f.way, Shot: f.shot, Query: f.query, Episodes: 1, Seed: f.seed}); err != nil {
		return fmt.Errorf("--data %s: %w", f.path, err)
	}
	e, closeEmb, err := evalEmbedder(ctx, cmd, &f.modelFlags, texts)
	if err != nil {
		return err
	}
	defer closeEmb()
	emb, err := e.Embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("embed --data %s: %w", f.path, err)
	}
	out := cmd.OutOrStdout()
	enc := newJSONEncoder(out)
	for _, h := range heads {
		res, err := eval.EvaluateEpisodes(ctx, emb, labels, cfg, func() classify.Classifier { return h.make() })
		if err != nil {
			return fmt.Errorf("%s on --data %s: %w", h.name, f.path, err)
		}
		rec := episodesRecord{Method: h.name, Model: e.ID(), Accuracy: res.Accuracy, CI95: res.CI95,
			Episodes: res.Episodes, Way: res.Way, Shot: res.Shot, Query: res.Query, Seed: f.seed}
		if f.json {
			err = enc.Encode(rec)
		} else {
			_, err = fmt.Fprintf(out, "%s: %d-way %d-shot (%d queries per label), %d episodes: accuracy %.2f%% ± %.2f\n",
				h.name, rec.Way, rec.Shot, rec.Query, rec.Episodes, 100*rec.Accuracy, 100*rec.CI95)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// evalClassifyFlags are fewshot eval classify's flags.
type evalClassifyFlags struct {
	modelFlags
	data                               datasetFlags
	head                               headFlags
	train, test, trainSplit, testSplit string
	shots, seeds                       int
	json                               bool
}

func newEvalClassifyCmd() *cobra.Command {
	f := &evalClassifyFlags{}
	cmd := &cobra.Command{
		Use:   "classify [--model M] --train FILE --test FILE --shots N [--seeds 5] [--method prototype,knn,logreg] [--json]",
		Short: "The SetFit protocol: N examples per label for training, accuracy and macro-F1 on a test set",
		Long: `For each of --seeds seeds (0, 1, ...), draw --shots examples of every label from --train, fit the
classifier on their embeddings and classify the whole --test set; report the mean and standard
deviation over seeds of accuracy and macro-F1. Every text is embedded once for all seeds and methods.

--split applies to both files; --train-split and --test-split override it (CLINC150's data_full.json
holds both: --train-split train --test-split test). --json writes one {"method", "n", "accuracy_mean",
"accuracy_sd", "macro_f1_mean", "macro_f1_sd", "runs", ...} object per method.`,
		Args: noArgsUsage,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEvalClassify(cmd, f) },
	}
	addModelFlags(cmd, &f.modelFlags)
	addDatasetFlags(cmd, &f.data)
	addHeadFlags(cmd, &f.head, true)
	fl := cmd.Flags()
	fl.StringVar(&f.train, "train", "", "labelled training texts (examples are sampled from it)")
	fl.StringVar(&f.test, "test", "", "labelled test texts")
	fl.StringVar(&f.trainSplit, "train-split", "", "split of --train (default: --split)")
	fl.StringVar(&f.testSplit, "test-split", "", "split of --test (default: --split)")
	fl.IntVar(&f.shots, "shots", 8, "training examples per label")
	fl.IntVar(&f.seeds, "seeds", 5, "number of sampling seeds (0, 1, ...)")
	fl.BoolVar(&f.json, "json", false, "write one JSON object per method")
	return cmd
}

// setfitRecord is one line of fewshot eval classify --json.
type setfitRecord struct {
	Method string `json:"method"`
	Model  string `json:"model"`
	eval.SetFitResult
}

func runEvalClassify(cmd *cobra.Command, f *evalClassifyFlags) error {
	ctx := commandContext(cmd)
	if f.shots < 1 {
		return usageError{fmt.Errorf("--shots %d: must be at least 1", f.shots)}
	}
	if f.seeds < 1 {
		return usageError{fmt.Errorf("--seeds %d: must be at least 1", f.seeds)}
	}
	heads, err := f.head.heads(true)
	if err != nil {
		return err
	}
	pick := func(s string) string {
		if s != "" {
			return s
		}
		return f.data.split
	}
	train, err := readLabelled("train", f.train, f.data.options(pick(f.trainSplit)))
	if err != nil {
		return err
	}
	test, err := readLabelled("test", f.test, f.data.options(pick(f.testSplit)))
	if err != nil {
		return err
	}
	if err := checkSupportLabels(train); err != nil {
		return fmt.Errorf("--train %s: %w", f.train, err)
	}
	counts := dataset.CountLabels(train)
	var missing []string
	for l := range dataset.CountLabels(test) {
		if counts[l] == 0 {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("--test %s: %d labels have no examples in --train %s: %q", f.test, len(missing), f.train, missing)
	}
	corpus := make([]string, 0, len(train)+len(test))
	for _, ex := range train {
		corpus = append(corpus, ex.Text)
	}
	for _, ex := range test {
		corpus = append(corpus, ex.Text)
	}
	e, closeEmb, err := evalEmbedder(ctx, cmd, &f.modelFlags, corpus)
	if err != nil {
		return err
	}
	defer closeEmb()
	seeds := make([]uint64, f.seeds)
	for i := range seeds {
		seeds[i] = uint64(i)
	}
	embed := eval.FrozenEmbedSplits(e)
	out := cmd.OutOrStdout()
	enc := newJSONEncoder(out)
	for _, h := range heads {
		res, err := eval.EvaluateSetFit(ctx, train, test, f.shots, seeds, embed, func() classify.Classifier { return h.make() })
		if err != nil {
			return fmt.Errorf("%s: %w", h.name, err)
		}
		if f.json {
			err = enc.Encode(setfitRecord{Method: h.name, Model: e.ID(), SetFitResult: res})
		} else {
			_, err = fmt.Fprintf(out, "%s: %d per label, %d seeds, %d test texts: accuracy %.2f%% (sd %.2f), macro-F1 %.2f%% (sd %.2f)\n",
				h.name, res.N, len(res.Runs), len(test), 100*res.AccuracyMean, 100*res.AccuracySD, 100*res.MacroF1Mean, 100*res.MacroF1SD)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// evalSTSFlags are fewshot eval sts' flags.
type evalSTSFlags struct {
	modelFlags
	data datasetFlags
	path string
	json bool
}

func newEvalSTSCmd() *cobra.Command {
	f := &evalSTSFlags{}
	cmd := &cobra.Command{
		Use:   "sts [--model M] --data FILE [--json]",
		Short: "Spearman and Pearson correlation of cosine similarity with gold pair scores (STS-B, SICK)",
		Long: `Embed every distinct sentence of the --data pairs once and correlate the pairs' cosine similarities
with their gold scores, as sentence-transformers' EmbeddingSimilarityEvaluator (spearman_cosine).
STS-B's sts-*.csv and SICK.txt are recognised by name (--split TEST picks SICK's test rows).
--json writes {"spearman", "pearson", "pairs", "model"}.`,
		Args: noArgsUsage,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEvalSTS(cmd, f) },
	}
	addModelFlags(cmd, &f.modelFlags)
	addDatasetFlags(cmd, &f.data)
	fl := cmd.Flags()
	fl.StringVar(&f.path, "data", "", "sentence pairs with gold similarity scores")
	fl.BoolVar(&f.json, "json", false, "write a JSON object")
	return cmd
}

// stsRecord is fewshot eval sts --json.
type stsRecord struct {
	Model string `json:"model"`
	eval.STSResult
}

func runEvalSTS(cmd *cobra.Command, f *evalSTSFlags) error {
	ctx := commandContext(cmd)
	if f.path == "" {
		return usageError{errors.New("--data is required")}
	}
	pairs, err := dataset.ReadPairs(f.path, f.data.options(f.data.split))
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	if len(pairs) < 2 {
		return fmt.Errorf("--data %s: %d pairs, need at least 2", f.path, len(pairs))
	}
	corpus := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		corpus = append(corpus, p.A, p.B)
	}
	e, closeEmb, err := evalEmbedder(ctx, cmd, &f.modelFlags, corpus)
	if err != nil {
		return err
	}
	defer closeEmb()
	res, err := eval.EvaluateSTS(ctx, e, pairs)
	if err != nil {
		return fmt.Errorf("--data %s: %w", f.path, err)
	}
	out := cmd.OutOrStdout()
	if f.json {
		return newJSONEncoder(out).Encode(stsRecord{Model: e.ID(), STSResult: res})
	}
	_, err = fmt.Fprintf(out, "%d pairs: Spearman %.4f, Pearson %.4f\n", res.Pairs, res.Spearman, res.Pearson)
	return err
}
