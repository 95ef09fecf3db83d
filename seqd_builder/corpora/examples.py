"""Small example trees in each corpus' real layout, built from the shared test material.

Each adapter's :meth:`~seqd_builder.corpora.base.Adapter.example_tree` calls the builder here, so the
shared contract suite (:mod:`seqd_builder.plugin_checks`) can run over every registered corpus. The
trees use real file names and real annotation files (EmoBox listings, CREMA-D's CSVs, WHiSER's label
files in the MSP-Podcast format, IEMOCAP's verbatim EmoEvaluation block) with real audio where the
corpus' own audio is not redistributable: one real EmoDB clip, hard-linked. Nothing here is committed
corpus material; see ``shared/data/README.md`` for the provenance.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from ..testing import link_or_copy, make_emodb_tree, make_ravdess_tree, shared_data_dir


def _one_wav(dst: Path) -> Path:
    """A real 16 kHz clip to hard-link under every example file name."""
    return link_or_copy(shared_data_dir() / "audio/emodb/wav/03a01Fa.wav", dst / ".example.wav")


def ravdess(dst: Path) -> Path:
    """Two actors (one female, one male), every emotion and intensity of statement 01."""
    return make_ravdess_tree(dst, actors=(1, 2))


def emodb(dst: Path) -> Path:
    """Two speakers' utterances of one text, with their phone labels and the recognition rates."""
    stems = [p.stem for p in sorted((shared_data_dir() / "audio/emodb/wav").glob("03a01*.wav"))]
    stems += [p.stem for p in sorted((shared_data_dir() / "audio/emodb/wav").glob("10a01*.wav"))]
    return make_emodb_tree(dst, stems)


def casia(dst: Path) -> Path:
    """The first 24 paths of EmoBox's listing of the 1,200-file subset (``<spk>/<emotion>/<NNN>.wav``)."""
    wav = _one_wav(dst)
    lines = (shared_data_dir() / "meta/casia/emobox/casia.jsonl").read_text().splitlines()
    rels = [json.loads(line)["wav"].removeprefix("downloads/casia/") for line in lines]
    by_speaker: dict[str, list[str]] = {}
    for rel in rels:
        by_speaker.setdefault(rel.split("/")[0], []).append(rel)
    for rel in (r for group in by_speaker.values() for r in group[::50]):
        link_or_copy(wav, dst / "CASIA" / rel)
    return dst


def crema_d(dst: Path) -> Path:
    """The repository layout with its real CSVs and 30 clips of ``SentenceFilenames.csv``."""
    src = shared_data_dir() / "meta/crema_d"
    root = dst / "CREMA-D"
    wav = _one_wav(dst)
    with (src / "SentenceFilenames.csv").open(newline="") as fh:
        names = [row["Filename"] for row in csv.DictReader(fh)]
    for name in names[::250]:
        link_or_copy(wav, root / "AudioWAV" / f"{name}.wav")
    for rel in ("SentenceFilenames.csv", "VideoDemographics.csv", "processedResults/summaryTable.csv",
                "processedResults/tabulatedVotes.csv"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / rel, root / rel)
    return root


def esd(dst: Path) -> Path:
    """One English speaker (0011, ASCII transcript) in the flat layout: 4 utterances per emotion."""
    wav = _one_wav(dst)
    root = dst / "ESD" / "Emotion Speech Dataset"
    spk = "0011"
    lines = []
    for block, emotion in enumerate(("Neutral", "Angry", "Happy", "Sad", "Surprise")):
        for k in (1, 2, 301, 331):
            number = block * 350 + k
            utt = f"{spk}_{number:06d}"
            link_or_copy(wav, root / spk / emotion / f"{utt}.wav")
            lines.append(f"{utt}\tSentence {k} was read aloud.\t{emotion}")
    (root / spk / f"{spk}.txt").write_text("\n".join(lines) + "\n", encoding="ascii")
    return dst / "ESD"


IEMOCAP_HEADER = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
# Ses01F_impro01.txt, the first turn's whole block as docs/corpus-formats.md §3.2 quotes it
IEMOCAP_F000 = (
    "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
    "C-E2:\tNeutral;\t()\n"
    "C-E3:\tNeutral;\t()\n"
    "C-E4:\tNeutral;\t()\n"
    "C-F1:\tNeutral;\t(curious)\n"
    "A-E3:\tval 3; act 2; dom  2;\t()\n"
    "A-E4:\tval 2; act 3; dom  3;\t(mildly aggravated but staying polite, attitude)\n"
    "A-F1:\tval 3; act 2; dom  1;\t()\n\n")


# the second turn's summary line as quoted there; its rater lines follow the first turn's format
IEMOCAP_F001 = ("[10.0100 - 11.3925]\tSes01F_impro01_F001\tneu\t[2.5000, 2.5000, 2.5000]\n"
                "C-E2:\tNeutral;\t()\nC-E3:\tNeutral;\t()\nC-E4:\tFrustration;\t()\n\n")


def iemocap(dst: Path) -> Path:
    """Session 1's first improvised dialog: its first two turns, their transcripts and audio."""
    root = dst / "IEMOCAP_full_release"
    dialog = root / "Session1" / "dialog"
    (dialog / "EmoEvaluation").mkdir(parents=True)
    (dialog / "transcriptions").mkdir()
    (dialog / "EmoEvaluation" / "Ses01F_impro01.txt").write_text(
        IEMOCAP_HEADER + IEMOCAP_F000 + IEMOCAP_F001, encoding="ascii")
    (dialog / "transcriptions" / "Ses01F_impro01.txt").write_text(
        "Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.\n"
        "Ses01F_impro01_F001 [010.0100-011.3925]: Do you have your forms?\n", encoding="ascii")
    wav = _one_wav(dst)
    for turn in ("F000", "F001"):
        link_or_copy(wav, root / f"Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_{turn}.wav")
    return root


def msp_podcast(dst: Path) -> Path:
    """A release folder around the real WHiSER label files (MSP-Podcast's formats), audio for 20."""
    src = shared_data_dir() / "meta/msp_podcast/whiser_format_reference/Labels"
    root = dst / "MSP-Podcast"
    labels = root / "Labels"
    labels.mkdir(parents=True)
    shutil.copy(src / "labels_detailed.csv", labels / "labels_detailed.csv")
    with (src / "labels_consensus.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    splits = ("Train", "Train", "Train", "Development", "Test1")
    for i, row in enumerate(rows[1:]):
        row[-1] = splits[i % len(splits)]  # WHiSER's Split_Set is NA: give it the release's tokens
    with (labels / "labels_consensus.csv").open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    wav = _one_wav(dst)
    (root / "Audios").mkdir()
    for row in rows[1:21]:
        link_or_copy(wav, root / "Audios" / row[0])
    return root


def seqd(dst: Path) -> Path:
    """Recordings for the items of ``annotations/examples/sheet.csv`` (real EmoDB audio)."""
    from ..assets import asset_dir

    wav = _one_wav(dst)
    root = dst / "recordings"
    with (asset_dir("annotations") / "examples" / "sheet.csv").open(newline="") as fh:
        items = sorted({row["utterance"] for row in csv.DictReader(fh)})
    for item in items:
        link_or_copy(wav, root / item.split("_")[0] / f"{item}.wav")
    return root


def seqd_options(root: Path) -> dict:
    from ..assets import asset_dir

    examples = asset_dir("annotations") / "examples"
    return {"annotations": [str(examples / "sheet.csv")], "project": str(examples / "project.yaml")}


def demo(dst: Path) -> Path:
    """The tiny synthetic demo corpus (44 utterances, synthesised with Praat)."""
    from ..demo import synthesise_demo

    return synthesise_demo(dst / "demo", seed=0, size="tiny", progress=False).root


def audformat(dst: Path) -> Path:
    """An audformat database as audb publishes one: EmoDB's first text by two speakers, with an
    ``emotion`` scheme of audformat's label names, a speaker scheme carrying gender, and splits."""
    import audformat as af

    emodb = {"W": "anger", "L": "boredom", "E": "disgust", "A": "fear", "F": "happiness",
             "T": "sadness", "N": "neutral"}
    root = dst / "emodb-audformat"
    files, emotions, speakers = [], [], []
    for wav in sorted((shared_data_dir() / "audio/emodb/wav").glob("*a01*.wav"))[:12]:
        link_or_copy(wav, root / "wav" / wav.name)
        files.append(f"wav/{wav.name}")
        emotions.append(emodb[wav.stem[5]])
        speakers.append(wav.stem[:2])
    db = af.Database(name="emodb-example", source="shared EmoDB audio", usage="research",
                     languages=["deu"])
    db.schemes["emotion"] = af.Scheme(labels=sorted(set(emodb.values())))
    db.schemes["speaker"] = af.Scheme(labels={s: {"gender": "male" if s in {"03", "10", "11", "12", "15"}
                                                  else "female"} for s in sorted(set(speakers))})
    db.splits["train"] = af.Split(type="train")
    db.splits["test"] = af.Split(type="test")
    index = af.filewise_index(files)
    db["files"] = af.Table(index)
    db["files"]["speaker"] = af.Column(scheme_id="speaker")
    db["files"]["speaker"].set(speakers)
    db["emotion"] = af.Table(index, split_id="train")
    db["emotion"]["emotion"] = af.Column(scheme_id="emotion")
    db["emotion"]["emotion"].set(emotions)
    db.save(str(root))
    return root


# --- malformed labels: each builder damages its example tree and says where the problem is ------------
# ``<corpus>_malformed(root)`` returns (file relative to the root, or an absolute path outside it; line or
# None where the file name is the label; options to pass, or None). The contract suite checks that the
# adapter reports exactly that place, as a rejection or a warning.

def _append(path: Path, text: str, encoding: str = "utf-8") -> int:
    """Append one line; its 1-based number."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data += b"\n"
    n = data.count(b"\n") + 1
    path.unlink()  # break a hard link to the shared material before writing
    path.write_bytes(data + text.encode(encoding) + b"\n")
    return n


def ravdess_malformed(root: Path):
    actor = next((root / "Audio_Speech_Actors_01-24").iterdir())
    bad = link_or_copy(next(actor.glob("*.wav")), actor / "03-01-zz.wav")
    return str(bad.relative_to(root)), None, None


def casia_malformed(root: Path):
    folder = next(p.parent for p in sorted(root.rglob("*.wav")))
    bad = link_or_copy(next(folder.glob("*.wav")), folder / "not a number.wav")
    return str(bad.relative_to(root)), None, None


def emodb_malformed(root: Path):
    return "erkennung.txt", _append(root / "erkennung.txt", "no tabs on this line", "latin-1"), None


def crema_d_malformed(root: Path):
    rel = "processedResults/summaryTable.csv"
    return rel, _append(root / rel, ",,,,,,,"), None


def esd_malformed(root: Path):
    path = next(root.rglob("0011.txt"))
    return str(path.relative_to(root)), _append(path, "no utterance id on this line", "ascii"), None


def iemocap_malformed(root: Path):
    rel = "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt"
    line = _append(root / rel, "[12.0000 - ]\tSes01F_impro01_F002\tneu\t[2.5000, 2.5000, 2.5000]", "ascii")
    return rel, line, None


def msp_podcast_malformed(root: Path):
    rel = "Labels/labels_consensus.csv"
    return rel, _append(root / rel, "MSP-PODCAST_bad_0001.wav,N,not a number,3.0,3.0,Unknown,Unknown,Train"), None


def demo_malformed(root: Path):
    truth = root / "truth.csv"
    rows = truth.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    bad = rows[1].split(",")
    bad[header.index("id")] = "demo_bad_row"
    bad[header.index("arousal")] = "high-ish"
    return "truth.csv", _append(truth, ",".join(bad)), None


def seqd_malformed(root: Path):
    from ..assets import asset_dir

    examples = asset_dir("annotations") / "examples"
    sheet = root.parent / "sheet-malformed.csv"
    sheet.write_bytes((examples / "sheet.csv").read_bytes())
    line = _append(sheet, "spk01_0001,R09,not-a-label,medium,4,5,3,,")
    return str(sheet), line, {"annotations": [str(sheet)], "project": str(examples / "project.yaml")}


def audformat_malformed(root: Path):
    """A label the scheme allows but the card does not map: its row is an unknown_label rejection."""
    import audformat as af

    for path in root.glob("db.*"):  # break the hard links before audformat rewrites the files
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)
    db = af.Database.load(str(root), load_data=True)
    scheme = db.schemes["emotion"]
    scheme.replace_labels(list(scheme.labels) + ["outrage"])
    index = db["emotion"].index
    values = [str(v) for v in db["emotion"].df["emotion"]]
    values[0] = "outrage"
    db["emotion"] = af.Table(index, split_id="train")
    db["emotion"]["emotion"] = af.Column(scheme_id="emotion")
    db["emotion"]["emotion"].set(values)
    first = index[0]
    db.save(str(root))
    return first, None, None
