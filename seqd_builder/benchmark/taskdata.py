"""A task's view of a built dataset: rows, targets and folds (torch-free, so that fold export and the
scoring of external predictions need no deep-learning stack).

The dataset folder is the published artefact (parquet + card, ``datasets.load_dataset(folder, corpus)``;
a ``save_to_disk`` folder works too). Labels go through the task (coarse maps such as excited → happy,
rows outside the class set dropped), folds through the corpus card's protocol, and speaker-disjointness
is asserted by :meth:`Protocol.folds` before any training starts. Missing secondary targets are kept as
"ignore" values (-1 or NaN) and masked out of their losses, so a row needs only the primary target.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import ConfigError, ProtocolError
from ..schema import DIMENSIONS, GENDERS, SAMPLING_RATE
from .tasks import Task

IGNORE = -1


def load_dataset_folder(folder: str | Path, corpus: str | None = None):
    """All rows of a built dataset folder as one ``datasets.Dataset`` with undecoded audio."""
    import datasets

    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"dataset folder {folder} does not exist",
                          hint="build it first with `seqd build` or point --data at it")
    if (folder / "dataset_info.json").is_file() or (folder / "dataset_dict.json").is_file():
        ds = datasets.load_from_disk(str(folder))
    else:
        try:
            ds = datasets.load_dataset(str(folder), corpus) if corpus else datasets.load_dataset(str(folder))
        except ValueError:  # a single-config folder whose config is not named after the corpus
            ds = datasets.load_dataset(str(folder))
    if isinstance(ds, datasets.DatasetDict):
        ds = datasets.concatenate_datasets([ds[k] for k in ds])
    if getattr(ds, "_indices", None) is not None:  # rows are then read straight from Arrow
        ds = ds.flatten_indices()
    return ds


def decode_audio(audio: dict) -> np.ndarray:
    """16 kHz float32 mono samples of an undecoded ``Audio`` cell (embedded bytes or a path)."""
    src = io.BytesIO(audio["bytes"]) if audio.get("bytes") else audio["path"]
    wave, sr = sf.read(src, dtype="float32", always_2d=True)
    wave = wave.mean(axis=1)
    if sr != SAMPLING_RATE:
        import soxr

        wave = soxr.resample(wave, sr, SAMPLING_RATE).astype(np.float32)
    return np.ascontiguousarray(wave, dtype=np.float32)


@dataclass
class TaskData:
    """Rows of one task, with integer/float targets ready for training.

    ``category``: task class index or -1; ``intensity``: ordinal level - 1 or -1; ``gender``: 0/1 or
    -1; ``vad``: ``[N, 3]`` in [0, 1] (arousal, valence, dominance), NaN where missing; ``phones``: the
    phone strings of each row (may be empty).
    """

    task: Task
    dataset: object
    rows: np.ndarray
    ids: list[str]
    speakers: list[str]
    splits: list[str]
    category: np.ndarray
    intensity: np.ndarray
    gender: np.ndarray
    vad: np.ndarray
    phones: list[list[str]]
    n_intensity: int = 0
    folder: Path | None = None  # the dataset folder (its manifest gives the content fingerprint)

    def __len__(self) -> int:
        return len(self.rows)

    def wave(self, i: int) -> np.ndarray:
        """The waveform of task row ``i`` (decoded on demand, not kept).

        Read straight from the Arrow column: ``Dataset.__getitem__`` formats (and copies) every column
        of the row, which costs more than decoding the audio.
        """
        return decode_audio(self.dataset.data.column("audio")[int(self.rows[i])].as_py())

    def folds(self):
        """The protocol's folds over these rows; raises when a speaker-independent fold shares speakers."""
        from ..corpora import load_card
        from ..corpora.protocols import Protocol

        protocol = Protocol.from_card(load_card(self.task.corpus), self.task.protocol)
        folds = protocol.folds(self.speakers, self.splits, self.ids)  # asserts speaker-disjointness
        if self.task.n_folds is not None and len(folds) != self.task.n_folds:
            raise ProtocolError(f"task {self.task.name!r} expects {self.task.n_folds} folds, protocol "
                                f"{protocol.name!r} gives {len(folds)} on this dataset",
                                file=self.task.path)
        empty = [f.name for f in folds if len(f.test) == 0 or len(f.train) == 0]
        if empty:
            raise ProtocolError(f"folds {empty} of task {self.task.name!r} have no train or test rows")
        return protocol, folds


def primary_target(task: Task) -> str:
    return "vad" if task.primary_metric.startswith("ccc") else "category"


def load_task_data(task: Task, folder: str | Path) -> TaskData:
    """Read the dataset folder and keep the rows that carry the task's primary target."""
    ds = load_dataset_folder(folder, task.corpus)
    cols = set(ds.column_names)
    cache: dict[str, list] = {}

    def get(c: str) -> list:  # each column read once, as plain Python values
        if c not in cache:
            cache[c] = ds.data.column(c).to_pylist() if c in cols else [None] * len(ds)
        return cache[c]

    cat_names = ds.features["category"].names if "category" in cols else []
    raw_cat = get("category")
    cls = [task.class_of(cat_names[c]) if c is not None else None for c in raw_cat]
    cls_idx = np.array([task.classes.index(c) if c is not None else IGNORE for c in cls], dtype=np.int64)
    vad = np.array([[np.nan if v is None else v for v in vals]
                    for vals in zip(*(get(d) for d in DIMENSIONS))], dtype=np.float32).reshape(-1, 3)
    if primary_target(task) == "vad":
        keep = ~np.isnan(vad).any(axis=1)
    else:
        keep = cls_idx != IGNORE
    rows = np.flatnonzero(keep)
    if len(rows) == 0:
        raise ConfigError(f"no row of {folder} carries the primary target of task {task.name!r}",
                          hint="check that the folder holds the task's corpus "
                               f"({task.corpus}) and its labels")
    corpus_col = get("corpus")
    corpus = {corpus_col[i] for i in rows[:50]}
    if corpus and corpus != {task.corpus} and not task.synthetic:
        raise ConfigError(f"dataset {folder} holds corpus {sorted(corpus)}, task {task.name!r} is on "
                          f"{task.corpus!r}")
    gender_names = ds.features["gender"].names if "gender" in cols else list(GENDERS)
    gender = np.array([IGNORE if g is None else GENDERS.index(gender_names[g]) for g in get("gender")],
                      dtype=np.int64)
    levels = np.array([IGNORE if v is None else int(v) - 1 for v in get("intensity_level")],
                      dtype=np.int64)
    phones = [list(p or []) for p in get("phones")]
    n_int = int(levels.max()) + 1 if (levels >= 0).any() else 0
    sel = rows.tolist()
    ids, speakers, splits = get("id"), get("speaker"), get("split")
    return TaskData(task=task, dataset=ds, rows=rows, ids=[ids[i] for i in sel],
                    speakers=[speakers[i] or "unknown" for i in sel],
                    splits=[splits[i] or "train" for i in sel], category=cls_idx[rows],
                    intensity=levels[rows], gender=gender[rows], vad=vad[rows],
                    phones=[phones[i] for i in sel], n_intensity=n_int, folder=Path(folder))
