# provgate developer commands. CI runs `make test` (see .ci/run).

# Go lives in /usr/local/go on the project's machines; honour a go on PATH first.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: demo test build vet fmt check bench image clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

demo: build ## local 3-node cluster, a second province and the hub on loopback, with sample visits
	./bin/provgate demo --config configs/provgate.yaml

test: ## run every test (race detector on)
	@command -v $(GO) >/dev/null || { echo "Go is not installed: see https://go.dev/doc/install"; exit 1; }
	$(GO) test -race -count=1 ./...

build: ## build bin/provgate
	CGO_ENABLED=0 $(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/provgate ./cmd/provgate

vet: ## go vet
	$(GO) vet ./...

fmt: ## check formatting
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

check: fmt vet test ## everything CI should pass

bench: ## benchmarks of the calculation
	$(GO) test -run '^$$' -bench . -benchmem ./settlement/

image: build ## build the container image provgate:latest (FROM scratch, no registry needed)
	docker build -f deploy/Dockerfile -t provgate:latest .

clean: ## remove build output and local data
	rm -rf bin data
