PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install cli test lint emulator demo bench provisioning-files clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV) && $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -r requirements-dev.txt && touch $@

install: $(BIN)/activate

# The pinned Pulumi CLI, built from its Go modules into .pulumi/bin (tools/pulumi-cli/build); where Go
# is missing or older than go.mod asks, Go itself comes from the Go module proxy, checked against a pin.
cli:
	PYTHON=$(PYTHON) tools/pulumi-cli/build

# Builds the CLI first where Go is installed, so that the real-CLI tests (tests/cli) run.
test: install
	tools/pulumi-cli/build --if-go
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/mypy

emulator: install
	$(BIN)/python -m tests.emulator --port 4566

demo: install
	$(BIN)/python -m demo

bench: install
	$(BIN)/python -m bench

# Each device's device_profile.json and wireless_device.json for provision.py, from the stack (STACK=dev).
provisioning-files: install
	$(BIN)/python -m provisioning --stack $(or $(STACK),dev) --out build/provisioning

clean:
	rm -rf $(VENV) .pulumi .pytest_cache .mypy_cache .ruff_cache
