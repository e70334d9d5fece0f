package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/clip-go/clip/internal/pipeline"
	"github.com/clip-go/clip/internal/trainer"
)

// Exit statuses (DESIGN.md section 8).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// app is one invocation: its streams, its viper instance and the global
// flags. Tests build it with fakes for the terminal check and the model.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	v              *viper.Viper

	configFile  string // --config
	configUsed  string // the config file actually read
	printConfig bool   // --print-config

	// isTerminal reports whether w is an interactive terminal (tables and
	// progress bars); replaced in tests.
	isTerminal func(w io.Writer) bool
	// open loads a model; pipeline.Open, replaced in tests.
	open func(path string, opts pipeline.Options) (*pipeline.Model, error)
	// afterStep, when set, is called after every training step (tests
	// slow a run down or interrupt it at a chosen step).
	afterStep func(trainer.StepRecord)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{
		stdin:      stdin,
		stdout:     stdout,
		stderr:     stderr,
		v:          viper.New(),
		isTerminal: isTerminal,
		open:       pipeline.Open,
	}
}

// usageError marks errors that are the caller's to fix: bad flags, values,
// configuration or missing inputs (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode is the one place that maps errors to exit statuses.
func exitCode(ctx context.Context, err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue):
		return exitUsage
	default:
		return exitFailure
	}
}

// execute runs the command line and reports any error on stderr.
func (a *app) execute(ctx context.Context, args []string) int {
	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(ctx, err)
	switch code {
	case exitOK:
	case exitInterrupted:
		fmt.Fprintln(a.stderr, "clip: interrupted")
	case exitUsage:
		fmt.Fprintf(a.stderr, "clip: %v\nRun '%s --help' for usage.\n", err, cmd.CommandPath())
	default:
		fmt.Fprintf(a.stderr, "clip: %v\n", err)
	}
	return code
}

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "clip",
		Short: "CLIP image and text embeddings and zero-shot classification, in Go",
		Long: `clip runs OpenAI CLIP models (OpenCLIP or Hugging Face safetensors checkpoints)
on the CPU: it tokenizes texts, embeds images and texts into .npy files,
classifies images zero-shot, and benchmarks the model.

Settings come from flags, then environment variables (CLIP_ plus the flag
name in capitals, dashes as underscores: CLIP_MODEL, CLIP_BATCH_SIZE), then
the YAML or JSON file given by --config or CLIP_CONFIG (keys are flag names:
"model: /models/clip-vit-base-patch32"; relative paths in the file are
relative to its folder), then defaults. --print-config shows the resolved
settings and where each came from.

Exit status: 0 success, 1 failure (including unreadable images), 2 usage or
configuration error, 130 interrupted.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          unknownCommand("command", ""),
		RunE:          a.helpAndFail("no command given"),
	}
	root.PersistentFlags().StringVar(&a.configFile, "config", "", "YAML or JSON file of settings; keys are flag names (env CLIP_CONFIG)")
	root.PersistentFlags().BoolVar(&a.printConfig, "print-config", false, "print the resolved settings and their sources, and exit")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.DisableDefaultCmd = true
	root.SuggestionsMinimumDistance = 2
	root.AddCommand(newTokenizeCmd(a), newEmbedCmd(a), newClassifyCmd(a), newTrainCmd(a), newEvalCmd(a), newPlotCmd(a), newBenchCmd(a), newVersionCmd(a))
	for _, newCmd := range taggedCommands {
		root.AddCommand(newCmd(a))
	}
	return root
}

// taggedCommands are the commands of optional builds (build tag cuda adds
// clip gpu); their files append to it from init.
var taggedCommands []func(*app) *cobra.Command

// unknownCommand is the Args check of a command that only groups
// subcommands: an argument is an unknown subcommand (a usage error with
// cobra's suggestions).
func unknownCommand(what, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown %s %q%s", what, args[0], hint)
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usageError{errors.New(msg)}
	}
}

// helpAndFail is the run function of a command that only groups
// subcommands: its help on stderr, then a usage error.
func (a *app) helpAndFail(msg string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cmd.SetOut(a.stderr)
		_ = cmd.Help()
		return usageError{errors.New(msg)}
	}
}

// command wraps a command's run function: settings are resolved first, and
// --print-config stops there.
func (a *app) command(run func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := a.setup(cmd); err != nil {
			return err
		}
		if a.printConfig {
			return a.printConfigTo(a.stdout, cmd)
		}
		return run(cmd, args)
	}
}

// logf writes a note for the user on stderr.
func (a *app) logf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "clip: "+format+"\n", args...)
}
