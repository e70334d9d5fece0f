package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// buildTags and backends grow in files compiled with build tags
// (version_cuda.go).
var (
	buildTags []string
	backends  = []string{"cpu"}
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, Go version, build tags and backends",
		Args:  noArgs,
		RunE: a.command(func(cmd *cobra.Command, args []string) error {
			tags := "none"
			if len(buildTags) > 0 {
				tags = strings.Join(buildTags, ",")
			}
			w := a.stdout
			fmt.Fprintf(w, "clip %s\n", version)
			fmt.Fprintf(w, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(w, "build tags: %s\n", tags)
			fmt.Fprintf(w, "backends: %s\n", strings.Join(backends, ", "))
			if rev := vcsRevision(); rev != "" {
				fmt.Fprintf(w, "commit: %s\n", rev)
			}
			return nil
		}),
	}
}

// vcsRevision is the commit the binary was built from, when go build
// recorded it (not under go test or go run).
func vcsRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " (modified)"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// noArgs rejects positional arguments as a usage error (cobra.NoArgs
// returns a plain error, which would exit 1).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}
