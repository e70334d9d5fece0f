// Package plot draws the curves of a training run (loss, learning rate,
// logit scale, evaluations) from its metrics.jsonl into PNG files, with
// gonum.org/v1/plot.
package plot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Record is one line of metrics.jsonl: the step it belongs to, its numeric
// values by key (loss, lr, logit_scale, samples_per_s, data_wait,
// grad_norm, epoch and any other number), and the numeric members of its
// "eval" object, if any (zeroshot_top1, ...).
type Record struct {
	Line   int // 1-based line number in the file
	Step   float64
	Values map[string]float64
	Eval   map[string]float64
}

// knownKeys must hold a number (or null, for a missing value) when present:
// a string there is a broken file, not a key to ignore.
var knownKeys = map[string]bool{
	"epoch": true, "loss": true, "lr": true, "logit_scale": true,
	"samples_per_s": true, "data_wait": true, "grad_norm": true, "scale": true, "skipped": true,
}

// ReadMetrics reads a metrics.jsonl file: one JSON object per line with a
// numeric "step". Blank lines are skipped; numbers under other keys are
// kept, null values and non-numeric values of unknown keys ignored, so a
// newer trainer's extra fields do not break plotting. A line that is not
// such an object is an error naming the file and line, except a final line
// without its newline, which a running trainer may be writing right now and
// is ignored.
func ReadMetrics(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer f.Close()
	var recs []Record
	br := bufio.NewReader(f)
	for no := 1; ; no++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		complete := err == nil
		if len(bytes.TrimSpace(line)) > 0 {
			rec, perr := parseRecord(line)
			switch {
			case perr == nil:
				rec.Line = no
				recs = append(recs, rec)
			case complete:
				return nil, fmt.Errorf("%s:%d: %v", path, no, perr)
			}
		}
		if !complete {
			return recs, nil
		}
	}
}

// parseRecord decodes one metrics line.
func parseRecord(line []byte) (Record, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return Record{}, fmt.Errorf("not a JSON object: %v", err)
	}
	raw, ok := obj["step"]
	if !ok {
		return Record{}, fmt.Errorf(`no "step" key`)
	}
	step, isNum, err := number(raw)
	if err != nil || !isNum {
		return Record{}, fmt.Errorf(`"step" is %s, want a number`, raw)
	}
	rec := Record{Step: step, Values: map[string]float64{}}
	for k, raw := range obj {
		switch k {
		case "step":
			continue
		case "eval":
			ev, err := evalValues(raw)
			if err != nil {
				return Record{}, err
			}
			rec.Eval = ev
			continue
		}
		v, isNum, err := number(raw)
		switch {
		case err != nil && knownKeys[k]:
			return Record{}, fmt.Errorf("%q is %s, want a number", k, raw)
		case isNum:
			rec.Values[k] = v
		}
	}
	return rec, nil
}

// evalValues returns the numeric members of an "eval" object.
func evalValues(raw json.RawMessage) (map[string]float64, error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf(`"eval" is %s, want an object`, raw)
	}
	out := make(map[string]float64, len(obj))
	for k, r := range obj {
		if v, isNum, err := number(r); err == nil && isNum {
			out[k] = v
		}
	}
	return out, nil
}

// number decodes a JSON number; null is (0, false, nil) and anything else
// an error.
func number(raw json.RawMessage) (float64, bool, error) {
	s := strings.TrimSpace(string(raw))
	if s == "null" {
		return 0, false, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, false, err
	}
	return v, true, nil
}
