"""EmoSphere-SER: every component, and a learning test on synthetic VAD."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from seqd_builder.benchmark.models.base import ModelSpec, TrainStats
from seqd_builder.benchmark.models.emosphere import (
    EmoSphereSER, StylePooling, angular_bin, aux_weight, octant, region_labels, spherical, to_centred)
from seqd_builder.benchmark.models.layers import ccc_loss, ccc_per_dim, inverse_frequency
from seqd_builder.benchmark.metrics import ccc
from seqd_builder.errors import ConfigError

sys.path.insert(0, str(Path(__file__).parent))
from bench_helpers import TinyFbank, save_rows, vad_rows, one_thread  # noqa: E402, F401



def test_centring_maps_scale_midpoint_to_zero():
    assert to_centred(np.array([0.0, 0.5, 1.0])).tolist() == [-1.0, 0.0, 1.0]
    # MSP-Podcast 1..7 straight from the native scale: 4 is the midpoint
    assert to_centred(np.array([1.0, 4.0, 7.0]), 1, 7).tolist() == [-1.0, 0.0, 1.0]


def test_spherical_coordinates():
    avd = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0], [0.0, 0.0, 0.0],
                    [0.5, 0.5, -0.5]])
    r, theta, phi = spherical(avd)
    assert r[:4].tolist() == [1.0, 1.0, 1.0, 1.0] and r[4] == 0.0
    assert theta[0] == pytest.approx(math.pi / 2) and phi[0] == pytest.approx(0.0)   # +arousal
    assert theta[1] == pytest.approx(0.0)                                            # +valence: θ = 0
    assert phi[2] == pytest.approx(math.pi / 2)                                      # +dominance
    assert theta[3] == pytest.approx(math.pi)                                        # −valence: θ = π
    assert theta[4] == pytest.approx(math.pi / 2) and phi[4] == 0.0                  # origin convention
    assert theta[5] == pytest.approx(math.acos(0.5 / math.sqrt(0.75)))
    assert phi[5] == pytest.approx(-math.pi / 4)


def test_octants_follow_the_released_numbering_and_boundaries():
    signs = {(1, 1, 1): 0, (-1, 1, 1): 1, (-1, -1, 1): 2, (1, -1, 1): 3,
             (1, 1, -1): 4, (-1, 1, -1): 5, (-1, -1, -1): 6, (1, -1, -1): 7}
    pts = np.array([[0.3 * a, 0.4 * v, 0.5 * d] for a, v, d in signs], dtype=float)
    assert octant(pts).tolist() == list(signs.values())
    # a coordinate of exactly 0 counts as positive (the released `>= 0`)
    assert octant(np.array([[0.0, 0.0, 0.0], [0.0, -0.1, 0.0], [-0.1, 0.0, 0.0], [0.0, 0.0, -1e-9]])
                  ).tolist() == [0, 3, 1, 4]
    # unified [0, 1] VAD: 0.5 is the midpoint; missing VAD gives -1
    vad = np.array([[0.9, 0.9, 0.9], [0.1, 0.1, 0.1], [0.5, 0.5, 0.5], [np.nan, 0.2, 0.3]])
    assert region_labels(vad).tolist() == [0, 6, 0, -1]


def test_angular_bins_are_a_finer_partition():
    rng = np.random.default_rng(0)
    avd = rng.uniform(-1, 1, (2000, 3))
    bins = angular_bin(avd, 4, 8)
    assert bins.min() == 0 and bins.max() == 31 and len(np.unique(bins)) == 32
    # every (2 θ-bin, 4 φ-bin) cell lies inside one octant away from the boundaries
    coarse = angular_bin(avd, 2, 4)
    oct_ = octant(avd)
    for c in np.unique(coarse):
        assert len(np.unique(oct_[coarse == c])) == 1
    assert region_labels(np.array([[0.9, 0.9, 0.9]]), (2, 4)).tolist() == [angular_bin(
        to_centred(np.array([[0.9, 0.9, 0.9]])), 2, 4)[0]]


def test_ccc_loss_is_one_minus_ccc_summed_and_ignores_missing_rows():
    rng = np.random.default_rng(1)
    t = rng.random((64, 3))
    p = t + 0.3 * rng.standard_normal((64, 3))
    expected = sum(1 - ccc(p[:, k], t[:, k]) for k in range(3))
    tt, pt = torch.tensor(t, dtype=torch.float64), torch.tensor(p, dtype=torch.float64)
    assert float(ccc_loss(pt, tt)) == pytest.approx(expected, rel=1e-6)
    assert float(ccc_loss(tt, tt)) == pytest.approx(0.0, abs=1e-6)
    tt_missing = torch.cat([tt, torch.full((5, 3), float("nan"), dtype=torch.float64)])
    pt_missing = torch.cat([pt, torch.zeros(5, 3, dtype=torch.float64)])
    assert float(ccc_loss(pt_missing, tt_missing)) == pytest.approx(expected, rel=1e-6)
    assert torch.allclose(ccc_per_dim(pt, tt), torch.tensor([ccc(p[:, k], t[:, k]) for k in range(3)],
                                                            dtype=torch.float64))


def test_dynamic_weight_schedule():
    ws = [aux_weight(e) for e in range(8)]
    assert ws[0] == 1.0
    assert ws[1] == pytest.approx(1 - 0.2 * 0.99) and ws[4] == pytest.approx(1 - 0.8 * 0.99)
    assert all(a > b for a, b in zip(ws[:5], ws[1:5]))  # strictly decreasing while decaying
    assert ws[5:] == [0.0, 0.0, 0.0]  # the released loop drops the auxiliary loss after 5 epochs
    assert aux_weight(6, after=0.01) == 0.01


def test_inverse_frequency_weights():
    w = inverse_frequency(torch.tensor([0, 0, 0, 1, -1]), 3)
    assert w.tolist() == pytest.approx([4 / (3 * 3), 4 / 3, 0.0])


def test_style_pooling_is_invariant_to_padding():
    torch.manual_seed(0)
    pool = StylePooling(in_dim=12, hidden=16, out_dim=8, kernel=5, heads=2, dropout=0.1).eval()
    x = torch.randn(1, 30, 12)
    alone = pool(x, torch.ones(1, 30, dtype=torch.bool))
    for pad, value in ((7, 0.0), (25, 100.0)):
        padded = torch.cat([x, torch.full((1, pad, 12), value)], dim=1)
        mask = torch.zeros(1, 30 + pad, dtype=torch.bool)
        mask[:, :30] = True
        assert torch.allclose(pool(padded, mask), alone, atol=1e-5), (pad, value)


def test_whole_model_is_invariant_to_batch_padding_and_checks_targets():
    torch.manual_seed(0)
    spec = ModelSpec(dim=6, num_layers=2, targets=("vad",), epochs=3)
    model = EmoSphereSER(spec, hidden=16, out_dim=8, head_hidden=8).eval()
    a, b = torch.randn(2, 20, 6), torch.randn(2, 9, 6)
    batch = torch.zeros(2, 2, 20, 6)
    batch[0], batch[1, :, :9] = a, b
    batch[1, :, 9:] = 50.0  # garbage in the padding
    out = model(batch, torch.tensor([20, 9]))["vad"]
    alone = model(b[None], torch.tensor([9]))["vad"]
    assert torch.allclose(out[1], alone[0], atol=1e-5)
    with pytest.raises(ConfigError, match="needs targets"):
        EmoSphereSER(ModelSpec(dim=6, num_layers=1, targets=("category",), classes=("a",)))
    with pytest.raises(ConfigError, match="region_bins"):
        EmoSphereSER(spec, region_bins=[3])


def test_region_loss_uses_training_class_weights_and_decays():
    torch.manual_seed(0)
    spec = ModelSpec(dim=4, num_layers=1, targets=("vad",), epochs=10)
    model = EmoSphereSER(spec, hidden=8, out_dim=8, head_hidden=8)
    vad = np.array([[0.9, 0.9, 0.9]] * 6 + [[0.1, 0.1, 0.1]] * 2, dtype=np.float32)
    model.fit_setup(TrainStats(mean=torch.zeros(1, 4), std=torch.ones(1, 4), vad=vad))
    assert model.region_weight[0] == pytest.approx(8 / (8 * 6)) and model.region_weight[6] == pytest.approx(0.5)
    assert model.region_weight[1] == 0.0
    out = model(torch.randn(8, 1, 10, 4), torch.full((8,), 10))
    batch = {"vad": torch.from_numpy(vad)}
    loss0, parts0 = model.loss(out, batch, epoch=0)
    loss9, parts9 = model.loss(out, batch, epoch=9)
    assert "region" in parts0 and "region" not in parts9
    assert float(loss0.detach()) == pytest.approx(parts0["vad"] + parts0["region"], rel=1e-5)
    assert float(loss9.detach()) == pytest.approx(parts9["vad"], rel=1e-5)
    finer = EmoSphereSER(spec, hidden=8, out_dim=8, head_hidden=8, region_bins=[3, 6])
    assert finer.n_regions == 18


@pytest.mark.slow
def test_emosphere_learns_synthetic_vad(tmp_path):
    """Audio whose pitch, noise and level follow drawn VAD values: CCC must rise far above chance (0)."""
    from seqd_builder.benchmark.runner import run_task
    from seqd_builder.benchmark.tasks import Task

    save_rows(vad_rows(n_per_speaker=16), tmp_path / "ds")
    task = Task(name="toy_attr", title="synthetic VAD", corpus="emodb", protocol="loso", targets=("vad",),
                primary_metric="ccc_mean",
                metrics=("ccc_mean", "ccc_arousal", "ccc_valence", "ccc_dominance"), synthetic=True)
    r = run_task(task, "emosphere", tmp_path / "ds", upstream=TinyFbank(), out=tmp_path / "r.json",
                 config_overrides={"training": {"epochs": 10, "lr": 3e-3, "batch_size": 16},
                                   "params": {"hidden": 32, "out_dim": 32, "head_hidden": 32},
                                   "bootstrap": {"resamples": 200}},
                 folds=["03"], progress=False)
    m = r["metrics"]
    assert m["ccc_mean"]["mean"] > 0.5, m
    assert all(m[f"ccc_{d}"]["mean"] > 0.3 for d in ("arousal", "valence", "dominance")), m
    lo, hi = m["ccc_mean"]["ci95"]
    assert lo <= m["ccc_mean"]["mean"] <= hi
