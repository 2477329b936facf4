// Command fewshot embeds texts and classifies them zero-, one- and few-shot with sentence-BERT models on
// libtorch, and fine-tunes those models as Siamese networks. Run `fewshot help` for the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "fewshot:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError marks a bad flag or argument (exit status 2).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "fewshot",
		Short:         "Zero-, one- and few-shot text classification with sentence-BERT models on libtorch",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newVersionCmd())
	root.AddCommand(newEmbedCmd())
	root.AddCommand(newTokenizeCmd())
	root.AddCommand(newZeroshotCmd())
	root.AddCommand(newClassifyCmd())
	root.AddCommand(newEvalCmd())
	root.AddCommand(newTrainCmd())
	return root
}
