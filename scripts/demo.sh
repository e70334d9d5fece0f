#!/usr/bin/env bash
# Runs clip's main jobs on the tiny reference model shipped with the golden
# data (random weights, so the labels it picks mean nothing: it shows the
# commands and their output formats, and that everything runs end to end).
#
#   scripts/demo.sh [BIN] [GOLDEN_DIR]
set -euo pipefail
bin=${1:-bin/clip}
golden=${2:-../shared/golden}
model="$golden/tiny-vit"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

[ -x "$bin" ] || { echo "demo: $bin not built (run make build)" >&2; exit 1; }
[ -d "$model" ] || { echo "demo: no reference model at $model" >&2; exit 1; }

step() { printf '\n$ %s\n' "$*"; "$@"; }
step "$bin" version
step "$bin" tokenize "a photo of a cat" "Ｆｕｌｌｗｉｄｔｈ &amp; café"
step "$bin" classify --model "$model" --labels cat,rocket,coffee,astronaut --top 2 --format table \
	"$golden/images/chelsea.png" "$golden/images/rocket_rgba.png"
step "$bin" embed --model "$model" --out "$out/images.npy" "$golden/images"
step head -3 "$out/images.ids.jsonl"
step "$bin" embed --model "$model" --out "$out/texts.npy" --text "a photo of a cat" --text "a rocket launch"
echo
echo "demo: all commands ran; outputs were in $out"
