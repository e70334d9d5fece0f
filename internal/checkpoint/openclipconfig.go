package checkpoint

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// openCLIPOption is a model-config setting OpenCLIP supports but the model
// does not: any value other than the listed defaults is rejected, because
// model.ParseOpenCLIPConfig would otherwise ignore it and build a
// different network from the one the weights were trained in.
type openCLIPOption struct {
	cfg, key string // cfg: "", "vision_cfg" or "text_cfg"
	defaults []any  // accepted values (as encoding/json decodes them)
}

var openCLIPOptions = []openCLIPOption{
	{"", "custom_text", []any{false}},
	{"", "init_logit_bias", nil}, // SigLIP
	{"vision_cfg", "timm_model_name", []any{""}},
	{"vision_cfg", "mlp_ratio", []any{4.0}},
	{"vision_cfg", "ls_init_value", nil},
	{"vision_cfg", "attentional_pool", []any{false}},
	{"vision_cfg", "no_ln_pre", []any{false}},
	{"vision_cfg", "final_ln_after_pool", []any{false}},
	{"vision_cfg", "global_average_pool", []any{false}},
	{"vision_cfg", "pool_type", []any{"tok"}},
	{"vision_cfg", "pos_embed_type", []any{"learnable"}},
	{"vision_cfg", "act_kwargs", []any{map[string]any{}}},
	{"vision_cfg", "norm_kwargs", []any{map[string]any{}, map[string]any{"eps": 1e-5}}},
	{"text_cfg", "hf_model_name", []any{""}},
	{"text_cfg", "mlp_ratio", []any{4.0}},
	{"text_cfg", "ls_init_value", nil},
	{"text_cfg", "pool_type", []any{"argmax"}},
	{"text_cfg", "proj_type", []any{"linear"}},
	{"text_cfg", "proj_bias", []any{false}},
	{"text_cfg", "embed_cls", []any{false}},
	{"text_cfg", "no_causal_mask", []any{false}},
	{"text_cfg", "act_kwargs", []any{map[string]any{}}},
	{"text_cfg", "norm_kwargs", []any{map[string]any{}, map[string]any{"eps": 1e-5}}},
}

// checkOpenCLIPOptions rejects an OpenCLIP config (bare or wrapped in
// model_cfg) that uses an option the model cannot express. A missing or
// null option means OpenCLIP's default.
func checkOpenCLIPOptions(b []byte) error {
	var top map[string]any
	if err := json.Unmarshal(b, &top); err != nil {
		return err
	}
	if mc, ok := top["model_cfg"].(map[string]any); ok {
		top = mc
	}
	for _, o := range openCLIPOptions {
		section := top
		if o.cfg != "" {
			section, _ = top[o.cfg].(map[string]any)
		}
		v, ok := section[o.key]
		if !ok || v == nil {
			continue
		}
		accepted := false
		for _, d := range o.defaults {
			accepted = accepted || reflect.DeepEqual(v, d)
		}
		if !accepted {
			name := o.key
			if o.cfg != "" {
				name = o.cfg + "." + o.key
			}
			return fmt.Errorf("%s = %v is not supported by this implementation", name, v)
		}
	}
	return nil
}
