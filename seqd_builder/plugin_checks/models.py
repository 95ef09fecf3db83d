"""Contract checks of a registered model class."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ..errors import ConfigError

Check = Callable[[], None]


CATEGORY_SPEC = dict(dim=12, num_layers=2, targets=("category", "intensity", "phones", "gender"),
                     classes=("angry", "happy", "neutral", "sad"), n_intensity=3, n_phones=7, epochs=3)
VAD_SPEC = dict(dim=12, num_layers=2, targets=("vad",), epochs=3)


def _model_specs(cls) -> list:
    """The canonical task shapes (categorical with the auxiliary targets, dimensional) the model takes."""
    from ..benchmark.models.base import ModelSpec

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

    from ..benchmark.models.base import TrainStats

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
