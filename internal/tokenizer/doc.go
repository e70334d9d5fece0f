// Package tokenizer reproduces OpenAI CLIP's SimpleTokenizer and
// clip.tokenize exactly, without Python.
//
// Text goes through three stages, each in its own files:
//
//   - Cleaning (clean.go, the ftfy_*.go files, htmlunescape.go, nfc.go and
//     pycase.go): ftfy 6.3.1's fix_text (mojibake repair, HTML entities,
//     quotes, ligatures, widths, control characters, NFC), then Python's
//     html.unescape twice, strip, collapsing white-space runs to one space,
//     and Python's str.lower.
//   - Pre-tokenizing (pretokenize.go): a hand-written scanner equal to the
//     `regex` pattern of simple_tokenizer.py, so no regular-expression engine
//     runs on the hot path.
//   - Byte-level BPE (bpe.go) over GPT-2's byte-to-unicode alphabet with a
//     bounded, concurrency-safe cache of words (cache.go).
//
// The vocabulary comes either from OpenAI's bpe_simple_vocab_16e6.txt.gz
// (embedded; see Default) or from a HuggingFace vocab.json + merges.txt pair.
package tokenizer
