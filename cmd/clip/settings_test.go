package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configLine returns the --print-config line of key.
func configLine(t *testing.T, out, key string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, key+": ") {
			return l
		}
	}
	t.Fatalf("no %s in --print-config output:\n%s", key, out)
	return ""
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "clip.yaml")
	writeFiles(t, dir, map[string]string{"clip.yaml": "batch-size: 8\nmodel: from-config\nlabels: [cfg1, cfg2]\nno-normalize: true\n"})
	tests := []struct {
		name   string
		config bool
		env    map[string]string
		flags  []string
		key    string
		want   string
	}{
		{"default", false, nil, nil, "batch-size", `batch-size: 32  # default`},
		{"config", true, nil, nil, "batch-size", `batch-size: 8  # config file ` + cfg},
		{"env over config", true, map[string]string{"CLIP_BATCH_SIZE": "16"}, nil, "batch-size", `batch-size: 16  # environment CLIP_BATCH_SIZE`},
		{"flag over env", true, map[string]string{"CLIP_BATCH_SIZE": "16"}, []string{"--batch-size", "4"}, "batch-size", `batch-size: 4  # flag --batch-size`},
		{"string default", false, nil, nil, "model", `model: ""  # default`},
		{"string config", true, nil, nil, "model", `model: "` + filepath.Join(dir, "from-config") + `"  # config file`},
		{"string env", true, map[string]string{"CLIP_MODEL": "from-env"}, nil, "model", `model: "from-env"  # environment CLIP_MODEL`},
		{"string flag", true, map[string]string{"CLIP_MODEL": "from-env"}, []string{"--model", "from-flag"}, "model", `model: "from-flag"  # flag --model`},
		{"bool config", true, nil, nil, "no-normalize", `no-normalize: true  # config file`},
		{"bool env", true, map[string]string{"CLIP_NO_NORMALIZE": "false"}, nil, "no-normalize", `no-normalize: false  # environment`},
		{"bool flag", false, nil, []string{"--no-normalize"}, "no-normalize", `no-normalize: true  # flag`},
		{"max-pixels default", false, nil, nil, "max-pixels", `max-pixels: 89478485  # default`},
		{"threads env", false, map[string]string{"CLIP_THREADS": "3"}, nil, "threads", `threads: 3  # environment CLIP_THREADS`},
		{"tokenizer env", false, map[string]string{"CLIP_TOKENIZER": "v.json"}, nil, "tokenizer", `tokenizer: "v.json"  # environment CLIP_TOKENIZER`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			args := []string{"embed", "--print-config"}
			if tc.config {
				args = append(args, "--config", cfg)
			}
			r := runCLI(t, append(args, tc.flags...)...)
			r.expect(t, exitOK)
			if got := configLine(t, r.out, tc.key); !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want prefix %q", got, tc.want)
			}
		})
	}
}

func TestPrecedenceLists(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "clip.json")
	writeFiles(t, dir, map[string]string{"clip.json": `{"labels": ["cfg1", "cfg2"], "template": ["cfg {}", "b, {}"], "top": 2, "format": "jsonl"}`})
	tests := []struct {
		name  string
		env   map[string]string
		flags []string
		key   string
		want  string
	}{
		{"labels config", nil, nil, "labels", `labels: ["cfg1","cfg2"]  # config file`},
		{"labels env splits commas", map[string]string{"CLIP_LABELS": "dog, cat"}, nil, "labels", `labels: ["dog","cat"]  # environment CLIP_LABELS`},
		{"labels flag", map[string]string{"CLIP_LABELS": "dog"}, []string{"--labels", "a,b", "--labels", "c"}, "labels", `labels: ["a","b","c"]  # flag --labels`},
		{"template config", nil, nil, "template", `template: ["cfg {}","b, {}"]  # config file`},
		{"template env keeps commas", map[string]string{"CLIP_TEMPLATE": "a, b {}"}, nil, "template", `template: ["a, b {}"]  # environment`},
		{"template flag keeps commas", nil, []string{"--template", "x, {}", "--template", "y {}"}, "template", `template: ["x, {}","y {}"]  # flag`},
		{"top config", nil, nil, "top", `top: 2  # config file`},
		{"format env", map[string]string{"CLIP_FORMAT": "json"}, nil, "format", `format: "json"  # environment CLIP_FORMAT`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			r := runCLI(t, append([]string{"classify", "--print-config", "--config", cfg}, tc.flags...)...)
			r.expect(t, exitOK)
			if got := configLine(t, r.out, tc.key); !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want prefix %q", got, tc.want)
			}
		})
	}
}

func TestPrintConfigShowsOnlyTheCommandsKeys(t *testing.T) {
	r := runCLI(t, "tokenize", "--print-config")
	r.expect(t, exitOK)
	for _, k := range []string{"model", "tokenizer", "context-length"} {
		configLine(t, r.out, k)
	}
	if strings.Contains(r.out, "batch-size") {
		t.Errorf("tokenize --print-config shows batch-size:\n%s", r.out)
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": "top: 3\n", "b.yml": "top: 4\n"})
	t.Setenv("CLIP_CONFIG", filepath.Join(dir, "a.yaml"))
	r := runCLI(t, "classify", "--print-config")
	r.expect(t, exitOK)
	if got := configLine(t, r.out, "top"); !strings.HasPrefix(got, "top: 3  # config file") {
		t.Errorf("CLIP_CONFIG not read: %q", got)
	}
	if !strings.HasPrefix(r.out, "# config file: "+filepath.Join(dir, "a.yaml")) {
		t.Errorf("--print-config does not name the config file:\n%s", r.out)
	}
	r = runCLI(t, "classify", "--print-config", "--config", filepath.Join(dir, "b.yml"))
	if got := configLine(t, r.out, "top"); !strings.HasPrefix(got, "top: 4") {
		t.Errorf("--config does not override CLIP_CONFIG: %q", got)
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"unknown.yaml":   "model: m\ncolour: blue\n",
		"nested.yaml":    "model:\n  path: m\n",
		"section.yaml":   "cuda:\n  device: 1\n",
		"two.yaml":       "size: 1\ncolour: red\n",
		"underscore.yml": "batch_size: 8\n",
		"broken.yaml":    "model: [unclosed\n",
		"broken.json":    `{"model": }`,
		"settings.toml":  "model = 'm'\n",
		"badtype.yaml":   "batch-size: lots\n",
		"fraction.json":  `{"top": 2.5}`,
		"list.yaml":      "labels: {a: 1}\n",
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown key", []string{"embed", "--config", p("unknown.yaml")}, []string{`unknown key "colour"`, p("unknown.yaml"), "known keys: model"}},
		{"map for a string", []string{"embed", "--config", p("nested.yaml")}, []string{`for model (from config file ` + p("nested.yaml") + `): want a string`}},
		{"two unknown keys", []string{"embed", "--config", p("two.yaml")}, []string{`unknown keys "colour", "size"`}},
		{"unknown section", []string{"embed", "--config", p("section.yaml")}, []string{`unknown key "cuda.device"`}},
		{"underscore hint", []string{"embed", "--config", p("underscore.yml")}, []string{`unknown key "batch_size"`, `did you mean "batch-size"?`}},
		{"broken yaml", []string{"embed", "--config", p("broken.yaml")}, []string{p("broken.yaml")}},
		{"broken json", []string{"embed", "--config", p("broken.json")}, []string{p("broken.json")}},
		{"wrong extension", []string{"embed", "--config", p("settings.toml")}, []string{p("settings.toml"), ".yaml"}},
		{"missing file", []string{"embed", "--config", p("nope.yaml")}, []string{p("nope.yaml")}},
		{"bad int in config", []string{"embed", "--print-config", "--config", p("badtype.yaml")}, []string{`invalid value "lots" for batch-size (from config file ` + p("badtype.yaml")}},
		{"fraction for int", []string{"classify", "--print-config", "--config", p("fraction.json")}, []string{`"2.5" for top`, "want an integer"}},
		{"map for list", []string{"classify", "--print-config", "--config", p("list.yaml")}, []string{"labels", "want a list of strings"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runCLI(t, tc.args...).expect(t, exitUsage, tc.want...)
		})
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"env int", map[string]string{"CLIP_BATCH_SIZE": "abc"}, []string{"embed", "--out", "x.npy", "--text", "a"}, []string{`invalid value "abc" for batch-size (from environment CLIP_BATCH_SIZE)`}},
		{"env bool", map[string]string{"CLIP_NO_NORMALIZE": "perhaps"}, []string{"embed", "--print-config"}, []string{`"perhaps" for no-normalize`, "CLIP_NO_NORMALIZE"}},
		{"zero batch", nil, []string{"embed", "--batch-size", "0", "--out", "x.npy", "--text", "a"}, []string{"batch-size (from flag --batch-size): want 1 or more"}},
		{"negative threads", nil, []string{"embed", "--threads", "-1", "--out", "x.npy", "--text", "a"}, []string{"threads", "want 0"}},
		{"zero max-pixels", nil, []string{"classify", "--max-pixels", "0", "--labels", "a", "x.png"}, []string{"max-pixels", "positive"}},
		{"zero context length", nil, []string{"tokenize", "--context-length", "0", "hi"}, []string{"context-length", "want 1 or more"}},
		{"negative top", nil, []string{"classify", "--top", "-1", "--labels", "a", "x.png"}, []string{"top", "want 0"}},
		{"bad format", nil, []string{"classify", "--format", "xml", "--labels", "a", "x.png"}, []string{`"xml" for format`}},
		{"classify zero batch", map[string]string{"CLIP_BATCH_SIZE": "0"}, []string{"classify", "--labels", "a", "x.png"}, []string{"batch-size (from environment CLIP_BATCH_SIZE)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			runCLI(t, tc.args...).expect(t, exitUsage, tc.want...)
		})
	}
}

func TestMissingModel(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "a.png")
	writeFiles(t, dir, map[string]string{"a.png": "1"})
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"embed", []string{"embed", "--out", filepath.Join(dir, "x.npy"), img}, []string{"no model given", "--model DIR", "CLIP_MODEL", "openai/clip-vit-base-patch32", "model.safetensors", "config.json", "vocab.json", "merges.txt"}},
		{"classify", []string{"classify", "--labels", "a", img}, []string{"no model given"}},
		{"absent folder", []string{"classify", "--model", filepath.Join(dir, "nope"), "--labels", "a", img}, []string{filepath.Join(dir, "nope") + ": no such file or folder"}},
		{"absent tokenizer", []string{"classify", "--model", dir, "--tokenizer", filepath.Join(dir, "v.json"), "--labels", "a", img}, []string{"tokenizer", "v.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := invocation{fake: &fakeModel{}}
			inv.run(t, tc.args...).expect(t, exitUsage, tc.want...)
			if len(inv.fake.opened) != 0 {
				t.Errorf("model opened: %v", inv.fake.opened)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "x.npy")); err == nil {
		t.Error("output written without a model")
	}
}

func TestModelFromEnvironmentAndConfig(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.png": "1", "m-env/x": "", "m-cfg/x": "", "m-flag/x": "", "c.yaml": "model: " + filepath.Join(dir, "m-cfg") + "\n"})
	img := filepath.Join(dir, "a.png")
	tests := []struct {
		name  string
		env   string
		flags []string
		want  string
	}{
		{"config", "", []string{"--config", filepath.Join(dir, "c.yaml")}, "m-cfg"},
		{"env", filepath.Join(dir, "m-env"), []string{"--config", filepath.Join(dir, "c.yaml")}, "m-env"},
		{"flag", filepath.Join(dir, "m-env"), []string{"--model", filepath.Join(dir, "m-flag")}, "m-flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("CLIP_MODEL", tc.env)
			}
			inv := invocation{fake: &fakeModel{}}
			args := append([]string{"classify", "--labels", "a"}, tc.flags...)
			inv.run(t, append(args, img)...).expect(t, exitOK)
			if len(inv.fake.opened) != 1 || filepath.Base(inv.fake.opened[0]) != tc.want {
				t.Errorf("opened %v, want .../%s", inv.fake.opened, tc.want)
			}
		})
	}
}

// TestConfigRelativePaths checks that path settings from a config file are
// relative to the config file's folder, whatever the working directory,
// while flags and environment variables stay relative to the working
// directory, and absolute paths and "-" are kept.
func TestConfigRelativePaths(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "conf")
	writeFiles(t, dir, map[string]string{
		"conf/rel.yaml":   "model: ../models/m\ntokenizer: vocab/bpe.txt.gz\nlabels-file: labels.txt\ntemplates: openai\n",
		"conf/abs.yaml":   "model: " + filepath.Join(dir, "abs-model") + "\nlabels-file: \"-\"\n",
		"models/m/x":      "",
		"conf/labels.txt": "dog\n",
	})
	rel := filepath.Join(sub, "rel.yaml")
	t.Chdir(t.TempDir()) // anywhere but the config's folder
	tests := []struct {
		name  string
		cfg   string
		env   map[string]string
		flags []string
		key   string
		want  string
	}{
		{"model", rel, nil, nil, "model", filepath.Join(dir, "models", "m")},
		{"tokenizer", rel, nil, nil, "tokenizer", filepath.Join(sub, "vocab", "bpe.txt.gz")},
		{"labels-file", rel, nil, nil, "labels-file", filepath.Join(sub, "labels.txt")},
		{"not a path", rel, nil, nil, "templates", "openai"},
		{"flag stays", rel, nil, []string{"--model", "here/m"}, "model", "here/m"},
		{"env stays", rel, map[string]string{"CLIP_TOKENIZER": "v.json"}, nil, "tokenizer", "v.json"},
		{"absolute", filepath.Join(sub, "abs.yaml"), nil, nil, "model", filepath.Join(dir, "abs-model")},
		{"stdin", filepath.Join(sub, "abs.yaml"), nil, nil, "labels-file", "-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			r := runCLI(t, append([]string{"classify", "--print-config", "--config", tc.cfg}, tc.flags...)...)
			r.expect(t, exitOK)
			if got := configLine(t, r.out, tc.key); !strings.HasPrefix(got, tc.key+`: "`+tc.want+`"`) {
				t.Errorf("got %q, want %s: %q", got, tc.key, tc.want)
			}
		})
	}
	// The resolved paths are the ones used: the model and the labels file
	// are found although the working directory is elsewhere.
	inv := invocation{fake: &fakeModel{}}
	writeFiles(t, dir, map[string]string{"a.png": "1"})
	inv.run(t, "classify", "--config", rel, "--tokenizer", "", filepath.Join(dir, "a.png")).expect(t, exitOK)
	if len(inv.fake.opened) != 1 || inv.fake.opened[0] != filepath.Join(dir, "models", "m") {
		t.Errorf("opened %v, want %s", inv.fake.opened, filepath.Join(dir, "models", "m"))
	}
}
