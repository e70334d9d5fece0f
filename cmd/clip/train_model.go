package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/clip-go/clip/internal/atomicfile"
	"github.com/clip-go/clip/internal/checkpoint"
	"github.com/clip-go/clip/internal/data"
	"github.com/clip-go/clip/internal/model"
)

// inlineModelKeys are the keys an inline model section may hold, by
// section: the model config's fields and OpenCLIP's options (which the
// checkpoint package then checks for values the model cannot honour).
var inlineModelKeys = map[string][]string{
	"":           {"embed_dim", "quick_gelu", "vision_cfg", "text_cfg", "custom_text", "init_logit_bias"},
	"vision_cfg": {"image_size", "layers", "width", "patch_size", "head_width", "mlp_ratio", "ls_init_value", "timm_model_name", "attentional_pool", "no_ln_pre", "final_ln_after_pool", "global_average_pool", "pool_type", "pos_embed_type", "act_kwargs", "norm_kwargs"},
	"text_cfg":   {"context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio", "ls_init_value", "hf_model_name", "pool_type", "proj_type", "proj_bias", "embed_cls", "no_causal_mask", "act_kwargs", "norm_kwargs"},
}

// parseInlineModel reads the model section of a config file, refusing keys
// that are not model-config fields (a typo would otherwise silently build
// another network).
func parseInlineModel(m map[string]any) (model.Config, error) {
	var unknown []string
	for k, v := range m {
		if !slices.Contains(inlineModelKeys[""], k) {
			unknown = append(unknown, "model."+k)
			continue
		}
		if sub, ok := v.(map[string]any); ok && inlineModelKeys[k] != nil {
			for sk := range sub {
				if !slices.Contains(inlineModelKeys[k], sk) {
					unknown = append(unknown, "model."+k+"."+sk)
				}
			}
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return model.Config{}, usagef("model: unknown keys %s", strings.Join(unknown, ", "))
	}
	b, err := json.Marshal(m)
	if err != nil {
		return model.Config{}, usagef("model: %v", err)
	}
	c, err := checkpoint.ParseOpenCLIPConfig(b)
	if err != nil {
		return model.Config{}, usagef("model: %v", err)
	}
	return c, nil
}

// resolveTrainModel works out the architecture and the starting weights
// (nil when resuming: the checkpoint has them). The returned close
// releases any checkpoint file and may be called more than once.
func resolveTrainModel(o *trainOptions) (cfg model.Config, src model.WeightSource, from string, closeFn func(), err error) {
	var cks []*checkpoint.Checkpoint
	closeFn = func() {
		for _, ck := range cks {
			ck.Close()
		}
		cks = nil
	}
	fail := func(e error) (model.Config, model.WeightSource, string, func(), error) {
		closeFn()
		return model.Config{}, nil, "", func() {}, e
	}
	haveCfg := true
	switch m := o.model.(type) {
	case nil:
		haveCfg = false
	case map[string]any:
		if cfg, err = parseInlineModel(m); err != nil {
			return fail(err)
		}
	case string:
		if err := checkModel(m); err != nil {
			return fail(err)
		}
		if strings.EqualFold(filepath.Ext(m), ".json") {
			if cfg, err = checkpoint.LoadConfigFile(m); err != nil {
				return fail(usagef("model: %v", err))
			}
			break
		}
		// A checkpoint: its architecture, and its weights unless
		// pretrained says otherwise.
		ck, err := checkpoint.Open(m)
		if err != nil {
			return fail(usagef("model: %v", err))
		}
		cks = append(cks, ck)
		cfg, src, from = ck.Config, ck, ck.WeightsPath
	default:
		return fail(usagef("model: want a path or an inline model config, not %T", m))
	}
	// pretrained gives the starting weights, and the architecture when
	// the model does not; a resumed run needs only the latter.
	if o.pretrained != "" && (o.resume == "" || !haveCfg) {
		if err := checkModel(o.pretrained); err != nil {
			return fail(err)
		}
		ck, err := checkpoint.Open(o.pretrained)
		if err != nil {
			return fail(usagef("pretrained: %v", err))
		}
		cks = append(cks, ck)
		if !haveCfg {
			cfg = ck.Config
		} else if err := sameArchitecture(cfg, ck); err != nil {
			return fail(usagef("pretrained %s does not fit the model: %v", o.pretrained, err))
		}
		src, from = ck, ck.WeightsPath
	}
	if cfg.Vision.IsResNet() {
		return fail(usagef("model: a ModifiedResNet image tower cannot be trained yet (its backward pass is not implemented); use a ViT"))
	}
	if o.resume != "" {
		return cfg, nil, "from the checkpoint", closeFn, nil
	}
	if src == nil {
		init, err := model.NewInitWeights(cfg, o.seed)
		if err != nil {
			return fail(usagef("model: %v", err))
		}
		src, from = init, fmt.Sprintf("OpenAI's initialisation, seed %d", o.seed)
	}
	return cfg, src, from, closeFn, nil
}

// sameArchitecture checks that the weights of ck fit cfg: the same tensors
// with the same shapes, and the same activation where ck's config says.
func sameArchitecture(cfg model.Config, ck *checkpoint.Checkpoint) error {
	want, got := model.ParamTable(cfg), model.ParamTable(ck.Config)
	if len(want) != len(got) {
		return fmt.Errorf("%d tensors, the model has %d", len(got), len(want))
	}
	for i := range want {
		if want[i].Name != got[i].Name || !slices.Equal(want[i].Shape, got[i].Shape) {
			return fmt.Errorf("tensor %s %v, the model has %s %v", got[i].Name, got[i].Shape, want[i].Name, want[i].Shape)
		}
	}
	if ck.ConfigSource != checkpoint.InferredConfig && ck.Config.QuickGELU != cfg.QuickGELU {
		return fmt.Errorf("quick_gelu is %v in %s, %v in the model config", ck.Config.QuickGELU, ck.ConfigSource, cfg.QuickGELU)
	}
	return nil
}

// runModelConfigFile holds a run's architecture (with its preprocessing
// mean and std) in open_clip_config.json form; config.yaml names it.
const runModelConfigFile = "model_config.json"

// writeRunConfig writes the run folder's config.yaml: every training
// setting as resolved, paths made absolute, and the model as
// model_config.json beside it, so that --resume continues the same run.
func writeRunConfig(path string, o *trainOptions, cfg model.Config) error {
	js, err := checkpoint.MarshalOpenCLIPConfig(cfg)
	if err != nil {
		return fmt.Errorf("run config: %w", err)
	}
	dir := filepath.Dir(path)
	if err := atomicfile.WriteFile(filepath.Join(dir, runModelConfigFile), 0o644, func(w io.Writer) error {
		_, err := w.Write(js)
		return err
	}); err != nil {
		return fmt.Errorf("run config: %w", err)
	}
	c := o.conf
	var b strings.Builder
	b.WriteString("# clip train: the resolved settings of this run (clip train --resume reads them).\n")
	for _, s := range trainSettings {
		val := c.value(s)
		switch {
		case s.key == "model":
			val = runModelConfigFile
		case s.key == "run-dir":
			continue // the folder holding this file
		case s.kind == kindPath:
			if p, _ := val.(string); p != "" && p != "-" {
				if abs, err := filepath.Abs(p); err == nil {
					val = abs
				}
			}
		}
		if c.err != nil {
			return c.err
		}
		v, err := marshalJSON(val)
		if err != nil {
			return fmt.Errorf("run config %s: %w", s.key, err)
		}
		fmt.Fprintf(&b, "%s: %s\n", s.key, v)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("run config: %w", err)
	}
	return atomicfile.WriteFile(path, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// tableOptions reads the CSV/TSV column and separator settings.
func tableOptions(c *conf) data.TableOptions {
	o := data.TableOptions{ImageKey: c.String("csv-img-key"), CaptionKey: c.String("csv-caption-key")}
	switch sep := c.String("csv-separator"); {
	case sep == "":
	case sep == `\t` || sep == "tab":
		o.Separator = '\t'
	case len([]rune(sep)) == 1:
		o.Separator = []rune(sep)[0]
	default:
		c.fail("csv-separator", sep, `want one character (or \t)`)
	}
	return o
}
