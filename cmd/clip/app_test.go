package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string // on stderr
	}{
		{"no command", nil, exitUsage, []string{"no command given", "Available Commands"}},
		{"unknown command", []string{"embedd"}, exitUsage, []string{`unknown command "embedd"`, "did you mean embed"}},
		{"unknown flag", []string{"embed", "--bogus"}, exitUsage, []string{"unknown flag: --bogus", "Run 'clip embed --help'"}},
		{"bad int flag", []string{"embed", "--batch-size", "many"}, exitUsage, []string{`invalid argument "many" for "--batch-size"`}},
		{"bad bool flag", []string{"embed", "--no-normalize=maybe"}, exitUsage, []string{"--no-normalize"}},
		{"help", []string{"--help"}, exitOK, nil},
		{"command help", []string{"classify", "-h"}, exitOK, nil},
		{"version", []string{"version"}, exitOK, nil},
		{"version with argument", []string{"version", "extra"}, exitUsage, []string{"unknown command \"extra\""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runCLI(t, tc.args...).expect(t, tc.code, tc.want...)
		})
	}
}

func TestExitCodeMapping(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want int
	}{
		{"ok", bg, nil, exitOK},
		{"failure", bg, errors.New("x"), exitFailure},
		{"usage", bg, usagef("bad"), exitUsage},
		{"wrapped usage", bg, fmt.Errorf("ctx: %w", usagef("bad")), exitUsage},
		{"interrupted", cancelled, fmt.Errorf("embed: %w", context.Canceled), exitInterrupted},
		// A library's own cancellation, without a signal, is a failure.
		{"canceled without signal", bg, context.Canceled, exitFailure},
		{"image failures", bg, imageFailures{total: 2}, exitFailure},
	}
	for _, tc := range tests {
		if got := exitCode(tc.ctx, tc.err); got != tc.want {
			t.Errorf("%s: exitCode = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	r := runCLI(t, "embed", "--help")
	r.expect(t, exitOK)
	for _, flag := range []string{"--model", "--out", "--batch-size", "--no-normalize", "--image-list", "--texts", "--text", "--threads", "--max-pixels", "--tokenizer", "--config", "--print-config", "CLIP_BATCH_SIZE"} {
		if !strings.Contains(r.out, flag) {
			t.Errorf("embed --help does not mention %s", flag)
		}
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "version")
	r.expect(t, exitOK)
	for _, want := range []string{"clip dev\n", "go: " + runtime.Version(), "build tags: none", "backends: cpu"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("version output lacks %q:\n%s", want, r.out)
		}
	}
	old := version
	version = "v9.9.9"
	defer func() { version = old }()
	if r := runCLI(t, "version"); !strings.HasPrefix(r.out, "clip v9.9.9\n") {
		t.Errorf("version set by -ldflags not shown: %q", r.out)
	}
}
