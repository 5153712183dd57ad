# runnel's developer commands. `make test` is what CI runs.

GO      ?= go
PKGS    ?= ./...
FUZZTIME ?= 30s

.PHONY: test vet race fuzz bench build lint generate

## test: vet, then run every test (unit, integration, end to end).
test: vet
	$(GO) test -count=1 -timeout 20m $(PKGS)

vet:
	$(GO) vet $(PKGS)

## race: the test suite under the race detector.
race:
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

## fuzz: run each fuzz target for FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: the engine and codec benchmarks.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

build:
	$(GO) build -o bin/runnel ./cmd/runnel

generate:
	$(GO) generate ./...

## lint: gofmt, go vet and staticcheck.
lint: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)
