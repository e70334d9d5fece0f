package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/atomicfile"
	"github.com/clip-go/clip/internal/npy"
	"github.com/clip-go/clip/internal/pipeline"
)

// embedOptions are the inputs of clip embed.
type embedOptions struct {
	modelOptions
	out         string
	batchSize   int
	noNormalize bool
	imageList   string   // --image-list: one image path per line
	textsFile   string   // --texts: one caption per line
	texts       []string // --text, repeatable
	images      []string // positional: files and folders
}

func newEmbedCmd(a *app) *cobra.Command {
	o := &embedOptions{}
	cmd := &cobra.Command{
		Use:   "embed --model DIR --out FILE.npy [--batch-size N] [--no-normalize] (IMAGE_OR_FOLDER... | --image-list FILE | --texts FILE | --text TEXT...)",
		Short: "Embed images or texts into a .npy file",
		Long: `Embed writes the CLIP features of images or of texts as a float32 [N, E]
array in NumPy's .npy format (numpy.load reads it), L2-normalised unless
--no-normalize, and FILE.ids.jsonl beside it naming the input of every row in
order: {"row": 0, "image": "cats/1.jpg"} or {"row": 0, "text": "a cat"}.

Images are the arguments (folders are walked in sorted order, keeping .png,
.jpg, .jpeg, .gif and .webp files and skipping hidden ones) followed by the
lines of --image-list (paths relative to the current folder; folders are
walked too). Texts are the --text values followed by the lines of
--texts (one caption per line; "-" reads standard input). Images and texts
cannot be mixed in one call.

An unreadable image is reported and skipped: the other rows are written,
and clip exits with status 1 after listing the failures. Both files are
written to a temporary file and renamed into place, so they are never left
partly written. A progress bar is shown when standard error is a terminal.`,
		Example: `  clip embed --model clip-vit-base-patch32 --out photos.npy photos/
  clip embed --model clip-vit-base-patch32 --out captions.npy --text "a cat" --text "a dog"`,
		RunE: a.command(func(cmd *cobra.Command, args []string) error {
			c := &conf{a: a, cmd: cmd}
			o.modelOptions.load(c)
			o.batchSize = c.Int("batch-size")
			o.noNormalize = c.Bool("no-normalize")
			if c.err == nil && o.batchSize < 1 {
				c.fail("batch-size", o.batchSize, "want 1 or more")
			}
			if c.err != nil {
				return c.err
			}
			o.images = args
			return a.runEmbed(cmd, o)
		}),
	}
	f := cmd.Flags()
	addModelFlags(f)
	addSettings(f, setBatchSize, setNoNormalize)
	f.StringVarP(&o.out, "out", "o", "", "output .npy file (required); row names go to FILE.ids.jsonl")
	f.StringVar(&o.imageList, "image-list", "", `file with one image path per line ("-": standard input)`)
	f.StringVar(&o.textsFile, "texts", "", `file with one caption per line ("-": standard input)`)
	f.StringArrayVar(&o.texts, "text", nil, "a caption to embed (repeatable)")
	return cmd
}

// embedInputs gathers the images or the texts to embed.
func (a *app) embedInputs(o *embedOptions) (images, texts []string, err error) {
	hasImages := len(o.images) > 0 || o.imageList != ""
	hasTexts := len(o.texts) > 0 || o.textsFile != ""
	switch {
	case hasImages && hasTexts:
		return nil, nil, usagef("images and texts cannot be mixed in one call: embed them into separate files")
	case !hasImages && !hasTexts:
		return nil, nil, usagef("nothing to embed: give images or folders as arguments, --image-list, --text or --texts")
	}
	if hasTexts {
		texts = o.texts
		if o.textsFile != "" {
			lines, err := a.readLines(o.textsFile)
			if err != nil {
				return nil, nil, err
			}
			texts = append(texts, lines...)
		}
		if len(texts) == 0 {
			return nil, nil, usagef("nothing to embed: %s holds no captions", displayName(o.textsFile))
		}
		return nil, texts, nil
	}
	named := append([]string(nil), o.images...)
	if o.imageList != "" {
		lines, err := a.readLines(o.imageList)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				named = append(named, l)
			}
		}
	}
	if images, err = expandImages(named); err != nil {
		return nil, nil, err
	}
	if len(images) == 0 {
		where := strings.Join(o.images, ", ")
		if o.imageList != "" {
			where = strings.TrimPrefix(where+", "+displayName(o.imageList), ", ")
		}
		return nil, nil, usagef("nothing to embed: no image files found in %s", where)
	}
	return images, nil, nil
}

// idRecord is one line of FILE.ids.jsonl.
type idRecord struct {
	Row   int     `json:"row"`
	Image *string `json:"image,omitempty"`
	Text  *string `json:"text,omitempty"`
}

func (a *app) runEmbed(cmd *cobra.Command, o *embedOptions) error {
	if o.out == "" {
		return usagef("--out FILE.npy is required")
	}
	base, ok := strings.CutSuffix(o.out, ".npy")
	if !ok || base == "" {
		return usagef("--out %q: want a file name ending in .npy", o.out)
	}
	idsPath := base + ".ids.jsonl"
	// Checked now so that a typo fails before the model is loaded.
	if st, err := os.Stat(filepath.Dir(o.out)); err != nil || !st.IsDir() {
		return usagef("--out %s: folder %s does not exist", o.out, filepath.Dir(o.out))
	}
	images, texts, err := a.embedInputs(o)
	if err != nil {
		return err
	}
	m, err := a.openModel(o.modelOptions)
	if err != nil {
		return err
	}

	// Both outputs go to temporary files; the deferred Close removes them
	// unless they were committed, so an error or an interrupt leaves no
	// partial file behind.
	npyFile, err := atomicfile.Create(o.out, 0o644)
	if err != nil {
		return err
	}
	defer npyFile.Close()
	idsFile, err := atomicfile.Create(idsPath, 0o644)
	if err != nil {
		return err
	}
	defer idsFile.Close()
	dim := m.Config.EmbedDim
	nw, err := npy.NewWriter(npyFile, dim)
	if err != nil {
		return fmt.Errorf("write %s: %w", o.out, err)
	}
	ids := bufio.NewWriter(idsFile)

	isText := texts != nil
	total, what := len(images), "images"
	if isText {
		total, what = len(texts), "texts"
	}
	bar := a.newProgress(total, what)
	sink := func(b pipeline.Batch) error {
		if b.Dim != dim {
			return fmt.Errorf("model gave %d features per row, config embed_dim is %d", b.Dim, dim)
		}
		if err := nw.WriteRows(b.Features); err != nil {
			return fmt.Errorf("write %s: %w", o.out, err)
		}
		for i := range b.Index {
			rec := idRecord{Row: nw.Rows() - len(b.Index) + i}
			if isText {
				rec.Text = &b.Names[i]
			} else {
				rec.Image = &b.Names[i]
			}
			line, err := marshalJSON(rec)
			if err != nil {
				return fmt.Errorf("write %s: %w", idsPath, err)
			}
			ids.Write(line)
			ids.WriteByte('\n')
		}
		return nil
	}
	opts := pipeline.BatchOptions{
		BatchSize: o.batchSize,
		Workers:   o.threads,
		Normalize: !o.noNormalize,
		Progress:  bar.Add,
		OnFailure: func(f pipeline.ImageFailure) {
			bar.Clear()
			a.logf("cannot read image %s", f.Error())
		},
	}
	var failures []pipeline.ImageFailure
	if isText {
		err = m.EmbedTexts(cmd.Context(), texts, opts, sink)
	} else {
		failures, err = m.EmbedImages(cmd.Context(), images, opts, sink)
	}
	bar.Finish()
	if err != nil {
		return err
	}
	if err := nw.Close(); err != nil {
		return fmt.Errorf("write %s: %w", o.out, err)
	}
	if err := ids.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", idsPath, err)
	}
	// The row names first: a reader that finds the .npy finds its names.
	if err := idsFile.Commit(); err != nil {
		return err
	}
	if err := npyFile.Commit(); err != nil {
		return err
	}
	a.logf("wrote %d %s x %d features to %s and %s", nw.Rows(), what, dim, o.out, idsPath)
	if len(failures) > 0 {
		return imageFailures{failures: failures, total: total}
	}
	return nil
}

// imageFailures is the error of a run that skipped unreadable images.
type imageFailures struct {
	failures []pipeline.ImageFailure
	total    int
}

func (e imageFailures) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d images could not be read:", len(e.failures), e.total)
	for _, f := range e.failures {
		fmt.Fprintf(&b, "\n  %s", f.Error())
	}
	return b.String()
}
