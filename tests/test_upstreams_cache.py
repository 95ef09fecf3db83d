"""The on-disk feature cache: a second pass over the same audio never calls the encoder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqd_builder.benchmark.upstreams import CachedUpstream, get_upstream
from seqd_builder.benchmark.upstreams.fbank import FbankUpstream


class CountingFbank(FbankUpstream):
    """fbank that counts how many waveforms reached the encoder."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.encoded = 0

    def _forward(self, waves):
        self.encoded += len(waves)
        return super()._forward(waves)


@pytest.fixture
def waves():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (16000, 9000, 12345)]


def test_second_pass_reads_disk_and_matches(tmp_path, waves):
    ids = ["demo/a", "demo/b", "demo/c"]
    inner = CountingFbank()
    cached = CachedUpstream(inner, root=tmp_path)
    first, len1 = cached(waves, ids)
    assert inner.encoded == 3 and (cached.hits, cached.misses) == (0, 3)
    second, len2 = cached(waves, ids)
    assert inner.encoded == 3 and (cached.hits, cached.misses) == (3, 3)   # encoder not called again
    torch.testing.assert_close(first, second)
    assert torch.equal(len1, len2)
    # a fresh process (new wrapper, new encoder) reads the same files: folds and epochs share them
    inner2 = CountingFbank()
    third, _ = CachedUpstream(inner2, root=tmp_path)(list(reversed(waves)), list(reversed(ids)))
    assert inner2.encoded == 0
    torch.testing.assert_close(third[0, :, : len1[2]], first[2, :, : len1[2]])
    files = sorted(tmp_path.rglob("*.npy"))
    assert len(files) == 3
    for f in files:
        np.load(f, allow_pickle=False)  # plain arrays, never pickles
    assert (cached.dim, cached.num_layers, cached.name) == (80, 1, "fbank")  # attributes pass through


def test_key_includes_audio_id_and_config(tmp_path, waves):
    inner = CountingFbank()
    cached = CachedUpstream(inner, root=tmp_path)
    cached(waves[:1], ["demo/a"])
    changed = waves[0].copy()
    changed[100] += 0.5                              # same id, different audio: recomputed
    cached([changed], ["demo/a"])
    cached(waves[:1], ["demo/other"])                # same audio, another id: its own entry
    assert inner.encoded == 3
    other = CachedUpstream(CountingFbank(n_mels=40), root=tmp_path)
    assert other.dir != cached.dir                   # another config never reads these features
    assert other(waves[:1], ["demo/a"])[0].shape[-1] == 40


def test_get_upstream_cache_flag_and_float16(tmp_path, waves):
    up = get_upstream("fbank", cache=tmp_path)
    assert isinstance(up, CachedUpstream) and up.dir.parent == tmp_path
    half = CachedUpstream(FbankUpstream(), root=tmp_path, dtype="float16", memory=True)
    a, _ = half(waves, ["x", "y", "z"])
    b, _ = half(waves, ["x", "y", "z"])
    assert a.dtype == torch.float32 and torch.equal(a, b)
    torch.testing.assert_close(a, up(waves, ["x", "y", "z"])[0], atol=0.02, rtol=1e-2)
