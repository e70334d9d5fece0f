package mnist

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Options configures Build.
type Options struct {
	// Src is the folder holding the four idx files (train-images-idx3-ubyte,
	// train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
	// t10k-labels-idx1-ubyte), each plain or with a .gz suffix.
	Src string
	// Out is the folder to create (see Build for its layout).
	Out string
	// Limit, if > 0, keeps only the first Limit images of each split: a
	// small set for smoke tests.
	Limit int
	// Workers encode and write PNG files in parallel; <= 0: GOMAXPROCS.
	Workers int
}

// Summary describes a finished export.
type Summary struct {
	Format int    `json:"format"` // manifestFormat
	Train  int    `json:"train"`  // training images
	Test   int    `json:"test"`   // test images
	Limit  int    `json:"limit"`  // Options.Limit
	Source string `json:"source"` // Options.Src
	// Skipped is set when Out already held this export and nothing was done.
	Skipped bool `json:"-"`
}

// ManifestName is the file Build writes last into the output folder; its
// presence marks a complete export.
const ManifestName = "mnist.json"

// manifestFormat is bumped whenever the layout or captions change, so an
// old export is not mistaken for a current one.
const manifestFormat = 1

// Build writes the MNIST export into opts.Out:
//
//	train/<name>/<NNNNN>.png   60,000 training digits (name: zero .. nine,
//	                           NNNNN: the index in the idx file)
//	test/<name>/<NNNNN>.png    10,000 test digits: an image folder whose
//	                           folder names are the zero-shot labels
//	train.csv, test.csv        filepath,title tables (paths relative to the
//	                           table's folder; captions from Caption)
//	mnist.json                 the Summary, written last
//
// Images are 28 x 28 8-bit grayscale PNGs, white digits on black as in the
// idx files. Everything is written into a temporary folder beside Out that
// is renamed to Out at the end, so Out is either absent or complete. If Out
// already holds a complete export with the same Limit, Build does nothing
// (Summary.Skipped); any other existing Out is an error, never overwritten.
func Build(ctx context.Context, opts Options) (*Summary, error) {
	if opts.Out == "" {
		return nil, errors.New("mnist: no output folder")
	}
	want := Summary{Format: manifestFormat, Limit: max(opts.Limit, 0), Source: opts.Src}
	if done, err := existing(opts.Out, want); done != nil || err != nil {
		return done, err
	}
	type split struct {
		name, prefix string
		images       *Images
		labels       []uint8
	}
	splits := []*split{{name: "train", prefix: "train"}, {name: "test", prefix: "t10k"}}
	for _, s := range splits {
		var err error
		if s.images, err = ReadImagesFile(findIDX(opts.Src, s.prefix+"-images-idx3-ubyte")); err != nil {
			return nil, fmt.Errorf("mnist: %w", err)
		}
		if s.labels, err = ReadLabelsFile(findIDX(opts.Src, s.prefix+"-labels-idx1-ubyte")); err != nil {
			return nil, fmt.Errorf("mnist: %w", err)
		}
		if s.images.N != len(s.labels) {
			return nil, fmt.Errorf("mnist: %s split: %d images but %d labels", s.name, s.images.N, len(s.labels))
		}
		if want.Limit > 0 && want.Limit < len(s.labels) {
			s.labels = s.labels[:want.Limit]
		}
	}
	want.Train, want.Test = len(splits[0].labels), len(splits[1].labels)

	parent := filepath.Dir(filepath.Clean(opts.Out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(opts.Out)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	// MkdirTemp creates 0700; the export is ordinary data.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	for _, s := range splits {
		for _, name := range DigitNames {
			if err := os.MkdirAll(filepath.Join(tmp, s.name, name), 0o755); err != nil {
				return nil, fmt.Errorf("mnist: %w", err)
			}
		}
		rows := make([][]string, len(s.labels))
		for i, l := range s.labels {
			rows[i] = []string{imagePath(s.name, l, i), Caption(l, i)}
		}
		if err := writeTable(filepath.Join(tmp, s.name+".csv"), rows); err != nil {
			return nil, err
		}
		if err := writePNGs(ctx, tmp, s.name, s.images, s.labels, opts.Workers); err != nil {
			return nil, err
		}
		// A limited export may miss some digits; an empty class folder
		// would make the test split an invalid image folder.
		for _, name := range DigitNames {
			os.Remove(filepath.Join(tmp, s.name, name)) // fails unless empty
		}
	}
	b, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, ManifestName), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	if err := os.Rename(tmp, opts.Out); err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	committed = true
	return &want, nil
}

// existing checks Out: absent (nil, nil), a complete export matching want
// (its Summary with Skipped set), or anything else (an error).
func existing(out string, want Summary) (*Summary, error) {
	if _, err := os.Stat(out); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(out, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("mnist: %s exists but is not a complete MNIST export (no %s); remove it or choose another folder", out, ManifestName)
	}
	var have Summary
	if err := json.Unmarshal(b, &have); err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", filepath.Join(out, ManifestName), err)
	}
	if have.Format != want.Format || have.Limit != want.Limit {
		return nil, fmt.Errorf("mnist: %s holds another export (format %d, limit %d; want format %d, limit %d); remove it or choose another folder",
			out, have.Format, have.Limit, want.Format, want.Limit)
	}
	have.Skipped = true
	return &have, nil
}

// findIDX returns dir/name.gz if it exists, else dir/name.
func findIDX(dir, name string) string {
	gz := filepath.Join(dir, name+".gz")
	if _, err := os.Stat(gz); err == nil {
		return gz
	}
	return filepath.Join(dir, name)
}

// imagePath is image i's path relative to the export's root.
func imagePath(split string, label uint8, i int) string {
	return fmt.Sprintf("%s/%s/%05d.png", split, DigitNames[label], i)
}

// writeTable writes a filepath,title CSV.
func writeTable(path string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"filepath", "title"})
	w.WriteAll(rows) // flushes
	if err := w.Error(); err != nil {
		return fmt.Errorf("mnist: %s: %w", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("mnist: %w", err)
	}
	return nil
}

// writePNGs encodes the labelled images of one split on workers
// goroutines.
func writePNGs(ctx context.Context, root, split string, m *Images, labels []uint8, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan int, 256)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Compression buys little on 28 x 28 images; speed matters
			// more for 70,000 of them.
			enc := png.Encoder{CompressionLevel: png.BestSpeed}
			var buf bytes.Buffer
			for i := range jobs {
				buf.Reset()
				err := enc.Encode(&buf, m.Gray(i))
				if err == nil {
					err = os.WriteFile(filepath.Join(root, imagePath(split, labels[i], i)), buf.Bytes(), 0o644)
				}
				if err != nil {
					errs <- fmt.Errorf("mnist: %s image %d: %w", split, i, err)
					for range jobs { // drain so the producer finishes
					}
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := range labels {
		if err = ctx.Err(); err != nil {
			break
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		case err = <-errs:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}
