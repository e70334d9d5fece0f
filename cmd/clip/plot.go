package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/plot"
)

// metricsFile is the metrics log clip train writes into its run folder.
const metricsFile = "metrics.jsonl"

func newPlotCmd(a *app) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "plot RUN_DIR [--out DIR]",
		Short: "Draw a training run's curves as PNG files",
		Long: `Plot reads RUN_DIR/metrics.jsonl, the log clip train writes (one JSON
object per line), and draws PNG charts of the values found there:

  loss.png         the training loss, with its moving average
  lr.png           the learning rate
  logit_scale.png  the logit scale parameter
  grad_norm.png, throughput.png, data_wait.png   when logged
  <group>.png      evaluations: the numbers of each line's "eval" object,
                   grouped by their prefix (zeroshot_top1 and zeroshot_top5
                   in zeroshot.png)

The x axis is the step. When a resumed run logged steps again, the latest
values win. Charts go to --out (default RUN_DIR), each written to a
temporary file and renamed into place; the files written are listed on
standard output. A line that is not a JSON object with a numeric "step" is
an error naming the file and line, except an unfinished last line, which a
running training may be writing.`,
		Example: `  clip plot runs/mnist
  clip plot runs/mnist --out /tmp/charts`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("want one run folder (holding %s), got %d arguments", metricsFile, len(args))
			}
			return nil
		},
		RunE: a.command(func(cmd *cobra.Command, args []string) error {
			return a.runPlot(args[0], out)
		}),
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "folder for the PNG files (default RUN_DIR; created if needed)")
	return cmd
}

func (a *app) runPlot(runDir, out string) error {
	path := filepath.Join(runDir, metricsFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return usagef("%s: no such file: want a run folder of clip train", path)
	}
	recs, err := plot.ReadMetrics(path)
	if err != nil {
		return err
	}
	if out == "" {
		out = runDir
	}
	files, err := plot.Write(recs, out)
	for _, f := range files {
		fmt.Fprintln(a.stdout, f)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	a.logf("drew %d charts from %d lines of %s", len(files), len(recs), path)
	return nil
}
