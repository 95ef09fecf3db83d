"""A task's view of a built dataset: rows, targets and folds (torch-free, so that fold export and the
scoring of external predictions need no deep-learning stack).

The dataset folder is the published artefact (parquet + card, ``datasets.load_dataset(folder, corpus)``;
a ``save_to_disk`` folder works too). Labels go through the task (coarse maps such as excited → happy,
rows outside the class set dropped), folds through the corpus card's protocol, and speaker-disjointness
is asserted by :meth:`Protocol.folds` before any training starts. Missing secondary targets are kept as
"ignore" values (-1 or NaN) and masked out of their losses, so a row needs only the primary target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ProtocolError, UnknownLabelError
from ..audio import SAMPLING_RATE, read_mono
from ..schema import DIMENSIONS, GENDERS, Category
from .tasks import Task

IGNORE = -1


def load_dataset_folder(folder: str | Path, corpus: str | None = None):
    """All rows of a built dataset folder as one ``datasets.Dataset`` with undecoded audio."""
    import datasets

    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"dataset folder {folder} does not exist",
                          hint="build it first with `seqd build` or point --data at it")
    try:
        if (folder / "dataset_info.json").is_file() or (folder / "dataset_dict.json").is_file():
            ds = datasets.load_from_disk(str(folder))
        else:
            try:
                ds = (datasets.load_dataset(str(folder), corpus) if corpus
                      else datasets.load_dataset(str(folder)))
            except ValueError:  # a single-config folder whose config is not named after the corpus
                ds = datasets.load_dataset(str(folder))
    except FileNotFoundError as exc:  # datasets' EmptyDatasetError and DataFilesNotFoundError among them
        found = sorted(p.name for p in folder.iterdir())[:8]
        raise ConfigError(f"{folder} holds no dataset ({type(exc).__name__}: {exc}); found: "
                          f"{', '.join(found) or '(empty folder)'}",
                          hint="point --data at the folder written by `seqd build CORPUS --out FOLDER`"
                          ) from None
    if isinstance(ds, datasets.DatasetDict):
        ds = datasets.concatenate_datasets([ds[k] for k in ds])
    if getattr(ds, "_indices", None) is not None:  # rows are then read straight from Arrow
        ds = ds.flatten_indices()
    return ds


def decode_audio(audio: dict) -> np.ndarray:
    """16 kHz float32 mono samples of an undecoded ``Audio`` cell (embedded bytes or a path)."""
    return read_mono(audio["bytes"] if audio.get("bytes") else audio["path"])


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
    texts: list[str | None] | None = None
    folder: Path | None = None  # the dataset folder (its manifest gives the content fingerprint)
    # whether the row has a consensus category of the corpus's own set (not "no agreement", not
    # "other"): EmoSphere-SER's released label script trains only on such rows (training.train_rows)
    consensus: np.ndarray | None = None
    # the corpus of each row (several for a multi-corpus task, seqd_builder/benchmark/multicorpus.py)
    corpus: list[str] | None = None

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

        if self.task.multi:  # composed from each corpus's protocol, checked speaker-disjoint
            from .multicorpus import compose_folds

            protocol, folds = compose_folds(self)
            if self.task.n_folds is not None and len(folds) != self.task.n_folds:
                raise ProtocolError(f"task {self.task.name!r} expects {self.task.n_folds} folds, the "
                                    f"composed protocol gives {len(folds)}", file=self.task.path)
            return protocol, folds
        protocol = Protocol.from_card(load_card(self.task.corpus), self.task.protocol)
        # asserts speaker-disjointness; transcripts and ids serve the text-disjoint protocols
        folds = protocol.folds(self.speakers, self.splits, self.texts, self.ids)
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


def load_task_data(task: Task, folder) -> TaskData:
    """Read the dataset folder and keep the rows that carry the task's primary target.

    A multi-corpus task reads one folder holding each corpus's config, or ``{corpus: folder}``.
    """
    if task.multi:
        from .multicorpus import load_datasets, parse_sources

        ds = load_datasets(task, folder if isinstance(folder, dict) else parse_sources(folder))
    else:
        if isinstance(folder, dict):
            if set(folder) != {task.corpus}:
                raise ConfigError(f"task {task.name!r} reads one corpus ({task.corpus}); --data names "
                                  f"{sorted(folder)}", hint="give --data DIR")
            folder = folder[task.corpus]
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
    if corpus and not corpus <= set(task.corpus_list) and not task.synthetic:
        raise ConfigError(f"dataset {folder} holds corpus {sorted(corpus)}, task {task.name!r} is on "
                          f"{task.corpus!r}")
    gender_names = ds.features["gender"].names if "gender" in cols else list(GENDERS)
    gender = np.array([IGNORE if g is None else GENDERS.index(gender_names[g]) for g in get("gender")],
                      dtype=np.int64)
    if task.intensity_scale == "unified":  # 0 none .. 3 high, from each corpus's card
        levels = unified_levels(task, corpus_col, get("intensity_level"),
                                [cat_names[c] if c is not None else None for c in raw_cat])
    else:
        levels = np.array([IGNORE if v is None else int(v) - 1 for v in get("intensity_level")],
                          dtype=np.int64)
        if "intensity" in task.targets and task.multi:
            native = {corpus_col[i] for i in np.flatnonzero(levels >= 0)}
            if len(native) > 1:
                raise ConfigError(f"task {task.name!r} trains intensity on {sorted(native)}, whose native "
                                  f"scales differ", file=task.path, hint="set intensity_scale: unified")
    phones = [list(p or []) for p in get("phones")]
    n_int = int(levels.max()) + 1 if (levels >= 0).any() else 0
    if task.intensity_scale == "unified" and n_int:
        from ..schema.scales import UNIFIED_LEVELS

        n_int = len(UNIFIED_LEVELS)
    consensus = np.array([c is not None and cat_names[c] != Category.OTHER for c in raw_cat], dtype=bool)
    sel = rows.tolist()
    ids, speakers, splits = get("id"), get("speaker"), get("split")
    return TaskData(task=task, dataset=ds, rows=rows, ids=[ids[i] for i in sel],
                    speakers=[speakers[i] or "unknown" for i in sel],
                    splits=[splits[i] or "train" for i in sel], category=cls_idx[rows],
                    intensity=levels[rows], gender=gender[rows], vad=vad[rows],
                    phones=[phones[i] for i in sel], n_intensity=n_int,
                    folder=None if isinstance(folder, dict) else Path(folder),
                    texts=[get("text")[i] for i in sel],
                    consensus=consensus[rows], corpus=[corpus_col[i] or task.corpus for i in sel])


def unified_levels(task: Task, corpora: list, native: list, categories: list) -> np.ndarray:
    """Each row's level on the unified intensity scale (IntensityScale.unified_level of its card),
    -1 where the card declares no map or the row has no level (unspecified stays unspecified)."""
    from ..corpora import load_card

    scales = {}
    out = np.full(len(native), IGNORE, dtype=np.int64)
    for i, (c, lv, cat) in enumerate(zip(corpora, native, categories)):
        c = c or task.corpus
        if c not in scales:
            try:
                scales[c] = load_card(c).intensity
            except UnknownLabelError:  # a corpus without a card (synthetic test data) has no map
                scales[c] = None
        scale = scales[c]
        if scale is not None and scale.unified is not None:
            u = scale.unified_level(lv, cat)
            out[i] = IGNORE if u is None else u
    return out


# --- waveforms as the published recipes prepare them ------------------------------------------------

@dataclass(frozen=True)
class WavePrep:
    """Crop to ``max_seconds`` (the start is kept), then standardise with ``(x - mean) / (std + 1e-6)``.

    EmoSphere-SER's released ``WavSet``: every clip is cut to 12 s and standardised with one mean and
    one standard deviation over all samples of the training waveforms (:func:`wave_stats`), the same
    numbers for validation and test. ``mean=0, std=1`` leaves the level alone (crop only).
    """

    max_seconds: float | None = None
    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise ConfigError(f"audio.max_seconds must be > 0 or null, got {self.max_seconds}")

    @property
    def identity(self) -> bool:
        return self.max_seconds is None and self.mean == 0.0 and self.std == 1.0

    def __call__(self, wave: np.ndarray) -> np.ndarray:
        if self.max_seconds is not None:
            wave = wave[: int(round(self.max_seconds * SAMPLING_RATE))]
        if self.mean != 0.0 or self.std != 1.0:
            wave = ((wave - self.mean) / (self.std + 1e-6)).astype(np.float32)
        return wave


def wave_stats(data: TaskData, rows, progress: bool = False) -> tuple[float, float]:
    """Mean and population std over every sample of the (uncropped) waveforms of ``rows``.

    Sums in float64, as the released ``get_norm_stat_for_wav`` computes them (E[x²] − E[x]²).
    """
    from tqdm.auto import tqdm

    total = sq = 0.0
    count = 0
    for i in tqdm(list(map(int, rows)), desc="waveform statistics", unit="utt", leave=False,
                  disable=not progress):
        w = data.wave(i).astype(np.float64)
        total += float(w.sum())
        sq += float((w * w).sum())
        count += w.size
    if count == 0:
        raise ConfigError("no training waveform to take the standardisation statistics from")
    mean = total / count
    return mean, float(np.sqrt(max(sq / count - mean * mean, 0.0)))
