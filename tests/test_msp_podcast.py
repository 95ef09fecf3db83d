"""MSP-Podcast adapter on the real files: the old release's Partitions.txt/Speaker_ids.txt (50,362
turns), the real MSP-format label files of WHiSER (5,427 files), and the EmoBox split lists."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from seqd_builder.corpora import get_adapter, load_card
from seqd_builder.corpora.protocols import Protocol
from seqd_builder.errors import CorpusLayoutError, UnknownLabelError
from seqd_builder.phones.readers import read_label_file
from seqd_builder.schema import RawItem, Rejection
from seqd_builder.testing import link_or_copy

WHISER_CLASSES = {"N": 3492, "X": 916, "H": 345, "A": 293, "S": 284, "O": 47, "U": 33, "C": 10, "F": 6,
                  "D": 1}
NEW_SPLITS = ("Train", "Train", "Train", "Train", "Train", "Train", "Development", "Test1", "Test2", "Test3")


def meta(shared: Path) -> Path:
    return shared / "meta" / "msp_podcast"


def split_for(index: int) -> str:
    return NEW_SPLITS[index % len(NEW_SPLITS)]


def whiser_tree(root: Path, shared: Path, *, variant: str = "csv", rewrite_split: bool = True,
                audio: str = "Audios") -> Path:
    """A release folder around the real WHiSER label files (Split_Set NA rewritten when asked)."""
    src = meta(shared) / "whiser_format_reference" / "Labels"
    labels = root / "Labels"
    labels.mkdir(parents=True)
    (root / audio).mkdir()
    shutil.copy(src / "labels_detailed.csv", labels / "labels_detailed.csv")
    if variant in ("csv", "concensus"):
        text = (src / "labels_consensus.csv").read_text()
        if rewrite_split:
            rows = list(csv.reader(io.StringIO(text)))
            for i, row in enumerate(rows[1:]):
                row[-1] = split_for(i)
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            text = buf.getvalue()
        name = "labels_consensus.csv" if variant == "csv" else "labels_concensus.csv"
        (labels / name).write_text(text)
    elif variant == "json":
        data = json.loads((src / "labels_consensus.json").read_text())
        if rewrite_split:
            for i, row in enumerate(data.values()):
                row["Split_Set"] = split_for(i)
        (labels / "labels_consensus.json").write_text(json.dumps(data, indent=4))
    elif variant == "txt":
        shutil.copy(src / "labels.txt", labels / "labels.txt")
        (labels / "labels_detailed.csv").unlink()
    return root


def run(root: Path, **options):
    adapter = get_adapter("msp_podcast", root, **options)
    adapter.check_layout()
    out = list(adapter.items())
    return adapter, [x for x in out if isinstance(x, RawItem)], [x for x in out if isinstance(x, Rejection)]


# --- the old release: Partitions.txt and Speaker_ids.txt ------------------------------------------

@pytest.fixture(scope="module")
def old_release(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("msp_old")
    shutil.copy(meta(shared_data) / "Partitions.txt", root / "Partitions.txt")
    shutil.copy(meta(shared_data) / "Speaker_ids.txt", root / "Speaker_ids.txt")
    (root / "Audios").mkdir()
    (root / "Labels").mkdir()
    files = [line.split(";")[1].strip()
             for line in (root / "Partitions.txt").read_text().splitlines() if line.strip()]
    # an old-style consensus file without split/speaker columns (labels synthetic, files real)
    codes = "NHSAUFDCOX"
    rows = ["FileName,EmoClass,EmoAct,EmoVal,EmoDom"] + [
        f"{f},{codes[i % 10]},{1 + i % 7}.0,{1 + (i + 3) % 6}.5,{1 + (i + 5) % 6}.25" for i, f in enumerate(files)]
    (root / "Labels" / "labels_concensus.csv").write_text("\n".join(rows) + "\n")
    adapter, items, rejections = run(root)
    return {"root": root, "adapter": adapter, "items": items, "rejections": rejections, "files": files}


def test_old_release_splits(old_release):
    items = old_release["items"]
    assert not old_release["rejections"]
    assert len(items) == 50362 == len(old_release["files"])
    assert Counter(x.split for x in items) == {"Train": 34280, "Validation": 5958, "Test": 10124}
    card = load_card("msp_podcast")
    assert Counter(card.map_split(x.split) for x in items) == {"train": 34280, "validation": 5958, "test": 10124}
    assert sum(1 for x in items if x.native_id.count("_") == 3) == 18415  # MSP-PODCAST_1496_0515_0001 style
    warnings = old_release["adapter"].count_warnings()
    assert not any("release" in w for w in warnings), warnings  # matches the 1.6-era sizes exactly
    notes = old_release["adapter"].build_notes()
    assert notes["release"] == "1.6-era Partitions.txt" and notes["labels"] == "Labels/labels_concensus.csv"
    assert notes["audio_folder"] == "Audios" and notes["votes"] is None


def test_old_release_speakers_as_the_files_give_them(old_release, shared_data):
    text = (meta(shared_data) / "Speaker_ids.txt").read_text()
    table_text, segments_text = text.split("*" * 54)
    table = {}
    for line in table_text.splitlines():
        name, gender = line.split(";")
        table[name.strip().removeprefix("Speaker_")] = gender.strip()
    assert len(table) == 1078 and table["724"] == "Male" and max(map(int, table)) == 1080
    truth = {}
    for line in segments_text.strip().splitlines():
        file, spk = line.split(";")
        truth[file[:-4]] = spk
    items = old_release["items"]
    got = {x.native_id: (x.speaker, x.gender) for x in items}
    assert len(truth) == len(got) == 50362
    for stem, spk in truth.items():
        assert got[stem] == ((None, "Unknown") if spk == "Unknown" else (spk, table[spk])), stem
    assert sum(1 for s, _ in got.values() if s is None) == 7795
    assert got["MSP-PODCAST_0023_0048"] == ("1", "Male")
    card = load_card("msp_podcast")
    genders = Counter(card.map_gender(g, s) for s, g in got.values())
    assert genders == Counter(None if s == "Unknown" else table[s].lower() for s in truth.values())
    assert set(old_release["adapter"].speaker_genders.values()) == {"Male", "Female"}


def test_old_release_rows_normalise(old_release):
    card = load_card("msp_podcast")
    rows = [card.normalise(x) for x in old_release["items"][::97]]
    assert {r.split for r in rows} == {"train", "validation", "test"}
    first = card.normalise(old_release["items"][0])
    assert (first.id, first.speaker, first.gender, first.category) == (
        "msp_podcast/MSP-PODCAST_0023_0048", "msp_podcast/1", "male", "neutral")
    assert first.arousal == pytest.approx(0.0) and first.valence == pytest.approx((4.5 - 1) / 6)
    unknown = next(card.normalise(x) for x in old_release["items"] if x.speaker is None)
    assert unknown.speaker == "msp_podcast/unknown" and unknown.gender is None


# --- the real MSP-format label files (WHiSER) -------------------------------------------------------

@pytest.fixture(scope="module")
def whiser(shared_data, tmp_path_factory):
    root = whiser_tree(tmp_path_factory.mktemp("msp_whiser"), shared_data)
    adapter, items, rejections = run(root)
    return {"root": root, "adapter": adapter, "items": items, "rejections": rejections}


def test_whiser_counts_per_class_and_split(whiser, shared_data):
    items = whiser["items"]
    assert not whiser["rejections"] and len(items) == 5427
    expected_splits = Counter(split_for(i) for i in range(5427))
    assert Counter(x.split for x in items) == expected_splits
    assert expected_splits["Test3"] == 542
    real = list(csv.DictReader((meta(shared_data) / "whiser_format_reference/Labels/labels_consensus.csv").open()))
    assert Counter(r["EmoClass"] for r in real) == WHISER_CLASSES
    visible = Counter(r["EmoClass"] for i, r in enumerate(real) if split_for(i) != "Test3")
    assert Counter(x.category for x in items if x.split != "Test3") == visible
    hidden = [x for x in items if x.split == "Test3"]
    assert all(x.category is None and x.arousal is None and not x.votes for x in hidden)
    card = load_card("msp_podcast")
    categories = Counter(card.normalise(x).category for x in items if x.split != "Test3")
    assert categories[None] == visible["X"] and categories["other"] == visible["O"]
    assert categories["contempt"] == visible["C"]
    assert whiser["adapter"].split_counts() == dict(expected_splits)
    assert any("match no known release" in w for w in whiser["adapter"].count_warnings())


def test_whiser_all_labels_vad_and_votes(whiser, shared_data):
    adapter, items, _ = run(whiser["root"], hidden_label_splits=[])
    assert Counter(x.category for x in items) == WHISER_CLASSES
    assert sum(len(x.votes) for x in items) == 27156  # every line of labels_detailed.csv
    first = next(x for x in items if x.native_id == "001-105.1-2_14")
    assert (first.arousal, first.valence, first.dominance) == (3.4, 3.6, 3.6)
    assert [(v.rater, v.category_native, v.category) for v in first.votes][:4] == [
        ("WORKER00014332", "Contempt", "contempt"), ("WORKER00014347", "Angry", "angry"),
        ("WORKER00014329", "Neutral", "neutral"), ("WORKER00014350", "Other-Frustrated", "other")]
    row = load_card("msp_podcast").normalise(first)
    assert row.category == "neutral"
    assert (row.arousal, row.valence, row.dominance) == pytest.approx((2.4 / 6, 2.6 / 6, 2.6 / 6))
    assert row.votes[0].arousal == pytest.approx(0.5)  # worker A:4 on 1..7
    assert row.agreement == pytest.approx(dict(row.category_distribution)["neutral"])
    quoted = next(x for x in items if x.native_id == "004-017.1-2_14")
    assert quoted.votes[0].rater == "WORKER00014364" and quoted.votes[0].arousal == 5.0
    assert adapter.count_warnings()[0].startswith("5427 turns")


def test_whiser_split_na_is_missing_metadata(shared_data, tmp_path):
    _, items, rejections = run(whiser_tree(tmp_path, shared_data, rewrite_split=False))
    assert not items and len(rejections) == 5427
    assert {r.reason for r in rejections} == {"missing_metadata"}
    assert rejections[0].line == 2 and "Split_Set 'NA'" in rejections[0].detail


def test_json_variant_and_old_spelling_give_the_same_items(whiser, shared_data, tmp_path):
    def key(x):
        return x.native_id, x.category, x.arousal, x.valence, x.dominance, x.split, len(x.votes)

    reference = [key(x) for x in whiser["items"]]
    _, from_json, rej = run(whiser_tree(tmp_path / "json", shared_data, variant="json", audio="Audio"))
    assert not rej and [key(x) for x in from_json] == reference  # JSON key order Act, Dom, Val
    assert from_json[0].source_file == "Labels/labels_consensus.json"
    _, concensus, rej = run(whiser_tree(tmp_path / "old", shared_data, variant="concensus"))
    assert not rej and [key(x) for x in concensus] == reference
    assert concensus[0].source_file == "Labels/labels_concensus.csv"


def test_labels_txt_alone(shared_data, tmp_path):
    root = whiser_tree(tmp_path, shared_data, variant="txt")
    (root / "Partitions.txt").write_text("Train; 001-105.1-2_14.wav\n\nTest1; 004-017.1-2_14.wav")
    _, items, rejections = run(root)
    assert [x.native_id for x in items] == ["001-105.1-2_14", "004-017.1-2_14"]
    assert len(rejections) == 5425 and {r.reason for r in rejections} == {"missing_metadata"}
    assert items[0].category == "N" and items[0].arousal == 3.4 and len(items[0].votes) == 5


def test_hidden_labels_rejected_on_request(whiser):
    _, items, rejections = run(whiser["root"], hidden_labels="reject")
    assert len(items) == 5427 - 542 and len(rejections) == 542
    assert {r.reason for r in rejections} == {"hidden_label"}
    assert "Test3" in rejections[0].detail


# --- the official protocol on the EmoBox lists --------------------------------------------------------

def test_official_protocol_on_emobox_lists(shared_data, tmp_path):
    rows = ["FileName,EmoClass,EmoAct,EmoVal,EmoDom,SpkrID,Gender,Split_Set"]
    expected = {}
    for fold, split in (("test", "Test1"), ("valid", "Development")):
        lines = (meta(shared_data) / f"emobox/msppodcast_{fold}_fold_1.jsonl").read_text().splitlines()
        for line in lines:
            row = json.loads(line)
            file = Path(row["wav"]).name
            rows.append(f"{file},{row['emo']},4.0,4.0,4.0,Unknown,Unknown,{split}")
            expected[file[:-4]] = (row["emo"], split)
    (tmp_path / "Labels").mkdir()
    (tmp_path / "Audio").mkdir()
    (tmp_path / "Labels/labels_consensus.csv").write_text("\n".join(rows) + "\n")
    _, items, rejections = run(tmp_path)
    assert not rejections and len(items) == 15326 + 7800
    assert {x.native_id: (x.category, x.split) for x in items} == expected
    card = load_card("msp_podcast")
    protocol = Protocol.from_card(card, "official")
    fold, = protocol.folds(["msp_podcast/unknown"] * len(items), [card.map_split(x.split) for x in items])
    assert (len(fold.train), len(fold.validation), len(fold.test)) == (0, 7800, 15326)
    test_classes = Counter(items[i].category for i in fold.test)
    assert test_classes == {"N": 4702, "H": 3475, "X": 2955, "U": 1029, "C": 736, "D": 709, "A": 622,
                            "S": 505, "F": 367, "O": 226}


# --- bad input ------------------------------------------------------------------------------------

def test_bad_rows_are_accounted_for(tmp_path, shared_data):
    (tmp_path / "Labels").mkdir()
    (tmp_path / "Audios").mkdir()
    (tmp_path / "Labels/labels_consensus.csv").write_text(
        "FileName,EmoClass,EmoAct,EmoVal,EmoDom,SpkrID,Gender,Split_Set\n"
        "MSP-PODCAST_0001_0008.wav,N,2.2,4.0,2.6,30,Male,Test1\n"
        "MSP-PODCAST_0001_0009.wav,N,high,3.555556,3.777778,39,Male,Test1\n"
        "MSP-PODCAST_0001_0011.wav,N,4.125,4.75\n"
        "MSP-PODCAST_0001_0008.wav,H,2.2,4.0,2.6,30,Male,Test1\n"
        "MSP-PODCAST_0001_0012.wav,Z,4.0,4.0,4.0,39,Male,Train\n"
        "MSP-PODCAST_0001_0013.wav,N,4.0,4.0,4.0,Unknown,Unknown,Test3\n")
    (tmp_path / "Partitions.txt").write_text("Train; MSP-PODCAST_0002_0001.wav\nbroken line\n")
    for name in ("MSP-PODCAST_0001_0008.wav", "MSP-PODCAST_0009_0009.wav"):
        link_or_copy(shared_data / "audio/emodb/wav/03a01Fa.wav", tmp_path / "Audios" / name)
    adapter, items, rejections = run(tmp_path)
    reasons = {(r.id, r.reason, r.line) for r in rejections}
    assert reasons == {
        ("msp_podcast/MSP-PODCAST_0001_0009", "malformed_line", 3),
        ("msp_podcast/MSP-PODCAST_0001_0011", "malformed_line", 4),
        ("msp_podcast/MSP-PODCAST_0001_0008", "duplicate_id", 5),
        ("msp_podcast/broken line", "malformed_line", 2),
        ("msp_podcast/MSP-PODCAST_0002_0001", "missing_metadata", 1),
        ("msp_podcast/MSP-PODCAST_0009_0009", "missing_metadata", None),
    }
    bad = next(r for r in rejections if r.line == 3 and r.reason == "malformed_line")
    assert "Labels/labels_consensus.csv:3" in bad.detail and "'high'" in bad.detail
    assert [x.native_id for x in items] == ["MSP-PODCAST_0001_0008", "MSP-PODCAST_0001_0012",
                                            "MSP-PODCAST_0001_0013"]
    card = load_card("msp_podcast")
    with pytest.raises(UnknownLabelError) as err:
        card.normalise(items[1])
    assert "unknown category 'Z'" in str(err.value) and "Labels/labels_consensus.csv:6" in str(err.value)
    assert items[0].audio_path == tmp_path / "Audios/MSP-PODCAST_0001_0008.wav"
    assert items[1].audio_path == tmp_path / "Audios/MSP-PODCAST_0001_0012.wav"  # missing: the pipeline rejects it
    hidden = card.normalise(items[2])
    assert (hidden.split, hidden.category, hidden.category_native, hidden.arousal) == ("test3", None, None, None)


def test_layout_errors(tmp_path, shared_data):
    release = tmp_path / "MSP-PODCAST-1.11"
    (release / "Labels").mkdir(parents=True)
    with pytest.raises(CorpusLayoutError) as err:
        get_adapter("msp_podcast", tmp_path).check_layout()
    assert "nested release folder" in str(err.value) and "MSP-PODCAST-1.11" in str(err.value)
    with pytest.raises(CorpusLayoutError) as err:
        get_adapter("msp_podcast", release).check_layout()
    assert "Audios/ (or Audio/)" in str(err.value)


def test_transcripts_and_textgrid_alignment(tmp_path):
    from praatio import textgrid
    from praatio.utilities.constants import Interval

    (tmp_path / "Labels").mkdir()
    (tmp_path / "Audios").mkdir()
    (tmp_path / "Transcripts").mkdir()
    (tmp_path / "ForceAligned").mkdir()
    (tmp_path / "Labels/labels_consensus.csv").write_text(
        "FileName,EmoClass,EmoAct,EmoVal,EmoDom,SpkrID,Gender,Split_Set\n"
        "MSP-PODCAST_0001_0008.wav,N,2.2,4.0,2.6,30,Male,Test1\n")
    (tmp_path / "Transcripts/MSP-PODCAST_0001_0008.txt").write_bytes("it's a caf\xe9\n".encode("latin-1"))
    grid = textgrid.Textgrid()
    grid.addTier(textgrid.IntervalTier("words", [Interval(0.0, 0.4, "its")], 0.0, 1.0))
    grid.addTier(textgrid.IntervalTier("phones", [Interval(0.0, 0.2, "IH1"), Interval(0.2, 0.4, "T"),
                                                  Interval(0.5, 0.6, "S")], 0.0, 1.0))
    grid.save(str(tmp_path / "ForceAligned/MSP-PODCAST_0001_0008.TextGrid"), format="long_textgrid",
              includeBlankSpaces=True)
    adapter, (item,), _ = run(tmp_path)
    assert item.text == "it's a caf\xe9"
    assert item.phone_labels.tier == "phones" and item.phone_alignment is None
    assert [(s.phone, s.start, s.end) for s in read_label_file(item.phone_labels)] == [
        ("IH1", 0.0, 0.2), ("T", 0.2, 0.4), ("S", 0.5, 0.6)]
    assert any("decoded as cp1252" in w for w in adapter.warnings())


# --- end to end: build and load ------------------------------------------------------------------

def test_build_and_load(shared_data, tmp_path):
    from datasets import load_dataset

    from seqd_builder.pipeline import build

    src = meta(shared_data) / "whiser_format_reference/Labels"
    real = list(csv.reader((src / "labels_consensus.csv").open()))
    header, rows = real[0], real[1:31]
    for i, row in enumerate(rows):
        row[-1] = split_for(i)
        row[5], row[6] = ("7", "Female") if i % 2 else ("8", "Male")
    root = tmp_path / "release"
    (root / "Labels").mkdir(parents=True)
    (root / "Audios").mkdir()
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    (root / "Labels/labels_consensus.csv").write_text(buf.getvalue())
    files = {r[0] for r in rows}
    detailed = [line for line in (src / "labels_detailed.csv").read_text().splitlines()[1:]
                if line.split(",", 1)[0] in files]
    (root / "Labels/labels_detailed.csv").write_text("FileName,EmoDetail\n" + "\n".join(detailed) + "\n")
    wavs = sorted((shared_data / "audio/emodb/wav").glob("*.wav"))
    for k, row in enumerate(rows[1:]):  # the first file has no audio
        link_or_copy(wavs[k], root / "Audios" / row[0])
    out = tmp_path / "hf"
    report = build(["msp_podcast"], out, root=root, progress=False, phones="none")
    config = report.configs[0]
    assert (config.found, config.written, dict(config.rejected)) == (30, 29, {"missing_audio": 1})
    sizes = {s: load_dataset(str(out), "msp_podcast", split=s).num_rows
             for s in ("train", "validation", "test1", "test2", "test3")}
    assert sizes == {"train": 17, "validation": 3, "test1": 3, "test2": 3, "test3": 3}
    test3 = load_dataset(str(out), "msp_podcast", split="test3")
    assert set(test3["category"]) == {None} and set(test3["arousal"]) == {None}
    assert all(not v for v in test3["votes"])
    train = load_dataset(str(out), "msp_podcast", split="train")
    assert {len(v) for v in train["votes"]} >= {5}
    assert set(train["speaker"]) == {"msp_podcast/7", "msp_podcast/8"}
