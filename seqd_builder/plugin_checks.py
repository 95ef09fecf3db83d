"""Contract suites run over every registered plug-in, as scikit-learn's ``parametrize_with_checks``.

A plug-in is covered by registering it: the test modules parametrise over the registries
(``tests/test_contracts.py``), and a third-party package can run the same checks on its own plug-ins::

    import pytest
    from seqd_builder.plugin_checks import model_checks

    @pytest.mark.parametrize("check", model_checks(MyModel), ids=lambda c: c.__name__)
    def test_my_model(check):
        check()

Each ``*_checks(obj)`` function returns zero-argument callables, one per property, named after it,
so that a failure names the property that broke. The properties are those the runner, the build and
the leaderboard rely on; each check's docstring says why it matters.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import ConfigError, CorpusLayoutError, SeqdError

Check = Callable[[], None]

# --- models --------------------------------------------------------------------------------------------

CATEGORY_SPEC = dict(dim=12, num_layers=2, targets=("category", "intensity", "phones", "gender"),
                     classes=("angry", "happy", "neutral", "sad"), n_intensity=3, n_phones=7, epochs=3)
VAD_SPEC = dict(dim=12, num_layers=2, targets=("vad",), epochs=3)


def _model_specs(cls) -> list:
    """The canonical task shapes (categorical with the auxiliary targets, dimensional) the model takes."""
    from .benchmark.models.base import ModelSpec

    specs = []
    for kw in (CATEGORY_SPEC, VAD_SPEC):
        spec = ModelSpec(**kw)
        try:
            cls(spec)
        except ConfigError:
            continue
        specs.append(spec)
    return specs


def _fit_stats(model, spec, seed: int = 0):
    import torch

    from .benchmark.models.base import TrainStats

    g = torch.Generator().manual_seed(seed)
    stats = TrainStats(mean=torch.randn(spec.num_layers, spec.dim, generator=g) * 0.1,
                       std=torch.rand(spec.num_layers, spec.dim, generator=g) + 0.5,
                       category=np.arange(40) % max(len(spec.classes), 1),
                       vad=np.random.default_rng(seed).random((40, 3)).astype(np.float32),
                       utterance=(torch.zeros(2 * spec.dim), torch.ones(2 * spec.dim)))
    model.fit_setup(stats)


def _batch(spec, lengths=(37, 25, 9), seed: int = 0) -> dict:
    import torch

    g = torch.Generator().manual_seed(seed)
    b, t = len(lengths), max(lengths)
    feats = torch.randn(b, spec.num_layers, t, spec.dim, generator=g)
    for i, n in enumerate(lengths):
        feats[i, :, n:] = 0.0
    n_phones = [3, 0, 2][:b] + [1] * max(0, b - 3)
    return {
        "feats": feats, "lengths": torch.tensor(lengths, dtype=torch.long),
        "category": torch.tensor(([0, 1, -1] * b)[:b]) if spec.classes else torch.full((b,), -1),
        "intensity": torch.tensor(([0, 2, -1] * b)[:b]) if spec.n_intensity else torch.full((b,), -1),
        "gender": torch.tensor(([1, 0, -1] * b)[:b]),
        "vad": torch.rand(b, 3, generator=g) if "vad" in spec.targets else torch.full((b, 3), float("nan")),
        "phones": torch.randint(1, max(spec.n_phones, 2), (sum(n_phones),), generator=g),
        "phone_lengths": torch.tensor(n_phones, dtype=torch.long),
    }


def _fresh(cls, spec, seed: int = 0):
    import torch

    torch.manual_seed(seed)
    model = cls(spec)
    _fit_stats(model, spec)
    return model


def model_checks(cls) -> list[Check]:
    """The contract of a registered model class (see :mod:`seqd_builder.benchmark.models.base`)."""
    checks = [functools.partial(check_model_accepts_a_canonical_task, cls)]
    for spec in _model_specs(cls):
        for fn in (check_model_forward_shapes, check_model_loss_is_finite_and_trains,
                   check_model_predict, check_model_ignores_padding, check_model_seed_determinism,
                   check_model_save_load):
            part = functools.partial(fn, cls, spec)
            part.__name__ = f"{fn.__name__}[{'+'.join(spec.targets)}]"
            checks.append(part)
    for c in checks:
        if not hasattr(c, "__name__"):
            c.__name__ = c.func.__name__
    return checks


def check_model_accepts_a_canonical_task(cls) -> None:
    """A model must take at least one of the two task shapes every benchmark task has."""
    if not _model_specs(cls):
        raise AssertionError(f"{cls.__name__} refuses both a categorical and a dimensional (vad) task")


def check_model_forward_shapes(cls, spec) -> None:
    """Outputs are batch-first and sized by the spec: the runner indexes them by row."""
    import torch

    model = _fresh(cls, spec).eval()
    batch = _batch(spec)
    with torch.no_grad():
        out = model(batch["feats"], batch["lengths"])
    assert isinstance(out, dict) and out, f"{cls.__name__}.forward must return a non-empty dict"
    if "category" in spec.targets:
        assert out["category"].shape == (3, len(spec.classes)), out["category"].shape
    if "vad" in spec.targets:
        assert out["vad"].shape == (3, 3), out["vad"].shape
    for key, value in out.items():
        if torch.is_tensor(value) and value.is_floating_point():
            assert torch.isfinite(value).all(), f"{cls.__name__} output {key!r} is not finite"


def check_model_loss_is_finite_and_trains(cls, spec) -> None:
    """The loss ignores missing labels (-1, NaN), is finite, and its gradient reaches the weights."""
    import torch

    model = _fresh(cls, spec).train()
    batch = _batch(spec)
    out = model(batch["feats"], batch["lengths"])
    loss, parts = model.loss(out, batch, 0)
    assert torch.isfinite(loss), f"{cls.__name__} loss is {float(loss)} with missing labels in the batch"
    assert all(np.isfinite(v) for v in parts.values()), parts
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads), "no gradient reaches the weights"
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    first = float(loss.detach())
    for _ in range(15):
        opt.zero_grad()
        out = model(batch["feats"], batch["lengths"])
        loss, _ = model.loss(out, batch, 0)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        last = float(model.loss(model(batch["feats"], batch["lengths"]), batch, 0)[0])
    assert last < first, f"{cls.__name__} does not fit one batch: loss {first:.4f} -> {last:.4f}"


def check_model_predict(cls, spec) -> None:
    """``predict`` gives numpy arrays the scorer reads: classes in range, probabilities summing to 1."""
    import torch

    model = _fresh(cls, spec).eval()
    batch = _batch(spec)
    with torch.no_grad():
        pred = model.predict(model(batch["feats"], batch["lengths"]))
    if "category" in spec.targets:
        assert pred["category"].shape == (3,) and set(pred["category"]) <= set(range(len(spec.classes)))
        np.testing.assert_allclose(pred["category_prob"].sum(1), 1.0, rtol=1e-5)
    if "vad" in spec.targets:
        assert pred["vad"].shape == (3, 3) and np.isfinite(pred["vad"]).all()


def check_model_ignores_padding(cls, spec) -> None:
    """A row's prediction must not depend on its batch-mates or on what the padding frames hold."""
    import torch

    model = _fresh(cls, spec).eval()
    batch = _batch(spec)
    noisy = batch["feats"].clone()
    for i, n in enumerate(batch["lengths"].tolist()):
        noisy[i, :, n:] = 1e3 * torch.randn_like(noisy[i, :, n:])
    with torch.no_grad():
        clean = model(batch["feats"], batch["lengths"])
        dirty = model(noisy, batch["lengths"])
        n = int(batch["lengths"][2])
        alone = model(batch["feats"][2:3, :, :n], batch["lengths"][2:3])
    for key in ("category", "vad"):
        if key in clean:
            torch.testing.assert_close(clean[key], dirty[key], rtol=1e-4, atol=1e-5,
                                       msg=f"{cls.__name__}: padding content changes {key!r}")
            torch.testing.assert_close(clean[key][2:3], alone[key], rtol=1e-4, atol=1e-5,
                                       msg=f"{cls.__name__}: a longer batch-mate changes {key!r}")


def check_model_seed_determinism(cls, spec) -> None:
    """Same seed, same weights and outputs: the runner promises identical numbers for a seed on CPU."""
    import torch

    batch = _batch(spec)
    outs = []
    for _ in range(2):
        model = _fresh(cls, spec, seed=7).eval()
        with torch.no_grad():
            outs.append(model(batch["feats"], batch["lengths"]))
    for key in outs[0]:
        if torch.is_tensor(outs[0][key]):
            assert torch.equal(outs[0][key], outs[1][key]), f"{cls.__name__}: {key!r} differs for one seed"


def check_model_save_load(cls, spec) -> None:
    """A checkpoint (safetensors, as the runner writes) restores identical outputs in a fresh model."""
    import torch
    from safetensors.torch import load, save

    model = _fresh(cls, spec, seed=3).eval()
    blob = save({k: v.contiguous() for k, v in model.state_dict().items()})
    other = _fresh(cls, spec, seed=4).eval()
    other.load_state_dict(load(blob))
    batch = _batch(spec)
    with torch.no_grad():
        a, b = model(batch["feats"], batch["lengths"]), other(batch["feats"], batch["lengths"])
    for key in a:
        if torch.is_tensor(a[key]):
            assert torch.equal(a[key], b[key]), f"{cls.__name__}: {key!r} differs after save/load"


# --- upstreams -----------------------------------------------------------------------------------------

def upstream_checks(make: Callable[[], object], label: str) -> list[Check]:
    """The contract of an upstream; ``make()`` returns an instance (built-ins: ``contract_example``)."""
    checks = []
    for fn in (check_upstream_shapes, check_upstream_batch_independence, check_upstream_determinism,
               check_upstream_refuses_bad_waves):
        part = functools.partial(fn, make)
        part.__name__ = f"{fn.__name__}[{label}]"
        checks.append(part)
    return checks


def _waves(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(16000) / 16000
    return [(0.3 * np.sin(2 * np.pi * 220 * t[:n]) + 0.01 * rng.standard_normal(n)).astype(np.float32)
            for n in (16000, 9600, 4000)]


def check_upstream_shapes(make) -> None:
    """``forward`` gives ``[B, L, T, D]`` with ``L = num_layers`` and ``D = dim``, and frame counts that
    grow with the audio and fit the padded length: the runner masks by them."""
    from .benchmark.frontend import check_upstream

    up = make()
    check_upstream(up)
    feats, lengths = up.forward(_waves())
    assert feats.ndim == 4 and feats.shape[0] == 3, feats.shape
    assert feats.shape[1] == up.num_layers and feats.shape[3] == up.dim, (feats.shape, up.num_layers, up.dim)
    assert lengths.tolist() == sorted(lengths.tolist(), reverse=True), lengths
    assert int(lengths.max()) == feats.shape[2] and int(lengths.min()) > 0, (lengths, feats.shape)


def check_upstream_batch_independence(make) -> None:
    """An utterance's valid frames do not depend on its batch-mates (folds batch rows differently)."""
    import torch

    up = make()
    waves = _waves()
    if not up.frozen:
        getattr(up, "module", up).eval() if hasattr(getattr(up, "module", up), "eval") else None
    with torch.no_grad():
        feats, lengths = up.forward(waves)
        alone, n = up.forward(waves[2:])
    k = int(n[0])
    assert int(lengths[2]) == k, (lengths, n)
    torch.testing.assert_close(feats[2, :, :k], alone[0, :, :k], rtol=1e-3, atol=1e-3)


def check_upstream_determinism(make) -> None:
    """A frozen upstream is a pure function of the audio: its features are cached on that promise."""
    import torch

    up = make()
    if not up.frozen:
        return
    a, _ = up.forward(_waves())
    b, _ = up.forward(_waves())
    assert torch.equal(a, b), "frozen upstream gives different features for the same audio"


def check_upstream_refuses_bad_waves(make) -> None:
    """NaN, empty and multi-channel input is refused with a seqd error, never turned into features."""
    up = make()
    for bad in (np.array([0.1, np.nan, 0.2] * 400, np.float32), np.zeros(0, np.float32),
                np.zeros((2, 4000), np.float32)):
        try:
            up.forward([bad])
        except SeqdError:
            continue
        raise AssertionError(f"{type(up).__name__} accepted a bad waveform of shape {bad.shape}")


# --- corpus adapters -----------------------------------------------------------------------------------

def adapter_checks(cls) -> list[Check]:
    """The contract of a registered corpus adapter; it builds ``cls.example_tree`` in a temporary folder."""
    checks = []
    for fn in (check_adapter_layout_error, check_adapter_example_tree, check_adapter_deterministic_items,
               check_adapter_items_are_records, check_adapter_refuses_unknown_options,
               check_adapter_bad_audio_is_rejected_with_its_file):
        part = functools.partial(fn, cls)
        part.__name__ = f"{fn.__name__}[{cls.name}]"
        checks.append(part)
    return checks


_EXAMPLES: dict[type, tuple[Path, dict]] = {}


def _example(cls, folder: Path | None = None):
    """The adapter's example tree, built once per process (the demo corpus takes seconds to
    synthesise); no check modifies it."""
    if cls not in _EXAMPLES:
        import atexit
        import shutil

        where = Path(tempfile.mkdtemp(prefix=f"seqd-example-{cls.name}-"))
        atexit.register(shutil.rmtree, where, ignore_errors=True)
        root = cls.example_tree(where / "corpus")
        _EXAMPLES[cls] = (root, dict(cls.example_options(root)))
    return _EXAMPLES[cls]


def check_adapter_layout_error(cls) -> None:
    """An empty folder is a layout error that says what was expected and what was found."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "stray.txt").write_text("not a corpus")
        try:
            cls(Path(tmp)).check_layout()
        except CorpusLayoutError as exc:
            assert "stray.txt" in str(exc) and "expected" in str(exc), str(exc)
            return
        except SeqdError:
            return  # adapters whose options name the inputs (seqd) refuse earlier, with their own error
        raise AssertionError(f"{cls.name}: check_layout accepted a folder holding only stray.txt")


def check_adapter_example_tree(cls) -> None:
    """Every adapter ships a small real-layout example tree (the contract suite runs on it)."""
    root, options = _example(cls)
    cls(root, **options).check_layout()


def _items(cls, root, options) -> list:
    adapter = cls(root, **options)
    adapter.check_layout()
    return list(adapter.items())


def check_adapter_deterministic_items(cls) -> None:
    """Same tree, same items in the same order: a resumed build skips exactly what it wrote."""
    root, options = _example(cls)
    first, second = _items(cls, root, options), _items(cls, root, options)
    assert [_key(x) for x in first] == [_key(x) for x in second]
    assert first, f"{cls.name}: the example tree gives no items"


def check_adapter_items_are_records(cls) -> None:
    """Items are RawItems (unique ids, audio inside the tree) or Rejections naming a source file."""
    from .schema import RawItem, Rejection

    root, options = _example(cls)
    items = _items(cls, root, options)
    ids = [x.native_id for x in items if isinstance(x, RawItem)]
    assert ids and len(ids) == len(set(ids)), f"{cls.name}: duplicate or no native ids"
    for x in items:
        assert isinstance(x, (RawItem, Rejection)), type(x)
        if isinstance(x, Rejection):
            assert x.source_file and x.reason, x
        else:
            assert x.source_file, f"{cls.name}: item {x.native_id} names no source file"


def check_adapter_refuses_unknown_options(cls) -> None:
    """A misspelt option is refused, naming it and the valid ones, instead of being ignored."""
    root, options = _example(cls)
    try:
        cls(root, **options, surely_not_an_option=1)
    except ConfigError as exc:
        assert "surely_not_an_option" in str(exc), str(exc)
        return
    raise AssertionError(f"{cls.name}: an unknown option was accepted silently")


def _key(x) -> tuple:
    return (type(x).__name__, getattr(x, "native_id", getattr(x, "id", None)),
            str(getattr(x, "audio_path", None)), x.source_file, getattr(x, "source_line", getattr(x, "line", None)))


_DAMAGE = (("truncate", {"truncated_audio", "corrupt_audio"}), ("corrupt", {"corrupt_audio"}),
           ("delete", {"missing_audio"}))


def check_adapter_bad_audio_is_rejected_with_its_file(cls) -> None:
    """Through the real build: a truncated, a corrupt and a deleted audio file each end as one
    rejection with the right reason and the file's path relative to the corpus root, and the build's
    accounting still balances (the build raises otherwise)."""
    import json
    import os
    import shutil

    from . import testing
    from .pipeline import build
    from .schema import RawItem

    root, options = _example(cls)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "corpus" / root.name
        shutil.copytree(root, copy, copy_function=lambda s, d: testing.link_or_copy(Path(s), Path(d)),
                        symlinks=True)
        items = [x for x in _items(cls, copy, options) if isinstance(x, RawItem) and x.audio_path]
        files = {Path(x.audio_path) for x in items if Path(x.audio_path).is_file()}
        budget = min(len(_DAMAGE), len(files) - 1)  # one file stays whole: a build of nothing fails
        damaged, used = {}, set()
        for item in items:
            path = Path(item.audio_path)
            if path in used or not path.is_file() or len(damaged) >= budget:
                continue
            used.add(path)
            how, reasons = _DAMAGE[len(damaged)]
            if how == "delete":
                os.unlink(path)
            else:
                getattr(testing, how)(path)
            damaged[item.native_id] = (path, reasons)
        assert damaged, f"{cls.name}: the example tree has no audio file to damage"
        listed = {x.native_id if isinstance(x, RawItem) else x.id.split("/", 1)[-1]
                  for x in _items(cls, copy, options)}
        out = Path(tmp) / "out"
        build([cls.name], out, root=copy, options={cls.name: options} if options else None,
              phones="none", progress=False, audit=False)
        rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
        by_id = {r["id"].split("/", 1)[1]: r for r in rejected}
        for native_id, (path, reasons) in damaged.items():
            if native_id not in listed:
                continue  # items come from the file listing: a deleted file is no item, nothing is lost
            rej = by_id.get(native_id)
            assert rej is not None, f"{cls.name}: damaged {path.name} is not among the rejections"
            assert rej["reason"] in reasons, f"{cls.name}: {path.name} rejected as {rej['reason']}"
            named = Path(rej["source_file"])
            if named.is_absolute():  # only a file outside the corpus tree (a SEQD sheet) may be absolute
                assert copy not in named.parents, f"{cls.name}: rejection names {named} absolutely"
            else:
                assert (copy / named).exists() or path.name in rej["source_file"], (
                    f"{cls.name}: rejection names {named}, which is not a file of the corpus")
