# Qluster — make help lists the targets.
SHELL := /bin/bash
GO    ?= go
PKGS  ?= ./...
QLUSTER_DATA_DIR ?= ./qluster-data

.PHONY: help demo build test check-generated generate vet bench fmt

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

demo: build ## Run Qluster on embedded defaults (installs Debian's postgresql if missing).
	QLUSTER_INSTALL_POSTGRES=1 ./bin/qluster serve --demo-data examples/data

build: ## Build the qluster binary into bin/.
	$(GO) build -o bin/qluster ./cmd/qluster

generate: ## Regenerate the server interface and the client from api/openapi.yaml.
	$(GO) generate ./server ./client

check-generated: ## Fail when generated code is stale against api/openapi.yaml.
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	for d in server client; do \
	  out=$$(sed -n 's/^output: *//p' $$d/oapi-codegen.yaml); \
	  sed "s|^output:.*|output: $$tmp/$$d.go|" $$d/oapi-codegen.yaml > $$tmp/$$d.yaml; \
	  $(GO) tool oapi-codegen -config $$tmp/$$d.yaml api/openapi.yaml || exit 1; \
	  cmp -s $$tmp/$$d.go $$d/$$out || { echo "$$d/$$out is stale: run make generate and commit it"; exit 1; }; \
	done; echo "generated code is up to date"

vet: ## go vet and gofmt.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet $(PKGS)

test: check-generated vet ## The whole suite: generated code check, vet, and every test with -race.
	$(GO) test -race -shuffle=on -timeout 15m $(PKGS)

bench: ## Ingestion of a generated 1M-row messy CSV beside psql \copy of the same rows clean, then the analyzer and loader benchmarks.
	$(GO) test -run '^$$' -bench BenchmarkIngest -benchtime 1x -timeout 30m ./qluster/
	$(GO) test -run '^$$' -bench 'Load|Psql' -benchtime 1x -timeout 30m ./destinations/pgdest/
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./analyzer/

fmt: ## Format the code.
	gofmt -w $$(git ls-files '*.go')
