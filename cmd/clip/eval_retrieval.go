package main

import (
	"bufio"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/data"
	"github.com/clip-go/clip/internal/eval"
)

func newEvalRetrievalCmd(a *app) *cobra.Command {
	o := &evalOptions{}
	cmd := &cobra.Command{
		Use:   "retrieval --model DIR --data TABLE.csv [--csv-separator C] [--csv-img-key K] [--csv-caption-key K] [--format table|tsv|json]",
		Short: "Image-text retrieval recall on a table of image-caption pairs",
		Long: `Retrieval embeds every image and every caption of a CSV/TSV table and
reports, as OpenCLIP's evaluation does (get_clip_metrics), how well each
image finds its own caption among all captions (image to text) and each
caption its own image among all images (text to image): recall@1, @5 and
@10 (the fraction of queries whose true item is among the k most similar),
and the mean and median rank of the true item (1 is perfect).

The table (--data) has a header row naming the image path column
(--csv-img-key, default filepath) and the caption column (--csv-caption-key,
default title); fields are separated by --csv-separator (default: tab for a
.tsv file, comma otherwise); image paths are relative to the table's folder.
Every row is one pair, so an image listed with several captions is several
pairs. The true item's rank is the number of candidates scoring strictly
higher (ties count in its favour).

Output:
  table  one line per direction (the default on a terminal)
  tsv    direction, recall@1, recall@5, recall@10, mean_rank, median_rank
         (the default when standard output is not a terminal)
  json   one JSON object: {"data": ..., "n": ..., "failed": ...,
         "image_to_text": {"recall@1": ..., "recall@5": ..., "recall@10": ...,
         "mean_rank": ..., "median_rank": ...}, "text_to_image": {...}}
         (jsonl: the same)
An unreadable image is reported on standard error and its pair left out;
clip then exits 1 after printing the results. The similarity matrix is
computed in blocks, so memory grows with the number of pairs, not its square.`,
		Example: `  clip eval retrieval --model clip-vit-base-patch32 --data data/mnist/test.csv
  clip eval retrieval --model run/checkpoints/latest --data coco/val.tsv --csv-img-key image --csv-caption-key caption --format json`,
		Args: noArgs,
		RunE: a.command(func(cmd *cobra.Command, args []string) error {
			c := &conf{a: a, cmd: cmd}
			o.load(c)
			o.table = tableOptions(c)
			if c.err != nil {
				return c.err
			}
			return a.runEvalRetrieval(cmd, o)
		}),
	}
	f := cmd.Flags()
	addModelFlags(f)
	addSettings(f, setData, setCSVSeparator, setCSVImgKey, setCSVCaptionKey, setFormat, setBatchSize)
	return cmd
}

func (a *app) runEvalRetrieval(cmd *cobra.Command, o *evalOptions) error {
	if o.data == "" {
		return usagef("no evaluation data: give --data TABLE.csv, a CSV/TSV table of image paths and captions")
	}
	ds, err := data.ReadTable(o.data, o.table)
	if err != nil {
		return usagef("--data: %v", err)
	}
	images := make([]string, len(ds.Samples))
	captions := make([]string, len(ds.Samples))
	for i, s := range ds.Samples {
		images[i], captions[i] = s.Path, s.Caption
	}
	format := a.outputFormat(o.format)
	m, err := a.openModel(o.modelOptions)
	if err != nil {
		return err
	}
	a.logf("retrieval: %d image-caption pairs", len(images))
	bar := a.newProgress(len(images), "images")
	res, err := eval.Retrieval(cmd.Context(), m, images, captions, a.evalBatchOptions(o, bar))
	bar.Finish()
	if err != nil {
		return err
	}
	if err := a.printRetrieval(format, o.data, res); err != nil {
		return err
	}
	if len(res.Failures) > 0 {
		return imageFailures{failures: res.Failures, total: len(images)}
	}
	return nil
}

func (a *app) printRetrieval(format, dataPath string, res *eval.RetrievalResult) error {
	dirs := []struct {
		name string
		m    eval.RankMetrics
	}{{"image_to_text", res.ImageToText}, {"text_to_image", res.TextToImage}}
	bw := bufio.NewWriter(a.stdout)
	switch format {
	case "json", "jsonl":
		return a.printJSON(struct {
			Data string `json:"data"`
			*eval.RetrievalResult
		}{dataPath, res})
	case "tsv":
		fmt.Fprintln(bw, "direction\trecall@1\trecall@5\trecall@10\tmean_rank\tmedian_rank")
		for _, d := range dirs {
			fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.name, fraction(d.m.R1), fraction(d.m.R5), fraction(d.m.R10), fraction(d.m.MeanRank), fraction(d.m.MedianRank))
		}
	default:
		unread := ""
		if res.Failed > 0 {
			unread = fmt.Sprintf(" (%d with unreadable images left out)", res.Failed)
		}
		fmt.Fprintf(bw, "%d image-caption pairs%s\n\n", res.N, unread)
		tw := newTable(bw)
		fmt.Fprintln(tw, "DIRECTION\tR@1\tR@5\tR@10\tMEAN RANK\tMEDIAN RANK")
		for _, d := range dirs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%g\n", d.name, percent(d.m.R1), percent(d.m.R5), percent(d.m.R10), d.m.MeanRank, d.m.MedianRank)
		}
		tw.Flush()
	}
	return bw.Flush()
}
