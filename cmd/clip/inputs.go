package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/clip-go/clip/internal/imageproc"
)

// expandImages returns the image files named by args in order: files as
// given (whatever their extension: the user named them), folders walked
// recursively in sorted order keeping image extensions only and skipping
// hidden entries (".DS_Store", "._x.jpg" resource forks). A path that does
// not exist is kept, so it is reported with the other unreadable images.
func expandImages(args []string) ([]string, error) {
	var out []string
	for _, p := range args {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = imageproc.WalkImages(p, func(path string) { out = append(out, path) })
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", p, err)
		}
	}
	return out, nil
}

// openInput opens a file argument; "-" is standard input.
func (a *app) openInput(path string) (io.ReadCloser, error) {
	if path == "-" {
		return io.NopCloser(a.stdin), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return f, nil
}

// readLines reads every line of a file argument ("-": stdin) without its
// line ending (\n or \r\n). A final newline does not start an empty line.
func (a *app) readLines(path string) ([]string, error) {
	r, err := a.openInput(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var lines []string
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.TrimSuffix(line, "\n")
			lines = append(lines, strings.TrimSuffix(line, "\r"))
		}
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", displayName(path), err)
		}
	}
}

// displayName names a file argument in messages.
func displayName(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}
