"""SpeechEQ and the baseline: heads, ordinal intensity, CTC, padding, registry; augmentation and data."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from seqd_builder.benchmark.augment import SpecAugment, feature_stats, speed_perturb, utterance_stats
from seqd_builder.benchmark.config import config_hash, load_model_config
from seqd_builder.benchmark.data import PhoneVocab, collate, lengths_to_mask, load_task_data
from seqd_builder.benchmark.models import get_model_class, model_names
from seqd_builder.benchmark.models.base import ModelSpec, TrainStats
from seqd_builder.benchmark.models.layers import LayerSum, masked_stats
from seqd_builder.benchmark.models.speecheq import CoralHead, SpeechEQ
from seqd_builder.benchmark.tasks import Task, load_task
from seqd_builder.errors import ConfigError, UnknownLabelError

sys.path.insert(0, str(Path(__file__).parent))
from bench_helpers import category_rows, save_rows, one_thread  # noqa: E402, F401

CLASSES = ("angry", "boredom", "disgust", "fear", "happy", "neutral", "sad")



def spec(**kw):
    base = dict(dim=8, num_layers=1, targets=("category", "intensity", "phones", "gender"), classes=CLASSES,
                n_intensity=3, n_phones=6, epochs=2)
    return ModelSpec(**{**base, **kw})


def test_registry_and_configs():
    assert model_names() == ["baseline", "emosphere", "speecheq"]
    with pytest.raises(UnknownLabelError, match="valid: baseline"):
        get_model_class("nope")
    cfg = load_model_config("speecheq_noaux", {"training": {"epochs": 2}})
    assert cfg["model"] == "speecheq" and cfg["training"]["epochs"] == 2
    assert cfg["params"]["heads"] == {"intensity": False, "phones": False, "gender": False}
    assert config_hash(cfg) == config_hash(load_model_config("speecheq_noaux", {"training": {"epochs": 2}}))
    assert config_hash(cfg) != config_hash(load_model_config("speecheq_noaux"))
    assert config_hash(cfg).startswith("sha256:") and len(config_hash(cfg)) == 71
    with pytest.raises(ConfigError, match="unknown training settings"):
        load_model_config("baseline", {"training": {"epoch": 3}})


def test_speecheq_heads_switch_and_follow_the_task():
    full = SpeechEQ(spec(), hidden=16)
    assert full.active == ("intensity", "phones", "gender")
    assert SpeechEQ(spec(), hidden=16, heads={"phones": False}).active == ("intensity", "gender")
    assert SpeechEQ(spec(targets=("category", "gender")), hidden=16).active == ("gender",)
    assert SpeechEQ(spec(n_phones=0), hidden=16).active == ("intensity", "gender")  # no phones in data
    assert SpeechEQ(spec(), hidden=16, weights={"gender": 0}).active == ("intensity", "phones")
    with pytest.raises(ConfigError, match="unknown SpeechEQ heads"):
        SpeechEQ(spec(), heads={"pitch": True})
    with pytest.raises(ConfigError, match="ctc_from"):
        SpeechEQ(spec(), ctc_from="gru")
    conv_ctc = SpeechEQ(spec(), hidden=16, ctc_from="conv")
    assert conv_ctc(torch.randn(1, 1, 40, 8), torch.tensor([40]))["phones"].shape == (1, 20, 6)
    torch.manual_seed(0)
    out = full(torch.randn(3, 1, 40, 8), torch.tensor([40, 31, 12]))
    assert out["category"].shape == (3, 7) and out["intensity"].shape == (3, 2)
    assert out["phones"].shape == (3, 20, 6) and out["frames"].tolist() == [20, 16, 6]
    batch = {"category": torch.tensor([0, 1, -1]), "intensity": torch.tensor([0, 2, -1]),
             "gender": torch.tensor([1, 0, 1]), "phones": torch.tensor([1, 2, 3, 4, 5]),
             "phone_lengths": torch.tensor([3, 0, 2])}
    loss, parts = full.loss(out, batch, 0)
    assert set(parts) == {"category", "intensity", "gender", "phones"}
    assert float(loss.detach()) == pytest.approx(parts["category"] + 0.3 * parts["intensity"]
                                                 + 0.1 * parts["gender"] + 0.1 * parts["phones"], rel=1e-5)
    pred = full.predict(out)
    assert pred["category"].shape == (3,) and set(pred["intensity"]) <= {0, 1, 2}
    assert all(all(0 < t < 6 for t in seq) for seq in pred["phones"])


def test_coral_is_ordinal():
    # targets level > k
    logits = torch.tensor([[5.0, -5.0], [5.0, 5.0], [-5.0, -5.0]])
    assert CoralHead.decode(logits).tolist() == [1, 2, 0]
    good = CoralHead.loss(logits, torch.tensor([1, 2, 0]))
    off_by_one = CoralHead.loss(logits, torch.tensor([2, 1, 1]))
    off_by_two = CoralHead.loss(logits, torch.tensor([1, 0, 2]))
    assert good < off_by_one < off_by_two
    assert float(CoralHead.loss(logits, torch.tensor([-1, -1, -1]))) == 0.0


def test_speecheq_and_baseline_ignore_padding():
    torch.manual_seed(0)
    for model in (SpeechEQ(spec(), hidden=16).eval(), SpeechEQ(spec(), hidden=16, input_stats=True).eval(),
                  get_model_class("baseline")(spec(targets=("category", "vad"))).eval()):
        a, b = torch.randn(1, 30, 8), torch.randn(1, 13, 8)
        batch = torch.full((2, 1, 30, 8), 9.0)
        batch[0], batch[1, :, :13] = a, b
        out = model(batch, torch.tensor([30, 13]))
        alone = model(b[None], torch.tensor([13]))
        assert torch.allclose(out["category"][1], alone["category"][0], atol=1e-5)


def test_speecheq_input_stats_reach_the_emotion_heads_only():
    """With ``input_stats`` the category head reads the input's mean and std besides the encoder."""
    torch.manual_seed(0)
    plain = SpeechEQ(spec(), hidden=16)
    with_stats = SpeechEQ(spec(), hidden=16, input_stats=True, input_stats_dropout=0.0).eval()
    assert with_stats.category.in_features == plain.category.in_features + 2 * 8
    assert with_stats.gender.in_features == plain.gender.in_features  # the aux heads read the encoder
    x = torch.randn(1, 20, 8)
    stats = masked_stats(x, torch.ones(1, 20, dtype=torch.bool))
    assert torch.allclose(stats[0, :8], x[0].mean(0), atol=1e-5)
    assert torch.allclose(stats[0, 8:], x[0].std(0, unbiased=False), atol=1e-5)
    # zeroing the stats part of the category weights leaves what the encoder path alone predicts
    with torch.no_grad():
        with_stats.category.weight[:, 16:] = 0
    h = with_stats.utt(with_stats.pool(*with_stats.encode(x, torch.tensor([20]))[0:3:2]))
    assert torch.allclose(with_stats(x, torch.tensor([20]))["category"],
                          h @ with_stats.category.weight[:, :16].T + with_stats.category.bias, atol=1e-5)


def test_speecheq_branch_dropout_drops_whole_utterances_in_training_only():
    torch.manual_seed(0)
    m = SpeechEQ(spec(), hidden=16, input_stats=True, branch_dropout=0.5)
    h = torch.ones(400, 16)
    m.train()
    out = m._drop_branch(h)
    rows = out[:, 0]
    assert set(rows.tolist()) == {0.0, 2.0}  # whole rows dropped, survivors scaled by 1 / (1 - p)
    assert (out == rows[:, None]).all() and 0.35 < float((rows == 0).float().mean()) < 0.65
    m.eval()
    assert torch.equal(m._drop_branch(h), h)
    with pytest.raises(ConfigError, match="needs input_stats"):
        SpeechEQ(spec(), hidden=16, branch_dropout=0.5)
    with pytest.raises(ConfigError, match="out of range"):
        SpeechEQ(spec(), hidden=16, input_stats=True, branch_dropout=1.0)


def test_stats_norm_standardises_the_input_statistics_over_training_utterances():
    """``stats_norm`` gives the emotion heads statistics with mean 0 and std 1 over the training rows,
    as a StandardScaler would, computed from those rows only (a test row does not move them)."""
    torch.manual_seed(0)
    # 12 training rows of different lengths, offset and scale per dimension, and one wild test row
    feats = [(torch.randn(1, 10 + 3 * k, 8) * (1 + torch.arange(8)) + 5.0 + k) for k in range(12)]
    feats.append(torch.randn(1, 40, 8) * 100)
    train = list(range(12))
    mean, std = feature_stats(feats, train)
    u_mean, u_std = utterance_stats(feats, train, mean, std)
    assert u_mean.shape == u_std.shape == (16,)
    model = SpeechEQ(spec(), hidden=16, input_stats=True, input_stats_dropout=0.0, stats_norm=True).eval()
    assert model.needs_utterance_stats and not SpeechEQ(spec(), hidden=16, input_stats=True).needs_utterance_stats
    model.fit_setup(TrainStats(mean=mean, std=std, category=np.arange(12) % 7, utterance=(u_mean, u_std)))
    seen = []
    model.encode = lambda *a, _orig=model.encode: seen.append(_orig(*a)[4]) or _orig(*a)
    for k in train:
        model(feats[k][None], torch.tensor([feats[k].shape[1]]))
    stats = torch.cat(seen)
    assert torch.allclose(stats.mean(0), torch.zeros(16), atol=1e-4)
    assert torch.allclose(stats.std(0, unbiased=False), torch.ones(16), atol=1e-3)
    assert torch.equal(utterance_stats(feats, train, mean, std)[0], u_mean)  # deterministic
    with pytest.raises(ConfigError, match="only for frozen features"):
        model.fit_setup(TrainStats(mean=mean, std=std, category=np.arange(12) % 7))
    with pytest.raises(ConfigError, match="stats_norm needs input_stats"):
        SpeechEQ(spec(), hidden=16, stats_norm=True)


def test_layer_sum_is_a_softmax_mixture():
    ls = LayerSum(3)
    x = torch.randn(2, 3, 5, 4)
    assert torch.allclose(ls(x), x.mean(1), atol=1e-6)  # equal weights at start
    with torch.no_grad():
        ls.weights.copy_(torch.tensor([0.0, 50.0, 0.0]))
    assert torch.allclose(ls(x), x[:, 1], atol=1e-5)
    assert torch.equal(LayerSum(1)(x[:, :1]), x[:, 0])


def test_augmentation():
    wave = np.sin(np.arange(16000) / 16000 * 2 * np.pi * 200).astype(np.float32)
    fast, slow = speed_perturb(wave, 1.1), speed_perturb(wave, 0.9)
    assert abs(len(fast) - 16000 / 1.1) < 50 and abs(len(slow) - 16000 / 0.9) < 50
    assert speed_perturb(wave, 1.0) is wave
    with pytest.raises(ConfigError):
        speed_perturb(wave, 3.0)
    aug = SpecAugment(time_masks=2, time_width=0.2, freq_masks=2, freq_width=3)
    x = torch.ones(2, 2, 50, 10)
    lengths = torch.tensor([50, 20])
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    y1, y2 = aug(x, lengths, g1), aug(x, lengths, g2)
    assert torch.equal(y1, y2)  # seeded
    assert (y1 == 0).any() and (y1 == 1).any()
    assert torch.equal(y1[:, 0], y1[:, 1])  # one mask for every layer
    zero_cols = (y1[1, 0] == 0).all(dim=1)  # time-masked frames of item 2 lie inside its 20 frames
    assert not zero_cols[20:].any()


def test_feature_stats_use_training_rows_only():
    feats = [torch.full((1, 4, 2), float(i)) for i in range(4)]
    mean, std = feature_stats(feats, [0, 1])
    assert mean.tolist() == [[0.5, 0.5]] and std[0].tolist() == pytest.approx([0.5, 0.5])


def test_task_data_labels_folds_and_batches(tmp_path):
    rows = category_rows(per_class=2)
    rows[0]["category"] = "excited"  # outside EmoDB's classes: dropped by the emodb task
    save_rows(rows, tmp_path / "ds")
    data = load_task_data(load_task("emodb"), tmp_path / "ds")
    assert len(data) == len(rows) - 1 and data.n_intensity == 2
    assert data.ids[0] == "emodb/00001" and data.speakers[0] == "emodb/03"
    assert set(data.category) == set(range(7)) and set(data.gender) == {0, 1}
    assert data.wave(0).dtype == np.float32 and len(data.wave(0)) > 4000
    protocol, folds = data.folds()
    assert [f.name for f in folds] == ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]
    spk = np.array(data.speakers)
    for f in folds:
        assert not set(spk[f.train]) & set(spk[f.test]) and not set(spk[f.validation]) & set(spk[f.test])
    # a coarse map through the task: excited counts as happy
    four = Task(name="t4", title="t", corpus="emodb", protocol="loso", targets=("category",),
                primary_metric="ua", metrics=("ua",), classes=("neutral", "happy", "sad", "angry"),
                label_map={"excited": "happy"})
    mapped = load_task_data(four, tmp_path / "ds")
    assert mapped.ids[0] == "emodb/00000" and four.classes[mapped.category[0]] == "happy"
    vocab = PhoneVocab([["a", "b"], ["b", "c"]])
    assert len(vocab) == 4 and vocab.encode(["a", "x", "c"]) == [1, 3]
    items = [{"index": i, "feats": torch.ones(2, n, 3), "category": 1, "intensity": -1, "gender": 0,
              "vad": torch.zeros(3), "phones": torch.tensor(ph, dtype=torch.long)}
             for i, (n, ph) in enumerate(((4, [1]), (7, [])))]
    batch = collate(items)
    assert batch["feats"].shape == (2, 2, 7, 3) and batch["feats"][0, :, 4:].abs().sum() == 0
    assert lengths_to_mask(batch["lengths"]).sum(1).tolist() == [4, 7]
    assert batch["phones"].tolist() == [1] and batch["phone_lengths"].tolist() == [1, 0]
