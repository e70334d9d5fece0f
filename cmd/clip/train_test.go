package main

import (
	"archive/tar"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/safetensors"
	"github.com/clip-go/clip/internal/trainer"
)

// trainChildEnv makes the test binary run `clip train` as a child process
// (TestMain), for the kill -9 test; its value is the JSON list of arguments.
const trainChildEnv = "CLIP_TEST_TRAIN_CHILD"

// runTrainChild runs the command line of trainChildEnv, each step slowed
// down so the parent can kill the process part-way, and exits.
func runTrainChild(argsJSON string) {
	var args []string
	if err := json.Unmarshal([]byte(argsJSON), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	a := newApp(strings.NewReader(""), os.Stdout, os.Stderr)
	a.afterStep = func(trainer.StepRecord) { time.Sleep(40 * time.Millisecond) }
	os.Exit(a.execute(context.Background(), args))
}

// smallTrainConfig writes a training config over the golden train_e2e
// images (tiny-vit's architecture from scratch, shuffled and augmented)
// and returns its path; extra entries override or add keys.
func smallTrainConfig(t *testing.T, run string, extra map[string]any) string {
	t.Helper()
	dir := golden.Path(t, "train_e2e")
	conf := map[string]any{
		"model":            golden.Path(t, "tiny-vit", "open_clip_config.json"),
		"train-data":       filepath.Join(dir, "data.csv"),
		"csv-caption-key":  "caption",
		"batch-size":       8,
		"steps":            14,
		"lr":               1e-3,
		"warmup":           2,
		"seed":             11,
		"shuffle":          true,
		"augment":          true,
		"run-dir":          run,
		"save-every":       3,
		"keep-checkpoints": 2,
		"threads":          2,
	}
	for k, v := range extra {
		conf[k] = v
	}
	path := filepath.Join(t.TempDir(), "train.json")
	b, _ := json.Marshal(conf)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lossBits are a run's per-step losses as logged, for exact comparison.
func lossBits(t *testing.T, run string) []uint64 {
	t.Helper()
	var out []uint64
	for i, r := range readStepRecords(t, filepath.Join(run, trainer.MetricsFile)) {
		if r.Step != i {
			t.Fatalf("%s: line %d is step %d", run, i, r.Step)
		}
		out = append(out, math.Float64bits(r.Loss))
	}
	return out
}

func sameLosses(t *testing.T, what string, got, want []uint64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d steps logged, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: step %d loss %.9g, the uninterrupted run's %.9g", what, i, math.Float64frombits(got[i]), math.Float64frombits(want[i]))
		}
	}
}

// TestTrainResumeExact: a run interrupted by Ctrl-C (in-process) or killed
// with SIGKILL (a child process), then resumed from its last checkpoint,
// logs bit for bit the losses of an uninterrupted run, with shuffling and
// augmentation on, on one device and on two.
func TestTrainResumeExact(t *testing.T) {
	for _, devices := range []int{1, 2} {
		t.Run(fmt.Sprintf("devices=%d", devices), func(t *testing.T) {
			base := t.TempDir()
			ref := filepath.Join(base, "ref")
			invocation{}.run(t, "train", "--config", smallTrainConfig(t, ref, map[string]any{"devices": devices})).expect(t, 0)
			want := lossBits(t, ref)
			if len(want) != 14 {
				t.Fatalf("reference run logged %d steps", len(want))
			}
			if steps, _ := trainer.ListCheckpoints(ref); fmt.Sprint(steps) != "[12 14]" {
				t.Errorf("checkpoints kept: %v, want the newest two [12 14]", steps)
			}

			// Ctrl-C after step 4 (0-based): a checkpoint of 5 steps, exit 130.
			sig := filepath.Join(base, "sigint")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a := invocation{ctx: ctx}
			conf := smallTrainConfig(t, sig, map[string]any{"devices": devices})
			r := a.runWith(t, func(ap *app) {
				ap.afterStep = func(rec trainer.StepRecord) {
					if rec.Step == 4 {
						cancel()
					}
				}
			}, "train", "--config", conf)
			r.expect(t, exitInterrupted, "continue with: clip train --resume")
			if steps, _ := trainer.ListCheckpoints(sig); len(steps) == 0 || steps[len(steps)-1] != 5 {
				t.Fatalf("after the interrupt the newest checkpoint is %v, want step 5", steps)
			}
			invocation{}.run(t, "train", "--resume", sig).expect(t, 0, "resuming")
			sameLosses(t, "resumed after Ctrl-C", lossBits(t, sig), want)

			// SIGKILL part-way, in a child process.
			killed := filepath.Join(base, "killed")
			args, _ := json.Marshal([]string{"train", "--config", smallTrainConfig(t, killed, map[string]any{"devices": devices})})
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), trainChildEnv+"="+string(args))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				if steps, _ := trainer.ListCheckpoints(killed); len(steps) > 0 && steps[len(steps)-1] >= 6 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the child made no checkpoint of step 6 within 60 s")
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(15 * time.Millisecond) // land somewhere inside a later step
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if st := cmd.ProcessState; st == nil || st.Success() {
				t.Fatalf("the child was not killed: %v", st)
			}
			invocation{}.run(t, "train", "--resume", killed).expect(t, 0, "resuming")
			sameLosses(t, "resumed after SIGKILL", lossBits(t, killed), want)
		})
	}
}

// TestTrainRefusesToOverwrite: a run folder with checkpoints is continued
// only with --resume; resuming a finished run does nothing.
func TestTrainRefusesToOverwrite(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	conf := smallTrainConfig(t, run, map[string]any{"steps": 2, "shuffle": false, "augment": false})
	invocation{}.run(t, "train", "--config", conf).expect(t, 0, "done after 2 steps")
	invocation{}.run(t, "train", "--config", conf).expect(t, exitUsage, "already holds checkpoints", "--resume")
	invocation{}.run(t, "train", "--resume", run).expect(t, 0, "already done its 2 steps")
	invocation{}.run(t, "train", "--resume", filepath.Join(t.TempDir(), "none")).expect(t, exitUsage, "not a run folder")
}

// TestTrainStopsOnNaN: a NaN in the starting weights makes the first loss
// NaN; the run stops with exit status 1 and says so, writing no checkpoint.
func TestTrainStopsOnNaN(t *testing.T) {
	src := golden.Path(t, "tiny-vit")
	dst := filepath.Join(t.TempDir(), "nan-model")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(src, "open_clip_model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, name := range f.Names() {
		v, shape, err := f.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "visual.proj" {
			v[0] = float32(math.NaN())
		}
		ts = append(ts, safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: shape, Data: v})
	}
	f.Close()
	if err := safetensors.Write(filepath.Join(dst, "open_clip_model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(src, "open_clip_config.json"))
	if err := os.WriteFile(filepath.Join(dst, "open_clip_config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(t.TempDir(), "run")
	conf := smallTrainConfig(t, run, map[string]any{"model": dst})
	invocation{}.run(t, "train", "--config", conf).expect(t, exitFailure, "not finite", "no checkpoint was written yet")
	if steps, _ := trainer.ListCheckpoints(run); len(steps) != 0 {
		t.Errorf("checkpoints %v written from NaN weights", steps)
	}
}

// TestTrainConfigErrors: bad settings are usage errors naming the key.
func TestTrainConfigErrors(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	cases := []struct {
		name  string
		extra map[string]any
		want  string
	}{
		{"batch over devices", map[string]any{"devices": 3}, "split evenly over --devices 3"},
		{"no data", map[string]any{"train-data": ""}, "no training data"},
		{"missing data", map[string]any{"train-data": "/nonexistent/x.csv"}, "train-data"},
		{"bad lr", map[string]any{"lr": "fast"}, `invalid value "fast" for lr`},
		{"negative lr", map[string]any{"lr": -1}, "for lr"},
		{"beta2", map[string]any{"beta2": 1}, "beta2"},
		{"inline model typo", map[string]any{"model": map[string]any{"embed_dm": 8}}, "unknown keys model.embed_dm"},
		{"unsupported option", map[string]any{"model": map[string]any{"embed_dim": 8, "vision_cfg": map[string]any{"pool_type": "avg"}}}, "pool_type"},
		{"bad column", map[string]any{"csv-caption-key": "nope"}, "nope"},
		{"eval without data", map[string]any{"eval-every": 5}, "needs --eval-data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			invocation{}.run(t, "train", "--config", smallTrainConfig(t, run, c.extra)).expect(t, exitUsage, c.want)
		})
	}
}

// TestTrainInlineModelAndPrintConfig: an inline model section trains, and
// config.yaml records the resolved settings with the model beside it.
func TestTrainInlineModelAndPrintConfig(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	inline := map[string]any{
		"embed_dim": 16, "quick_gelu": true,
		"vision_cfg": map[string]any{"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
		"text_cfg":   map[string]any{"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
	}
	conf := smallTrainConfig(t, run, map[string]any{"model": inline, "steps": 3})
	r := invocation{}.run(t, "train", "--config", conf, "--print-config")
	r.expect(t, 0)
	if !strings.Contains(r.out, `"embed_dim":16`) || !strings.Contains(r.out, "steps: 3") {
		t.Errorf("--print-config output:\n%s", r.out)
	}
	invocation{}.run(t, "train", "--config", conf).expect(t, 0, "done after 3 steps")
	b, err := os.ReadFile(filepath.Join(run, runConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"model: \"model_config.json\"", "steps: 3", "seed: 11", "shuffle: true"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config.yaml lacks %q:\n%s", want, b)
		}
	}
	// The checkpoint is a model folder clip embed loads.
	ck := trainer.CheckpointDir(run, 3)
	out := filepath.Join(t.TempDir(), "txt.npy")
	invocation{}.run(t, "embed", "--model", ck, "--text", "a cat", "--out", out).expect(t, 0)
	if a := readNPY(t, out); len(a.Shape) != 2 || a.Shape[1] != 16 {
		t.Errorf("embedding from the trained checkpoint has shape %v", a.Shape)
	}
}

// TestTrainSettingsPrecedence: a flag beats CLIP_* which beats the file.
func TestTrainSettingsPrecedence(t *testing.T) {
	conf := smallTrainConfig(t, filepath.Join(t.TempDir(), "a"), map[string]any{"steps": 3, "shuffle": false, "augment": false})
	t.Setenv("CLIP_STEPS", "2")
	invocation{}.run(t, "train", "--config", conf).expect(t, 0, "done after 2 steps")
	invocation{}.run(t, "train", "--config", conf, "--steps", "1", "--run-dir", filepath.Join(t.TempDir(), "b")).expect(t, 0, "done after 1 steps")
}

// TestTrainFromShards: the same rows as WebDataset tar shards (brace
// pattern) and as a CSV table train to the same bits; a corrupt image in a
// shard is skipped, reported and counted, not fatal.
func TestTrainFromShards(t *testing.T) {
	dir := golden.Path(t, "train_e2e")
	rows := readCSVRows(t, filepath.Join(dir, "data.csv"))[:24]
	work := t.TempDir()
	// Rows 0..15 in two shards; the table lists the same 16 rows.
	var table strings.Builder
	table.WriteString("filepath\ttitle\n")
	for s := 0; s < 2; s++ {
		var members []tarMember
		for i := s * 8; i < s*8+8; i++ {
			img, err := os.ReadFile(filepath.Join(dir, rows[i][0]))
			if err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprintf("%06d", i)
			members = append(members, tarMember{key + ".png", img}, tarMember{key + ".txt", []byte(rows[i][1])})
			caption := rows[i][1]
			if strings.Contains(caption, `"`) {
				caption = `"` + strings.ReplaceAll(caption, `"`, `""`) + `"`
			}
			fmt.Fprintf(&table, "%s\t%s\n", filepath.Join(dir, rows[i][0]), caption)
		}
		writeTar(t, filepath.Join(work, fmt.Sprintf("shard-%d.tar", s)), members)
	}
	// A third shard: one corrupt image, then eight good rows.
	bad := []tarMember{{"bad.png", []byte("not a png")}, {"bad.txt", []byte("broken")}}
	for i := 16; i < 24; i++ {
		img, _ := os.ReadFile(filepath.Join(dir, rows[i][0]))
		key := fmt.Sprintf("%06d", i)
		bad = append(bad, tarMember{key + ".png", img}, tarMember{key + ".txt", []byte(rows[i][1])})
	}
	writeTar(t, filepath.Join(work, "shard-2.tar"), bad)
	tsv := filepath.Join(work, "rows.tsv")
	if err := os.WriteFile(tsv, []byte(table.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	common := map[string]any{"shuffle": false, "augment": false, "steps": 2, "csv-caption-key": "title"}
	fromTable := filepath.Join(work, "table-run")
	invocation{}.run(t, "train", "--config", smallTrainConfig(t, fromTable, common), "--train-data", tsv).expect(t, 0)
	fromShards := filepath.Join(work, "shard-run")
	invocation{}.run(t, "train", "--config", smallTrainConfig(t, fromShards, common), "--train-data", filepath.Join(work, "shard-{0..1}.tar")).expect(t, 0)
	sameLosses(t, "shards vs table", lossBits(t, fromShards), lossBits(t, fromTable))

	withBad := filepath.Join(work, "bad-run")
	common["steps"] = 3
	r := invocation{}.run(t, "train", "--config", smallTrainConfig(t, withBad, common), "--train-data", filepath.Join(work, "shard-{0..2}.tar"))
	r.expect(t, 0, "skipped", "bad", "1 unreadable samples skipped")
	if recs := readStepRecords(t, filepath.Join(withBad, trainer.MetricsFile)); len(recs) != 3 || recs[2].Skipped != 1 {
		t.Errorf("metrics of the run with a corrupt sample: %+v", recs)
	}
	invocation{}.run(t, "train", "--config", smallTrainConfig(t, filepath.Join(work, "strict"), common),
		"--train-data", filepath.Join(work, "shard-{0..2}.tar"), "--strict-data").expect(t, exitFailure, "bad")
}

type tarMember struct {
	name string
	data []byte
}

func writeTar(t *testing.T, path string, members []tarMember) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// readCSVRows reads a golden table's (filepath, caption) rows.
func readCSVRows(t *testing.T, path string) [][2]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := make([][2]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		out = append(out, [2]string{r[0], r[1]})
	}
	return out
}

// TestTrainProgressBar: on a terminal the run shows a bar with the loss and
// samples/s instead of log lines.
func TestTrainProgressBar(t *testing.T) {
	conf := smallTrainConfig(t, filepath.Join(t.TempDir(), "run"), map[string]any{"steps": 3, "shuffle": false, "augment": false})
	r := invocation{term: true}.run(t, "train", "--config", conf)
	r.expect(t, 0, "loss ", "samples/s", "done after 3 steps")
	if strings.Contains(r.errOut, "step 1/3") {
		t.Errorf("log lines printed on a terminal:\n%s", r.errOut)
	}
}
