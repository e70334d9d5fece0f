package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clip-go/clip/internal/imageproc"
	"github.com/clip-go/clip/internal/pipeline"
)

// kind is how a setting's value is parsed.
type kind int

const (
	kindString kind = iota
	kindInt
	kindFloat
	kindBool
	kindList  // comma-separated list: --labels a,b (flag may repeat)
	kindArray // repeatable flag, no comma splitting: --template "a, b {}"
	// kindPath is a file or folder: a string whose relative value in a
	// config file is relative to that file's folder, so a config file
	// names the files beside it wherever clip is run from.
	kindPath
)

// setting is one configuration key: a flag of the same name, environment
// variable CLIP_<KEY> (dashes as underscores) and a config-file key.
type setting struct {
	key   string
	kind  kind
	def   any
	usage string
}

// envPrefix is prepended to every key to form its environment variable.
const envPrefix = "CLIP"

// The settings. Commands define their flags from these values, so help text
// and defaults are the same everywhere.
var (
	setModel         = setting{"model", kindPath, "", "model folder (or .safetensors file); for train also a model config .json, or an inline model section in the config file"}
	setTokenizer     = setting{"tokenizer", kindPath, "", "tokenizer file: bpe_simple_vocab_16e6.txt[.gz], or vocab.json with merges.txt beside it (default: the model folder's, else built in)"}
	setThreads       = setting{"threads", kindInt, 0, "CPU goroutines for the model and image decoding (0: one per core)"}
	setMaxPixels     = setting{"max-pixels", kindInt, imageproc.DefaultMaxPixels, "refuse images with more pixels than this (decompression-bomb limit)"}
	setBatchSize     = setting{"batch-size", kindInt, pipeline.DefaultBatchSize, "images or texts per model call; for train, the global batch (samples per optimiser step)"}
	setNoNormalize   = setting{"no-normalize", kindBool, false, "write raw features instead of L2-normalised ones"}
	setContextLength = setting{"context-length", kindInt, 77, "length of each token row (clip.tokenize's context_length)"}
	setLabels        = setting{"labels", kindList, []string{}, "comma-separated class labels (repeatable)"}
	setLabelsFile    = setting{"labels-file", kindPath, "", "file with one label per line (blank lines ignored)"}
	setTemplate      = setting{"template", kindArray, []string{}, `prompt template with {} for the label (repeatable; default "` + pipeline.DefaultTemplate + `")`}
	setTemplates     = setting{"templates", kindString, "", "prompt templates: a named set (" + strings.Join(pipeline.TemplateSetNames(), " or ") + ") or a file of one template per line with {} (added before any --template)"}
	setTop           = setting{"top", kindInt, 5, "labels shown per image (0: all)"}
	setFormat        = setting{"format", kindString, "auto", "output format: table, tsv, json or jsonl (auto: table on a terminal, tsv otherwise)"}
)

// settings lists every key any command reads. A config file may set any of
// them (a key another command uses is not an error, so one file can serve
// every command); anything else in a config file is an error.
var settings = []setting{
	setModel, setTokenizer, setThreads, setMaxPixels, setBatchSize, setNoNormalize, setContextLength,
	setLabels, setLabelsFile, setTemplate, setTemplates, setTop, setFormat,
	setTrainData, setPretrained, setSteps, setEpochs, setLR, setWarmup, setWeightDecay, setBeta1, setBeta2, setEps,
	setGradClip, setSeed, setDevices, setRunDir, setSaveEvery, setKeep, setLogEvery, setEvalEvery, setEvalData,
	setShuffle, setAugment, setWorkers, setStrictData, setCSVSeparator, setCSVImgKey, setCSVCaptionKey,
	setData, setClasses,
}

func lookupSetting(key string) (setting, bool) {
	for _, s := range settings {
		if s.key == key {
			return s, true
		}
	}
	return setting{}, false
}

// envName is the environment variable of a key: CLIP_BATCH_SIZE.
func envName(key string) string {
	return envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// addSettings defines the flags of settings on fs, with their defaults and
// usage, naming the environment variable.
func addSettings(fs *pflag.FlagSet, ss ...setting) {
	for _, s := range ss {
		usage := fmt.Sprintf("%s (env %s)", s.usage, envName(s.key))
		switch s.kind {
		case kindString, kindPath:
			def, _ := s.def.(string)
			fs.String(s.key, def, usage)
		case kindInt:
			def, _ := s.def.(int)
			fs.Int(s.key, def, usage)
		case kindFloat:
			def, _ := s.def.(float64)
			fs.Float64(s.key, def, usage)
		case kindBool:
			def, _ := s.def.(bool)
			fs.Bool(s.key, def, usage)
		case kindList:
			fs.StringSlice(s.key, nil, usage)
		case kindArray:
			fs.StringArray(s.key, nil, usage)
		}
	}
}

// setup prepares the invocation's viper instance for cmd: defaults for every
// key, cmd's flags, the environment, then the config file (--config, else
// CLIP_CONFIG). Precedence is viper's: flag > environment > config > default.
func (a *app) setup(cmd *cobra.Command) error {
	v := a.v
	for _, s := range settings {
		v.SetDefault(s.key, s.def)
		if f := cmd.Flags().Lookup(s.key); f != nil {
			if err := v.BindPFlag(s.key, f); err != nil {
				return fmt.Errorf("bind flag --%s: %w", s.key, err)
			}
		}
	}
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()

	path := a.configFile
	if path == "" {
		path = os.Getenv(envPrefix + "_CONFIG")
	}
	if path == "" {
		return nil
	}
	return a.readConfig(path)
}

// readConfig loads a YAML or JSON config file and rejects keys that are not
// settings.
func (a *app) readConfig(path string) error {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".yaml", ".yml", ".json":
	default:
		return usagef("config file %s: want a .yaml, .yml or .json file, not %q", path, ext)
	}
	if _, err := os.Stat(path); err != nil {
		return usagef("config file: %v", err)
	}
	a.v.SetConfigFile(path)
	if err := a.v.ReadInConfig(); err != nil {
		return usagef("config file %s: %v", path, err)
	}
	a.configUsed = path
	var unknown []string
	for _, k := range a.v.AllKeys() {
		// The model may be given inline as an OpenCLIP model config
		// (model: {embed_dim: ..., vision_cfg: ...}); its fields are
		// checked when the config is parsed.
		if strings.HasPrefix(k, "model.") {
			continue
		}
		if _, ok := lookupSetting(k); !ok && a.v.InConfig(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		hint := ""
		if s := strings.ReplaceAll(unknown[0], "_", "-"); s != unknown[0] {
			if _, ok := lookupSetting(s); ok {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
		}
		quoted := make([]string, len(unknown))
		for i, k := range unknown {
			quoted[i] = strconv.Quote(k)
		}
		noun := "key"
		if len(unknown) > 1 {
			noun = "keys"
		}
		return usagef("config file %s: unknown %s %s%s; known keys: %s", path, noun, strings.Join(quoted, ", "), hint, strings.Join(settingKeys(), ", "))
	}
	return nil
}

func settingKeys() []string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	return keys
}

// source says where the value of key came from, for error messages and
// --print-config.
func (a *app) source(cmd *cobra.Command, key string) string {
	if f := cmd.Flags().Lookup(key); f != nil && f.Changed {
		return "flag --" + key
	}
	if v, ok := os.LookupEnv(envName(key)); ok && v != "" {
		return "environment " + envName(key)
	}
	if a.fromConfig(cmd, key) {
		return "config file " + a.configUsed
	}
	return "default"
}

// fromConfig reports whether the value of key is the config file's: no
// flag or environment variable overrides it.
func (a *app) fromConfig(cmd *cobra.Command, key string) bool {
	if f := cmd.Flags().Lookup(key); f != nil && f.Changed {
		return false
	}
	if v, ok := os.LookupEnv(envName(key)); ok && v != "" {
		return false
	}
	return a.configUsed != "" && a.v.InConfig(key)
}

// resolvePath makes a relative path from the config file relative to the
// config file's folder. Flags and environment variables stay relative to
// the working directory, as a shell user expects; "-" (standard input)
// and absolute paths are kept.
func (a *app) resolvePath(cmd *cobra.Command, key, v string) string {
	if v == "" || v == "-" || filepath.IsAbs(v) || !a.fromConfig(cmd, key) {
		return v
	}
	return filepath.Join(filepath.Dir(a.configUsed), v)
}

// conf reads typed settings of one command strictly: a value that does not
// parse is a usage error naming the key, the value and where it came from
// (viper's own getters would quietly turn "abc" into 0). The first error
// sticks, so a command reads all its options and checks once.
type conf struct {
	a   *app
	cmd *cobra.Command
	err error
}

func (c *conf) fail(key string, val any, why string) {
	if c.err == nil {
		c.err = usagef("invalid value %q for %s (from %s): %s", fmt.Sprint(val), key, c.a.source(c.cmd, key), why)
	}
}

// String reads a string setting; a path setting's value from the config
// file is resolved against the config file's folder (resolvePath).
func (c *conf) String(key string) string {
	switch v := c.a.v.Get(key).(type) {
	case nil:
		return ""
	case string:
		if s, _ := lookupSetting(key); s.kind == kindPath {
			return c.a.resolvePath(c.cmd, key, v)
		}
		return v
	case int, int64, float64, bool:
		return fmt.Sprint(v)
	default:
		c.fail(key, v, "want a string")
		return ""
	}
}

func (c *conf) Int(key string) int {
	switch v := c.a.v.Get(key).(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int(v)
		}
		c.fail(key, v, "want an integer")
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			c.fail(key, v, "want an integer")
		}
		return n
	default:
		c.fail(key, v, "want an integer")
	}
	return 0
}

// Float reads a number.
func (c *conf) Float(key string) float64 {
	switch v := c.a.v.Get(key).(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			c.fail(key, v, "want a number")
		}
		return f
	default:
		c.fail(key, v, "want a number")
	}
	return 0
}

func (c *conf) Bool(key string) bool {
	switch v := c.a.v.Get(key).(type) {
	case bool:
		return v
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			c.fail(key, v, "want true or false")
		}
		return b
	default:
		c.fail(key, v, "want true or false")
	}
	return false
}

// Strings reads a list: a YAML/JSON list, or from a string (environment)
// split at commas for list keys and taken whole for array keys, whose
// values (templates) may contain commas.
func (c *conf) Strings(key string) []string {
	s, _ := lookupSetting(key)
	switch v := c.a.v.Get(key).(type) {
	case nil:
		return nil
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			switch e := e.(type) {
			case string:
				out = append(out, e)
			case int, int64, float64, bool:
				out = append(out, fmt.Sprint(e))
			default:
				c.fail(key, v, "want a list of strings")
				return nil
			}
		}
		return out
	case string:
		if v == "" {
			return nil
		}
		if s.kind == kindList {
			parts := strings.Split(v, ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return parts
		}
		return []string{v}
	default:
		c.fail(key, v, "want a list of strings")
		return nil
	}
}

// value reads setting s with the getter of its kind; an inline model
// config (a map under "model") is returned as it is.
func (c *conf) value(s setting) any {
	if m, ok := c.a.v.Get(s.key).(map[string]any); ok && s.key == "model" {
		return m
	}
	switch s.kind {
	case kindString, kindPath:
		return c.String(s.key)
	case kindInt:
		return c.Int(s.key)
	case kindFloat:
		return c.Float(s.key)
	case kindBool:
		return c.Bool(s.key)
	default:
		l := c.Strings(s.key)
		if l == nil {
			l = []string{}
		}
		return l
	}
}

// printConfig writes the resolved value and source of every setting cmd
// has, as YAML that --config accepts (JSON scalars are valid YAML).
func (a *app) printConfigTo(w io.Writer, cmd *cobra.Command) error {
	c := &conf{a: a, cmd: cmd}
	if a.configUsed != "" {
		fmt.Fprintf(w, "# config file: %s\n", a.configUsed)
	}
	for _, s := range settings {
		if cmd.Flags().Lookup(s.key) == nil {
			continue
		}
		val := c.value(s)
		if c.err != nil {
			return c.err
		}
		b, err := marshalJSON(val)
		if err != nil {
			return fmt.Errorf("print config %s: %w", s.key, err)
		}
		fmt.Fprintf(w, "%s: %s  # %s\n", s.key, b, a.source(cmd, s.key))
	}
	return nil
}

// outputOptions reads --format and --batch-size, shared by the commands
// that print results and embed in batches.
func (c *conf) outputOptions() (format string, batchSize int) {
	format, batchSize = c.String("format"), c.Int("batch-size")
	switch {
	case c.err != nil:
	case batchSize < 1:
		c.fail("batch-size", batchSize, "want 1 or more")
	}
	switch format {
	case "auto", "table", "tsv", "json", "jsonl":
	default:
		c.fail("format", format, "want table, tsv, json, jsonl or auto")
	}
	return format, batchSize
}
