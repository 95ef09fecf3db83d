"""Bad input is reported with its location, counted, and either handled or rejected; nothing is lost.

Each case damages a real file the way real corpora are damaged and checks the accounting: every source
item is either a row of the dataset or a line of rejected.jsonl naming the file and the reason.
"""

import json
import shutil

import pytest
from datasets import Audio, load_dataset

from seqd_builder import testing
from seqd_builder.pipeline import build


def _rejections(out):
    return {r["id"]: r for r in map(json.loads, (out / "rejected.jsonl").read_text().splitlines())}


@pytest.fixture(scope="module")
def damaged(shared_data, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("damaged")
    tree = testing.make_ravdess_tree(tmp_path / "ravdess", actors=[1, 2], limit=6)
    actor1 = tree / "Audio_Speech_Actors_01-24" / "Actor_01"
    files = sorted(actor1.glob("*.wav"))
    testing.corrupt(files[0])
    testing.truncate(files[1], 0.5)
    testing.dangle(files[2])
    testing.make_stereo_48k(files[3])
    # an emotion code the card does not know, and a name that is no RAVDESS name at all
    shutil.copyfile(files[4], actor1 / "03-01-09-01-01-01-01.wav")
    shutil.copyfile(files[4], actor1 / "take2.wav")
    # the same file again with an upper-case extension: a duplicate id
    shutil.copyfile(files[5], files[5].with_suffix(".WAV"))
    out = tmp_path / "hf"
    report = build(["ravdess"], out, root=tree, progress=False, phones="none")
    # the same with workers: resampled rows travel back, verbatim ones the parent reads itself
    build(["ravdess"], tmp_path / "hf-j2", root=tree, progress=False, phones="none", workers=2)
    return files, out, report.configs[0]


def test_every_item_accounted_for(damaged):
    files, out, report = damaged
    assert report.found == 15  # 12 real files + unknown label + bad name + duplicate
    assert report.written == 9 and report.balanced
    assert dict(report.rejected) == {"corrupt_audio": 1, "truncated_audio": 1, "missing_audio": 1,
                                     "unknown_label": 1, "malformed_line": 1, "duplicate_id": 1}
    ds = load_dataset(str(out), "ravdess", split="train")
    assert ds.num_rows == 9 and len(set(ds["id"])) == 9
    j2 = load_dataset(str(out.parent / "hf-j2"), "ravdess", split="train")
    assert j2.cast_column("audio", Audio(decode=False))["audio"] == \
        ds.cast_column("audio", Audio(decode=False))["audio"]
    assert (out.parent / "hf-j2" / "rejected.jsonl").read_text() == (out / "rejected.jsonl").read_text()


def test_rejections_name_file_and_reason(damaged):
    files, out, _ = damaged
    rej = _rejections(out)
    corrupt = rej[f"ravdess/{files[0].stem}"]
    assert corrupt["reason"] == "corrupt_audio" and corrupt["source_file"].endswith(files[0].name)
    truncated = rej[f"ravdess/{files[1].stem}"]
    assert truncated["reason"] == "truncated_audio" and "header declares" in truncated["detail"]
    assert rej[f"ravdess/{files[2].stem}"]["reason"] == "missing_audio"
    unknown = rej["ravdess/03-01-09-01-01-01-01"]
    assert unknown["reason"] == "unknown_label"
    assert "unknown category '09'" in unknown["detail"] and "valid: 01, 02" in unknown["detail"]
    assert unknown["source_file"].endswith("Actor_01/03-01-09-01-01-01-01.wav")
    assert rej["ravdess/take2"]["reason"] == "malformed_line"
    dup = rej[f"ravdess/{files[5].stem}"]
    assert dup["reason"] == "duplicate_id" and "first seen at" in dup["detail"]
    # sorted order puts ".WAV" first: the lower-case file is the duplicate, and names its twin
    assert dup["source_file"].endswith(".wav") and dup["detail"].endswith(".WAV")


def test_stereo_48k_is_downmixed_and_resampled(damaged):
    files, out, report = damaged
    assert report.warnings["resampled"] == 1 and report.warnings["downmixed"] == 1
    ds = load_dataset(str(out), "ravdess", split="train")
    row = ds.filter(lambda i: i == f"ravdess/{files[3].stem}", input_columns="id")[0]
    samples = row["audio"].get_all_samples()
    assert samples.sample_rate == 16000 and samples.data.shape[0] == 1
    import soundfile as sf
    original = sf.info(testing.shared_data_dir() / "audio" / "ravdess" / "Audio_Speech_Actors_01-24"
                       / "Actor_01" / files[3].name)
    assert row["duration"] == pytest.approx(original.duration, abs=0.002)
    warnings = [json.loads(line) for line in (out / "reports" / "ravdess" / "warnings.jsonl").open()]
    assert {w["kind"] for w in warnings} == {"resampled", "downmixed"}
    assert "48000 Hz to 16000 Hz" in next(w["detail"] for w in warnings if w["kind"] == "resampled")


def test_info_lists_rejections(damaged, capsys):
    from seqd_builder.cli import main

    _, out, _ = damaged
    assert main(["info", str(out), "--rejections", "10"]) == 0
    text = capsys.readouterr().out
    assert "rejected 6" in text and "[truncated_audio]" in text and "[unknown_label]" in text


def test_a_corpus_with_nothing_usable_fails_with_the_reasons(shared_data, tmp_path):
    from seqd_builder.errors import BuildError

    tree = testing.make_ravdess_tree(tmp_path / "ravdess", actors=[3], limit=2)
    for wav in (tree / "Audio_Speech_Actors_01-24" / "Actor_03").glob("*.wav"):
        testing.corrupt(wav)
    with pytest.raises(BuildError, match=r"no utterance could be written \(2 found; rejected: "
                                         r"corrupt_audio 2\)") as err:
        build(["ravdess"], tmp_path / "hf", root=tree, progress=False, phones="none")
    assert "rejected.jsonl" in err.value.hint
    assert len((tmp_path / "hf" / "reports" / "ravdess" / "rejected.jsonl").read_text().splitlines()) == 2


def test_a_malformed_label_file_loses_its_alignment_not_its_row(shared_data, tmp_path):
    """The build's workers read label files: a broken one is a warning naming file and line."""
    tree = testing.make_emodb_tree(tmp_path / "emodb", stems=["03a01Fa", "03a01Nc"])
    lab = tree / "lablaut" / "03a01Faxx.lablaut"
    text = lab.read_text(encoding="latin-1").splitlines()
    body = text.index("#") + 1
    text[body + 2] = "zwei -1 a"  # a time that is no number
    lab.unlink()  # break the hard link to the shared file before writing
    lab.write_text("\n".join(text) + "\n", encoding="latin-1")
    out = tmp_path / "hf"
    report = build(["emodb"], out, root=tree, progress=False, phones="none").configs[0]
    assert report.written == 2 and report.warnings["phones_failed"] == 1
    warning, = map(json.loads, (out / "reports" / "emodb" / "warnings.jsonl").read_text().splitlines())
    assert warning["id"] == "emodb/03a01Fa" and warning["kind"] == "phones_failed"
    assert f"03a01Faxx.lablaut:{body + 3}" in warning["detail"] and "zwei -1 a" in warning["detail"]
    rows = {r["id"]: r for r in load_dataset(str(out), "emodb", split="train")}
    assert rows["emodb/03a01Fa"]["phone_alignment"] is None and rows["emodb/03a01Fa"]["phones"] == []
    assert rows["emodb/03a01Nc"]["phone_alignment"][0]["start"] > 0


def test_write_behind_keeps_order_and_raises_the_writers_error():
    from seqd_builder.pipeline.writer import WriteBehind

    seen = []
    behind = WriteBehind(depth=2, batch=3)
    for i in range(50):
        behind.submit(seen.append, i)
    behind.drain()
    assert seen == list(range(50))

    def full_disk(_):
        raise OSError(28, "No space left on device")

    behind.submit(full_disk, 0)
    with pytest.raises(OSError, match="No space left"):
        for i in range(10):  # the error surfaces at a later submit or at drain, never lost
            behind.submit(seen.append, i)
        behind.drain()
    behind.close()


def test_audio_the_parent_embeds_must_be_the_file_a_worker_checked(shared_data, tmp_path):
    """With workers, verbatim audio is read again by the parent; a file rewritten since fails the build."""
    import os

    import pyarrow as pa

    from seqd_builder.pipeline.audio import read_source
    from seqd_builder.pipeline.writer import BatchTable
    from seqd_builder.errors import BuildError

    wav = tmp_path / "03a01Fa.wav"
    shutil.copyfile(shared_data / "audio" / "emodb" / "wav" / "03a01Fa.wav", wav)
    data, stamp = read_source(wav)
    rows = pa.table({"audio": pa.array([{"bytes": None, "path": wav.name}],
                                       pa.struct([("bytes", pa.binary()), ("path", pa.string())]))})
    assert BatchTable(rows, {0: (str(wav), stamp)}).table()["audio"][0]["bytes"].as_py() == data
    st = wav.stat()
    os.utime(wav, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # rewritten: a new time
    with pytest.raises(BuildError, match="03a01Fa.wav changed while the build was running"):
        BatchTable(rows, {0: (str(wav), stamp)}).table()
