"""The audit of a built dataset folder: read each config once, decode each file once, measure.

One pass over the parquet shards per config (audio in batches, so memory holds one batch of audio plus
the small per-file fingerprints), then the whole-folder steps: duplicates across every config of the
folder, leakage per protocol of each corpus card, labels per split, outliers of duration per corpus.
:func:`audit_folder` returns the report as plain data; :mod:`.report` writes it and phrases warnings.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import soundfile as sf

from ..corpora import load_card
from ..corpora.protocols import Protocol
from ..errors import ConfigError, SeqdError
from ..schema import CATEGORIES, SAMPLING_RATE
from . import duplicates, labels, leakage, signal
from .thresholds import Thresholds

AUDIT_VERSION = 1
META_COLUMNS = ("id", "speaker", "text", "split", "category", "agreement", "votes")
BATCH = 64


def config_files(folder: Path) -> dict[str, list[Path]]:
    """Parquet shards per config of a built dataset folder."""
    data = Path(folder) / "data"
    configs = {d.name: sorted(d.glob("*.parquet")) for d in sorted(data.glob("*")) if d.is_dir()}
    configs = {k: v for k, v in configs.items() if v}
    if not configs:
        raise ConfigError(f"{folder} holds no built corpus (no data/<corpus>/*.parquet)",
                          hint="point at a folder written by `seqd build`")
    return configs


def audit_fingerprint(folder: Path, thresholds: Thresholds, task: str | None = None) -> str:
    """Changes when a shard, the thresholds or the audit's code version change."""
    h = hashlib.sha256(json.dumps([AUDIT_VERSION, thresholds.to_json(), task], sort_keys=True).encode())
    for name, files in config_files(folder).items():
        for f in files:
            st = f.stat()
            h.update(f"{name}/{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _decode(cell: dict, folder: Path) -> np.ndarray:
    src = io.BytesIO(cell["bytes"]) if cell.get("bytes") else folder / str(cell["path"])
    y, sr = sf.read(src, dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    if sr != SAMPLING_RATE:  # published folders hold 16 kHz; a foreign one is resampled, not refused
        import soxr

        y = soxr.resample(y, sr, SAMPLING_RATE).astype(np.float32)
    return np.ascontiguousarray(y)


def _read_config(name: str, files: Sequence[Path], folder: Path, thresholds: Thresholds,
                 prints: list, per_file: list[dict], timings: dict[str, float]) -> dict[str, list]:
    meta: dict[str, list] = {c: [] for c in META_COLUMNS}
    clock = time.process_time  # CPU seconds: steadier than wall time on a shared machine
    for path in files:
        pf = pq.ParquetFile(path)
        cols = [c for c in META_COLUMNS if c in pf.schema_arrow.names]
        for c in META_COLUMNS:
            if c not in cols:
                meta[c].extend([None] * pf.metadata.num_rows)
        table = pf.read(columns=cols)
        for c in cols:
            meta[c].extend(table.column(c).to_pylist())
        for batch in pf.iter_batches(batch_size=BATCH, columns=["id", "audio"]):
            for utt_id, cell in zip(batch.column("id").to_pylist(), batch.column("audio").to_pylist()):
                entry = {"id": utt_id, "config": name, "file": cell.get("path") or ""}
                t0 = clock()
                try:
                    y = _decode(cell, folder)
                except (OSError, RuntimeError, sf.LibsndfileError) as exc:
                    entry["error"] = f"audio not decodable: {exc}"
                    per_file.append(entry)
                    continue
                t1 = clock()
                stats, intervals = signal.measure(y, thresholds)
                entry.update(stats.to_json())
                per_file.append(entry)
                t2 = clock()
                prints.append(duplicates.fingerprint(utt_id, y, intervals))
                t3 = clock()
                timings["decode"] += t1 - t0
                timings["signal"] += t2 - t1
                timings["fingerprint"] += t3 - t2
    meta["category"] = [CATEGORIES[c] if isinstance(c, int) else c for c in meta["category"]]
    return meta


def duration_outliers(ids: Sequence[str], durations: Sequence[float], thresholds: Thresholds
                      ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Robust (median/MAD of log-duration) outliers and files under the absolute minimum."""
    d = np.asarray(durations, dtype=float)
    if not len(d):
        return {}, []
    logd = np.log(np.maximum(d, 1e-3))
    med = float(np.median(logd))
    mad = float(np.median(np.abs(logd - med))) * 1.4826 or 1e-6
    z = (logd - med) / mad
    found = []
    for i, (utt, dur) in enumerate(zip(ids, d)):
        if dur < thresholds.min_duration_s:
            found.append((utt, f"{dur:.3f} s, under the minimum of {thresholds.min_duration_s:g} s"))
        elif abs(z[i]) > thresholds.duration_mad:
            found.append((utt, f"{dur:.3f} s is {z[i]:+.1f} scaled MADs from the corpus median "
                               f"{np.exp(med):.2f} s (threshold {thresholds.duration_mad:g})"))
    summary = {"median_s": round(float(np.exp(med)), 3), "min_s": round(float(d.min()), 3),
               "max_s": round(float(d.max()), 3), "total_h": round(float(d.sum()) / 3600, 4),
               "histogram": np.histogram(d, bins=20)[0].tolist(),
               "bin_edges_s": [round(float(x), 3) for x in np.histogram(d, bins=20)[1]]}
    return summary, found


def _signal_summary(rows: list[dict]) -> dict[str, Any]:
    out = {}
    for key in ("clipped_share", "dc_offset", "lead_silence", "trail_silence", "speech_ratio",
                "snr_db", "lufs"):
        v = np.array([r[key] for r in rows if r.get(key) is not None], dtype=float)
        if len(v):
            p = np.percentile(v, [0, 5, 50, 95, 100])
            out[key] = {"min": round(float(p[0]), 4), "p5": round(float(p[1]), 4),
                        "median": round(float(p[2]), 4), "p95": round(float(p[3]), 4),
                        "max": round(float(p[4]), 4), "n": int(len(v))}
    return out


def audit_folder(folder: str | Path, *, thresholds: Thresholds | None = None,
                 task: str | None = None) -> dict[str, Any]:
    """Audit every config of a built dataset folder (or only the corpus and protocol of ``task``).

    Returns ``{"summary": …, "per_file": […], "timings_s": {…}}`` (CPU seconds per phase): the summary holds per-config signal, duration,
    label, agreement and leakage sections, the folder's duplicates, and ``warnings`` (one dict per
    problem: kind, config, id, file, detail). Nothing is removed from the dataset.
    """
    folder = Path(folder)
    thresholds = thresholds or Thresholds()
    files = config_files(folder)
    task_obj = None
    if task is not None:
        from ..benchmark.tasks import load_task

        task_obj = load_task(task)
        if task_obj.corpus not in files:
            raise ConfigError(f"task {task!r} is on corpus {task_obj.corpus!r}, which {folder} does not "
                              f"hold (it holds {', '.join(files)})")
        files = {task_obj.corpus: files[task_obj.corpus]}
    prints: list[duplicates.Fingerprint] = []
    per_file: list[dict] = []
    timings = {"decode": 0.0, "signal": 0.0, "fingerprint": 0.0, "duplicates": 0.0, "leakage": 0.0}
    started = time.process_time()
    configs: dict[str, Any] = {}
    warnings: list[dict[str, Any]] = []
    file_of: dict[str, str] = {}
    config_of: dict[str, str] = {}
    for name, shards in files.items():
        start = len(per_file)
        meta = _read_config(name, shards, folder, thresholds, prints, per_file, timings)
        rows = per_file[start:]
        for r in rows:
            file_of[r["id"]], config_of[r["id"]] = r["file"], name
            if "error" in r:
                warnings.append(_warn("undecodable", name, r["id"], r["file"], r["error"]))
                continue
            stats = signal.SignalStats(**{k: r[k] for k in signal.SignalStats.__dataclass_fields__})
            for kind, detail in signal.problems(stats, thresholds):
                warnings.append(_warn(kind, name, r["id"], r["file"], detail))
        good = [r for r in rows if "error" not in r]
        dur_summary, outliers = duration_outliers([r["id"] for r in good], [r["duration"] for r in good],
                                                  thresholds)
        for utt, detail in outliers:
            warnings.append(_warn("duration_outlier", name, utt, file_of[utt], detail))
        cats = meta["category"]
        if task_obj is not None:
            cats = [task_obj.class_of(c) for c in cats]
        dist = labels.distribution(cats, [s or "train" for s in meta["split"]])
        for split, d in dist.items():
            if d["imbalance_ratio"] is not None and d["imbalance_ratio"] > thresholds.imbalance_ratio:
                warnings.append(_warn("class_imbalance", name, None, None,
                                      f"split {split}: largest class {d['imbalance_ratio']:g}× the smallest "
                                      f"(threshold {thresholds.imbalance_ratio:g})"))
        t0 = time.process_time()
        leak = _leakage(name, meta, task_obj)
        timings["leakage"] += time.process_time() - t0
        for p in leak["protocols"]:
            if p.get("applicable") and p.get("text_overlap_train"):
                warnings.append(_warn("text_overlap", name, None, None,
                                      f"protocol {p['protocol']}: {100 * p['text_overlap_train']:.1f}% of "
                                      f"test utterances with a transcript have it in training"))
            # a protocol that does not claim speaker independence (ESD's official split) is recorded,
            # not warned about
            if p.get("folds_sharing_speakers") and p.get("speaker_independent"):
                warnings.append(_warn("speaker_overlap", name, None, None,
                                      f"protocol {p['protocol']}: folds {p['folds_sharing_speakers'][:10]} "
                                      f"share speakers between roles"))
        configs[name] = {
            "files": len(rows), "undecodable": len(rows) - len(good),
            "signal": _signal_summary(good), "duration": dur_summary,
            "labels": dist, "agreement": labels.agreement(meta["agreement"], meta["votes"]),
            "leakage": leak,
        }
    t0 = time.process_time()
    dups = duplicates.find_duplicates(prints, thresholds)
    timings["duplicates"] = time.process_time() - t0
    for group in dups["exact"]:
        for utt in group:
            others = [f"{o} ({file_of[o]})" for o in group if o != utt]
            warnings.append(_warn("exact_duplicate", config_of[utt], utt, file_of[utt],
                                  f"same decoded samples as {', '.join(others)}"))
    for pair in dups["near"]:
        for a, b in ((pair["a"], pair["b"]), (pair["b"], pair["a"])):
            warnings.append(_warn("near_duplicate", config_of[a], a, file_of[a],
                                  f"near-duplicate of {b} ({file_of[b]}): envelope NCC "
                                  f"{pair['envelope_ncc']:.3f}, spectral correlation "
                                  f"{pair['spectral_corr']:.3f}, offset {pair['lag_s']:+.2f} s"))
    for name, cfg in configs.items():
        cfg["warnings"] = dict(sorted(_count(w["kind"] for w in warnings if w["config"] == name).items()))
    summary = {
        "audit_version": AUDIT_VERSION, "folder": str(folder), "task": task,
        "thresholds": thresholds.to_json(), "libraries": _libraries(), "configs": configs,
        "duplicates": {k: v for k, v in dups.items()}, "warnings": warnings,
    }
    timings["total"] = time.process_time() - started
    return {"summary": summary, "per_file": per_file,
            "timings_s": {k: round(v, 3) for k, v in timings.items()}}


def _leakage(name: str, meta: dict[str, list], task_obj) -> dict[str, Any]:
    speakers = [s or "unknown" for s in meta["speaker"]]
    splits = [s or "train" for s in meta["split"]]
    out: dict[str, Any] = {"splits": leakage.split_leakage(speakers, splits, meta["text"]),
                           "protocols": [],
                           "rows_with_text": sum(1 for t in meta["text"] if t)}
    try:
        card = load_card(name)
    except SeqdError:
        return out  # a config without a corpus card (a custom corpus) has no declared protocols
    names = [task_obj.protocol] if task_obj is not None else list(card.protocols)
    keep = None
    if task_obj is not None:  # the task's rows only: those carrying its primary target
        keep = [i for i, c in enumerate(meta["category"]) if task_obj.class_of(c) is not None] \
            if "category" in task_obj.targets else None
    idx = keep if keep is not None else range(len(speakers))

    def sel(values: list) -> list:
        return [values[i] for i in idx]

    for pname in names:
        try:
            protocol = Protocol.from_card(card, pname)
        except SeqdError as exc:
            out["protocols"].append({"protocol": pname, "applicable": False, "reason": str(exc)})
            continue
        out["protocols"].append(leakage.protocol_leakage(protocol, sel(speakers), sel(splits),
                                                         sel(meta["text"]), sel(meta["id"])))
    return out


def _warn(kind: str, config: str, utt: str | None, file: str | None, detail: str) -> dict[str, Any]:
    return {"kind": kind, "config": config, "id": utt, "file": file, "detail": detail}


def _count(kinds) -> dict[str, int]:
    out: dict[str, int] = {}
    for k in kinds:
        out[k] = out.get(k, 0) + 1
    return out


def _libraries() -> dict[str, str]:
    import importlib.metadata as md

    what = {"librosa": "speech intervals (effects.split), frame RMS, STFT and mel filters",
            "pyloudnorm": "integrated loudness (ITU-R BS.1770-4)",
            "scipy": "FFT cross-correlation of envelopes", "soundfile": "decoding",
            "statsmodels": "Fleiss' kappa (through seqd_builder.annotations.agreement)"}
    out = {}
    for lib, role in what.items():
        try:
            out[lib] = f"{md.version(lib)}: {role}"
        except md.PackageNotFoundError:
            out[lib] = f"not installed: {role}"
    return out
