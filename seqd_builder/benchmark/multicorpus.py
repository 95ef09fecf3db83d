"""Multi-corpus and cross-corpus tasks: several corpora, one unified label set, composed folds.

A task that names ``corpora`` reads the rows of each corpus (from one dataset folder holding several
configs, or one folder per corpus: ``{"emodb": DIR, "ravdess": DIR}``) into one table, over the task's
declared unified classes. Why one table: the runner, the models and the scoring then work unchanged;
what differs is only how folds are composed and how their metrics are grouped.

Folds (:func:`compose_folds`), for every test corpus ``T`` of ``test_on``:

* ``T`` also trains (``T`` in ``train_on``): ``T``'s own card protocol gives the folds (EmoDB leave one
  speaker out, RAVDESS 6 speaker folds); each fold's training rows are ``T``'s training rows plus every
  row of the other training corpora, its validation rows ``T``'s validation speakers. So the test
  folds of a joint run are exactly those of the single-corpus run, and the two pair utterance by
  utterance (``seqd bench compare``).
* ``T`` does not train (cross-corpus, EmoBox track 2): one fold; training = the training corpora minus
  a validation carved from their own speakers (the validation speakers of the first fold of each
  training corpus's protocol), test = every row of ``T`` over the shared classes, or the rows listed
  in ``test_ids[T]`` (an id list, e.g. a class- and speaker-balanced EmoBox-style test set).

Every composed fold is checked speaker-disjoint across all corpora before training (speakers are
namespaced ``corpus/speaker`` by the adapters, so two corpora cannot share an id by accident).

Classes: a class of the task may be missing in one corpus (EmoDB has no calm); it is then scored on
the corpora that have it (UA is the mean recall over the classes present in each test fold's truth).
A class no training corpus has, or a test corpus sharing no class with the training corpora, is
refused before any data is read (:func:`check_task`).

Results (:func:`corpus_metrics`): per test corpus the fold-averaged metrics, as a single-corpus run
reports them, and as the headline the unweighted mean over test corpora (each corpus counts once,
whatever its number of folds or utterances), with a bootstrap interval of that mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from ..assets import asset_dir
from ..errors import ConfigError, ProtocolError, UnknownLabelError

CORPUS_AVERAGING = "unweighted mean over test corpora of each corpus's unweighted mean over its folds"


@dataclass(frozen=True)
class ComposedProtocol:
    """What the runner records of a composed protocol (its ``name``), with the parts it came from."""

    name: str
    parts: dict[str, str]
    kind: str = "composed"


def corpus_classes(task, corpus: str) -> tuple[str, ...]:
    """The task classes that ``corpus``'s card can produce (through the task's label map)."""
    from ..corpora import load_card

    card = load_card(corpus)
    natives = [v for v in (card.categories or {}).values()]
    cats = {task.class_of(v) for v in natives if isinstance(v, str)}
    return tuple(c for c in task.classes if c in cats)


def check_task(task) -> None:
    """Refuse a multi-corpus task that cannot be trained or scored, naming what is wrong."""
    where = task.path or task.name
    from ..corpora.card import available_cards

    known = available_cards()
    for c in task.corpora:
        if c not in known:
            raise UnknownLabelError("corpus", c, known, file=where)
    if len(set(task.corpora)) != len(task.corpora):
        raise ConfigError(f"corpora {list(task.corpora)} name a corpus twice", file=where)
    for key in ("train_on", "test_on"):
        for c in getattr(task, key):
            if c not in task.corpora:
                raise UnknownLabelError(f"{key} corpus", c, task.corpora, file=where,
                                        hint="train_on and test_on pick from the task's corpora")
    for c in (*task.protocols, *task.test_ids):
        if c not in task.corpora:
            raise UnknownLabelError("corpus", c, task.corpora, file=where)
    if "category" not in task.targets:
        return
    present = {c: set(corpus_classes(task, c)) for c in task.corpora}
    train = train_corpora(task)
    for c in task.corpora:
        if not present[c]:
            raise ConfigError(f"corpus {c!r} has none of the task's classes {list(task.classes)}",
                              file=where, hint="map its categories onto the task's classes (labels.map)")
    trained = set().union(*(present[c] for c in train))
    untrainable = [k for k in task.classes if k not in trained]
    if untrainable:
        raise ConfigError(f"classes {untrainable} occur in no training corpus ({', '.join(train)})",
                          file=where, hint="drop them from labels.classes")
    shared = set.intersection(*(present[c] for c in task.corpora))
    if not shared:
        raise ConfigError(f"the corpora {list(task.corpora)} share none of the task's classes "
                          f"{list(task.classes)}: {', '.join(f'{c}: {sorted(present[c])}' for c in present)}",
                          file=where, hint="pick classes that every corpus has (e.g. angry, happy, sad, "
                                           "neutral)")


def train_corpora(task) -> tuple[str, ...]:
    return tuple(task.train_on) or tuple(task.corpus_list)


def test_corpora(task) -> tuple[str, ...]:
    return tuple(task.test_on) or tuple(task.corpus_list)


def missing_classes(task) -> dict[str, list[str]]:
    """Per corpus, the task classes its card cannot produce."""
    return {c: [k for k in task.classes if k not in corpus_classes(task, c)] for c in task.corpus_list}


# --- data sources ------------------------------------------------------------------------------------

def parse_sources(values) -> str | Path | dict[str, Path]:
    """``--data`` values: one folder (one corpus, or several configs), or ``NAME=DIR`` per corpus."""
    values = [values] if isinstance(values, (str, Path)) else list(values)
    named = [v for v in map(str, values) if "=" in v]
    if named and len(named) != len(values):
        raise ConfigError("give --data either once as a folder or as NAME=DIR for every corpus",
                          hint="e.g. --data emodb=./emodb-hf --data ravdess=./ravdess-hf")
    if not named:
        if len(values) != 1:
            raise ConfigError("several --data folders need NAME=DIR each",
                              hint="e.g. --data emodb=./emodb-hf --data ravdess=./ravdess-hf")
        return Path(values[0])
    out: dict[str, Path] = {}
    for v in named:
        name, _, folder = v.partition("=")
        if name in out:
            raise ConfigError(f"--data names corpus {name!r} twice")
        out[name] = Path(folder)
    return out


def folder_of(sources, corpus: str, task) -> Path:
    if isinstance(sources, Mapping):
        if corpus not in sources:
            raise UnknownLabelError("--data corpus", corpus, sorted(sources),
                                    hint=f"task {task.name!r} reads {', '.join(task.corpus_list)}: give "
                                         f"--data {corpus}=DIR")
        return Path(sources[corpus])
    return Path(sources)


def load_datasets(task, sources):
    """One ``datasets.Dataset`` with the rows of every corpus of the task (same unified features)."""
    import datasets

    from .taskdata import load_dataset_folder

    # folders of corpora the task does not read are not opened (one --data list serves a whole matrix)
    parts = []
    for c in task.corpus_list:
        folder = folder_of(sources, c, task)
        ds = load_dataset_folder(folder, c)
        corpus_col = ds.data.column("corpus").to_pylist() if "corpus" in ds.column_names else [c] * len(ds)
        keep = [i for i, v in enumerate(corpus_col) if v == c]
        if not keep:
            raise ConfigError(f"dataset {folder} holds no row of corpus {c!r} "
                              f"(it holds {sorted(set(corpus_col))[:5]})",
                              hint=f"build it with `seqd build {c}` or give --data {c}=DIR")
        if len(keep) != len(ds):
            ds = ds.select(keep).flatten_indices()
        parts.append(ds)
    return datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]


def read_id_list(path: str | Path) -> list[str]:
    """Ids of a committed test set (one per line, ``#`` comments), relative to ``benchmark/testsets``."""
    p = Path(path)
    if not p.is_absolute() and not p.is_file():
        p = asset_dir("benchmark", "testsets") / p
    if not p.is_file():
        raise ConfigError(f"test id list {path} does not exist", hint="see benchmark/testsets/")
    return [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")]


# --- folds ---------------------------------------------------------------------------------------------

def compose_folds(data) -> tuple[ComposedProtocol, list]:
    """The folds of a multi-corpus task over ``data``'s rows (see the module docstring)."""
    from ..corpora import load_card
    from ..corpora.protocols import Fold, Protocol

    task = data.task
    corpus = np.asarray(data.corpus, dtype=object)
    speakers = np.asarray(data.speakers, dtype=object)
    splits = np.asarray(data.splits, dtype=object)
    train_on, test_on = train_corpora(task), test_corpora(task)
    own = {}

    def protocol_folds(c):
        if c not in own:
            rows = np.flatnonzero(corpus == c)
            if not len(rows):
                raise ConfigError(f"no row of corpus {c!r} carries the task's primary target")
            proto = Protocol.from_card(load_card(c), task.protocols.get(c, task.protocol))
            own[c] = (proto, rows, proto.folds(list(speakers[rows]), list(splits[rows])))
        return own[c]

    folds, parts = [], {}
    many = len(test_on) > 1
    for t in test_on:
        t_rows = np.flatnonzero(corpus == t)
        ids = set(read_id_list(task.test_ids[t])) if t in task.test_ids else None
        listed = ""
        if ids is not None:  # a list drawn from a larger release may cover only part of the data at hand
            present = ids & {data.ids[i] for i in t_rows}
            if not present:
                raise ConfigError(f"test set of {t}: none of its {len(ids)} ids is in the data over the "
                                  f"task's classes", file=task.test_ids[t],
                                  hint="build the corpus the list was drawn from")
            listed = f" ({len(present)} of {len(ids)} listed ids present)"
        if t in train_on:
            proto, rows, sub = protocol_folds(t)
            parts[t] = proto.name + listed
            others = np.flatnonzero(np.isin(corpus, [c for c in train_on if c != t]))
            for f in sub:
                test = rows[f.test]
                if ids is not None:
                    test = np.array([i for i in test if data.ids[i] in ids], dtype=int)
                folds.append(Fold(f"{t}:{f.name}" if many else f.name,
                                  np.sort(np.concatenate([rows[f.train], others])), rows[f.validation],
                                  test, (t,)))
        else:
            train, validation = [], []
            for a in train_on:
                proto, rows, sub = protocol_folds(a)
                val = rows[sub[0].validation]
                validation.append(val)
                train.append(np.setdiff1d(rows, val))
            parts[t] = f"all of {t}" if ids is None else f"id list {task.test_ids[t]}{listed}"
            test = t_rows if ids is None else np.array([i for i in t_rows if data.ids[i] in ids], dtype=int)
            folds.append(Fold(f"{'+'.join(train_on)}->{t}", np.sort(np.concatenate(train)),
                              np.sort(np.concatenate(validation)), test, (t,)))
    check_disjoint(folds, speakers, corpus)
    kind = "cross" if not set(test_on) <= set(train_on) else "composed"
    return ComposedProtocol(name=task.protocol if task.protocol not in ("", None) else kind,
                            parts=parts, kind=kind), folds


def check_disjoint(folds, speakers, corpus) -> None:
    """Raise :class:`ProtocolError` when a composed fold puts one speaker in two roles, across corpora,
    or tests rows of more than one corpus."""
    from ..corpora.protocols import UNKNOWN_SPEAKERS

    speakers = np.asarray(speakers, dtype=object)
    for fold in folds:
        sets = {role: {s for s in speakers[getattr(fold, role)]
                       if s.rsplit("/", 1)[-1] not in UNKNOWN_SPEAKERS}
                for role in ("train", "validation", "test")}
        for a, b in (("train", "test"), ("train", "validation"), ("validation", "test")):
            shared = sets[a] & sets[b]
            if shared:
                raise ProtocolError(f"composed fold {fold.name!r} has speakers in both {a} and {b}: "
                                    f"{', '.join(sorted(shared)[:10])}",
                                    hint="the corpora's protocols must be speaker-independent")
        tested = set(np.asarray(corpus, dtype=object)[fold.test])
        if len(tested) > 1:
            raise ProtocolError(f"composed fold {fold.name!r} tests several corpora {sorted(tested)}")
        if not len(fold.test) or not len(fold.train):
            raise ProtocolError(f"composed fold {fold.name!r} has no train or test rows")


def fold_corpus(data, fold) -> str:
    return str(data.corpus[int(fold.test[0])])


# --- results -------------------------------------------------------------------------------------------

def corpus_metrics(task, folds_json: list[dict], scores, bootstrap: dict) -> tuple[dict, dict]:
    """(headline metrics: unweighted mean over test corpora with its interval, per-corpus blocks)."""
    from . import scoring

    by: dict[str, list[int]] = {}
    for k, f in enumerate(folds_json):
        by.setdefault(f["corpus"], []).append(k)
    missing = missing_classes(task)
    blocks = {}
    for c, idx in by.items():
        sub = [folds_json[k] for k in idx]
        blocks[c] = {"metrics": scoring.summarise(task.metrics, sub, [scores[k] for k in idx], bootstrap),
                     "n_folds": len(idx), "n_test": int(sum(f["n_test"] for f in sub)),
                     "missing_classes": missing.get(c, [])}
    if len(by) == 1:  # one test corpus (a cross-corpus cell): its own fold mean and interval
        return blocks[next(iter(by))]["metrics"], blocks
    headline = scoring.group_mean_summary(task.metrics, folds_json, scores, [f["corpus"] for f in folds_json],
                                          bootstrap)
    return headline, blocks


def multi_corpus_block(task, protocol, folds_json, scores, bootstrap) -> tuple[dict, dict]:
    """The headline metrics and the results.json fields ``corpora`` and ``multi_corpus``."""
    from ..schema.scales import UNIFIED_LEVELS

    headline, blocks = corpus_metrics(task, folds_json, scores, bootstrap)
    info = {"corpora": list(task.corpus_list), "train_on": list(train_corpora(task)),
            "test_on": list(test_corpora(task)), "classes": list(task.classes),
            "averaging": CORPUS_AVERAGING, "intensity_scale": task.intensity_scale,
            "protocols": dict(getattr(protocol, "parts", {}))}
    if task.intensity_scale == "unified":
        info["intensity_levels"] = list(UNIFIED_LEVELS)
    if task.test_ids:
        info["test_sets"] = {c: str(v) for c, v in task.test_ids.items()}
    return headline, {"corpora": blocks, "multi_corpus": info}


def corpus_run(run, corpus: str):
    """The part of a multi-corpus run (a :class:`~.compare.Run`) that tests ``corpus``, named as the
    single-corpus run names it (folds ``emodb:03`` → ``03``, task the corpus's own), so that
    ``seqd bench compare --corpus`` pairs a joint run with the single-corpus run on the same utterances."""
    from dataclasses import replace

    from ..errors import SubmissionError

    res = run.results
    if "corpora" not in res:
        return run
    if corpus not in res["corpora"]:
        raise SubmissionError(f"{run.path} tests no {corpus!r}", [f"it tests {sorted(res['corpora'])}"])
    folds = [f["fold"] for f in res["folds"] if f.get("corpus") == corpus]
    prefix = f"{corpus}:"
    strip = {f: f[len(prefix):] if f.startswith(prefix) else f for f in folds}
    preds = run.predictions[run.predictions["fold"].isin(folds)].copy()
    preds["fold"] = preds["fold"].map(strip)
    return replace(run, task=corpus, folds=tuple(strip[f] for f in folds), predictions=preds,
                   label=f"{run.label} [{res['task']} on {corpus}]")
