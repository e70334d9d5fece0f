package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/clip-go/clip/internal/atomicfile"
)

// Chart is one PNG of curves: one line per key.
type Chart struct {
	File   string // file name in the output folder
	Title  string
	YLabel string
	Keys   []string
	// Smooth draws a long series faintly under its moving average, for a
	// noisy per-step value (the loss); the legend then goes at the top,
	// where a falling curve is not.
	Smooth bool
}

// TrainingCharts are the charts drawn from the training lines (keys of
// Record.Values), each only when its keys have at least one value.
var TrainingCharts = []Chart{
	{"loss.png", "Training loss", "contrastive loss", []string{"loss"}, true},
	{"lr.png", "Learning rate", "learning rate", []string{"lr"}, false},
	{"logit_scale.png", "Logit scale", "logit_scale (ln of the similarity scale)", []string{"logit_scale"}, false},
	{"grad_norm.png", "Gradient norm", "global gradient norm", []string{"grad_norm"}, false},
	{"throughput.png", "Throughput", "samples / s", []string{"samples_per_s"}, false},
	{"data_wait.png", "Time waiting for data", "fraction of step time", []string{"data_wait"}, false},
}

// Size of every chart: 7 x 4.5 inches, 672 x 432 pixels at the PNG
// canvas's 96 dpi.
const (
	width  = 7 * vg.Inch
	height = 4.5 * vg.Inch
)

// series is one named line of a chart.
type series struct {
	name string
	xys  plotter.XYs
}

// points gathers (step, value) for one key over recs, value(rec) giving
// the record's value if it has one. Non-finite values are left out (a
// diverged run's NaN loss cannot be drawn). A step at or below the last
// one kept starts over from there: a resumed run logs its steps again
// after the checkpoint, and the latest values are the run's.
func points(recs []Record, value func(Record) (float64, bool)) plotter.XYs {
	var xys plotter.XYs
	for _, r := range recs {
		v, ok := value(r)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(r.Step) || math.IsInf(r.Step, 0) {
			continue
		}
		for len(xys) > 0 && xys[len(xys)-1].X >= r.Step {
			xys = xys[:len(xys)-1]
		}
		xys = append(xys, plotter.XY{X: r.Step, Y: v})
	}
	return xys
}

// evalCharts groups the eval keys by their prefix before the first "_"
// (zeroshot_top1 and zeroshot_top5 -> zeroshot.png); keys without one, or
// whose prefix is not a plain lower-case word, go to eval.png.
func evalCharts(recs []Record) map[string][]string {
	keys := map[string]bool{}
	for _, r := range recs {
		for k := range r.Eval {
			keys[k] = true
		}
	}
	groups := map[string][]string{}
	for k := range keys {
		prefix, _, ok := strings.Cut(k, "_")
		if !ok || !plainWord(prefix) {
			prefix = "eval"
		}
		groups[prefix] = append(groups[prefix], k)
	}
	for _, ks := range groups {
		sort.Strings(ks)
	}
	return groups
}

func plainWord(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Write draws every chart that has data into outDir (created if needed) and
// returns the files written, in order: TrainingCharts, then one chart per
// group of eval keys (see evalCharts). Each file is written atomically. It
// is an error for recs to have nothing to draw.
func Write(recs []Record, outDir string) ([]string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	var written []string
	// draw writes chart c of the values that values(r) holds under its
	// keys, unless none has a value.
	draw := func(c Chart, values func(Record) map[string]float64) error {
		var ss []series
		for _, k := range c.Keys {
			xys := points(recs, func(r Record) (float64, bool) { v, ok := values(r)[k]; return v, ok })
			if len(xys) > 0 {
				ss = append(ss, series{k, xys})
			}
		}
		if len(ss) == 0 {
			return nil
		}
		dest := filepath.Join(outDir, c.File)
		if err := savePNG(chart(c, ss), dest); err != nil {
			return err
		}
		written = append(written, dest)
		return nil
	}
	for _, c := range TrainingCharts {
		if err := draw(c, func(r Record) map[string]float64 { return r.Values }); err != nil {
			return written, err
		}
	}
	groups := evalCharts(recs)
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		c := Chart{File: g + ".png", Title: "Evaluation: " + g, YLabel: "value", Keys: groups[g]}
		if err := draw(c, func(r Record) map[string]float64 { return r.Eval }); err != nil {
			return written, err
		}
	}
	if len(written) == 0 {
		return nil, fmt.Errorf("plot: no values to draw (keys %s, or an \"eval\" object)", strings.Join(allKeys(), ", "))
	}
	return written, nil
}

func allKeys() []string {
	var ks []string
	for _, c := range TrainingCharts {
		ks = append(ks, c.Keys...)
	}
	return ks
}

// pointsUpTo is the longest series drawn with a marker at every point:
// sparse curves (evaluations) read better with their points marked.
const pointsUpTo = 60

// chart builds the plot of c's series ss. With c.Smooth, a long series is
// drawn faintly with its exponential moving average on top, as training
// dashboards do, since the per-step loss is noisy.
func chart(c Chart, ss []series) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = "step"
	p.Y.Label.Text = c.YLabel
	// Training curves mostly fall (loss) or settle, evaluations rise: put
	// the legend where the lines usually are not.
	p.Legend.Top = c.Smooth
	p.Add(plotter.NewGrid())
	for i, s := range ss {
		col := plotutil.Color(i)
		if len(s.xys) <= pointsUpTo {
			l, pts, err := plotter.NewLinePoints(s.xys)
			if err != nil {
				continue // unreachable: points are finite
			}
			l.Color, pts.Color = col, col
			p.Add(l, pts)
			if len(ss) > 1 {
				p.Legend.Add(s.name, l, pts)
			}
			continue
		}
		l, err := plotter.NewLine(s.xys)
		if err != nil {
			continue
		}
		l.Color = col
		if c.Smooth {
			l.Color = color.RGBA{R: 180, G: 180, B: 200, A: 255}
			sm, err := plotter.NewLine(ema(s.xys))
			if err == nil {
				sm.Color = col
				sm.Width = vg.Points(1.5)
				p.Add(l, sm)
				p.Legend.Add(s.name, l)
				p.Legend.Add(s.name+" (smoothed)", sm)
				continue
			}
		}
		p.Add(l)
		if len(ss) > 1 {
			p.Legend.Add(s.name, l)
		}
	}
	return p
}

// ema is the exponential moving average of the values over a window of
// about a fiftieth of the points, bias-corrected at the start (so the curve
// starts at the first value, not at 0).
func ema(xys plotter.XYs) plotter.XYs {
	window := max(1, len(xys)/50)
	alpha := 2 / (float64(window) + 1)
	out := make(plotter.XYs, len(xys))
	var avg, weight float64
	for i, p := range xys {
		avg = (1-alpha)*avg + alpha*p.Y
		weight = (1-alpha)*weight + alpha
		out[i] = plotter.XY{X: p.X, Y: avg / weight}
	}
	return out
}

// savePNG renders p and writes it to dest atomically.
func savePNG(p *gplot.Plot, dest string) error {
	wt, err := p.WriterTo(width, height, "png")
	if err != nil {
		return fmt.Errorf("plot %s: %w", dest, err)
	}
	return atomicfile.WriteFile(dest, 0o644, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}
