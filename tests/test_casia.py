"""CASIA adapter on the 1,200 real paths of EmoBox's listing and on the full-corpus folder variants.

EmoBox's ``casia.jsonl`` lists ``downloads/casia/<speaker>/<emotion>/<NNN>.wav``; its four
``casia_test_fold_{1..4}.jsonl`` are leave-one-speaker-out test sets. Audio is a hard link to one real
wav (adapter-level tests decode nothing).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from seqd_builder.corpora import get_adapter
from seqd_builder.corpora.protocols import Protocol
from seqd_builder.errors import CorpusLayoutError, UnknownLabelError
from seqd_builder.schema import RawItem, Rejection


def emobox_paths(shared: Path, name: str = "casia.jsonl") -> list[str]:
    lines = (shared / "meta/casia/emobox" / name).read_text().splitlines()
    return [json.loads(line)["wav"].removeprefix("downloads/casia/") for line in lines]


def make(root: Path, rels, wav: Path) -> Path:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.hardlink_to(wav)
    return root


@pytest.fixture()
def subset(shared_data, tmp_path, wav):
    paths = emobox_paths(shared_data)
    root = make(tmp_path / "downloads" / "CASIA", paths, wav)
    adapter = get_adapter("casia", tmp_path / "downloads")
    adapter.check_layout()
    return adapter, list(adapter.items()), paths


def test_public_subset_1200_items(subset):
    adapter, items, paths = subset
    assert len(paths) == 1200 and all(isinstance(i, RawItem) for i in items)
    assert len(items) == 1200 and adapter.count_warnings() == []
    assert {Path(i.source_file).relative_to("CASIA").as_posix() for i in items} == set(paths)
    numbers = {int(i.native_id.rsplit("_", 1)[1]) for i in items}
    assert numbers == set(range(201, 251))
    rows = [adapter.card.normalise(i) for i in items]
    assert Counter(r.category for r in rows) == {c: 200 for c in
                                                  ("angry", "fear", "happy", "neutral", "sad", "surprise")}
    assert Counter((r.speaker, r.gender) for r in rows) == {
        ("casia/liuchang", "female"): 300, ("casia/zhaoquanyin", "female"): 300,
        ("casia/wangzhe", "male"): 300, ("casia/zhaozuoxiang", "male"): 300}
    assert {r.text for r in rows} == {None} and {r.language for r in rows} == {"zh"}
    one = next(r for r in rows if r.source_file == "CASIA/wangzhe/neutral/239.wav")
    assert one.id == "casia/wangzhe_neutral_239" and one.category_native == "neutral"


def test_loso_folds_equal_emobox_folds(subset, shared_data):
    adapter, items, _ = subset
    rows = [adapter.card.normalise(i) for i in items]
    folds = Protocol.from_card(adapter.card, "loso").folds([r.speaker for r in rows])
    assert len(folds) == 4
    ours = {frozenset(Path(items[i].source_file).relative_to("CASIA").as_posix() for i in f.test)
            for f in folds}
    emobox = {frozenset(emobox_paths(shared_data, f"casia_test_fold_{k}.jsonl")) for k in range(1, 5)}
    assert ours == emobox
    assert all(f.sizes() == {"train": 600, "validation": 300, "test": 300} for f in folds)


def test_full_corpus_folder_variants(tmp_path, wav):
    rels = [
        "相同文本300/liuchanhg/neutral/201.wav",
        "相同文本300/ZhaoZuoxiang/Angry/201.wav",      # case variants
        "相同文本300/WANGZHE/fear/202.wav",
        "不同文本100/Chang.Liu/normal/301.wav",         # normal → neutral, dotted names
        "不同文本100/Zhe.Wang/surprise/301.wav",
        "不同文本100/Quanyin.Zhao/happy/302.wav",
        "不同文本100/Zuoxiang.Zhao/sad/303.wav",
        "renamed/201-sad-zhaoquanyin.wav",             # metadata in the file name
        "renamed/sad/202-sad-ZhaoQuanyin.wav",
    ]
    adapter = get_adapter("casia", make(tmp_path / "casia", rels, wav))
    adapter.check_layout()
    items = list(adapter.items())
    assert [i.native_id for i in items] == [   # path order (os.walk, sorted)
        "zhaoquanyin_sad_201", "zhaoquanyin_sad_202",
        "liuchang_normal_d301", "zhaoquanyin_happy_d302", "wangzhe_surprise_d301",
        "zhaozuoxiang_sad_d303", "wangzhe_fear_202", "zhaozuoxiang_angry_201", "liuchang_neutral_201"]
    rows = {r.id: r for r in map(adapter.card.normalise, items)}
    assert rows["casia/liuchang_normal_d301"].category == "neutral"
    assert rows["casia/liuchang_normal_d301"].category_native == "normal"
    assert rows["casia/zhaozuoxiang_angry_201"].gender == "male"
    assert rows["casia/zhaoquanyin_sad_201"].gender == "female"
    assert adapter.warnings("label_mismatch") == []
    assert adapter.count_warnings()[0] == "liuchang/neutral: expected 50 or 400, found 2"


def test_bad_input_is_accounted_for(shared_data, tmp_path, wav):
    paths = emobox_paths(shared_data)
    root = make(tmp_path / "casia", paths, wav)
    (root / "wangzhe/neutral/239.wav").unlink()                       # a missing file
    make(root, ["lisi/angry/201.wav",                                # unknown speaker
                "wangzhe/disgust/201.wav",                           # unknown emotion
                "wangzhe/angry/take2.wav",                           # unparseable name
                "wangzhe/angry/203-happy-wangzhe.wav"], wav)         # file name vs folder
    adapter = get_adapter("casia", root)
    items = list(adapter.items())
    rejected = {i.source_file: i for i in items if isinstance(i, Rejection)}
    raws = [i for i in items if isinstance(i, RawItem)]
    assert len(items) == 1199 + 4 and len(raws) == 1199 + 2
    assert rejected["lisi/angry/201.wav"].reason == "unknown_label"
    assert "unknown speaker 'lisi'; valid: " in rejected["lisi/angry/201.wav"].detail
    assert rejected["wangzhe/angry/take2.wav"].reason == "missing_metadata"
    disgust = next(i for i in raws if i.category == "disgust")
    with pytest.raises(UnknownLabelError, match="unknown category 'disgust'"):
        adapter.card.normalise(disgust)
    assert adapter.warnings("label_mismatch") == [
        "wangzhe/angry/203-happy-wangzhe.wav: file name says 'happy', folder says 'angry'; "
        "the file name is used"]
    warnings = adapter.count_warnings()
    assert "wangzhe/neutral: expected 50 or 400, found 49" in warnings
    assert "wangzhe/happy: expected 50 or 400, found 51" in warnings


def test_layout_error(tmp_path):
    (tmp_path / "AudioWAV").mkdir()
    (tmp_path / "AudioWAV/1001_DFA_ANG_XX.wav").write_bytes(b"")
    with pytest.raises(CorpusLayoutError, match="found AudioWAV/"):
        get_adapter("casia", tmp_path).check_layout()


def test_build_end_to_end(shared_data, tmp_path, wav):
    """A 24-file tree (one file per speaker and emotion, mixed spellings) through the build pipeline."""
    import datasets

    from seqd_builder.pipeline import build

    rels = [p for p in emobox_paths(shared_data) if p.endswith("/201.wav")]
    rels = [r.replace("zhaozuoxiang/", "ZhaoZuoxiang/") for r in rels]
    root = make(tmp_path / "CASIA", rels, wav)
    report = build(["casia"], tmp_path / "out", root=root, phones="none", progress=False)
    (config,) = report.configs
    assert (config.found, config.written, sum(config.rejected.values())) == (24, 24, 0)
    ds = datasets.load_dataset(str(tmp_path / "out"), "casia")
    assert list(ds) == ["train"] and ds["train"].num_rows == 24
    names = ds["train"].features["category"].names
    assert Counter(names[c] for c in ds["train"]["category"]) == {
        c: 4 for c in ("angry", "fear", "happy", "neutral", "sad", "surprise")}
    assert sorted(set(ds["train"]["speaker"])) == [
        "casia/liuchang", "casia/wangzhe", "casia/zhaoquanyin", "casia/zhaozuoxiang"]
