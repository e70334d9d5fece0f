// Command clip embeds images and texts with OpenAI CLIP models and
// classifies images zero-shot, on the CPU in pure Go.
//
// Usage:
//
//	clip tokenize [--model DIR | --tokenizer FILE] [--context-length N] (TEXT... | --input FILE)
//	clip embed --model DIR --out FILE.npy [--batch-size N] [--no-normalize] (IMAGE_OR_FOLDER... | --image-list FILE | --texts FILE | --text TEXT...)
//	clip classify --model DIR --labels dog,cat [--template T]... [--templates openai|simple] [--top K] [--format F] IMAGE...
//	clip bench --config configs/vit-b32.yaml --what image|text|gemm [--batch N] [--iters K] [--threads T] [--format json|table]
//	clip version
//
// Every setting is read, highest precedence first, from its flag, its
// environment variable (CLIP_ and the flag name in capitals with
// underscores: CLIP_MODEL, CLIP_BATCH_SIZE), the YAML or JSON file named by
// --config (or CLIP_CONFIG), and its default; --print-config shows the
// result. Results go to standard output; logs, progress and errors to
// standard error. Exit status: 0 success, 1 failure (including some
// unreadable images), 2 usage or configuration error, 130 interrupted.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at link time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a
		// second Ctrl-C ends a run that is slow to stop.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one invocation of clip and returns its exit status. It is
// main without the process: tests call it with buffers.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr).execute(ctx, args)
}
