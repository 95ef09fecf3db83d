"""No silent audio damage, on real RAVDESS clips rewritten as float WAV."""

import json

import numpy as np
import soundfile as sf

from seqd_builder import testing
from seqd_builder.pipeline import build


def _as_float(path, gain=0.5, poke=None):
    samples, rate = sf.read(path, dtype="float32")
    samples = samples * (gain / np.abs(samples).max())  # gain: the new peak
    if poke is not None:
        samples[1000:1000 + len(poke)] = poke
    path.unlink()  # break the hard link to the shared file before writing
    sf.write(path, samples, rate, subtype="FLOAT")
    return samples


def test_nan_and_inf_are_rejected_and_clipping_is_counted(shared_data, tmp_path):
    tree = testing.make_ravdess_tree(tmp_path / "t", actors=[1], limit=5)
    files = sorted((tree / "Audio_Speech_Actors_01-24" / "Actor_01").glob("*.wav"))
    loud = _as_float(files[0], gain=3.0)
    over = int(np.count_nonzero(np.abs(loud) > 1.0))
    assert over > 100
    _as_float(files[1], poke=[np.nan] * 3)
    _as_float(files[2], poke=[np.inf, -np.inf])
    _as_float(files[3], gain=0.9)  # a float file inside [-1, 1]: no warning
    out = tmp_path / "hf"
    report = build(["ravdess"], out, root=tree, progress=False, phones="none").configs[0]
    assert report.written == 3 and dict(report.rejected) == {"corrupt_audio": 2} and report.balanced
    rej = {r["id"]: r for r in map(json.loads, (out / "rejected.jsonl").read_text().splitlines())}
    assert rej[f"ravdess/{files[1].stem}"]["detail"] == "not finite: 3 NaN and 0 infinite samples in FLOAT audio"
    assert rej[f"ravdess/{files[2].stem}"]["detail"] == "not finite: 0 NaN and 2 infinite samples in FLOAT audio"
    assert rej[f"ravdess/{files[1].stem}"]["source_file"] == f"Audio_Speech_Actors_01-24/Actor_01/{files[1].name}"
    warnings = [json.loads(x) for x in (out / "reports/ravdess/warnings.jsonl").read_text().splitlines()]
    assert [(w["id"], w["kind"], w["detail"]) for w in warnings] == [
        (f"ravdess/{files[0].stem}", "clipped",
         f"clipped: {over} samples of the FLOAT source beyond [-1, 1] clipped to full scale")]
    assert report.warnings["clipped"] == 1
