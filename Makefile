# clip: build, test and lint. `make help` lists the targets.
GO          ?= go
BIN         ?= bin/clip
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck
GOLDEN      ?= ../shared/golden

.PHONY: help build quickstart demo test vet lint fmt-check staticcheck bench-tokenizer bench-cpu clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build the pure-Go clip binary into bin/clip
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/clip

quickstart: ## build, export MNIST, train a small CLIP on it from scratch and report its zero-shot accuracy (~4 min on 2 cores)
	BIN=$(BIN) ./scripts/quickstart.sh

demo: build ## build, then classify the golden photos with the tiny reference model
	./scripts/demo.sh $(BIN) $(GOLDEN)

test: vet ## vet, then run every test (golden data from ../shared/golden)
	$(GO) test -count=1 ./...

vet: fmt-check ## gofmt check and go vet
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l cmd internal); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: vet $(STATICCHECK) ## vet and staticcheck
	$(STATICCHECK) ./...

bench-tokenizer: ## tokenizer throughput benchmark
	$(GO) test -run '^$$' -bench Tokenize -benchtime 1x ./internal/tokenizer/

bench-cpu: ## clip vs PyTorch and OpenBLAS on the CPU, side by side (ARGS=--quick: the short run)
	./scripts/bench-cpu.sh $(ARGS)

clean: ## remove build outputs (data/ and runs/ are kept)
	rm -rf bin
