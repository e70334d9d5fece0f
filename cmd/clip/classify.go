package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/pipeline"
)

// classifyOptions are the inputs of clip classify.
type classifyOptions struct {
	modelOptions
	labels      []string
	labelsFile  string
	templates   []string // --template, repeatable
	templateSet string   // --templates
	top         int
	format      string
	batchSize   int
	images      []string // positional
}

func newClassifyCmd(a *app) *cobra.Command {
	o := &classifyOptions{}
	cmd := &cobra.Command{
		Use:   "classify --model DIR --labels dog,cat,car [--labels-file F] [--template T]... [--templates openai|simple] [--top K] [--format table|tsv|json|jsonl] IMAGE...",
		Short: "Classify images zero-shot against text labels",
		Long: `Classify scores every image against every label as OpenCLIP's zero-shot
classifier does: each label is written into every template ({} is replaced by
the label), the normalised text embeddings of a label are averaged over the
templates and normalised again, and the probabilities are the softmax over
labels of exp(logit_scale) times the cosine similarity.

Labels are --labels (comma-separated, repeatable) followed by the lines of
--labels-file (blank lines ignored). Templates are the --templates set
followed by every --template; with neither, "` + pipeline.DefaultTemplate + `". Empty or duplicate
labels and templates without {} are usage errors.

Output, the --top most probable labels per image, highest first:
  table  aligned columns (the default on a terminal)
  tsv    image, label, probability per line after a header line (the
         default when standard output is not a terminal)
  jsonl  one JSON object per image: {"image": ..., "labels": [...], "probs": [...]}
  json   the same as jsonl (each line is a JSON document)
Images are arguments (folders are walked as by embed). An unreadable image is
reported on standard error, the others are classified, and clip exits 1.`,
		Example: `  clip classify --model clip-vit-base-patch32 --labels dog,cat,car photo.jpg
  clip classify --model clip-vit-base-patch32 --labels-file imagenet.txt --templates openai --format jsonl photos/`,
		RunE: a.command(func(cmd *cobra.Command, args []string) error {
			c := &conf{a: a, cmd: cmd}
			o.modelOptions.load(c)
			o.labels = c.Strings("labels")
			o.labelsFile = c.String("labels-file")
			o.templates = c.Strings("template")
			o.templateSet = c.TemplateSpec()
			o.top = c.Int("top")
			o.format, o.batchSize = c.outputOptions()
			if c.err == nil && o.top < 0 {
				c.fail("top", o.top, "want 0 (all labels) or more")
			}
			if c.err != nil {
				return c.err
			}
			o.images = args
			return a.runClassify(cmd, o)
		}),
	}
	f := cmd.Flags()
	addModelFlags(f)
	addSettings(f, setLabels, setLabelsFile, setTemplate, setTemplates, setTop, setFormat, setBatchSize)
	return cmd
}

// classifyLabels gathers and checks the labels.
func (a *app) classifyLabels(o *classifyOptions) ([]string, error) {
	var labels []string
	for _, l := range o.labels {
		labels = append(labels, strings.TrimSpace(l))
	}
	if o.labelsFile != "" {
		lines, err := a.readLines(o.labelsFile)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
	}
	if len(labels) == 0 {
		return nil, usagef("no labels: give --labels dog,cat or --labels-file FILE")
	}
	if err := pipeline.ValidateLabels(labels); err != nil {
		return nil, usagef("%v", err)
	}
	return labels, nil
}

// classifyTemplates gathers and checks the templates.
func (a *app) classifyTemplates(o *classifyOptions) ([]string, error) {
	var templates []string
	if o.templateSet != "" {
		set, err := a.resolveTemplates(o.templateSet)
		if err != nil {
			return nil, err
		}
		templates = set
	}
	templates = append(templates, o.templates...)
	if len(templates) == 0 {
		templates = []string{pipeline.DefaultTemplate}
	}
	if err := pipeline.ValidateTemplates(templates); err != nil {
		return nil, usagef("%v", err)
	}
	return templates, nil
}

func (a *app) runClassify(cmd *cobra.Command, o *classifyOptions) error {
	labels, err := a.classifyLabels(o)
	if err != nil {
		return err
	}
	templates, err := a.classifyTemplates(o)
	if err != nil {
		return err
	}
	if len(o.images) == 0 {
		return usagef("no images to classify: give image files or folders as arguments")
	}
	images, err := expandImages(o.images)
	if err != nil {
		return err
	}
	if len(images) == 0 {
		return usagef("no image files found in %s", strings.Join(o.images, ", "))
	}
	format := a.outputFormat(o.format)
	m, err := a.openModel(o.modelOptions)
	if err != nil {
		return err
	}
	opts := pipeline.BatchOptions{BatchSize: o.batchSize, Workers: o.threads}
	clf, err := m.NewClassifier(cmd.Context(), labels, templates, opts)
	if err != nil {
		return err
	}

	out := newPredictionWriter(a.stdout, format)
	bar := a.newProgress(len(images), "images")
	opts.Progress = bar.Add
	opts.OnFailure = func(f pipeline.ImageFailure) {
		bar.Clear()
		a.logf("cannot read image %s", f.Error())
	}
	failures, err := m.EmbedImages(cmd.Context(), images, opts, func(b pipeline.Batch) error {
		for i, name := range b.Names {
			probs, err := clf.Probs(b.Features[i*b.Dim : (i+1)*b.Dim])
			if err != nil {
				return err
			}
			if err := out.write(name, clf.Top(probs, o.top)); err != nil {
				return err
			}
		}
		return out.flushBatch()
	})
	bar.Finish()
	if err != nil {
		return err
	}
	if err := out.close(); err != nil {
		return err
	}
	if len(failures) > 0 {
		return imageFailures{failures: failures, total: len(images)}
	}
	return nil
}

// predictionWriter prints classification results in one format. TSV and
// JSON lines are flushed after every batch so that a pipe sees results as
// they come; a table is aligned over all images, so it is printed at the end.
type predictionWriter struct {
	format string
	bw     *bufio.Writer
	tw     *tabwriter.Writer
	header bool
}

func newPredictionWriter(w io.Writer, format string) *predictionWriter {
	p := &predictionWriter{format: format, bw: bufio.NewWriter(w)}
	if format == "table" {
		p.tw = tabwriter.NewWriter(p.bw, 0, 4, 2, ' ', 0)
	}
	return p
}

// cell makes a name safe for one TSV or table cell.
var cell = strings.NewReplacer("\t", `\t`, "\n", `\n`, "\r", `\r`)

func (p *predictionWriter) write(image string, preds []pipeline.Prediction) error {
	switch p.format {
	case "table":
		if !p.header {
			fmt.Fprintln(p.tw, "IMAGE\tLABEL\tPROB")
			p.header = true
		}
		for i, pr := range preds {
			name := ""
			if i == 0 {
				name = cell.Replace(image)
			}
			fmt.Fprintf(p.tw, "%s\t%s\t%.4f\n", name, cell.Replace(pr.Label), pr.Prob)
		}
	case "tsv":
		if !p.header {
			fmt.Fprintln(p.bw, "image\tlabel\tprob")
			p.header = true
		}
		for _, pr := range preds {
			fmt.Fprintf(p.bw, "%s\t%s\t%s\n", cell.Replace(image), cell.Replace(pr.Label), strconv.FormatFloat(float64(pr.Prob), 'g', -1, 32))
		}
	default: // json, jsonl
		rec := struct {
			Image  string    `json:"image"`
			Labels []string  `json:"labels"`
			Probs  []float32 `json:"probs"`
		}{Image: image, Labels: []string{}, Probs: []float32{}}
		for _, pr := range preds {
			rec.Labels = append(rec.Labels, pr.Label)
			rec.Probs = append(rec.Probs, pr.Prob)
		}
		b, err := marshalJSON(rec)
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		p.bw.Write(b)
		p.bw.WriteByte('\n')
	}
	return nil
}

func (p *predictionWriter) flushBatch() error {
	if p.tw != nil {
		return nil
	}
	return p.bw.Flush()
}

func (p *predictionWriter) close() error {
	if p.tw != nil {
		if err := p.tw.Flush(); err != nil {
			return err
		}
	}
	return p.bw.Flush()
}
