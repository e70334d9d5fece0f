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

quickstart: ## build, export MNIST, train a small CLIP on it from scratch and report its zero-shot accuracy (~2 min on 2 cores)
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

# ---- CUDA (build tag cuda; DESIGN.md section 6) -----------------------------
# The kernels in internal/kernels/*.cu are compiled to PTX for compute_80 by
# Debian's nvcc 11.8 (scripts/install-cuda-toolchain.sh); the PTX is
# committed and embedded, so building the CUDA clip needs the CUDA headers
# but not nvcc. ptxas then assembles the PTX for sm_80 and sm_90, as the
# driver's JIT will: it catches what the PTX text cannot show (too much
# shared memory, unknown instructions).
NVCC        ?= nvcc
PTXAS       ?= ptxas
NVCCFLAGS   ?= -ptx -arch=compute_80 -O3
PTX_NVCC    := 11.8
KERNELS     := internal/kernels
CU_NAMES    := $(basename $(notdir $(wildcard $(KERNELS)/*.cu)))
CUDA_BIN    ?= bin/clip-cuda
GPU_DIR     ?= build/gpu
CUDA_PKGS   := ./internal/cuda/ ./internal/cuda/cublaslt/ ./internal/cuda/nccl/ ./cmd/clip/

.PHONY: ptx ptx-check ptxas-check cuda cuda-vet cuda-lint cuda-test-build cuda-ci gpu-check-build kernel-sim

ptx: ## compile internal/kernels/*.cu to the committed PTX (needs nvcc), then ptxas-check
	cd $(KERNELS) && for k in $(CU_NAMES); do $(NVCC) $(NVCCFLAGS) -o $$k.ptx $$k.cu || exit 1; done
	$(MAKE) --no-print-directory ptxas-check

ptxas-check: ## assemble the committed PTX for sm_80 and sm_90 as the driver's JIT would
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	for k in $(CU_NAMES); do for sm in sm_80 sm_90; do \
		$(PTXAS) -arch=$$sm -o $$tmp/$$k.$$sm.cubin $(KERNELS)/$$k.ptx || { echo "ptxas-check: $$k.ptx fails for $$sm"; exit 1; }; \
	done; done; echo "ptxas-check: $(words $(CU_NAMES)) modules assemble for sm_80 and sm_90"

ptx-check: ## prove the committed PTX fresh: recompile to a temporary folder and compare (skipped without nvcc 11.8)
	@if ! command -v $(NVCC) >/dev/null 2>&1; then echo "ptx-check: $(NVCC) not found, skipped"; exit 0; fi; \
	ver=$$($(NVCC) --version | sed -n 's/.*release \([0-9.]*\),.*/\1/p'); \
	if [ "$$ver" != "$(PTX_NVCC)" ]; then echo "ptx-check: nvcc $$ver is not the $(PTX_NVCC) the PTX is made with, skipped"; exit 0; fi; \
	tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && cp $(KERNELS)/*.cu $(KERNELS)/*.cuh $$tmp/ && \
	for k in $(CU_NAMES); do \
		(cd $$tmp && $(NVCC) $(NVCCFLAGS) -o $$k.ptx $$k.cu) || exit 1; \
		cmp -s $$tmp/$$k.ptx $(KERNELS)/$$k.ptx || { echo "ptx-check: $(KERNELS)/$$k.ptx is stale: run make ptx"; exit 1; }; \
	done; \
	for p in $(KERNELS)/*.ptx; do k=$$(basename $$p .ptx); test -f $(KERNELS)/$$k.cu || { echo "ptx-check: $$p has no $$k.cu"; exit 1; }; done; \
	echo "ptx-check: $(words $(CU_NAMES)) PTX files fresh" && $(MAKE) --no-print-directory ptxas-check

cuda: ## build the CUDA clip into bin/clip-cuda (needs the CUDA headers and libcuda; runs only where a GPU is)
	CGO_ENABLED=1 $(GO) build -tags cuda -trimpath -ldflags '$(LDFLAGS)' -o $(CUDA_BIN) ./cmd/clip

cuda-vet: ## go vet with the cuda tag
	CGO_ENABLED=1 $(GO) vet -tags cuda ./...

cuda-lint: $(STATICCHECK) ## staticcheck the CUDA packages with the cuda tag
	CGO_ENABLED=1 $(STATICCHECK) -tags cuda ./internal/cuda/... ./internal/kernels/

cuda-test-build: ## compile the cuda test binaries (they run only on a GPU machine), then run the shims' tests
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	for p in $(CUDA_PKGS); do CGO_ENABLED=1 $(GO) test -c -tags cuda -o $$tmp/ $$p || exit 1; done && echo "cuda-test-build: $(CUDA_PKGS) compile"
	CGO_ENABLED=1 $(GO) test -count=1 -tags cuda ./internal/cuda/cublaslt/ ./internal/cuda/nccl/

cuda-ci: cuda-vet cuda-lint ptx-check cuda cuda-test-build ## what CI checks of the CUDA build (no GPU needed)

kernel-sim: ## run the kernels' index simulations (internal/kernels/sim; plain python3)
	for f in $(KERNELS)/sim/*_sim.py; do python3 $$f || exit 1; done

gpu-check-build: ## build the GPU check into build/gpu: cuda.test (checks and benchmarks, PTX embedded) and clip-cuda
	mkdir -p $(GPU_DIR)
	CGO_ENABLED=1 $(GO) test -c -tags cuda -ldflags '-s -w' -o $(GPU_DIR)/cuda.test ./internal/cuda/
	CGO_ENABLED=1 $(GO) build -tags cuda -trimpath -ldflags '$(LDFLAGS)' -o $(GPU_DIR)/clip-cuda ./cmd/clip
	@ls -l $(GPU_DIR)
	@echo "gpu-check-build: run on the GPU machine: bash scripts/gpu-check.sh (carry $(GPU_DIR))"
# ---- end CUDA -----------------------------------------------------------------
