"""The published recipes' switches (gradient accumulation, mixed precision, no early stopping, consensus
rows, 12 s crop and waveform standardisation, test clipping) and a fine-tuned encoder's train/eval modes,
on tiny synthetic data and a tiny randomly initialised WavLM (nothing downloaded)."""

import copy
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seqd_builder.benchmark import recipe
from seqd_builder.benchmark import runner as runner_mod
from seqd_builder.benchmark.config import load_model_config
from seqd_builder.benchmark.data import FeatureDataset, TaskData, WavePrep, load_task_data, wave_stats
from seqd_builder.benchmark.models import get_model_class
from seqd_builder.benchmark.models.base import ModelSpec, TrainStats
from seqd_builder.benchmark.runner import run_task
from seqd_builder.benchmark.tasks import Task, load_task
from seqd_builder.benchmark.train import TrainConfig, train_fold
from seqd_builder.errors import ConfigError

sys.path.insert(0, str(Path(__file__).parent))
from bench_helpers import TinyFbank, one_thread, save_rows, vad_rows  # noqa: E402, F401

SPEAKERS = ["03", "08", "09", "10"]
TOY_ATTR = Task(name="toy_attr", title="synthetic VAD", corpus="emodb", protocol="loso", targets=("vad",),
                primary_metric="ccc_mean", metrics=("ccc_mean", "ccc_arousal", "ccc_valence", "ccc_dominance"),
                synthetic=True)
SMALL = {"hidden": 16, "out_dim": 16, "head_hidden": 16}


@pytest.fixture(scope="module")
def tiny_wavlm(tmp_path_factory) -> Path:
    """A WavLM with tiny sizes, random weights, saved as a local model folder (80 samples per frame)."""
    from transformers import Wav2Vec2FeatureExtractor, WavLMConfig, WavLMModel

    torch.manual_seed(0)
    cfg = WavLMConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                      conv_dim=(32, 32, 32), conv_stride=(5, 4, 4), conv_kernel=(10, 4, 4),
                      num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, num_buckets=16,
                      max_bucket_distance=64, feat_extract_norm="layer", do_stable_layer_norm=True)
    path = tmp_path_factory.mktemp("wavlm")
    WavLMModel(cfg).save_pretrained(path)
    Wav2Vec2FeatureExtractor(return_attention_mask=True, do_normalize=False).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def vad_data(tmp_path_factory) -> Path:
    """VAD rows of four speakers; in each speaker, one row without consensus (X) and one 'other' (O)."""
    rows = vad_rows(n_per_speaker=6, speakers=SPEAKERS)
    for k, row in enumerate(rows):
        row["category"] = {0: None, 1: "other"}.get(k % 6, "happy")
    return save_rows(rows, tmp_path_factory.mktemp("recipe") / "vad")


def encoder_calls(monkeypatch):
    """Record (training mode, grad enabled, waveform lengths, waveforms) of every WavLM forward."""
    from transformers import WavLMModel

    calls = []
    real = WavLMModel.forward

    def spy(self, input_values=None, *args, **kwargs):
        calls.append((self.training, torch.is_grad_enabled(), input_values.detach().cpu().numpy(),
                      kwargs.get("attention_mask")))
        return real(self, input_values, *args, **kwargs)

    monkeypatch.setattr(WavLMModel, "forward", spy)
    return calls


def test_finetuned_upstream_trains_in_train_mode_and_evaluates_in_eval_mode(tiny_wavlm, vad_data, tmp_path,
                                                                          monkeypatch):
    calls = encoder_calls(monkeypatch)
    r = run_task(TOY_ATTR, "emosphere", vad_data, upstream=f"hf:{tiny_wavlm}", out=tmp_path / "r.json",
                 upstream_options={"frozen": False, "layers": "last"},
                 config_overrides={"training": {"epochs": 2, "batch_size": 8}, "params": SMALL,
                                   "bootstrap": {"resamples": 20}},
                 folds=["03"], progress=False)
    assert r["upstream"]["frozen"] is False
    train = [c for c in calls if c[1]]
    evaluate = [c for c in calls if not c[1]]
    assert train and evaluate
    assert all(training for training, *_ in train)  # dropout, LayerDrop, time masking on
    assert not any(training for training, *_ in evaluate)  # validation and test in eval mode


def test_released_recipe_runs_on_a_tiny_wavlm(tiny_wavlm, vad_data, tmp_path, monkeypatch):
    """emosphere_released end to end: every switch of the recipe, on CPU with a tiny random WavLM."""
    calls = encoder_calls(monkeypatch)
    steps = []
    real_step = torch.optim.AdamW.step
    monkeypatch.setattr(torch.optim.AdamW, "step", lambda self, *a, **k: (steps.append(1), real_step(self, *a, **k))[1])
    r = run_task(TOY_ATTR, "emosphere_released", vad_data, upstream=f"hf:{tiny_wavlm}", out=tmp_path / "r.json",
                 config_overrides={"training": {"epochs": 3, "batch_size": 2, "eval_batch_size": 4},
                                   "params": SMALL, "audio": {"max_seconds": 0.25},
                                   "bootstrap": {"resamples": 20}},
                 folds=["03"], progress=False)
    cfg = r["config"]
    assert cfg["upstream"]["options"] == {"frozen": False, "layers": "last", "freeze_feature_encoder": True}
    assert r["upstream"]["frozen"] is False and r["upstream"]["layers"] == "single"
    # consensus rows only for training and validation: speakers 09 and 10 train, 08 validates,
    # 4 of their 6 rows each have a consensus class; the test speaker keeps all 6
    fold = r["folds"][0]
    assert (fold["n_train"], fold["n_test"]) == (8, 6)
    saved = json.loads((tmp_path / "r.run" / "folds" / "03" / "result.json").read_text())
    assert len(saved["history"]) == 3  # patience null: no early stopping
    assert saved["best_epoch"] == int(np.argmax([h["validation"] for h in saved["history"]]))
    # 8 rows in micro-batches of 2 = 4 micro-batches, 4 accumulated per step: 1 step per epoch
    assert len(steps) == 3
    # mixed precision asked for (fp16), float32 on this CPU, and the results say so
    assert "mixed precision fp16 requested, float32 used (no CUDA device)" in r["notes"]
    # clips cut to 0.25 s and standardised with the training waveforms' statistics
    lengths = [len(w) for *_, waves, _ in calls for w in waves]
    assert max(lengths) == 4000
    data = load_task_data(TOY_ATTR, vad_data)
    mean, std = wave_stats(data, [i for i, s in enumerate(data.speakers) if s.endswith(("09", "10"))
                                  and data.consensus[i]])
    first = WavePrep(0.25, mean, std)(data.wave(int(np.flatnonzero(np.array(data.speakers) == "emodb/03")[0])))
    test_waves = [w for training, grad, waves, _ in calls if not grad for w in waves]
    assert any(np.allclose(w[: len(first)], first, atol=1e-5) for w in test_waves)
    pred = pd.read_csv(tmp_path / "r.run" / "folds" / "03" / "predictions.csv")
    assert pred[[c for c in pred if c.startswith("pred_")]].stack().between(0, 1).all()


def toy_training(batch_size: int, grad_accum: int, n: int = 16, epochs: int = 2, seed: int = 0):
    """Weights of a baseline model after ``epochs`` on ``n`` fixed random items (no validation)."""
    from accelerate import Accelerator

    rng = np.random.default_rng(seed)
    task = load_task("emodb")
    data = TaskData(task=task, dataset=None, rows=np.arange(n), ids=[f"x/{i}" for i in range(n)],
                    speakers=["x/0"] * n, splits=["train"] * n, category=rng.integers(0, 7, n),
                    intensity=np.full(n, -1), gender=np.full(n, -1), vad=np.full((n, 3), np.nan, np.float32),
                    phones=[[] for _ in range(n)])
    feats = [torch.from_numpy(rng.standard_normal((1, int(rng.integers(5, 12)), 6)).astype(np.float32))
             for _ in range(n)]
    torch.manual_seed(0)
    model = get_model_class("baseline")(ModelSpec(dim=6, num_layers=1, targets=("category",),
                                                  classes=task.classes), dropout=0.0)
    model.fit_setup(TrainStats(mean=torch.zeros(1, 6), std=torch.ones(1, 6)))
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, grad_accum=grad_accum, lr=1e-2, grad_clip=0.0)
    train_fold(model, FeatureDataset(data, np.arange(n), [feats]), None, cfg, Accelerator(),
               score=lambda p: 0.0, progress=False)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_gradient_accumulation_equals_the_large_batch():
    """Micro-batches of 4 accumulated twice step like batches of 8 (a mean loss, same sample order)."""
    big, accumulated, small = toy_training(8, 1), toy_training(4, 2), toy_training(4, 1)
    for k in big:
        torch.testing.assert_close(accumulated[k], big[k], atol=1e-5, rtol=1e-5)
    assert any(not torch.allclose(small[k], big[k], atol=1e-4) for k in big)


def test_patience_null_runs_every_epoch_and_keeps_the_best(monkeypatch):
    from accelerate import Accelerator

    n = 8
    task = load_task("emodb")
    data = TaskData(task=task, dataset=None, rows=np.arange(n), ids=[f"x/{i}" for i in range(n)],
                    speakers=["x/0"] * n, splits=["train"] * n, category=np.arange(n) % 7,
                    intensity=np.full(n, -1), gender=np.full(n, -1), vad=np.full((n, 3), np.nan, np.float32),
                    phones=[[] for _ in range(n)])
    feats = [torch.ones(1, 4, 3) * i for i in range(n)]
    ds = FeatureDataset(data, np.arange(n), [feats])
    for patience, expected in ((None, 6), (2, 4)):
        scores = iter([0.5, 0.9, 0.1, 0.2, 0.3, 0.4])
        model = get_model_class("baseline")(ModelSpec(dim=3, num_layers=1, targets=("category",),
                                                      classes=task.classes))
        model.fit_setup(TrainStats(mean=torch.zeros(1, 3), std=torch.ones(1, 3)))
        out = train_fold(model, ds, ds, TrainConfig(epochs=6, batch_size=4, patience=patience), Accelerator(),
                         score=lambda p: next(scores), progress=False)
        assert (out.epochs, out.best_epoch) == (expected, 1)


def test_training_settings_are_checked():
    with pytest.raises(ConfigError, match="training.grad_accum must be >= 1, got 0"):
        TrainConfig(grad_accum=0)
    with pytest.raises(ConfigError, match=r"training.mixed_precision 'fp8' is not one of \['no', 'fp16', 'bf16'\]"):
        TrainConfig(mixed_precision="fp8")
    with pytest.raises(ConfigError, match=r"train_rows 'x' is not one of \['all', 'consensus'\]"):
        TrainConfig(train_rows="x")
    with pytest.raises(ConfigError, match="patience must be >= 1 or null"):
        TrainConfig(patience=0)
    with pytest.raises(ConfigError, match=r"unknown audio settings \['crop'\]; valid: \['max_seconds', 'standardise'\]"):
        load_model_config("emosphere", {"audio": {"crop": 3}})


def test_mixed_precision_is_cuda_only_and_said_so():
    assert recipe.resolve_precision("no", cuda=False) == ("no", [])
    assert recipe.resolve_precision("fp16", cuda=True) == ("fp16", [])
    precision, notes = recipe.resolve_precision("bf16", cuda=False)
    assert precision == "no" and notes == ["mixed precision bf16 requested, float32 used (no CUDA device)"]


def test_autocast_covers_the_upstream_and_the_model_but_not_the_loss(vad_data):
    """The accelerator's autocast region holds the front-end and the model; the loss is float32."""
    from accelerate import Accelerator

    from seqd_builder.benchmark.train import make_loader, run_batches

    acc = Accelerator()
    seen = []
    acc.autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16)  # what fp16/bf16 turns on

    data = load_task_data(TOY_ATTR, vad_data)
    up = TinyFbank(8)
    rows = np.arange(8)
    ds = FeatureDataset(data, rows, lambda i, copy: data.wave(i))

    def feats_fn(batch):
        seen.append(torch.is_autocast_cpu_enabled())
        return up.forward(batch["waves"])

    from accelerate.utils import convert_outputs_to_fp32

    model = get_model_class("emosphere")(ModelSpec(dim=8, num_layers=1, targets=("vad",)), **SMALL)
    model.fit_setup(TrainStats(mean=torch.zeros(1, 8), std=torch.ones(1, 8), vad=data.vad[rows]))
    head = []
    model.vad.register_forward_hook(lambda m, i, o: head.append(o.dtype))
    # what accelerate's prepare does to the model under fp16/bf16: outputs handed back in float32
    model.forward = convert_outputs_to_fp32(model.forward)
    real_loss = model.loss
    dtypes = []
    model.loss = lambda out, batch, epoch: (dtypes.append((out["vad"].dtype, torch.is_autocast_cpu_enabled())),
                                            real_loss(out, batch, epoch))[1]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model, opt = acc.prepare(model, opt)
    run_batches(model, acc.prepare(make_loader(ds, 4, True, 0)), acc, train=True, epoch=0, optimizer=opt,
                feats_fn=feats_fn)
    assert seen == [True, True]  # the front-end inside autocast
    assert head == [torch.bfloat16] * 2  # the model too
    assert dtypes == [(torch.float32, False)] * 2  # the loss in float32, outside autocast


def test_consensus_rows_and_waveform_preparation(vad_data):
    data = load_task_data(TOY_ATTR, vad_data)
    assert data.consensus.tolist() == [k % 6 > 1 for k in range(24)]
    _, folds = data.folds()
    kept = recipe.restrict_rows(data, folds, "consensus")
    for before, after in zip(folds, kept):
        assert after.train.tolist() == [i for i in before.train if data.consensus[i]]
        assert after.validation.tolist() == [i for i in before.validation if data.consensus[i]]
        assert after.test.tolist() == before.test.tolist()  # the task's test set is untouched
    assert recipe.restrict_rows(data, folds, "all") is folds
    no_labels = copy.copy(data)
    no_labels.consensus = np.zeros(len(data), bool)
    with pytest.raises(ConfigError, match="train_rows: consensus keeps no training row of fold '03'"):
        recipe.restrict_rows(no_labels, folds, "consensus")

    rows = [0, 3, 7]
    waves = [data.wave(i).astype(np.float64) for i in rows]
    cat = np.concatenate(waves)
    mean, std = wave_stats(data, rows)
    assert (mean, std) == pytest.approx((cat.mean(), cat.std()), rel=1e-9)
    prep = WavePrep(0.1, mean, std)
    out = prep(data.wave(5))
    assert len(out) == 1600 and out.dtype == np.float32
    np.testing.assert_allclose(out, (data.wave(5)[:1600] - mean) / (std + 1e-6), rtol=1e-5)
    assert WavePrep().identity and len(WavePrep(0.1)(data.wave(5))) == 1600
    with pytest.raises(ConfigError, match="audio.max_seconds must be > 0 or null, got 0"):
        WavePrep(0)
    with pytest.raises(ConfigError, match="audio.standardise needs a fine-tuned front-end"):
        recipe.wave_prep({"audio": {"standardise": True}}, data, rows, fine_tuned=False)


def test_crop_applies_to_a_frozen_front_end_and_standardising_it_is_refused(vad_data, tmp_path):
    up = TinyFbank(8)
    seen = []
    real = up.forward
    up.forward = lambda waves: (seen.extend(len(w) for w in waves), real(waves))[1]
    run_task(TOY_ATTR, "emosphere", vad_data, upstream=up, out=tmp_path / "r.json",
             config_overrides={"training": {"epochs": 1}, "params": SMALL, "audio": {"max_seconds": 0.2},
                               "bootstrap": {"resamples": 20}}, folds=["03"], progress=False)
    assert seen and max(seen) == 3200
    with pytest.raises(ConfigError, match="audio.standardise needs a fine-tuned front-end"):
        run_task(TOY_ATTR, "emosphere", vad_data, upstream=TinyFbank(8), out=tmp_path / "s.json",
                 config_overrides={"audio": {"standardise": True}}, folds=["03"], progress=False)


@pytest.mark.parametrize("clip", [False, True])
def test_test_predictions_clipped_to_the_scale(vad_data, tmp_path, monkeypatch, clip):
    real = runner_mod.predict

    def far(*a, **k):  # predictions pushed well off the [0, 1] scale
        return [(idx, {**p, "vad": p["vad"] * 0 + np.array([-0.5, 0.5, 1.5])}) for idx, p in real(*a, **k)]

    monkeypatch.setattr(runner_mod, "predict", far)
    run_task(TOY_ATTR, "emosphere", vad_data, upstream=TinyFbank(8), out=tmp_path / "r.json",
             config_overrides={"training": {"epochs": 1, "clip_test": clip}, "params": SMALL,
                               "bootstrap": {"resamples": 20}}, folds=["03"], progress=False)
    pred = pd.read_csv(tmp_path / "r.run" / "folds" / "03" / "predictions.csv")
    got = pred[["pred_arousal", "pred_valence", "pred_dominance"]].iloc[0].tolist()
    assert got == ([0.0, 0.5, 1.0] if clip else [-0.5, 0.5, 1.5])


def test_finetuned_last_layer_survives_layerdrop(tiny_wavlm):
    """In train mode LayerDrop returns fewer hidden states: the last layer is read from
    ``last_hidden_state`` (what the released code reads); other selections are refused, not shifted."""
    from seqd_builder.benchmark.upstreams import get_upstream

    wave = [np.random.default_rng(0).standard_normal(4000).astype(np.float32)]
    tuned = get_upstream(f"hf:{tiny_wavlm}", frozen=False, layers="last")
    with torch.no_grad():
        tuned.module.eval()
        direct = tuned.module(torch.from_numpy(wave[0])[None]).last_hidden_state
        torch.testing.assert_close(tuned(wave)[0][:, 0], direct)  # after the encoder's final LayerNorm
    tuned.module.train()
    tuned.module.config.layerdrop = 1.0  # every layer after the first skipped
    feats, lengths = tuned(wave)
    assert feats.shape == (1, 1, int(lengths[0]), 32)
    every = get_upstream(f"hf:{tiny_wavlm}", frozen=False, layers="all")
    every.module.train()
    every.module.config.layerdrop = 1.0
    with pytest.raises(ConfigError, match="returned 2 of its 3 hidden states.*layers 'all' cannot be selected"):
        every(wave)


def test_gradient_clipping_covers_a_finetuned_upstream(vad_data, tmp_path, monkeypatch):
    """``grad_clip`` bounds the norm over the model's and the fine-tuned front-end's gradients together."""
    from accelerate import Accelerator

    from bench_helpers import TrainableFbank

    clipped = []
    real = Accelerator.clip_grad_norm_
    monkeypatch.setattr(Accelerator, "clip_grad_norm_",
                        lambda self, params, *a, **k: (clipped.append(list(params)), real(self, params, *a, **k))[1])
    up = TrainableFbank(8)
    run_task(TOY_ATTR, "emosphere", vad_data, upstream=up, out=tmp_path / "r.json",
             config_overrides={"training": {"epochs": 1, "grad_clip": 1.0}, "params": SMALL,
                               "bootstrap": {"resamples": 20}}, folds=["03"], progress=False)
    assert clipped
    ids = {id(p) for p in clipped[0]}
    assert all(id(p) in ids for p in up.parameters())


def test_an_accelerator_with_another_precision_is_refused(monkeypatch):
    from accelerate import Accelerator

    monkeypatch.setattr(recipe, "resolve_precision", lambda requested: ("fp16", []))  # as on a GPU
    with pytest.raises(ConfigError, match="the accelerator passed runs mixed precision 'no', the config "
                                          "asks for 'fp16'"):
        recipe.make_accelerator(TrainConfig(mixed_precision="fp16"), Accelerator())
