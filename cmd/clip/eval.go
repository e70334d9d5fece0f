package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/data"
	"github.com/clip-go/clip/internal/eval"
	"github.com/clip-go/clip/internal/pipeline"
)

// Settings of clip eval. The CSV keys are shared with clip train.
var (
	setData          = setting{"data", kindPath, "", "evaluation data: an image folder with one sub-folder per class (eval zeroshot), or a CSV/TSV table of image paths and captions (eval retrieval)"}
	setClasses       = setting{"classes", kindPath, "", "file of class names for the image folder's sub-folders: one per line in sorted folder order, or folder<TAB>name lines (default: the folder names)"}
	setCSVSeparator  = setting{"csv-separator", kindString, "", `field separator of a CSV/TSV table: one character, or \t (default: tab for a .tsv file, comma otherwise)`}
	setCSVImgKey     = setting{"csv-img-key", kindString, data.DefaultImageKey, "header name of a CSV/TSV table's image path column"}
	setCSVCaptionKey = setting{"csv-caption-key", kindString, data.DefaultCaptionKey, "header name of a CSV/TSV table's caption column"}
)

// defaultEvalTemplates is the template set of zero-shot evaluation when none
// is given: OpenCLIP's default, and what clip train's evaluation uses, so
// that both report the same numbers.
const defaultEvalTemplates = "openai"

func newEvalCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval (zeroshot | retrieval) --model DIR --data PATH",
		Short: "Evaluate a model: zero-shot accuracy or image-text retrieval",
		Long: `Eval measures a model with OpenCLIP's protocols:

  zeroshot   top-1/top-5 accuracy of zero-shot classification on an image
             folder (one sub-folder of images per class)
  retrieval  image-to-text and text-to-image recall@1/5/10 on a CSV/TSV
             table of image-caption pairs`,
		Args: unknownCommand("eval command", " (want zeroshot or retrieval)"),
		RunE: a.helpAndFail("no eval command given: zeroshot or retrieval"),
	}
	cmd.SuggestionsMinimumDistance = 2
	cmd.AddCommand(newEvalZeroShotCmd(a), newEvalRetrievalCmd(a))
	return cmd
}

// evalOptions are the inputs of clip eval zeroshot and retrieval.
type evalOptions struct {
	modelOptions
	data        string
	classes     string
	templateSet string   // --templates: a set name or a file
	templates   []string // --template, repeatable
	table       data.TableOptions
	format      string
	batchSize   int
}

// load reads the settings both subcommands share.
func (o *evalOptions) load(c *conf) {
	o.modelOptions.load(c)
	o.data = c.String("data")
	o.format, o.batchSize = c.outputOptions()
}

// evalBatchOptions are the batch options of an evaluation, with a progress
// bar and failures reported as they happen.
func (a *app) evalBatchOptions(o *evalOptions, bar *progress) pipeline.BatchOptions {
	return pipeline.BatchOptions{
		BatchSize: o.batchSize,
		Workers:   o.threads,
		Progress:  bar.Add,
		OnFailure: func(f pipeline.ImageFailure) {
			bar.Clear()
			a.logf("cannot read image %s", f.Error())
		},
	}
}

// resolveTemplates turns a --templates value into prompts: a named set
// (openai, simple) or a file of one template per line with {} for the
// class name. A name wins over a file of the same name (write ./openai for
// the file).
func (a *app) resolveTemplates(spec string) ([]string, error) {
	if set, err := pipeline.TemplateSet(spec); err == nil {
		return set, nil
	}
	if _, err := os.Stat(spec); err != nil {
		return nil, usagef("--templates %q: not a template set (%s) and not a readable file: %v",
			spec, strings.Join(pipeline.TemplateSetNames(), ", "), err)
	}
	t, err := eval.ReadTemplates(spec)
	if err != nil {
		return nil, usagef("--templates: %v", err)
	}
	return t, nil
}

// TemplateSpec reads the templates setting: a set name as it is, a
// template file named in the config file relative to that file (as path
// settings are).
func (c *conf) TemplateSpec() string {
	spec := c.String("templates")
	if _, err := pipeline.TemplateSet(spec); spec != "" && err != nil {
		spec = c.a.resolvePath(c.cmd, "templates", spec)
	}
	return spec
}

// printJSON writes v as one line of JSON.
func (a *app) printJSON(v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	b = append(b, '\n')
	_, err = a.stdout.Write(b)
	return err
}

// percent formats a fraction for a table.
func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 2, 64) + "%" }

// fraction formats a fraction for TSV: the shortest exact form.
func fraction(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// newTable returns an aligned-column writer over w; Flush it before w.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}
