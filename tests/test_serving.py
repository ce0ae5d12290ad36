"""One ServeOptions for `tagger tag`: each serving option gives the same bytes locally,
with `--processes 2` and with `--ray`, or is refused in one line before Ray starts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fixtures_models import TrainedModel
from typer.testing import CliRunner, Result

from tagger.cli import app
from tagger.config import Config, config_from_dict
from tagger.serving import ServeOptions
from tagger.train import train

RUNNER = CliRunner()
LINES = ["John Smith flew to Paris. Mary Jones likes Acme Corp!", "The dog sees a cat.", ""]
pytestmark = pytest.mark.usefixtures("no_tagger_env")


def invoke(*args: str | Path) -> Result:
    return RUNNER.invoke(app, [str(a) for a in args])


def has(*modules: str) -> bool:
    """Whether every module imports (onnx export and onnxruntime; ray)."""
    try:
        for name in modules:
            __import__(name)
    except ImportError:
        return False
    return True


NO_ONNX = pytest.mark.skipif(not has("onnx", "onnxruntime"), reason="onnx is not installed")
NO_RAY = pytest.mark.skipif(not has("ray"), reason="ray is not installed (make setup-dev)")


@pytest.fixture(scope="module")
def models(
    tmp_path_factory: pytest.TempPathFactory, shared_pos: TrainedModel, shared_ner: TrainedModel
) -> dict[str, Path]:
    """A POS model, an NER model (BIOES, CRF), a barely trained tokenizer and the POS
    model's ONNX file (when onnx is installed)."""
    folder = tmp_path_factory.mktemp("serving")
    found = {"pos": shared_pos.path, "ner": shared_ner.path, "tok": folder / "tok"}
    train(tokenizer_config(folder / "t"), found["tok"], progress=False, plots=False)
    if has("onnx", "onnxruntime"):
        found["onnx"] = folder / "pos.onnx"
        assert invoke("export", found["pos"], "--onnx", found["onnx"]).exit_code == 0
    return found


def tokenizer_config(folder: Path) -> Config:
    """A tokenize model of two epochs: its splits differ from spaCy's rules."""
    from treebank import write_treebank

    train_path, dev_path = write_treebank(folder, n_train=12, n_dev=4)
    tiny = {"word_dim": 8, "casing_dim": 2, "hidden": 8, "layers": 1, "char": "none"}
    return config_from_dict(
        {
            "task": "tokenize",
            "data": {"train": str(train_path), "dev": str(dev_path), "max_chars": 80},
            "model": {**tiny, "dropout": 0.0, "word_dropout": 0.0, "min_word_count": 1},
            "train": {"batch_size": 8, "max_epochs": 2, "threads": 1},
        }
    )


@pytest.fixture(scope="module")
def text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raw text with one line that is not UTF-8 (for --on-error skip)."""
    path = tmp_path_factory.mktemp("serving-in") / "in.txt"
    body = "\n".join(LINES * 4).encode() + b"\n\xff bad\n" + LINES[1].encode() + b"\n"
    path.write_bytes(body)
    return path


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray of 2 CPUs for every Ray case of the module."""
    import ray

    from tagger.cluster import connect

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    connect("local", num_cpus=2)
    yield
    ray.shutdown()


def tag(model: Path, text: Path, *options: str | Path) -> Result:
    result = invoke("tag", model, text, "--format", "jsonl", "--scores", *options)
    assert result.exit_code == 0, result.output
    return result


# name: (model, options, whether `--processes 2` applies)
CASES: dict[str, tuple[str, list[str], bool]] = {
    "plain": ("pos", ["--threads", "1"], True),
    "batch, device, tokenizer": (
        "pos",
        ["--batch-size", "2", "--device", "cpu", "--tokenizer", "{tok}"],
        True,
    ),
    "int8, threads": ("pos", ["--int8", "--threads", "2"], True),
    "onnx file": ("pos", ["--backend", "onnx", "--onnx", "{onnx}"], False),
    "onnx exported now": ("pos", ["--backend", "onnx"], False),
    "scheme": ("ner", ["--scheme", "iob1"], True),
}
ONNX_NEEDED = "--backend onnx needs onnx and onnxruntime: pip install 'tagger[onnx]'"


def case_options(name: str, models: dict[str, Path]) -> tuple[Path, list[str], bool]:
    """The case's model and options (every case skips the bad line: --on-error skip)."""
    model, options, forks = CASES[name]
    if "onnx" in options and "onnx" not in models:
        pytest.skip(ONNX_NEEDED)
    filled = [option.format(**{k: str(v) for k, v in models.items()}) for option in options]
    return models[model], ["--on-error", "skip", *filled], forks


@pytest.fixture(scope="module")
def local_outputs(models: dict[str, Path], text: Path) -> dict[str, str]:
    """Every case tagged locally in one process."""
    outputs = {}
    for name, (model, options, _) in CASES.items():
        if "onnx" not in options or "onnx" in models:
            _, filled, _ = case_options(name, models)
            outputs[name] = tag(models[model], text, *filled).stdout
    return outputs


def test_each_option_changes_the_output(local_outputs: dict[str, str]) -> None:
    """So that a path ignoring an option would write other bytes than a local run (the
    ONNX scores equal torch's to 4 digits: test_ray_actors_serve_as_asked checks those)."""
    plain = local_outputs["plain"]
    for name in ("batch, device, tokenizer", "int8, threads"):
        assert local_outputs[name] != plain, name
    assert local_outputs.get("onnx exported now", "") == local_outputs.get("onnx file", "")
    assert '"B-' in local_outputs["scheme"] or '"I-' in local_outputs["scheme"]


@pytest.mark.parametrize("name", list(CASES))
def test_forked_processes_write_the_same_bytes(
    name: str, models: dict[str, Path], text: Path, local_outputs: dict[str, str]
) -> None:
    model, options, forks = case_options(name, models)
    if not forks:  # the onnx backend runs its own threads: refused, as before
        result = invoke("tag", model, text, *options, "--processes", "2")
        assert result.exit_code == 1
        assert result.stderr.strip() == "error: --processes works with the torch backend"
        return
    assert tag(model, text, *options, "--processes", "2").stdout == local_outputs[name]


@NO_RAY
@pytest.mark.integration
@pytest.mark.usefixtures("local_ray")
@pytest.mark.parametrize("name", list(CASES))
def test_ray_writes_the_same_bytes(
    name: str, models: dict[str, Path], text: Path, local_outputs: dict[str, str]
) -> None:
    model, options, _ = case_options(name, models)
    # The text is one block, so one actor tags it all: --workers 1 starts no idle second one.
    ray = ["--ray", "local", "--workers", "1"]
    assert tag(model, text, *options, *ray).stdout == local_outputs[name]


class ActorContext:
    """What BlockTagger asks of Ray's runtime context, outside a Ray worker."""

    was_current_actor_reconstructed = False

    def get_node_id(self) -> str:
        return "node"


@NO_RAY
def test_ray_actors_serve_as_asked(
    models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The actor's own Predictor: the ONNX session, or int8 torch on 2 threads."""
    import ray
    import torch

    from tagger.backends import OnnxNetwork, TorchNetwork
    from tagger.cluster import TagOptions
    from tagger.cluster.blocks import BlockTagger

    monkeypatch.setattr(ray, "get_runtime_context", ActorContext)
    before = torch.get_num_threads()
    try:
        int8 = BlockTagger(TagOptions(str(models["pos"]), serve=ServeOptions(int8=True, threads=2)))
        assert isinstance(int8.predictor.network, TorchNetwork)
        assert int8.predictor.network.batch_workers == 2  # the int8 runner's
        assert torch.get_num_threads() == 2
        if "onnx" in models:
            serve = ServeOptions(backend="onnx", onnx=str(models["onnx"]))
            onnx = BlockTagger(TagOptions(str(models["pos"]), serve=serve))
            assert isinstance(onnx.predictor.network, OnnxNetwork)
            assert torch.get_num_threads() == 1  # --threads 0: one per actor
    finally:
        torch.set_num_threads(before)


REFUSED = {
    "--device cuda": (
        ["--device", "cuda"],
        "--device cuda: Ray's tagging actors reserve CPUs only; use --device cpu (or auto) "
        "with --ray",
    ),
    "--processes": (
        ["--processes", "2"],
        "--processes does not apply with --ray; --workers sets the actors",
    ),
    "onnx and int8": (
        ["--backend", "onnx", "--int8"],
        "--int8 works with the torch backend, not onnx",
    ),
    "onnx file alone": (["--onnx", "{onnx}"], "--onnx FILE goes with --backend onnx"),
    "batch size": (["--batch-size", "0"], "--batch-size: expected at least 1, got 0"),
    "threads": (["--threads", "-1"], "--threads: expected at least 0, got -1"),
    "scheme": (["--scheme", "xyz"], "--scheme: expected one of iob1, iob2, bioes, got 'xyz'"),
    "on-error": (["--on-error", "go"], "--on-error: expected stop or skip, got 'go'"),
    "backend": (["--backend", "tf"], "--backend: expected one of torch, onnx, got 'tf'"),
    "another model's onnx": (
        ["--backend", "onnx", "--onnx", "{ner_onnx}"],
        "{ner_onnx}: this ONNX file was not exported from this model's weights; export it "
        "again with `tagger export MODEL --onnx OUT`",
    ),
}


@NO_RAY
@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_on_ray_in_one_line_before_ray_starts(
    name: str, models: dict[str, Path], text: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options, message = REFUSED[name]
    paths = {k: str(v) for k, v in models.items()}
    if "onnx" not in models and "--onnx" in options:
        pytest.skip(ONNX_NEEDED)
    if name == "another model's onnx":
        paths["ner_onnx"] = str(tmp_path / "ner.onnx")  # not beside the shared model
        assert invoke("export", models["ner"], "--onnx", paths["ner_onnx"]).exit_code == 0

    def no_ray(*args: object, **kwargs: object) -> None:
        raise AssertionError("Ray was started")

    monkeypatch.setattr("tagger.cluster.files.connect", no_ray)
    filled = [option.format(**paths) for option in options]
    result = invoke("tag", models["pos"], text, *filled, "--ray", "local")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == ["error: " + message.format(**paths)]


def test_serve_options_refuse_bad_values_and_replace_keeps_them_checked() -> None:
    assert ServeOptions().batch_size == 512
    with pytest.raises(ValueError, match="^--batch-size: expected at least 1, got 0$"):
        replace(ServeOptions(), batch_size=0)
    with pytest.raises(ValueError, match="^--onnx FILE goes with --backend onnx$"):
        ServeOptions(onnx="model.onnx")
