package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/eval"
	"github.com/clip-go/clip/internal/pipeline"
)

func newEvalZeroShotCmd(a *app) *cobra.Command {
	o := &evalOptions{}
	cmd := &cobra.Command{
		Use:   "zeroshot --model DIR --data FOLDER [--classes FILE] [--templates openai|simple|FILE] [--template T]... [--format table|tsv|json]",
		Short: "Zero-shot classification accuracy on an image folder",
		Long: `Zeroshot classifies every image of an image folder zero-shot and reports
top-1 and top-5 accuracy overall and per class, as OpenCLIP's zero-shot
evaluation does.

The folder (--data) holds one sub-folder per class, as torchvision's
ImageFolder: classes are the sub-folder names in sorted order, and every
.png, .jpg, .jpeg, .gif and .webp file below a class folder (recursively;
hidden files and folders skipped) is one of its images. An empty class
folder is an error.

Class names for the prompts are the folder names, or the lines of --classes
FILE: either one name per line, the i-th for the i-th folder in sorted
order, or "folder<TAB>name" lines in any order naming every folder (blank
lines are skipped). Each class name is written into every template ({} is
replaced), the normalised text embeddings are averaged over the templates,
and each image goes to the class of highest cosine similarity. Templates are
the --templates set (openai: OpenAI's 80 ImageNet prompts, simple: their 7,
or a file of one template per line) followed by every --template; with
neither, the openai set, as clip train's evaluation.

Accuracy counts an image correct at top-k when fewer than k classes score
strictly higher than its true class (ties count in its favour).

Output:
  table  overall accuracy, then one line per class (the default on a terminal)
  tsv    class, n, top1, top5 per class, then a line "(all)" over all images
         (fractions in [0,1]; the default when standard output is not a terminal)
  json   one JSON object: {"data": ..., "top1": ..., "top5": ...,
         "mean_per_class_top1": ..., "n": ..., "failed": ..., "per_class":
         [{"name": ..., "n": ..., "top1": ..., "top5": ...}, ...]} (jsonl: the same)
An unreadable image is reported on standard error and left out of the
accuracy; clip then exits 1 after printing the results.`,
		Example: `  clip eval zeroshot --model clip-vit-base-patch32 --data data/mnist/test
  clip eval zeroshot --model run/checkpoints/latest --data imagenet/val --classes imagenet_classes.txt --format json`,
		Args: noArgs,
		RunE: a.command(func(cmd *cobra.Command, args []string) error {
			c := &conf{a: a, cmd: cmd}
			o.load(c)
			o.classes = c.String("classes")
			o.templateSet = c.TemplateSpec()
			o.templates = c.Strings("template")
			if c.err != nil {
				return c.err
			}
			return a.runEvalZeroShot(cmd, o)
		}),
	}
	f := cmd.Flags()
	addModelFlags(f)
	templates := setTemplates
	templates.usage = "prompt templates: a named set (" + strings.Join(pipeline.TemplateSetNames(), ", ") +
		") or a file of one template per line with {} for the class name (default " + defaultEvalTemplates + " unless --template is given)"
	template := setTemplate
	template.usage = "prompt template with {} for the class name (repeatable; added after the --templates set)"
	addSettings(f, setData, setClasses, templates, template, setFormat, setBatchSize)
	return cmd
}

// zeroShotTemplates gathers the prompts: the --templates set or file, then
// every --template; the default set when neither is given.
func (a *app) zeroShotTemplates(o *evalOptions) ([]string, error) {
	var templates []string
	spec := o.templateSet
	if spec == "" && len(o.templates) == 0 {
		spec = defaultEvalTemplates
	}
	if spec != "" {
		t, err := a.resolveTemplates(spec)
		if err != nil {
			return nil, err
		}
		templates = t
	}
	templates = append(templates, o.templates...)
	if err := pipeline.ValidateTemplates(templates); err != nil {
		return nil, usagef("%v", err)
	}
	return templates, nil
}

func (a *app) runEvalZeroShot(cmd *cobra.Command, o *evalOptions) error {
	if o.data == "" {
		return usagef("no evaluation data: give --data FOLDER, an image folder with one sub-folder per class")
	}
	folder, err := eval.ReadImageFolder(o.data)
	if err != nil {
		return usagef("--data: %v", err)
	}
	names := folder.Classes
	if o.classes != "" {
		if names, err = eval.ReadClassNames(o.classes, folder.Classes); err != nil {
			return usagef("--classes: %v", err)
		}
	}
	if err := pipeline.ValidateLabels(names); err != nil {
		return usagef("class names: %v", err)
	}
	templates, err := a.zeroShotTemplates(o)
	if err != nil {
		return err
	}
	format := a.outputFormat(o.format)
	m, err := a.openModel(o.modelOptions)
	if err != nil {
		return err
	}
	a.logf("zero-shot: %d images in %d classes, %d templates", len(folder.Paths), len(folder.Classes), len(templates))
	bar := a.newProgress(len(folder.Paths), "images")
	res, err := eval.ZeroShot(cmd.Context(), m, folder, names, templates, a.evalBatchOptions(o, bar))
	bar.Finish()
	if err != nil {
		return err
	}
	if err := a.printZeroShot(format, o.data, res); err != nil {
		return err
	}
	if len(res.Failures) > 0 {
		return imageFailures{failures: res.Failures, total: len(folder.Paths)}
	}
	return nil
}

func (a *app) printZeroShot(format, dataPath string, res *eval.ZeroShotResult) error {
	switch format {
	case "json", "jsonl":
		return a.printJSON(struct {
			Data string `json:"data"`
			*eval.ZeroShotResult
		}{dataPath, res})
	case "tsv":
		bw := bufio.NewWriter(a.stdout)
		fmt.Fprintln(bw, "class\tn\ttop1\ttop5")
		for _, c := range res.PerClass {
			fmt.Fprintf(bw, "%s\t%d\t%s\t%s\n", cell.Replace(c.Name), c.N, fraction(c.Top1), fraction(c.Top5))
		}
		fmt.Fprintf(bw, "(all)\t%d\t%s\t%s\n", res.N, fraction(res.Top1), fraction(res.Top5))
		return bw.Flush()
	default:
		bw := bufio.NewWriter(a.stdout)
		tw := newTable(bw)
		fmt.Fprintf(tw, "top-1\t%s\n", percent(res.Top1))
		fmt.Fprintf(tw, "top-5\t%s\n", percent(res.Top5))
		fmt.Fprintf(tw, "mean per-class top-1\t%s\n", percent(res.MeanPerClassTop1))
		unread := ""
		if res.Failed > 0 {
			unread = fmt.Sprintf(" (%d unreadable, left out)", res.Failed)
		}
		fmt.Fprintf(tw, "images\t%d%s\n", res.N, unread)
		fmt.Fprintf(tw, "classes\t%d\n", len(res.PerClass))
		tw.Flush()
		fmt.Fprintln(bw)
		tw = newTable(bw)
		fmt.Fprintln(tw, "CLASS\tIMAGES\tTOP-1\tTOP-5")
		for _, c := range res.PerClass {
			top1, top5 := "-", "-"
			if c.N > 0 {
				top1, top5 = percent(c.Top1), percent(c.Top5)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", cell.Replace(c.Name), c.N, top1, top5)
		}
		tw.Flush()
		return bw.Flush()
	}
}
