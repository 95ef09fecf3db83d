"""IEMOCAP adapter: a realistic tree for the 5,531 utterances of the real s3prl/EmoBox lists.

No raw EmoEvaluation file is public, so the tree is written in the exact line formats quoted in
docs/corpus-formats.md §3.2 (TAB-separated), for every utterance of the real 4-class lists, plus
turns with the other consensus codes (xxx, fru, sur, fea, oth, dis) that the 4-class task leaves out.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from seqd_builder.benchmark.tasks import Task
from seqd_builder.corpora import get_adapter, load_card
from seqd_builder.corpora.iemocap import clean_transcript, speaker_of
from seqd_builder.corpora.protocols import Protocol
from seqd_builder.errors import CorpusLayoutError, UnknownLabelError
from seqd_builder.schema import RawItem, Rejection
from seqd_builder.testing import link_or_copy

sys.path.insert(0, str(Path(__file__).parent))
import iemocap_verbatim as verbatim  # noqa: E402

HEADER = verbatim.HEADER
WORDS = {"neu": "Neutral", "hap": "Happiness", "exc": "Excited", "sad": "Sadness", "ang": "Anger",
         "fru": "Frustration", "sur": "Surprise", "fea": "Fear", "dis": "Disgust", "oth": "Other"}
VAD = {"neu": (2.5, 2.5, 2.5), "hap": (4.0, 3.5, 3.0), "exc": (4.0, 4.0, 3.5), "sad": (1.5, 2.0, 2.0),
       "ang": (1.5, 4.0, 4.5), "fru": (2.0, 3.5, 3.5), "xxx": (2.5, 3.0, 3.0), "sur": (3.5, 4.0, 3.0),
       "fea": (2.0, 3.5, 2.0), "dis": (1.5, 3.0, 3.5), "oth": (3.0, 3.0, 3.0)}
# verbatim from corpus-formats.md §3.2 (Ses01F_impro01.txt)
VERBATIM_F000 = verbatim.F000
# extra turns per dialog with codes the 4-class task leaves out; turn numbers 9xx are unused in the lists
EXTRA_PER_DIALOG = (("F", 900, "xxx"), ("M", 901, "fru"))
EXTRA_ONCE = {"Ses01F_impro05": [("F", 902, "sur"), ("M", 903, "fea")],
              "Ses02M_script01_1": [("F", 904, "oth"), ("M", 905, "dis")]}
FOUR_CLASS = Task(name="iemocap4", title="IEMOCAP 4-class", corpus="iemocap", protocol="loso_session",
                  targets=("category",), primary_metric="ua", metrics=("ua", "wa"),
                  classes=("neutral", "happy", "sad", "angry"), label_map={"excited": "happy"})


def summary(start: float, end: float, utt: str, code: str) -> str:
    v, a, d = VAD[code]
    return f"[{start:.4f} - {end:.4f}]\t{utt}\t{code}\t[{v:.4f}, {a:.4f}, {d:.4f}]\n"


def rater_lines(utt: str, code: str, k: int) -> str:
    """Evaluator, self-evaluation and dimensional lines in the corpus' format (varied with k)."""
    letter = utt.rsplit("_", 1)[1][0]
    other = "M" if letter == "F" else "F"
    if code == "xxx":
        cats = ["Neutral;", "Anger;", "Frustration; Sadness;"]
    else:
        word = WORDS[code]
        cats = [f"{word};", f"{word};", f"{word}; Frustration;" if k % 3 == 0 else f"{word};"]
    lines = [f"C-E{i}:\t{c}\t()\n" for i, c in zip((2, 3, 4), cats)]
    lines.append(f"C-{letter}1:\t{WORDS.get(code, 'Neutral')};\t(curious)\n")
    lines.append(f"A-E3:\tval {1 + k % 5}; act {1 + (k + 1) % 5}; dom  {1 + (k + 2) % 5};\t()\n")
    lines.append(f"A-E4:\tval 2; act 3; dom  3;\t(mildly aggravated but staying polite, attitude)\n")
    lines.append(f"A-{other}1:\tval 3; act 2; dom  1;\t()\n")
    return "".join(lines) + "\n"


def real_lists(shared: Path) -> tuple[dict[str, tuple[str, float]], dict[int, dict], dict[int, set]]:
    """EmoBox {utt: (code, seconds)}; s3prl per test session {utt: label} and train ids."""
    emobox = {}
    for line in (shared / "meta/iemocap/emobox/iemocap.jsonl").read_text().splitlines():
        row = json.loads(line)
        emobox[row["key"].removeprefix("iemocap-")] = (row["emo"], float(row["length"]))
    tests, trains = {}, {}
    for k in range(1, 6):
        folder = shared / f"meta/iemocap/s3prl_meta_data/Session{k}"
        stem = lambda m: Path(m["path"]).stem  # noqa: E731
        tests[k] = {stem(m): m["label"] for m in json.loads((folder / "test_meta_data.json").read_text())["meta_data"]}
        trains[k] = {stem(m) for m in json.loads((folder / "train_meta_data.json").read_text())["meta_data"]}
    return emobox, tests, trains


def write_tree(root: Path, utts: dict[str, tuple[str, float]]) -> Counter:
    """EmoEvaluation + transcriptions for these utterances and the extra turns; returns codes written."""
    dialogs: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for utt, (code, seconds) in utts.items():
        dialogs[utt.rsplit("_", 1)[0]].append((utt, code, seconds))
    for dialog in list(dialogs):
        for letter, number, code in EXTRA_PER_DIALOG + tuple(EXTRA_ONCE.get(dialog, ())):
            dialogs[dialog].append((f"{dialog}_{letter}{number}", code, 1.5))
    written = Counter()
    for dialog, turns in sorted(dialogs.items()):
        session = root / f"Session{int(dialog[4])}"
        evaluation = session / "dialog" / "EmoEvaluation"
        transcripts = session / "dialog" / "transcriptions"
        evaluation.mkdir(parents=True, exist_ok=True)
        transcripts.mkdir(parents=True, exist_ok=True)
        body, text_lines, clock = [HEADER], [], 2.0
        for k, (utt, code, seconds) in enumerate(sorted(turns)):
            start, end = clock, clock + seconds
            clock = end + 0.5
            written[code] += 1
            if utt == "Ses01F_impro01_F000":
                body.append(VERBATIM_F000)
                start, end = 6.2901, 8.2357
            else:
                body.append(summary(start, end, utt, code) + rater_lines(utt, code, k))
            words = "Excuse me. [LAUGHTER] Do you have your forms?" if k % 7 == 0 else "Excuse me."
            text_lines.append(f"{utt} [{start:08.4f}-{end:08.4f}]: {words}\n".encode())
        text_lines.insert(1, b"M: [BREATHING]\n")  # a non-utterance line, as in the real files
        (evaluation / f"{dialog}.txt").write_text("".join(body), encoding="ascii")
        (transcripts / f"{dialog}.txt").write_bytes(b"".join(text_lines))
    # per-rater sub-folders and .anvil files that a '*.txt' glob must not read
    sub = root / "Session1/dialog/EmoEvaluation"
    (sub / "Categorical").mkdir(exist_ok=True)
    (sub / "Categorical/Ses01F_impro01_e2_cat.txt").write_text("Ses01F_impro01_F000 :Neutral state; ()\n")
    (sub / "Attribute").mkdir(exist_ok=True)
    (sub / "Attribute/Ses01F_impro01_e3_atr.txt").write_text("Ses01F_impro01_F000 :act 4; :val 3; :dom 2;\n")
    (sub / "Self-evaluation").mkdir(exist_ok=True)
    (sub / "Self-evaluation/Ses01F_impro01.anvil").write_text("<annotation/>\n")
    return written


@pytest.fixture(scope="module")
def full(shared_data, tmp_path_factory):
    emobox, tests, trains = real_lists(shared_data)
    root = tmp_path_factory.mktemp("iemocap") / "IEMOCAP_full_release"
    written = write_tree(root, emobox)
    adapter = get_adapter("iemocap", root)
    adapter.check_layout()
    out = list(adapter.items())
    card = load_card("iemocap")
    rows = [card.normalise(x) for x in out]
    return {"root": root, "adapter": adapter, "out": out, "rows": rows, "written": written,
            "tests": tests, "trains": trains}


def small_tree(tmp_path: Path, evaluation: str | bytes, dialog: str = "Ses01F_impro01",
               transcript: bytes | None = None) -> Path:
    root = tmp_path / "IEMOCAP_full_release"
    session = root / f"Session{int(dialog[4])}" / "dialog"
    (session / "EmoEvaluation").mkdir(parents=True)
    (session / "transcriptions").mkdir()
    data = evaluation.encode() if isinstance(evaluation, str) else evaluation
    (session / "EmoEvaluation" / f"{dialog}.txt").write_bytes(data)
    if transcript is not None:
        (session / "transcriptions" / f"{dialog}.txt").write_bytes(transcript)
    return root


# --- the real 4-class lists ------------------------------------------------------------------------

def test_every_turn_is_an_item(full):
    out = full["out"]
    assert all(isinstance(x, RawItem) for x in out)
    assert len(out) == 5531 + 151 * 2 + 4
    assert Counter(x.category for x in out) == full["written"]
    assert len({x.native_id for x in out}) == len(out)


def test_loso_folds_equal_the_real_lists(full):
    card = load_card("iemocap")
    rows = full["rows"]
    four = [(r, FOUR_CLASS.class_of(r.category)) for r in rows]
    four = [(r, c) for r, c in four if c is not None]
    assert len(four) == 5531
    assert Counter(c for _, c in four) == {"neutral": 1708, "happy": 1636, "angry": 1103, "sad": 1084}
    assert Counter(r.category for r, _ in four if _ == "happy") == {"happy": 595, "excited": 1041}
    protocol = Protocol.from_card(card, "loso_session")
    folds = protocol.folds([r.speaker for r, _ in four])
    assert [f.name for f in folds] == ["Ses01", "Ses02", "Ses03", "Ses04", "Ses05"]
    assert [len(f.test) for f in folds] == [1085, 1023, 1151, 1031, 1241]
    s3prl_label = {"neutral": "neu", "happy": "hap", "angry": "ang", "sad": "sad"}
    for k, fold in enumerate(folds, start=1):
        test = {four[i][0].id.removeprefix("iemocap/"): s3prl_label[four[i][1]] for i in fold.test}
        assert test == full["tests"][k], f"fold {fold.name} differs from s3prl Session{k}"
        rest = {four[i][0].id.removeprefix("iemocap/") for i in (*fold.train, *fold.validation)}
        assert rest == full["trains"][k]
        assert {four[i][0].speaker for i in fold.test} == {f"iemocap/Ses0{k}F", f"iemocap/Ses0{k}M"}


def test_other_codes_and_scales(full):
    by_code = {}
    for x, row in zip(full["out"], full["rows"]):
        by_code.setdefault(x.category, row)
    assert by_code["xxx"].category is None and by_code["xxx"].category_native == "xxx"
    assert by_code["fru"].category == "frustrated"
    assert by_code["oth"].category == "other"
    assert by_code["exc"].category == "excited"
    assert by_code["sur"].category == "surprise" and by_code["fea"].category == "fear"
    assert by_code["dis"].category == "disgust"
    ang = by_code["ang"]  # summary [V, A, D] = [1.5, 4.0, 4.5]: valence first
    assert (ang.valence, ang.arousal, ang.dominance) == pytest.approx((0.125, 0.75, 0.875))
    assert all(r.split == "train" for r in by_code.values())


def test_count_warnings_compare_with_the_card(full):
    warnings = full["adapter"].count_warnings()
    assert "utterances: expected 10039, found 5837" in warnings
    assert "Session1 utterances: expected 1819, found 1143" in warnings
    assert "consensus code 'neu': expected 1708, found 1708" not in " ".join(warnings)
    assert "consensus code 'xxx': expected 2507, found 151" in warnings
    assert not any(w.startswith("dialogs") for w in warnings)  # all 151 dialogs are there
    notes = full["adapter"].build_notes()
    assert notes["dialogs_per_session"] == {"Session1": 28, "Session2": 30, "Session3": 32,
                                            "Session4": 30, "Session5": 31}
    assert sum(notes["turns_per_session"].values()) == 5837


def test_subfolders_and_anvil_files_are_not_read(full):
    files = full["adapter"].input_files()
    assert len(files) == 151 * 2
    assert not any(p.parent.name in ("Categorical", "Attribute", "Self-evaluation") for p in files)


def test_audio_paths_and_transcripts(full):
    item = next(x for x in full["out"] if x.native_id == "Ses01F_impro01_F000")
    assert item.audio_path == full["root"] / "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav"
    assert item.segment is None and item.source_line == 3
    assert item.text == "Excuse me. Do you have your forms?"  # [LAUGHTER] stripped
    assert item.source_file == "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt"


# --- speakers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("utt, speaker, letter", [
    ("Ses03M_impro05a_F000", "Ses03F", "F"),
    ("Ses03M_impro05b_M012", "Ses03M", "M"),
    ("Ses05M_script01_1b_F003", "Ses05F", "F"),
    ("Ses05M_script01_1b_M020", "Ses05M", "M"),
    ("Ses01F_impro01_M000", "Ses01M", "M"),
    ("Ses02F_script02_2_MXX0", "Ses02M", "M"),
])
def test_speaker_is_the_letter_of_the_last_token(utt, speaker, letter):
    assert speaker_of(utt) == (speaker, letter)


def test_speaker_letter_gotcha_in_the_tree(full):
    rows = {x.native_id: row for x, row in zip(full["out"], full["rows"])
            if x.native_id.startswith(("Ses03M_impro05a_", "Ses05M_script01_1b_"))}
    assert rows["Ses03M_impro05a_F000"].speaker == "iemocap/Ses03F"
    assert rows["Ses03M_impro05a_F000"].gender == "female"
    females = [r for i, r in rows.items() if i.rsplit("_", 1)[1].startswith("F")]
    males = [r for i, r in rows.items() if i.rsplit("_", 1)[1].startswith("M")]
    assert females and males
    assert {r.gender for r in females} == {"female"} and {r.gender for r in males} == {"male"}
    assert {r.speaker for r in males if r.id.startswith("iemocap/Ses05")} == {"iemocap/Ses05M"}
    genders = Counter((r.speaker, r.gender) for r in full["rows"])
    assert {s for s, _ in genders} == {f"iemocap/Ses0{k}{g}" for k in range(1, 6) for g in "FM"}
    assert all(g == ("female" if s.endswith("F") else "male") for s, g in genders)


# --- votes ---------------------------------------------------------------------------------------

def test_votes_with_self_ratings(full):
    card = load_card("iemocap")
    item = next(x for x in full["out"] if x.native_id == "Ses01F_impro01_F000")
    raters = [(v.rater, v.category, v.self_rating) for v in item.votes if v.category_native]
    assert raters == [("C-E2", "neutral", False), ("C-E3", "neutral", False),
                      ("C-E4", "neutral", False), ("Ses01:C-F1", "neutral", True)]
    dims = [(v.rater, v.valence, v.arousal, v.dominance, v.self_rating)
            for v in item.votes if v.category_native is None]
    assert dims == [("A-E3", 3, 2, 2, False), ("A-E4", 2, 3, 3, False), ("Ses01:A-F1", 3, 2, 1, True)]
    row = card.normalise(item)
    assert row.agreement == 1.0 and row.category_distribution == (("neutral", 1.0),)
    a_e3 = next(v for v in row.votes if v.rater == "A-E3")
    assert (a_e3.valence, a_e3.arousal, a_e3.dominance) == (0.5, 0.25, 0.25)


def test_multi_category_line_splits_the_vote(full):
    item = next(x for x in full["out"] if x.category == "ang"
                and sum(v.rater == "C-E4" for v in x.votes) == 2)
    e4 = [v for v in item.votes if v.rater == "C-E4"]
    # "C-E4:\tAnger; Frustration;": one vote per word, each with its own word as native label
    assert [(v.category_native, v.category, v.weight) for v in e4] == [
        ("Anger", "angry", 0.5), ("Frustration", "frustrated", 0.5)]
    # the other speaker's actor rates dimensions: an actor line, but not a self-rating
    other = [v for v in item.votes if v.rater.endswith(("A-M1", "A-F1"))]
    assert len(other) == 1 and not other[0].self_rating
    row = load_card("iemocap").normalise(item)
    assert dict(row.category_distribution)["frustrated"] == pytest.approx(0.5 / 3)  # evaluators only
    assert row.agreement == pytest.approx(2.5 / 3)  # self-rating excluded


# --- bad input -----------------------------------------------------------------------------------

def test_malformed_summary_line_is_rejected_with_file_and_line(tmp_path):
    text = (HEADER + "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000]\n"
            "C-E2:\tNeutral;\t()\n\n" + summary(10.01, 11.3925, "Ses01F_impro01_F001", "neu")
            + "C-E2:\tNeutral;\t()\ngarbage here\n\n")
    adapter = get_adapter("iemocap", small_tree(tmp_path, text))
    out = list(adapter.items())
    assert [type(x) for x in out] == [Rejection, RawItem]
    bad = out[0]
    assert (bad.reason, bad.line, bad.id) == ("malformed_line", 3, "iemocap/Ses01F_impro01_F000")
    assert bad.source_file == "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt"
    assert "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt:3" in bad.detail
    assert "[2.5000, 2.5000]" in bad.detail
    warnings = adapter.warnings()
    assert any(w.startswith("Session1/dialog/EmoEvaluation/Ses01F_impro01.txt:8: Ses01F_impro01_F001: "
                            "cannot read evaluator line 'garbage here' (unrecognised line")
               for w in warnings)
    assert not any(":4:" in w for w in warnings)  # the rejected turn's rater lines go with it


def test_unknown_consensus_code_is_an_unknown_label(tmp_path):
    text = HEADER + summary(1.0, 2.0, "Ses01F_impro01_F000", "neu").replace("\tneu\t", "\tbor\t")
    item, = get_adapter("iemocap", small_tree(tmp_path, text)).items()
    with pytest.raises(UnknownLabelError) as err:
        load_card("iemocap").normalise(item)
    message = str(err.value)
    assert "unknown category 'bor'" in message and "xxx" in message and "neu" in message
    assert "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt:3" in message


def test_bad_encoding(tmp_path):
    good = summary(1.0, 2.0, "Ses01F_impro01_F001", "neu")
    text = (HEADER.encode() + b"[0.5000 - 0.9000]\tSes01F_impro01_F000\tneu\t[2.5\xe90, 2.5, 2.5]\n\n"
            + good.encode())
    transcript = ("Ses01F_impro01_F001 [001.0000-002.0000]: It's a caf\u00e9 \u2019n".encode("cp1252")
                  + b"\nSes01F_impro01_F000 [000.5000-000.9000]: Hi.\n")
    adapter = get_adapter("iemocap", small_tree(tmp_path, text, transcript=transcript))
    bad, ok = adapter.items()
    assert (bad.reason, bad.line, bad.id) == ("bad_encoding", 3, "iemocap/Ses01F_impro01_F000")
    assert ok.text == "It's a caf\u00e9 \u2019n"
    assert adapter.fallback_decoded_lines == 1
    assert any("transcriptions/Ses01F_impro01.txt:1: not valid UTF-8" in w for w in adapter.warnings())


def test_missing_audio_is_yielded_with_its_path_and_dialog_fallback(tmp_path, shared_data):
    text = HEADER + summary(0.5, 1.5, "Ses01F_impro01_F000", "neu") + summary(2.0, 3.0, "Ses01F_impro01_M000", "ang")
    root = small_tree(tmp_path, text)
    first = list(get_adapter("iemocap", root).items())
    assert [x.audio_path for x in first] == [
        root / "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav",
        root / "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_M000.wav"]  # the pipeline rejects them
    (root / "Session1/dialog/wav").mkdir()
    link_or_copy(shared_data / "audio/emodb/wav/03a01Fa.wav", root / "Session1/dialog/wav/Ses01F_impro01.wav")
    adapter = get_adapter("iemocap", root)
    second = list(adapter.items())
    assert [x.segment for x in second] == [(0.5, 1.5), (2.0, 3.0)]
    assert second[0].audio_path == root / "Session1/dialog/wav/Ses01F_impro01.wav"
    assert any("no sentence wav" in w for w in adapter.warnings())


def test_layout_error_names_the_nested_folder(tmp_path):
    small_tree(tmp_path, HEADER)
    with pytest.raises(CorpusLayoutError) as err:
        get_adapter("iemocap", tmp_path).check_layout()
    assert "IEMOCAP_full_release" in str(err.value) and "Session{1..5}" in str(err.value)


def test_warning_kinds_are_logged(full):
    kinds = full["adapter"].warning_kinds()
    assert set(kinds) == {"count_mismatch"}  # every turn has a transcript line, no odd rater lines
    assert kinds["count_mismatch"] == len(full["adapter"].count_warnings()) == 1 + 5 + 6  # total, sessions, codes other than the 4-class ones


def test_clean_transcript():
    assert clean_transcript("[LAUGHTER] Oh. [BREATHING]  Okay ") == "Oh. Okay"
    assert clean_transcript("[GARBAGE]") is None


# --- phone alignment -----------------------------------------------------------------------------

PHSEG = ("\t SFrm  EFrm    SegAScr Phone\n"
         "\t    0     9    -123456 SIL\n"
         "\t   10    17     -45678 EH(SIL,K)b\n"
         "\t   18    25     -34567 K(EH,S)i\n"
         " Total score:    -203701\n")


def test_phseg_alignment_is_read(tmp_path):
    pytest.importorskip("seqd_builder.phones.readers")
    root = small_tree(tmp_path, HEADER + summary(6.2901, 8.2357, "Ses01F_impro01_F000", "neu"))
    folder = root / "Session1/sentences/ForcedAlignment/Ses01F_impro01"
    folder.mkdir(parents=True)
    (folder / "Ses01F_impro01_F000.phseg").write_text(PHSEG)
    item, = get_adapter("iemocap", root).items()
    # the adapter names the file; the build's workers read it
    assert item.phone_labels.format == "phseg" and item.phone_alignment is None
    from seqd_builder.phones.readers import read_label_file

    assert [(s.phone, s.start, s.end) for s in read_label_file(item.phone_labels)] == [
        ("SIL", 0.0, 0.1), ("EH", 0.1, 0.18), ("K", 0.18, 0.26)]


# --- end to end: build and load ------------------------------------------------------------------

def test_build_and_load(shared_data, tmp_path):
    from datasets import load_dataset

    from seqd_builder.pipeline import build

    emobox, _, _ = real_lists(shared_data)
    chosen = {u: v for u, v in emobox.items() if u.startswith(("Ses01F_impro01_", "Ses03M_impro05a_"))}
    root = tmp_path / "IEMOCAP_full_release"
    write_tree(root, chosen)
    wavs = sorted((shared_data / "audio/emodb/wav").glob("*.wav"))
    turns = [x for x in get_adapter("iemocap", root).items()]
    missing = "Ses03M_impro05a_F000"
    for k, item in enumerate(turns):
        if item.native_id != missing:
            item.audio_path.parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(wavs[k % len(wavs)], item.audio_path)
    out = tmp_path / "hf"
    report = build(["iemocap"], out, root=root, progress=False, phones="none")
    config = report.configs[0]
    assert config.found == len(turns) and config.written == len(turns) - 1
    assert dict(config.rejected) == {"missing_audio": 1}
    ds = load_dataset(str(out), "iemocap", split="train")
    assert ds.num_rows == len(turns) - 1
    row = ds.filter(lambda i: i == "iemocap/Ses03M_impro05a_M001", input_columns="id")[0]
    assert row["speaker"] == "iemocap/Ses03M" and ds.features["gender"].int2str(row["gender"]) == "male"
    names = Counter(ds.features["category"].int2str(c) if c is not None else None for c in ds["category"])
    assert names[None] == 2 and names["frustrated"] == 2  # the xxx and fru turns of the two dialogs
    f000 = ds.filter(lambda i: i == "iemocap/Ses01F_impro01_F000", input_columns="id")[0]
    assert [(v["rater"], v["self_rating"]) for v in f000["votes"]][-1] == ("Ses01:A-F1", True)
    assert f000["valence"] == pytest.approx(0.375) and f000["agreement"] == 1.0
    rejected = (out / "reports/iemocap/rejected.jsonl").read_text()
    assert missing in rejected and "missing_audio" in rejected


def test_vote_words_match_on_their_stem(tmp_path):
    text = (HEADER + summary(1.0, 2.0, "Ses01F_impro01_F000", "hap")
            + "C-E1:\tHappy; Excitement; Other:annoyed; Disappointed; Sad;\t()\n\n")
    adapter = get_adapter("iemocap", small_tree(tmp_path, text))
    item, = adapter.items()
    assert [(v.category, v.weight) for v in item.votes] == [
        ("happy", 0.2), ("excited", 0.2), ("other", 0.2), (None, 0.2), ("sad", 0.2)]
    assert adapter.build_notes()["unmapped_vote_words"] == {"Disappointed": 1}


def test_summary_line_with_spaces_for_tabs(tmp_path):
    text = HEADER + summary(1.0, 2.0, "Ses01F_impro01_F000", "neu").replace("\t", "  ")
    item, = get_adapter("iemocap", small_tree(tmp_path, text)).items()
    assert (item.native_id, item.category, item.valence) == ("Ses01F_impro01_F000", "neu", 2.5)
