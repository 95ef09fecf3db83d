"""Synthesise the SYNTHETIC demo corpus that ``seqd demo`` walks through the product with.

:func:`synthesise_demo` expands the design (``corpora/demo/design.yaml``) into a plan, renders every
utterance with Praat's eSpeak NG and PSOLA (:mod:`seqd_builder.demo.render`) and writes::

    out_dir/
      README.md            says, first thing, that everything here is synthetic
      metadata.json        synthetic: true, seed, size, design checksum, scale, counts
      truth.csv            one row per utterance: the designed labels (see TRUTH_COLUMNS)
      prosody.csv          the rendering parameters that the designed labels produced
      audio/<id>.wav       16 kHz mono 16-bit PCM
      textgrids/<id>.TextGrid   eSpeak's word and phone alignment (tiers "words", "phones"; UTF-8)

``truth.csv`` is the input of the simulated raters (:mod:`seqd_builder.annotations.simulate`) and of
the corpus build (card ``corpora/demo.yaml``). The same seed gives byte-identical audio, whatever the
number of worker processes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
from praatio import textgrid as ptg
from tqdm.auto import tqdm

from ..errors import BuildError
from .design import DemoDesign, PlannedUtterance, load_design
from .pristine import run_pristine
from .prosody import prosody_for
from .render import render

GENERATOR = "seqd-builder demo synthesiser (Praat eSpeak NG + PSOLA)"
TRUTH_COLUMNS = ("id", "speaker", "gender", "language", "text", "sentence", "category",
                 "intensity_level", "arousal", "valence", "dominance", "audio", "textgrid", "phones",
                 "duration", "voice", "synthetic")
OWN_FILES = ("README.md", "metadata.json", "truth.csv", "prosody.csv")
BATCH = 8
"""Utterances rendered one after another in one fresh process. eSpeak NG carries state from one
utterance to the next, so the batches are fixed by the plan (consecutive runs of 8), never by the
number of workers: the bytes of a file depend on the seed, the size and the design only. Forking per
batch rather than per utterance saves the fork's cost (measured: ~0.06 s CPU per fork here)."""


@dataclass(frozen=True)
class DemoCorpus:
    """A synthesised demo corpus on disk (what :func:`synthesise_demo` returns)."""

    root: Path
    size: str
    seed: int
    n_utterances: int
    scale: tuple[float, float]
    speakers: dict[str, dict[str, str | None]] = field(default_factory=dict)
    seconds: float = 0.0
    synthetic: bool = True

    @property
    def truth_csv(self) -> Path:
        return self.root / "truth.csv"

    @property
    def audio_dir(self) -> Path:
        return self.root / "audio"

    @property
    def textgrid_dir(self) -> Path:
        return self.root / "textgrids"

    @property
    def metadata(self) -> dict:
        return json.loads((self.root / "metadata.json").read_text(encoding="utf-8"))

    def truth(self):
        """``truth.csv`` as a pandas DataFrame (ids and speakers as strings)."""
        import pandas as pd

        return pd.read_csv(self.truth_csv, dtype={"id": str, "speaker": str, "sentence": str},
                           keep_default_na=False, na_values={"gender": [""]})

    def rater_truth(self):
        """The truth in the columns :func:`seqd_builder.annotations.simulate.simulate_raters` reads:
        ``utterance``, ``category``, ``intensity`` (level), ``arousal``, ``valence``, ``dominance``."""
        table = self.truth().rename(columns={"id": "utterance", "intensity_level": "intensity"})
        return table[["utterance", "category", "intensity", "arousal", "valence", "dominance"]]

    @classmethod
    def open(cls, root: str | Path) -> DemoCorpus:
        """Re-open a corpus written earlier (checks it is a demo corpus)."""
        root = Path(root)
        meta = _read_own_metadata(root)
        if meta is None:
            raise BuildError(f"{root} holds no demo corpus (no metadata.json written by the demo "
                             f"synthesiser)", hint="run `seqd demo` or synthesise_demo(out_dir) first")
        return cls(root=root, size=meta["size"], seed=meta["seed"], n_utterances=meta["counts"]["utterances"],
                   scale=tuple(meta["scale"]["range"]), speakers=meta["speakers"])


def _read_own_metadata(root: Path) -> dict | None:
    path = root / "metadata.json"
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if meta.get("generator") == GENERATOR and meta.get("synthetic") is True else None


def _prepare(out_dir: Path) -> None:
    """Create ``out_dir``, or clear a previous demo corpus there; refuse to write into anything else."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise BuildError(f"{out_dir} is a file, not a folder", hint="choose another output folder")
        entries = list(out_dir.iterdir())
        if entries and _read_own_metadata(out_dir) is None:
            shown = ", ".join(sorted(p.name for p in entries)[:8])
            raise BuildError(f"{out_dir} is not empty and holds no demo corpus (found: {shown})",
                             hint="give an empty or new folder; a previous demo corpus is replaced")
        for sub, pattern in (("audio", "*.wav"), ("textgrids", "*.TextGrid")):
            for path in (out_dir / sub).glob(pattern):
                path.unlink()
        for name in OWN_FILES:
            (out_dir / name).unlink(missing_ok=True)
    (out_dir / "audio").mkdir(parents=True, exist_ok=True)
    (out_dir / "textgrids").mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=4)
def _design(path: str) -> DemoDesign:
    return load_design(path)


@lru_cache(maxsize=4)
def _plan(path: str, size: str, seed: int) -> list[PlannedUtterance]:
    return _design(path).plan(size, seed)


def _synthesise_batch(args: tuple[str, str, int, tuple[int, ...], str]) -> list[tuple[dict, dict]]:
    """Worker: render a fixed batch of planned utterances, in plan order (see :data:`BATCH`)."""
    design_file, size, seed, indices, out_dir = args
    return [_synthesise_one(design_file, size, seed, i, out_dir) for i in indices]


def _synthesise_one(design_file: str, size: str, seed: int, index: int, out_dir: str) -> tuple[dict, dict]:
    """Render planned utterance ``index``, write its wav and TextGrid, return its two table rows."""
    design = _design(design_file)
    utt = _plan(design_file, size, seed)[index]
    prosody = prosody_for(utt, design)
    rendered = render(utt, prosody, design, seed)
    root = Path(out_dir)
    pcm = np.round(np.clip(rendered.samples, -1.0, 1.0) * 32767).astype("<i2")
    sf.write(root / "audio" / f"{utt.id}.wav", pcm, rendered.sample_rate, subtype="PCM_16", format="WAV")
    grid = ptg.Textgrid(0.0, rendered.duration)
    for name, intervals in (("words", rendered.words), ("phones", rendered.phones)):
        grid.addTier(ptg.IntervalTier(name, [(s, min(e, rendered.duration), lab) for s, e, lab in intervals
                                             if s < rendered.duration], 0.0, rendered.duration))
    grid.save(str(root / "textgrids" / f"{utt.id}.TextGrid"), format="long_textgrid",
              includeBlankSpaces=True)
    truth = {
        "id": utt.id, "speaker": utt.voice.speaker, "gender": utt.voice.gender or "",
        "language": utt.voice.language, "text": utt.sentence.text, "sentence": utt.sentence.id,
        "category": utt.category, "intensity_level": utt.intensity_level,
        "arousal": f"{utt.arousal:.3f}", "valence": f"{utt.valence:.3f}",
        "dominance": f"{utt.dominance:.3f}",
        "audio": f"audio/{utt.id}.wav", "textgrid": f"textgrids/{utt.id}.TextGrid",
        "phones": " ".join(label for _, _, label in rendered.phones),
        "duration": f"{len(pcm) / rendered.sample_rate:.4f}",
        "voice": f"{utt.voice.espeak_language}/{utt.voice.variant}", "synthetic": "true",
    }
    return truth, {"id": utt.id, **prosody.as_dict()}


def synthesise_demo(out_dir: str | Path, *, seed: int = 0, size: str = "small", workers: int = 1,
                    design: str | Path | None = None, progress: bool = True) -> DemoCorpus:
    """Synthesise the demo corpus into ``out_dir`` and return its description.

    ``size``: ``"small"`` (272 utterances, 8 voices, 12 categories, levels 1-3) or ``"tiny"`` (44: one voice
    per speaker fold, 6 categories at levels 1 and 3; for tests and quick walk-throughs). Every utterance is rendered in a fresh fork of a clean server process
    (:mod:`seqd_builder.demo.pristine`: eSpeak NG carries state from one utterance to the next), up to
    ``workers`` at once; the output does not depend on ``workers``. ``design``
    overrides ``corpora/demo/design.yaml``. A previous demo corpus in ``out_dir`` is replaced; any
    other non-empty folder is refused (:class:`~seqd_builder.errors.BuildError`).
    """
    start = time.perf_counter()
    out_dir = Path(out_dir).expanduser()
    spec = load_design(design)
    plan = spec.plan(size, seed)
    _prepare(out_dir)
    batches = [tuple(range(i, min(i + BATCH, len(plan)))) for i in range(0, len(plan), BATCH)]
    jobs = [(str(spec.path), size, seed, batch, str(out_dir)) for batch in batches]
    bar = tqdm(total=len(plan), desc=f"synthesising demo corpus ({size})", unit="utt",
               disable=not progress)
    by_index: dict[int, list[tuple[dict, dict]]] = {}
    for index, result in run_pristine(_synthesise_batch, jobs, workers, initializer=_plan,
                                      initargs=(str(spec.path), size, seed)):
        by_index[index] = result
        bar.update(len(result))
    results = [row for i in range(len(jobs)) for row in by_index[i]]
    bar.close()

    with open(out_dir / "truth.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=TRUTH_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(truth for truth, _ in results)
    with open(out_dir / "prosody.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(results[0][1]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(p for _, p in results)

    voices = {u.voice.speaker: u.voice for u in plan}
    speakers = {s: {"gender": v.gender, "language": v.language,
                    "voice": f"{v.espeak_language}/{v.variant}"} for s, v in voices.items()}
    counts = {"utterances": len(plan),
              "categories": _count(u.category for u in plan),
              "intensity_levels": {str(k): v for k, v in _count(u.intensity_level for u in plan).items()},
              "speakers": _count(u.voice.speaker for u in plan),
              "languages": _count(u.voice.language for u in plan)}
    metadata = {
        "synthetic": True,
        "generator": GENERATOR,
        "notice": "SYNTHETIC speech and labels: the labels are the designed values that shaped the "
                  "audio, not ratings of human speech",
        "size": size, "seed": seed,
        "design": {"file": spec.path.name,
                   "sha256": hashlib.sha256(spec.path.read_bytes()).hexdigest(),
                   "version": spec.raw.get("version")},
        "scale": {"dimensions": ["arousal", "valence", "dominance"], "range": list(spec.scale),
                  "neutral": spec.neutral},
        "intensity": {"levels": list(spec.levels), "names": spec.level_names},
        "audio": {"sample_rate": int(spec.render["sample_rate"]), "channels": 1, "subtype": "PCM_16"},
        "speakers": speakers,
        "counts": counts,
        "praat_version": _praat_version(),
    }
    (out_dir / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    (out_dir / "README.md").write_text(_readme(metadata), encoding="utf-8")
    return DemoCorpus(root=out_dir, size=size, seed=seed, n_utterances=len(plan), scale=spec.scale,
                      speakers=speakers, seconds=time.perf_counter() - start)


def _count(values) -> dict:
    out: dict = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _praat_version() -> str:
    import parselmouth

    return f"Praat {parselmouth.PRAAT_VERSION} via praat-parselmouth {parselmouth.__version__}"


def _readme(meta: dict) -> str:
    lo, hi = meta["scale"]["range"]
    n = meta["counts"]["utterances"]
    return f"""# SYNTHETIC demo corpus (seqd-builder)

**Everything in this folder is synthetic.** The speech was generated by a speech synthesizer (eSpeak NG
inside Praat, shaped with Praat's PSOLA), and the labels are the *designed* values that drove its
prosody, not perceptions of human speech. Use it to try the seqd-builder tool chain (build, annotation
merging, benchmarks, leaderboard), never to report results on emotion recognition.

- {n} utterances, size `{meta['size']}`, seed {meta['seed']}; {len(meta['speakers'])} voices;
  languages: {', '.join(f'{k} ({v})' for k, v in meta['counts']['languages'].items())}
- `truth.csv`: id, speaker (voice), gender, language, text, category, intensity_level (1..3), and the
  designed arousal, valence, dominance on a {lo:g}-{hi:g} scale; every row carries `synthetic=true`
- `prosody.csv`: the rendering parameters those labels produced
- `audio/`: 16 kHz mono 16-bit WAV; `textgrids/`: eSpeak NG's word and phone alignment
- made by: {meta['generator']}; {meta['praat_version']}; design `{meta['design']['file']}`
  (sha256 {meta['design']['sha256'][:12]}…)

Licence of the audio and labels: CC0 1.0 (generated by seqd-builder). Cite seqd-builder, Praat
(Boersma & Weenink) and eSpeak NG when you use it.
"""

