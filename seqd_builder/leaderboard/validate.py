"""Validation of a ``results.json`` before it reaches the leaderboard.

A submission is untrusted input that ends up in HTML, Markdown, SVG and file names, so it passes three
gates, and a rejected submission hears every reason at once (a submitter should fix all problems in one
round, not one per attempt):

1. **Reading**: a size limit checked before parsing, strict UTF-8, no duplicate keys, no NaN/Infinity
   (neither the literals nor overflowing numbers such as ``1e999``), a bounded nesting depth.
2. **Shape**: the JSON Schema in ``benchmark/schema/results.schema.json`` (Draft 2020-12, every error
   collected with ``iter_errors``).
3. **Meaning**: the task exists; primary metric, protocol and fold count are the task's; fold names are
   unique; every metric lies in its declared range (``leaderboard/metrics.yaml``); fold averages agree
   with the folds and confusion matrices with the fold metrics; provenance is present, and a result of
   a working tree with uncommitted changes (``code_version`` ending in ``.dirty``) says why it is
   filed anyway (``provenance.dirty_allowed``); no string carries control or bidirectional-override
   characters.

HTML/script in free-text fields is *not* a reason to refuse: it is data, and the renderer escapes it.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..benchmark.results import schema_reasons as _schema_reasons
from ..benchmark.results import schema_path  # noqa: F401  (re-exported)
from ..benchmark.tasks import Task, list_tasks, load_task
from ..errors import SeqdError, SubmissionError
from .metrics import load_metrics

MAX_BYTES = 5 * 1024 * 1024
"""Largest results.json accepted; real ones are a few kB (the config and per-fold confusion matrices)."""

MAX_DEPTH = 64
"""Deepest nesting accepted; real results nest 5 levels (folds → fold → confusion → row)."""

AVERAGE_TOLERANCE = 1e-3
"""How far a reported fold average may lie from the mean of the reported folds (rounding)."""

_REASON_CHARS = 300
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_MULTILINE_FIELDS = {"notes"}
_JOINERS = {"\u200c", "\u200d"}
"""Zero-width (non-)joiners: invisible, but part of correct spelling in Persian and Indic scripts."""


def _short(text: str) -> str:
    return text if len(text) <= _REASON_CHARS else text[:_REASON_CHARS] + " …"


def _pointer(path) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "(top level)"


# ---------------------------------------------------------------------------------------------- reading

def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number a result may hold (NaN and Infinity are refused)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} overflows to {value}; results must be finite")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    keys = Counter(k for k, _ in pairs)
    dupes = sorted(k for k, n in keys.items() if n > 1)
    if dupes:
        raise ValueError(f"duplicate keys {[_short(k) for k in dupes]} in one object (which one counts "
                         "is parser-dependent)")
    return dict(pairs)


def _depth(value: Any, limit: int) -> int:
    """Nesting depth without recursion, stopping once ``limit`` is passed."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json(raw: bytes, *, source: str = "results.json", max_bytes: int = MAX_BYTES) -> Any:
    """Parse bytes as strict JSON; raise :class:`SubmissionError` saying why it cannot be read."""
    if len(raw) > max_bytes:
        raise SubmissionError(f"{source} is refused", [f"it holds {len(raw)} bytes; the limit is "
                                                       f"{max_bytes} bytes"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{source} cannot be read", [f"not UTF-8: {exc}"]) from exc
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                          object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; the C parser
        # raises RecursionError on pathological nesting instead of crashing.
        raise SubmissionError(f"{source} is not valid JSON", [_short(str(exc))]) from exc
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise SubmissionError(f"{source} is refused", [f"it nests deeper than {MAX_DEPTH} levels"])
    return data


def read_json(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """Read and parse a results file, refusing it before parsing when it is too large."""
    path = Path(path)
    try:
        if path.is_symlink():
            raise SubmissionError(f"{path} is refused", ["it is a symbolic link; submit the file itself"])
        if not path.is_file():
            raise SubmissionError(f"{path} is refused", ["not a regular file (missing, a folder or a "
                                                         "device)"],
                                  hint="pass the results.json written by `seqd bench run`")
        size = path.stat().st_size
        if size > max_bytes:
            raise SubmissionError(f"{path} is refused",
                                  [f"it holds {size} bytes; the limit is {max_bytes} bytes"])
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)  # a file that grew after stat() is still bounded
    except OSError as exc:
        raise SubmissionError(f"{path} cannot be read", [str(exc)]) from exc
    if len(raw) > max_bytes:
        raise SubmissionError(f"{path} is refused", [f"it holds more than {max_bytes} bytes"])
    return parse_json(raw, source=str(path), max_bytes=max_bytes)


# ------------------------------------------------------------------------------------------- checking

def _strings(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield where + (f"{key!r} (key)",), key
                stack.append((where + (key,), child))
        elif isinstance(item, list):
            stack.extend((where + (i,), child) for i, child in enumerate(item))


def _bad_characters(path: tuple, text: str) -> str | None:
    multiline = bool(path) and path[-1] in _MULTILINE_FIELDS
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cs":
            return "a lone surrogate (not encodable text)"
        if cat == "Cc" and not (multiline and ch in "\n\t"):
            return f"the control character U+{ord(ch):04X}"
        if ch in _BIDI:
            return f"the bidirectional control U+{ord(ch):04X} (it can disguise a name)"
        if cat == "Cf" and ch not in _JOINERS:
            return f"the invisible format character U+{ord(ch):04X} (it can disguise a name)"
    return None


def schema_reasons(data: Any) -> list[str]:
    """Every JSON Schema violation, as 'at /path: message', in document order."""
    return [_short(r) for r in _schema_reasons(data)]


def _summaries(data: dict) -> dict[str, dict]:
    metrics = data.get("metrics")
    if not isinstance(metrics, dict):
        return {}
    return {k: v for k, v in metrics.items() if isinstance(v, dict)}


def _folds(data: dict) -> list[dict]:
    folds = data.get("folds")
    return [f for f in folds if isinstance(f, dict)] if isinstance(folds, list) else []


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _range_reasons(data: dict) -> list[str]:
    specs = load_metrics()
    reasons = []
    for name, summary in _summaries(data).items():
        spec = specs.get(name)
        if spec is None:
            continue  # the schema names unknown metrics
        mean = summary.get("mean")
        if _number(mean) and not spec.in_range(mean):
            reasons.append(f"at /metrics/{name}/mean: {mean} lies outside the range of {name}, "
                           f"{spec.range_text}")
        ci = summary.get("ci95")
        if isinstance(ci, list) and len(ci) == 2 and all(_number(x) for x in ci):
            for bound in ci:
                if not spec.in_range(bound):
                    reasons.append(f"at /metrics/{name}/ci95: {bound} lies outside the range of {name}, "
                                   f"{spec.range_text}")
            if ci[0] > ci[1]:
                reasons.append(f"at /metrics/{name}/ci95: lower bound {ci[0]} exceeds upper bound {ci[1]}")
    for i, fold in enumerate(_folds(data)):
        values = fold.get("metrics")
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            spec = specs.get(name)
            if spec is not None and _number(value) and not spec.in_range(value):
                reasons.append(f"at /folds/{i}/metrics/{name}: {value} lies outside the range of "
                               f"{name}, {spec.range_text}")
    return reasons


def _task_reasons(data: dict, task: Task) -> list[str]:
    reasons = []
    primary = data.get("primary_metric")
    if isinstance(primary, str) and primary != task.primary_metric:
        reasons.append(f"primary_metric is {primary!r} but task {task.name!r} ranks by "
                       f"{task.primary_metric!r}")
    summaries = _summaries(data)
    if isinstance(data.get("metrics"), dict):
        missing = [m for m in task.metrics if m not in data["metrics"]]
        if missing:
            reasons.append(f"metrics lacks {missing}, which task {task.name!r} reports "
                           f"({list(task.metrics)})")
    protocol = data.get("protocol") if isinstance(data.get("protocol"), dict) else {}
    if isinstance(protocol.get("name"), str) and protocol["name"] != task.protocol:
        reasons.append(f"protocol.name is {_short(protocol['name'])!r} but task {task.name!r} uses "
                       f"{task.protocol!r}")
    folds = data.get("folds") if isinstance(data.get("folds"), list) else None
    expected = task.n_folds if task.n_folds is not None else protocol.get("n_folds")
    if task.n_folds is not None and _number(protocol.get("n_folds")) \
            and protocol["n_folds"] != task.n_folds:
        reasons.append(f"protocol.n_folds is {protocol['n_folds']} but task {task.name!r} has "
                       f"{task.n_folds} folds")
    if folds is not None and _number(expected) and len(folds) != expected:
        reasons.append(f"folds holds {len(folds)} folds but task {task.name!r} ({task.protocol}) has "
                       f"{expected}")
    names = [f.get("fold") for f in _folds(data) if isinstance(f.get("fold"), str)]
    dupes = sorted(n for n, c in Counter(names).items() if c > 1)
    if dupes:
        reasons.append(f"fold names repeat: {[_short(d) for d in dupes]}; each fold is named once")
    for i, fold in enumerate(_folds(data)):
        values = fold.get("metrics")
        if isinstance(values, dict) and task.primary_metric not in values:
            reasons.append(f"at /folds/{i}/metrics: the primary metric {task.primary_metric!r} is missing")
        reasons += _confusion_reasons(i, fold, task)
    # Fold averages must be what the folds say (the task's averaging rule is an unweighted mean).
    fold_values = [f.get("metrics") for f in _folds(data)]
    if fold_values and all(isinstance(v, dict) for v in fold_values):
        for name, summary in summaries.items():
            per_fold = [v.get(name) for v in fold_values]
            mean = summary.get("mean")
            if _number(mean) and per_fold and all(_number(x) for x in per_fold):
                avg = sum(per_fold) / len(per_fold)
                groups = [f.get("corpus") for f in _folds(data)]
                if isinstance(data.get("corpora"), dict) and all(isinstance(g, str) for g in groups):
                    # a multi-corpus result: the unweighted mean over test corpora of their fold means
                    by: dict = {}
                    for g, x in zip(groups, per_fold):
                        by.setdefault(g, []).append(x)
                    avg = sum(sum(v) / len(v) for v in by.values()) / len(by)
                if abs(avg - mean) > AVERAGE_TOLERANCE:
                    reasons.append(f"at /metrics/{name}/mean: {mean} is not the mean of the folds' "
                                   f"{name} ({avg:.6g}); the averaging rule is: {task.averaging}")
    dataset = data.get("dataset")
    if isinstance(dataset, dict) and dataset.get("synthetic") is True and not task.synthetic:
        reasons.append(f"dataset.synthetic is true but task {task.name!r} is a real-data task; results "
                       "on synthetic data go on a synthetic task's board")
    return reasons


def _confusion_reasons(i: int, fold: dict, task: Task) -> list[str]:
    matrix, labels = fold.get("confusion"), fold.get("labels")
    if labels is not None and isinstance(labels, list) and task.classes:
        unknown = [x for x in labels if isinstance(x, str) and x not in task.classes]
        if unknown:
            reasons = [f"at /folds/{i}/labels: {[_short(u) for u in unknown]} are not classes of task "
                       f"{task.name!r} ({', '.join(task.classes)})"]
            return reasons
    if matrix is None:
        return []
    where = f"at /folds/{i}/confusion"
    if not isinstance(labels, list):
        return [f"{where}: a confusion matrix needs the fold's labels (rows and columns, in order)"]
    if not isinstance(matrix, list) or not all(isinstance(r, list) for r in matrix):
        return []  # the schema reports it
    n = len(labels)
    if len(matrix) != n or any(len(row) != n for row in matrix):
        return [f"{where}: expected {n}x{n} (one row and column per label), found "
                f"{len(matrix)} rows of lengths {sorted({len(r) for r in matrix})}"]
    if not all(_number(x) for row in matrix for x in row):
        return []
    reasons = []
    total = sum(sum(row) for row in matrix)
    if _number(fold.get("n_test")) and total != fold["n_test"]:
        reasons.append(f"{where}: counts sum to {total} but n_test is {fold['n_test']}")
    values = fold.get("metrics") if isinstance(fold.get("metrics"), dict) else {}
    # Rows are true classes, columns predictions (scikit-learn's convention).
    recalls = [row[k] / sum(row) for k, row in enumerate(matrix) if sum(row) > 0]
    derived = {"wa": sum(matrix[k][k] for k in range(n)) / total if total else None,
               "ua": sum(recalls) / len(recalls) if recalls else None}
    for name, value in derived.items():
        stated = values.get(name)
        if value is not None and _number(stated) and abs(stated - value) > AVERAGE_TOLERANCE:
            reasons.append(f"at /folds/{i}/metrics/{name}: {stated} disagrees with the fold's confusion "
                           f"matrix ({value:.6g}; rows are true classes)")
    return reasons


def _provenance_reasons(data: dict) -> list[str]:
    reasons = []
    provenance = data.get("provenance") if isinstance(data.get("provenance"), dict) else {}
    code = data.get("code_version")
    if isinstance(code, str) and code.endswith(".dirty") and not provenance.get("dirty_allowed"):
        reasons.append(f"code_version {_short(code)!r} comes from a working tree with uncommitted changes, "
                       "so its commit cannot rerun it; commit and rerun, or file it with "
                       "`seqd leaderboard submit --allow-dirty REASON` (the board then marks it)")
    for field in ("code_version", "model"):
        value = data.get(field)
        if isinstance(value, str) and not value.strip():
            reasons.append(f"{field} is blank")
    upstream = data.get("upstream")
    if isinstance(upstream, dict) and isinstance(upstream.get("name"), str) \
            and not upstream["name"].strip():
        reasons.append("upstream.name is blank")
    if isinstance(data.get("config"), dict) and not data["config"]:
        reasons.append("config is empty; a result carries the full resolved config it ran with")
    date = data.get("date")
    if isinstance(date, str):
        try:
            when = datetime.fromisoformat(date)
        except ValueError:
            reasons.append(f"date {_short(date)!r} is not an ISO 8601 date-time "
                           "(e.g. 2026-11-22T01:30:00+00:00)")
        else:
            if when.tzinfo is None:
                reasons.append(f"date {date!r} has no time zone; write it as UTC, e.g. ending in +00:00")
            elif when > datetime.now(timezone.utc) + timedelta(days=1):
                reasons.append(f"date {date!r} lies in the future")
    return reasons


def check_result(data: Any) -> list[str]:
    """Every reason ``data`` (a parsed results.json) cannot go on the leaderboard; empty when valid."""
    reasons = schema_reasons(data)
    if not isinstance(data, dict):
        return reasons
    for path, text in _strings(data):
        bad = _bad_characters(path, text)
        if bad:
            reasons.append(f"at {_pointer(path)}: the text holds {bad}")
    reasons += _provenance_reasons(data)
    reasons += _range_reasons(data)
    task_name = data.get("task")
    if isinstance(task_name, str):
        known = list_tasks()
        if task_name not in known:
            reasons.append(f"unknown task {_short(task_name)!r}; valid: {', '.join(known)}")
        else:
            try:
                task = load_task(task_name)
            except SeqdError as exc:
                reasons.append(f"task {task_name!r} cannot be loaded: {exc}")
            else:
                reasons += _task_reasons(data, task)
    return reasons


def allow_dirty_tree(data: Any, reason: str | None) -> Any:
    """``data`` with ``provenance.dirty_allowed`` set to ``reason`` when it comes from a dirty tree."""
    if reason and isinstance(data, dict) and str(data.get("code_version", "")).endswith(".dirty"):
        provenance = data.get("provenance") if isinstance(data.get("provenance"), dict) else {"kind": "run"}
        data["provenance"] = {**provenance, "dirty_allowed": reason}
    return data


def load_result(path: str | Path, *, allow_dirty: str | None = None) -> dict:
    """Read, parse and check one results.json; raise :class:`SubmissionError` with every reason.
    ``allow_dirty`` (a reason) admits a result of a working tree with uncommitted changes."""
    data = allow_dirty_tree(read_json(path), allow_dirty)
    reasons = check_result(data)
    if reasons:
        raise SubmissionError(f"{path} cannot go on the leaderboard ({len(reasons)} problem"
                              f"{'s' if len(reasons) != 1 else ''})", reasons,
                              hint="fix every listed problem, then run `seqd leaderboard validate` again")
    return data
