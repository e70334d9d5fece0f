package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/checkpoint"
	"github.com/clip-go/clip/internal/model"
)

// tinyArch is an OpenCLIP model config small enough for a test to run
// both towers in milliseconds.
const tinyArch = `{"embed_dim": 8, "quick_gelu": true,
  "vision_cfg": {"image_size": 32, "layers": 1, "width": 16, "patch_size": 16, "head_width": 8},
  "text_cfg": {"context_length": 12, "vocab_size": 50, "width": 16, "heads": 2, "layers": 1}}`

const tinyResNetArch = `{"embed_dim": 8,
  "vision_cfg": {"image_size": 32, "layers": [1, 1, 1, 1], "width": 8, "head_width": 64},
  "text_cfg": {"context_length": 12, "vocab_size": 50, "width": 16, "heads": 2, "layers": 1}}`

// benchSetup writes the tiny architectures under dir/arch and a config
// file dir/bench.yaml naming one by a path relative to dir.
func benchSetup(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{
		"arch/tiny.json":   tinyArch,
		"arch/rn.json":     tinyResNetArch,
		"arch/broken.json": `{"embed_dim": 8, "vision_cfg": {"image_size": 30, "layers": 1, "width": 16, "patch_size": 16}}`,
		"bench.yaml":       "# tiny test model\nmodel: arch/tiny.json\n",
	})
	return dir, filepath.Join(dir, "bench.yaml")
}

// benchJSON runs clip bench and decodes its one JSON line.
func benchJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	r := runCLI(t, append([]string{"bench", "--iters", "2", "--warmup", "1"}, args...)...)
	r.expect(t, exitOK)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one JSON line, got:\n%s", r.out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.out)
	}
	return m
}

// checkShape checks the fields every result has, with their types and
// consistency: items_per_s = batch / median_s, ms_per_item = 1000 /
// items_per_s.
func checkShape(t *testing.T, m map[string]any, what string, batch float64) {
	t.Helper()
	for _, k := range []string{"impl", "what"} {
		if _, ok := m[k].(string); !ok {
			t.Errorf("%s is %v, want a string", k, m[k])
		}
	}
	for _, k := range []string{"batch", "threads", "items_per_s", "ms_per_item", "gflops", "median_s", "min_s", "peak_rss_mb", "iters", "warmup"} {
		v, ok := m[k].(float64)
		if !ok || (v <= 0 && k != "warmup") {
			t.Errorf("%s is %v, want a positive number", k, m[k])
		}
	}
	if m["impl"] != "clip" || m["what"] != what || m["batch"] != batch || m["iters"] != 2.0 || m["warmup"] != 1.0 {
		t.Errorf("impl %v what %v batch %v iters %v warmup %v, want clip %s %v 2 1", m["impl"], m["what"], m["batch"], m["iters"], m["warmup"], what, batch)
	}
	med, _ := m["median_s"].(float64)
	if ips, _ := m["items_per_s"].(float64); abs(ips*med-batch) > 1e-6*batch {
		t.Errorf("items_per_s %v is not batch/median_s (%v/%v)", ips, batch, med)
	}
	if mn, _ := m["min_s"].(float64); mn > med {
		t.Errorf("min_s %v > median_s %v", mn, med)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestBenchImage(t *testing.T) {
	dir, cfg := benchSetup(t)
	m := benchJSON(t, "--config", cfg, "--what", "image", "--batch", "3", "--threads", "1")
	checkShape(t, m, "image", 3)
	// The config's relative path is resolved against the config's folder.
	if m["model"] != filepath.Join(dir, "arch", "tiny.json") || m["weights"] != "random" || m["threads"] != 1.0 {
		t.Errorf("model %v weights %v threads %v", m["model"], m["weights"], m["threads"])
	}
	m = benchJSON(t, "--model", filepath.Join(dir, "arch", "rn.json"), "--batch", "2")
	checkShape(t, m, "image", 2)
}

func TestBenchRestoresGOMAXPROCS(t *testing.T) {
	_, cfg := benchSetup(t)
	before := runtime.GOMAXPROCS(0)
	benchJSON(t, "--config", cfg, "--batch", "1", "--threads", strconv.Itoa(before+1))
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS %d after bench, want %d", got, before)
	}
}

func TestBenchText(t *testing.T) {
	_, cfg := benchSetup(t)
	full := benchJSON(t, "--config", cfg, "--what", "text", "--batch", "2")
	checkShape(t, full, "text", 2)
	if full["text_len"] != 12.0 {
		t.Errorf("text_len %v, want the context length 12", full["text_len"])
	}
	short := benchJSON(t, "--config", cfg, "--what", "text", "--batch", "2", "--text-len", "3")
	checkShape(t, short, "text", 2)
	if short["text_len"] != 3.0 {
		t.Errorf("text_len %v, want 3", short["text_len"])
	}
	// FLOPs per text follow the positions computed: 3 of 12.
	arch, _ := model.ParseOpenCLIPConfig([]byte(tinyArch))
	perText := func(p float64) float64 {
		return 24*p*16*16 + 4*p*p*16 + 2*16*float64(arch.EmbedDim)
	}
	for _, c := range []struct {
		m map[string]any
		p float64
	}{{full, 12}, {short, 3}} {
		gf, med := c.m["gflops"].(float64), c.m["median_s"].(float64)
		if want := 2 * perText(c.p) / 1e9 / med; abs(gf-want) > 1e-6*want {
			t.Errorf("text_len %v: gflops %v, want %v", c.p, gf, want)
		}
	}
}

func TestBenchTrain(t *testing.T) {
	_, cfg := benchSetup(t)
	m := benchJSON(t, "--config", cfg, "--what", "train", "--batch", "3", "--text-len", "5", "--threads", "1")
	checkShape(t, m, "train", 3)
	if m["text_len"] != 5.0 || m["weights"] != "random" {
		t.Errorf("text_len %v weights %v, want 5 random", m["text_len"], m["weights"])
	}
	// 3 × the forward of both towers: the tiny ViT has 1+(32/16)² = 5
	// tokens, the text tower runs 5 positions.
	arch, _ := model.ParseOpenCLIPConfig([]byte(tinyArch))
	e := float64(arch.EmbedDim)
	image := 2*4*3*16*16*16 + 24*5*16*16 + 4*5*5*16 + 2*16*e
	text := 24*5*16*16 + 4*5*5*16 + 2*16*e
	gf, med := m["gflops"].(float64), m["median_s"].(float64)
	if want := 3 * 3 * (image + text) / 1e9 / med; abs(gf-want) > 1e-6*want {
		t.Errorf("gflops %v, want %v", gf, want)
	}
}

func TestBenchGEMM(t *testing.T) {
	m := benchJSON(t, "--what", "gemm", "--m", "8", "--k", "16", "--n", "24", "--threads", "2")
	checkShape(t, m, "gemm", 1)
	if m["m"] != 8.0 || m["k"] != 16.0 || m["n"] != 24.0 || m["threads"] != 2.0 || m["model"] != nil {
		t.Errorf("gemm result %v", m)
	}
	if gf, med := m["gflops"].(float64), m["median_s"].(float64); abs(gf-2*8*16*24/1e9/med) > 1e-9 {
		t.Errorf("gflops %v for 2·8·16·24 FLOP in %v s", gf, med)
	}
}

func TestBenchCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cfg, err := model.ParseOpenCLIPConfig([]byte(tinyArch))
	if err != nil {
		t.Fatal(err)
	}
	tensors := map[string]model.HostTensor{}
	for _, s := range model.ParamTable(cfg) {
		tensors[s.Name] = model.HostTensor{Shape: s.Shape, Data: make([]float32, s.Numel())}
	}
	if err := os.Mkdir(filepath.Join(dir, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.WriteOpenCLIP(filepath.Join(dir, "m"), cfg, tensors); err != nil {
		t.Fatal(err)
	}
	m := benchJSON(t, "--model", filepath.Join(dir, "m"), "--what", "text", "--batch", "1")
	checkShape(t, m, "text", 1)
	if m["weights"] != "checkpoint" {
		t.Errorf("weights %v, want checkpoint", m["weights"])
	}
}

func TestBenchTable(t *testing.T) {
	_, cfg := benchSetup(t)
	r := runCLI(t, "bench", "--config", cfg, "--batch", "1", "--iters", "1", "--format", "table")
	r.expect(t, exitOK)
	lines := strings.Split(strings.TrimRight(r.out, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "GFLOP/s") || !strings.Contains(lines[1], "tiny.json") {
		t.Errorf("table:\n%s", r.out)
	}
	// On a terminal the default is the table, JSON otherwise.
	inv := invocation{term: true}
	res := inv.run(t, "bench", "--what", "gemm", "--m", "2", "--k", "2", "--n", "2", "--iters", "1")
	res.expect(t, exitOK)
	if !strings.Contains(res.out, "2x2x2") || strings.HasPrefix(res.out, "{") {
		t.Errorf("terminal output is not a table:\n%s", res.out)
	}
}

func TestBenchErrors(t *testing.T) {
	dir, cfg := benchSetup(t)
	missing := filepath.Join(dir, "arch", "nope.json")
	writeFiles(t, dir, map[string]string{"missing.yaml": "model: arch/nope.json\n"})
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"bad what", []string{"--config", cfg, "--what", "video"}, []string{`invalid value "video" for --what`, "image, text, train or gemm"}},
		{"missing arch", []string{"--model", missing}, []string{missing, "no such file"}},
		{"missing arch from config", []string{"--config", filepath.Join(dir, "missing.yaml")}, []string{missing}},
		{"invalid arch", []string{"--model", filepath.Join(dir, "arch", "broken.json")}, []string{"broken.json"}},
		{"no model", []string{"--what", "image"}, []string{"no model given", "configs/arch/ViT-B-32.json"}},
		{"text too long", []string{"--config", cfg, "--what", "text", "--text-len", "13"}, []string{"--text-len", "context length 12"}},
		{"text too short", []string{"--config", cfg, "--what", "text", "--text-len", "1"}, []string{"--text-len"}},
		{"zero batch", []string{"--config", cfg, "--batch", "0"}, []string{"--batch", "1 or more"}},
		{"zero iters", []string{"--what", "gemm", "--iters", "0"}, []string{"--iters"}},
		{"negative warmup", []string{"--what", "gemm", "--warmup", "-1"}, []string{"--warmup"}},
		{"zero m", []string{"--what", "gemm", "--m", "0"}, []string{"--m"}},
		{"batch for gemm", []string{"--what", "gemm", "--batch", "4"}, []string{"--batch does not apply"}},
		{"shape for image", []string{"--config", cfg, "--k", "4"}, []string{"--k applies to --what gemm only"}},
		{"text-len for image", []string{"--config", cfg, "--text-len", "4"}, []string{"--text-len applies to --what text and train only"}},
		{"shape for train", []string{"--config", cfg, "--what", "train", "--n", "4"}, []string{"--n applies to --what gemm only"}},
		{"train a ResNet", []string{"--model", filepath.Join(dir, "arch", "rn.json"), "--what", "train"}, []string{"no backward"}},
		{"bad format", []string{"--what", "gemm", "--format", "tsv"}, []string{`"tsv" for format`}},
		{"negative threads", []string{"--what", "gemm", "--threads", "-2"}, []string{"threads"}},
		{"argument", []string{"--what", "gemm", "extra"}, []string{"no arguments"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"bench"}, tc.args...)...)
			r.expect(t, exitUsage, tc.want...)
			if r.out != "" {
				t.Errorf("stdout not empty:\n%s", r.out)
			}
		})
	}
}

// TestShippedConfigs checks that every shipped configs/*.yaml holds only
// known keys and names an architecture that exists and builds: a path
// relative to the config's folder, or an inline model section.
func TestShippedConfigs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "configs", "*.yaml"))
	if len(files) < 6 {
		t.Fatalf("configs/*.yaml: found %v, want vit-b32, vit-b16, vit-l14, rn50, small and mnist", files)
	}
	for _, f := range files {
		r := runCLI(t, "train", "--config", f, "--print-config")
		r.expect(t, exitOK)
		line := configLine(t, r.out, "model")
		if val := strings.TrimSpace(strings.TrimPrefix(line, "model:")); strings.HasPrefix(val, "{") {
			var inline map[string]any
			if err := json.Unmarshal([]byte(val[:strings.LastIndex(val, "}")+1]), &inline); err != nil {
				t.Fatalf("%s: model: %v", f, err)
			}
			if _, err := parseInlineModel(inline); err != nil {
				t.Errorf("%s: inline model: %v", f, err)
			}
			continue
		}
		path := strings.Trim(strings.Fields(line)[1], `"`)
		if _, err := checkpoint.LoadConfigFile(path); err != nil {
			t.Errorf("%s: model %s: %v", f, path, err)
		}
	}
}
