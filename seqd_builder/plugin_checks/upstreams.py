"""Contract checks of an upstream (front-end)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ..errors import SeqdError

Check = Callable[[], None]


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
    from ..benchmark.frontend import check_upstream

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
