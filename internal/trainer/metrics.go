package trainer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/clip-go/clip/internal/atomicfile"
)

// MetricsFile is the name of a run's metrics log in its folder: one JSON
// object per line, a StepRecord per step and an EvalRecord per evaluation.
const MetricsFile = "metrics.jsonl"

// Metrics appends records to a run's metrics.jsonl.
type Metrics struct {
	f *os.File
}

// OpenMetrics opens runDir/metrics.jsonl for appending. When resuming at
// step from, the lines of steps >= from (logged after the checkpoint by the
// run that was stopped) are dropped first, so the file reads as one
// uninterrupted run; a torn last line (a killed process) is dropped too.
func OpenMetrics(runDir string, from int) (*Metrics, error) {
	path := filepath.Join(runDir, MetricsFile)
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if len(old) > 0 {
		var keep bytes.Buffer
		sc := bufio.NewScanner(bytes.NewReader(old))
		sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
		for sc.Scan() {
			var rec struct {
				Step *int           `json:"step"`
				Eval map[string]any `json:"eval"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Step == nil {
				continue
			}
			// A step record's step is the step's index; an evaluation's
			// is the number of steps done when it ran.
			if *rec.Step < from || (rec.Eval != nil && *rec.Step == from) {
				keep.Write(sc.Bytes())
				keep.WriteByte('\n')
			}
		}
		if keep.Len() != len(old) {
			if err := atomicfile.WriteFile(path, 0o644, func(w io.Writer) error {
				_, err := w.Write(keep.Bytes())
				return err
			}); err != nil {
				return nil, fmt.Errorf("metrics: %w", err)
			}
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &Metrics{f: f}, nil
}

// Write appends one record as a JSON line.
func (m *Metrics) Write(rec any) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if _, err := m.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// Close closes the file.
func (m *Metrics) Close() error { return m.f.Close() }
