package trainer

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenMetricsTruncates: resuming at step k drops the step lines of
// steps >= k and evaluations after k steps, and a torn last line; earlier
// lines stay byte for byte.
func TestOpenMetricsTruncates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MetricsFile)
	old := `{"step":0,"loss":2}
{"step":1,"loss":1.5}
{"step":2,"eval":{"zeroshot_top1":0.5}}
{"step":2,"loss":1.2}
{"step":3,"eval":{"zeroshot_top1":0.6}}
{"step":3,"loss":1.1}
{"step":4,"lo`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := OpenMetrics(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Write(StepRecord{Step: 2, Loss: 1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := `{"step":0,"loss":2}
{"step":1,"loss":1.5}
{"step":2,"eval":{"zeroshot_top1":0.5}}
{"step":2,"epoch":0,"loss":1,"lr":0,"logit_scale":0,"scale":0,"grad_norm":0,"samples_per_s":0,"data_wait":0,"skipped":0}
`
	if string(b) != want {
		t.Errorf("metrics after resuming at step 2:\n%s\nwant:\n%s", b, want)
	}
}

// TestPruneCheckpoints keeps the newest complete checkpoints and ignores
// folders without a trainer state (a crash mid-write) and other names.
func TestPruneCheckpoints(t *testing.T) {
	run := t.TempDir()
	for _, s := range []int{5, 10, 15, 20} {
		d := CheckpointDir(run, s)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if s != 20 {
			if err := os.WriteFile(filepath.Join(d, stateFile), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(run, checkpointsDir, ".tmp-step-00000025-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := pruneCheckpoints(run, 2); err != nil {
		t.Fatal(err)
	}
	if err := RemoveStaleTemps(run); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(run, checkpointsDir)); len(ents) != 3 {
		t.Errorf("after removing temporaries: %d entries, want steps 10, 15 and the incomplete 20", len(ents))
	}
	got, err := ListCheckpoints(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 10 || got[1] != 15 {
		t.Errorf("after pruning to 2: %v, want [10 15]", got)
	}
	if _, err := os.Stat(CheckpointDir(run, 5)); !os.IsNotExist(err) {
		t.Errorf("step 5 not removed: %v", err)
	}
}
