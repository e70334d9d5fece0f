package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/pipeline"
)

// tokenizeOptions are the inputs of clip tokenize.
type tokenizeOptions struct {
	model         string
	tokenizer     string
	contextLength int
	input         string   // --input: JSON lines {"text": ...}; "-" is stdin
	texts         []string // positional
}

func newTokenizeCmd(a *app) *cobra.Command {
	o := &tokenizeOptions{}
	cmd := &cobra.Command{
		Use:   "tokenize [--model DIR | --tokenizer FILE] [--context-length N] (TEXT... | --input FILE)",
		Short: "Print the token ids of texts as clip.tokenize does",
		Long: `Tokenize prints one JSON object per text on standard output:

  {"text": ..., "ids": [...], "tokens": [...]}

"ids" are the BPE ids with the start and end tokens, untruncated; "tokens" is
the row of --context-length ints that clip.tokenize(text, truncate=True)
gives (padded with 0; when too long, cut and ended with the end token).

Texts are the arguments, or with --input FILE ("-" for standard input) one
JSON object {"text": ...} per line (other keys are ignored, blank lines
skipped), so that any text, with newlines or control characters, can be
given. The tokenizer is --tokenizer, else the one in the --model folder, else
the built-in OpenAI vocabulary.`,
		Example: `  clip tokenize "a photo of a cat" "a dog"
  echo '{"text": "two\nlines"}' | clip tokenize --input -`,
		RunE: a.command(func(cmd *cobra.Command, args []string) error {
			c := &conf{a: a, cmd: cmd}
			o.model = c.String("model")
			o.tokenizer = c.String("tokenizer")
			o.contextLength = c.Int("context-length")
			if c.err == nil && o.contextLength < 1 {
				c.fail("context-length", o.contextLength, "want 1 or more")
			}
			if c.err != nil {
				return c.err
			}
			o.texts = args
			return a.runTokenize(o)
		}),
	}
	f := cmd.Flags()
	addSettings(f, setModel, setTokenizer, setContextLength)
	f.StringVar(&o.input, "input", "", `file of JSON lines {"text": ...} to tokenize ("-": standard input)`)
	return cmd
}

// tokenizeRecord is one line of output.
type tokenizeRecord struct {
	Text   string  `json:"text"`
	IDs    []int   `json:"ids"`
	Tokens []int32 `json:"tokens"`
}

func (a *app) runTokenize(o *tokenizeOptions) error {
	switch {
	case o.input != "" && len(o.texts) > 0:
		return usagef("give texts as arguments or with --input, not both")
	case o.input == "" && len(o.texts) == 0:
		return usagef("nothing to tokenize: give texts as arguments or --input FILE")
	}
	texts := o.texts
	if o.input != "" {
		var err error
		if texts, err = a.readTextRecords(o.input); err != nil {
			return err
		}
	}
	if o.model != "" {
		if err := checkModel(o.model); err != nil {
			return err
		}
	}
	tok, src, err := pipeline.LoadTokenizer(o.tokenizer, o.model)
	if err != nil {
		return err
	}
	a.logf("tokenizer: %s", src)
	w := bufio.NewWriter(a.stdout)
	for _, t := range texts {
		b, err := marshalJSON(tokenizeRecord{Text: t, IDs: tok.IDs(t), Tokens: tok.Tokenize(t, o.contextLength)})
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	return w.Flush()
}

// readTextRecords reads JSON lines {"text": ...}. Everything is read and
// checked before anything is printed, so a bad line gives no partial output.
func (a *app) readTextRecords(path string) ([]string, error) {
	r, err := a.openInput(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var texts []string
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, rerr := br.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return nil, fmt.Errorf("read %s: %w", displayName(path), rerr)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			var rec struct {
				Text *string `json:"text"`
			}
			if err := json.Unmarshal(line, &rec); err != nil {
				return nil, usagef("%s line %d: want a JSON object {\"text\": ...}: %v", displayName(path), n, err)
			}
			if rec.Text == nil {
				return nil, usagef("%s line %d: no \"text\" string", displayName(path), n)
			}
			texts = append(texts, *rec.Text)
		}
		if rerr == io.EOF {
			break
		}
	}
	if len(texts) == 0 {
		return nil, usagef("%s: no texts", displayName(path))
	}
	return texts, nil
}
