"""ESD adapter on trees built from the 35,000 real paths of EmoBox's listing.

EmoBox's ``data.seg.audmap`` lines are ``<key> <channel> <start> <end> <path>``, the path being
``downloads/esd/<spk>/<Emotion>/<spk>_<NNNNNN>.wav`` (the flat layout). Audio is a hard link to one real
wav (adapter-level tests decode nothing). Transcripts are written in each speaker's real encoding
(HLTSingapore/Emotional-Speech-Data issue #1) with the verbatim line formats of corpus-formats.md §5.2.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from seqd_builder.corpora import get_adapter, load_card
from seqd_builder.corpora.common import decode_text
from seqd_builder.corpora.protocols import Protocol
from seqd_builder.errors import CorpusLayoutError, UnknownLabelError
from seqd_builder.schema import RawItem, Rejection

ENCODING = {**{s: "gb2312" for s in ("0001", "0002", "0004", "0005", "0009")},
            **{s: "utf-16" for s in ("0003", "0006", "0007", "0008", "0010", "0012", "0013", "0014",
                                     "0018", "0019")},
            **{s: "ascii" for s in ("0011", "0015", "0020")},
            **{s: "latin-1" for s in ("0016", "0017")}}
ZH_WORD = {"Neutral": "中立", "Angry": "生气", "Happy": "快乐", "Sad": "伤心", "Surprise": "惊喜"}
EMOTIONS = ["Neutral", "Angry", "Happy", "Sad", "Surprise"]


def audmap_paths(shared: Path) -> list[str]:
    """Relative paths ``<spk>/<Emotion>/<file>.wav`` of EmoBox's 35,000-line ESD listing."""
    out = []
    for line in (shared / "meta/esd/emobox/data.seg.audmap").read_text().splitlines():
        key, channel, start, end, path = line.split()
        out.append(path.removeprefix("downloads/esd/"))
    return out


def sentence(spk: str, number: int) -> str:
    """A transcript in the speaker's language; sentence k repeats in every 350-id block."""
    k = (number - 1) % 350 + 1
    if int(spk) <= 10:
        return "打远一看，它们的确很是美丽，" if k == 1 else f"第{k}句，它们的确很是美丽。"
    if k == 1:
        return "The nine the eggs, I keep."
    if ENCODING[spk] == "latin-1":
        return f"Sentence {k}, said the naïve café owner."
    return f"Sentence {k} was read aloud."


def write_transcript(spk_dir: Path, spk: str, numbers, skip=(), spaced_every: int = 97) -> Path:
    lines = []
    for n in numbers:
        utt = f"{spk}_{n:06d}"
        if utt in skip:
            continue
        emotion = EMOTIONS[(n - 1) // 350]
        word = ZH_WORD[emotion] if int(spk) <= 10 else emotion
        sep = " " if n % spaced_every == 0 else "\t"   # some real lines use spaces instead of TABs
        lines.append(sep.join((utt, sentence(spk, n), word)))
    newline = "\r\n" if spk == "0013" else "\n"
    path = spk_dir / f"{spk}.txt"
    path.write_bytes((newline.join(lines) + newline).encode(ENCODING[spk]))
    return path


def build_tree(root: Path, paths: list[str], wav: Path, *, split_folders: bool = False,
               transcripts: bool = True, skip=("0014_001590",)) -> Path:
    from seqd_builder.corpora.esd import ESDAdapter

    positional = ESDAdapter.__new__(ESDAdapter)
    positional.options = load_card("esd").options
    by_spk: dict[str, list[int]] = {}
    made: set[str] = set()
    for rel in paths:
        spk, emotion, name = rel.split("/")
        number = int(name[5:11])
        folder = f"{root}/{spk}/{emotion}"
        if split_folders:
            folder += "/" + positional.positional_split(number)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        os.link(wav, f"{folder}/{name}")
        by_spk.setdefault(spk, []).append(number)
    if transcripts:
        for spk, numbers in by_spk.items():
            write_transcript(root / spk, spk, sorted(numbers), skip=skip)
    return root


@pytest.fixture(scope="module")
def flat(shared_data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("esd")
    wav = tmp / "one.wav"
    shutil.copy(next((shared_data / "audio/emodb/wav").glob("*.wav")), wav)
    paths = audmap_paths(shared_data)
    root = tmp / "ESD"
    build_tree(root / "Emotion Speech Dataset", paths, wav)
    adapter = get_adapter("esd", root)
    adapter.check_layout()
    items = list(adapter.items())
    return adapter, items, paths, [adapter.card.normalise(i) for i in items]


def test_listing_has_35000_flat_paths(flat):
    _, _, paths, _ = flat
    assert len(paths) == len(set(paths)) == 35_000
    assert Counter(p.split("/")[0] for p in paths) == {f"{i:04d}": 1750 for i in range(1, 21)}


def test_flat_layout_every_path_becomes_an_item(flat):
    adapter, items, paths, _ = flat
    assert all(isinstance(i, RawItem) for i in items)
    assert len(items) == 35_000
    assert {f"{i.speaker}/{i.category}/{i.native_id}.wav" for i in items} == set(paths)
    assert all(i.audio_path.is_file() for i in items)
    assert adapter.base().name == "Emotion Speech Dataset"


def test_official_split_is_300_20_30_per_speaker_and_emotion(flat):
    adapter, items, *_ = flat
    cells = Counter((i.speaker, i.category, i.split) for i in items)
    for spk in (f"{n:04d}" for n in range(1, 21)):
        for emotion in EMOTIONS:
            assert (cells[(spk, emotion, "train")], cells[(spk, emotion, "evaluation")],
                    cells[(spk, emotion, "test")]) == (300, 20, 30), (spk, emotion)
    split = {i.native_id: i.split for i in items}
    # the positional rule as documented by third-party READMEs (corpus-formats.md §5.3)
    assert split["0011_000001"] == split["0012_001401"] == "evaluation"
    assert split["0011_000021"] == split["0012_001421"] == "test"
    assert split["0011_000051"] == split["0012_001451"] == "train"
    assert split["0011_000020"] == "evaluation" and split["0011_000050"] == "test"
    assert adapter.count_warnings() == []


def test_transcript_encodings_detected_per_file(flat):
    adapter, items, *_ = flat
    assert adapter.transcript_encodings == {f"Emotion Speech Dataset/{s}/{s}.txt": e
                                            for s, e in ENCODING.items()}
    text = {i.native_id: i.text for i in items}
    assert text["0001_000001"] == text["0001_000351"] == "打远一看，它们的确很是美丽，"
    assert text["0011_000351"] == "The nine the eggs, I keep."
    assert text["0016_000002"] == "Sentence 2, said the naïve café owner."
    assert text["0003_000970"] == sentence("0003", 970)        # UTF-16, space-separated line
    assert text["0013_000005"] == "Sentence 5 was read aloud."  # CRLF lines
    assert sum(t is None for t in text.values()) == 0
    assert adapter.warnings("malformed_line") == adapter.warnings("label_mismatch") == []


def test_missing_0014_001590_transcript_is_supplied_by_the_card(flat):
    adapter, items, *_ = flat
    item = next(i for i in items if i.native_id == "0014_001590")
    assert item.text == "And they were sandy yellow brownish all over."
    assert item.source_file.endswith("0014_001590.wav") and item.source_line is None
    assert adapter.warnings("supplied_text") == [
        "0014_001590: no line in Emotion Speech Dataset/0014/0014.txt; text supplied by the card"]


def test_normalised_rows(flat):
    adapter, items, _, rows = flat
    assert Counter(r.category for r in rows) == {c: 7000 for c in
                                                  ("neutral", "angry", "happy", "sad", "surprise")}
    assert Counter(r.split for r in rows) == {"train": 30_000, "validation": 2000, "test": 3000}
    assert Counter(r.gender for r in rows) == {"female": 17_500, "male": 17_500}
    assert Counter(r.language for r in rows) == {"zh": 17_500, "en": 17_500}
    males = {r.speaker for r in rows if r.gender == "male"}
    assert males == {f"esd/{n:04d}" for n in (4, 5, 6, 8, 10, 11, 12, 13, 14, 20)}
    assert rows[0].id == "esd/0001_000001" and rows[0].source_file == "Emotion Speech Dataset/0001/0001.txt"


def test_protocols_match_emobox_and_official_split(flat, shared_data):
    adapter, items, _, rows = flat
    speakers = [r.speaker for r in rows]
    folds = Protocol.from_card(adapter.card, "speaker_folds").folds(speakers)
    assert [len(f.test) for f in folds] == [7000] * 5
    emobox = {json.loads(line)["wav"].removeprefix("downloads/esd/")
              for line in (shared_data / "meta/esd/emobox/esd_test_fold_1.jsonl").open()}
    fold1 = {f"{items[i].speaker}/{items[i].category}/{items[i].native_id}.wav" for i in folds[0].test}
    assert fold1 == emobox
    (official,) = Protocol.from_card(adapter.card, "official").folds(speakers, [r.split for r in rows])
    assert official.sizes() == {"train": 30_000, "validation": 2000, "test": 3000}


def test_split_folder_layout_without_wrapper(shared_data, tmp_path, wav):
    paths = [p for p in audmap_paths(shared_data) if p.startswith(("0002/", "0017/"))]
    root = build_tree(tmp_path / "esd", paths, wav, split_folders=True)
    adapter = get_adapter("esd", root)
    adapter.check_layout()
    items = list(adapter.items())
    assert len(items) == 3500 and adapter.base() == root
    cells = Counter((i.speaker, i.category, i.split) for i in items)
    assert set(cells.values()) == {300, 20, 30}
    assert all("/evaluation/" in str(i.audio_path) for i in items if i.split == "evaluation")
    assert adapter.count_warnings() == []   # per speaker and emotion (the total is the pipeline's)
    # a file in the wrong split folder is kept under its folder's split and reported
    moved = root / "0002/Sad/train/0002_001151.wav"
    moved.rename(root / "0002/Sad/test/0002_001151.wav")
    items = list(adapter.items())
    assert next(i for i in items if i.native_id == "0002_001151").split == "test"
    assert "0002/Sad split train: expected 300, found 299" in adapter.count_warnings()
    assert "0002/Sad split test: expected 30, found 31" in adapter.count_warnings()
    assert any("1 files are in a split folder other than" in w for w in adapter.count_warnings())


def test_bad_input_is_accounted_for(shared_data, tmp_path, wav):
    paths = [p for p in audmap_paths(shared_data) if p.startswith("0011/")]
    root = build_tree(tmp_path / "esd", paths, wav)
    txt = root / "0011/0011.txt"
    lines = txt.read_text(encoding="ascii").splitlines()
    lines[4] = "garbage without an id"                         # malformed: line 5
    lines[9] = "0011_000010 a line without its emotion column"  # malformed: line 10
    lines[19] = "0011_000020\tSentence 20 was read aloud.\tHappy"  # disagrees with Neutral folder
    lines.append("0011_001751\tAn utterance whose wav is absent.\tSurprise")
    txt.write_text("\n".join(lines) + "\n", encoding="ascii")
    (root / "0011/Fear").mkdir()                                 # an emotion the card does not know
    (root / "0011/Fear/0011_001800.wav").hardlink_to(wav)
    (root / "0011/Angry/notes.wav").hardlink_to(wav)           # a name that is no utterance id
    adapter = get_adapter("esd", root)
    items = list(adapter.items())
    raws = {i.native_id: i for i in items if isinstance(i, RawItem)}
    rejected = [i for i in items if isinstance(i, Rejection)]
    assert len(raws) == 1750 + 2 and len(rejected) == 1
    assert rejected[0].reason == "missing_metadata" and rejected[0].source_file == "0011/Angry/notes.wav"
    assert adapter.warnings("malformed_line") == [
        "0011/0011.txt:5: no utterance id at the start of 'garbage without an id'",
        "0011/0011.txt:10: no emotion column in '0011_000010 a line without its emotion column'; "
        "text kept, label from the folder"]
    assert raws["0011_000005"].text is None and "0011_000005: no line in 0011/0011.txt; text is null" \
        in adapter.warnings("no_transcript")
    assert raws["0011_000010"].text == "a line without its emotion column"
    assert raws["0011_000020"].category == "Neutral"
    assert any("0011_000020 says 'Happy' but is in folder 'Neutral'" in w
               for w in adapter.warnings("label_mismatch"))
    missing = raws["0011_001751"]                     # listed, no audio: the pipeline rejects it
    assert missing.audio_path == root / "0011/Surprise/0011_001751.wav"
    assert not missing.audio_path.exists() and missing.source_line == 1751
    with pytest.raises(UnknownLabelError, match="unknown category 'Fear'"):
        adapter.card.normalise(raws["0011_001800"])


def test_undecodable_transcript_keeps_items_and_reports_lines(shared_data, tmp_path, wav):
    paths = [p for p in audmap_paths(shared_data) if p.startswith("0001/Neutral/")][:5]
    root = build_tree(tmp_path / "esd", paths, wav)
    txt = root / "0001/0001.txt"
    data = txt.read_bytes().split(b"\n")
    data[2] = b"0001_000003\t\x81\x30\xff\xfe\x00\x01\t\xd6\xd0\xc1\xa2"   # no codec reads this line
    txt.write_bytes(b"\n".join(data))
    adapter = get_adapter("esd", root)
    items = {i.native_id: i for i in adapter.items()}
    assert len(items) == 5 and items["0001_000003"].text is None
    assert items["0001_000002"].text == sentence("0001", 2)
    assert adapter.transcript_encodings == {"0001/0001.txt": "undecodable (line by line)"}
    assert any(w.startswith("0001/0001.txt:3: undecodable line") for w in adapter.warnings("bad_encoding"))


def test_missing_transcript_file_is_one_warning(shared_data, tmp_path, wav):
    paths = [p for p in audmap_paths(shared_data) if p.startswith("0020/Happy/")]
    root = build_tree(tmp_path / "esd", paths, wav, transcripts=False)
    adapter = get_adapter("esd", root)
    items = list(adapter.items())
    assert len(items) == 350 and {i.text for i in items} == {None}
    assert adapter.warnings("no_transcript") == ["0020/0020.txt: missing; 0020's utterances have no text"]
    assert {i.source_file for i in items} == {f"0020/Happy/{p.split('/')[-1]}" for p in paths}


def test_decode_text_order():
    text = "0001_000001\t打远一看，它们的确很是美丽，\t中立\n"
    assert decode_text(text.encode("utf-16"), ["ascii"]).encoding == "utf-16"
    assert decode_text(text.encode("utf-8-sig"), ["ascii"]).encoding == "utf-8-sig"
    assert decode_text(text.encode("gb2312"), ["ascii", "utf-8", "gb2312"]).encoding == "gb2312"
    quote = "It\u2019s here.\n".encode("cp1252")          # 0x92: a C1 control in latin-1
    assert decode_text(quote, ["ascii", "utf-8", "latin-1", "cp1252"]).encoding == "cp1252"
    detected = decode_text(text.encode("gb2312"), ["ascii"])
    assert detected.method == "detected" and detected.text == text


def test_layout_error_names_expected_and_found(tmp_path):
    (tmp_path / "AudioWAV").mkdir()
    with pytest.raises(CorpusLayoutError, match=r"expected speaker folders 0001-0020.*found AudioWAV/"):
        get_adapter("esd", tmp_path).check_layout()


def test_build_end_to_end(shared_data, tmp_path, wav):
    """A 30-file tree (a gb2312 and a latin-1 speaker, every emotion and split) through the pipeline."""
    import datasets

    from seqd_builder.pipeline import build

    keep = {1, 21, 51}                       # evaluation, test and train positions of each block
    paths = [p for p in audmap_paths(shared_data) if p.startswith(("0001/", "0016/"))
             and (int(p[-10:-4]) - 1) % 350 + 1 in keep]
    root = build_tree(tmp_path / "ESD" / "Emotion Speech Dataset", paths, wav, split_folders=True)
    report = build(["esd"], tmp_path / "out", root=root.parent, phones="none", progress=False)
    (config,) = report.configs
    assert (config.found, config.written, sum(config.rejected.values())) == (30, 30, 0)
    ds = datasets.load_dataset(str(tmp_path / "out"), "esd")
    assert {k: v.num_rows for k, v in ds.items()} == {"train": 10, "validation": 10, "test": 10}
    rows = {r["id"]: r for split in ds.values() for r in split.remove_columns("audio")}
    assert rows["esd/0001_000001"]["text"] == "打远一看，它们的确很是美丽，"
    assert rows["esd/0016_000051"]["text"] == "Sentence 51, said the naïve café owner."
    assert rows["esd/0016_000051"]["language"] == "en" and rows["esd/0001_000001"]["language"] == "zh"
