"""A board turned into plain display values (strings, numbers, flags) for the templates.

Formatting lives here, once, so the HTML page and the Markdown export print the same numbers; the
templates only lay them out. Nothing here escapes: the HTML environment autoescapes and the Markdown
environment escapes every expression through its ``finalize`` hook.
"""

from __future__ import annotations

import re
from typing import Any

from .board import Board, Row
from .metrics import load_metrics

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def hub_url(upstream: str) -> str | None:
    """The Hugging Face page of an upstream named by a hub id (``owner/name``); None for local paths
    and built-in front-ends. The strict pattern keeps any user text out of the URL's structure."""
    if _HUB_ID.match(upstream) and ".." not in upstream:
        return f"https://huggingface.co/{upstream}"
    return None


def count_text(n: int | None) -> str:
    if n is None:
        return ""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return str(n)


def is_ensemble(data: dict) -> bool:
    """A seed ensemble (``seqd bench ensemble``): one prediction per utterance from several seeds."""
    return "ensemble" in data.get("config", {})


def seeds_text(data: dict) -> str:
    """How the entry was trained with respect to seeds, in words: ``seed 0`` or ``ensemble of 3 seeds``.

    A seed ensemble and a single seed of one config otherwise carry the same model name; this is what
    tells them apart on the page, in the Markdown table and in the plots' legends.
    """
    seeds = [str(x) for x in data["seeds"]]
    if is_ensemble(data):
        return f"ensemble of {len(seeds)} seeds"
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"mean of seeds {', '.join(seeds)}"


def entry_label(data: dict) -> str:
    """``model (ensemble of 3 seeds) · upstream``: the name of an entry in legends."""
    suffix = f" ({seeds_text(data)})" if is_ensemble(data) else ""
    return f"{data['model']}{suffix} · {data['upstream']['name']}"


def _fold_value(name: str, value: Any) -> str:
    spec = load_metrics().get(name)
    if spec is not None:
        return spec.format(value)
    return f"{value:.4g}" if isinstance(value, (int, float)) else str(value)


def _fold_view(data: dict, first: list[str]) -> dict:
    """Per-fold rows; metric columns in the board's order (``first``), then any others."""
    specs = load_metrics()
    names: list[str] = []
    for fold in data["folds"]:
        for name in fold["metrics"]:
            if name not in names:
                names.append(name)
    order = first + [n for n in specs if n not in first]
    names.sort(key=lambda n: (order.index(n) if n in order else len(order), n))
    return {
        "columns": [{"name": n, "label": specs[n].label if n in specs else n,
                     "arrow": specs[n].arrow if n in specs else ""} for n in names],
        "rows": [{
            "fold": f["fold"],
            "speakers": ", ".join(f.get("test_speakers", [])),
            "n_train": f.get("n_train", ""),
            "n_test": f["n_test"],
            "epochs": f.get("epochs", ""),
            "values": [_fold_value(n, f["metrics"][n]) if n in f["metrics"] else "–" for n in names],
        } for f in data["folds"]],
    }


def badges(data: dict) -> list[dict]:
    """Marks a reader must see beside the model: predictions made elsewhere, code that its commit
    cannot rerun, a result on part of a corpus."""
    out = []
    provenance = data.get("provenance") or {}
    if provenance.get("kind") == "external":
        out.append({"cls": "external", "text": "external",
                    "title": "predictions made outside seqd-builder and scored by `seqd bench score`; "
                             "the model is described as its submitter declares it"})
    if str(data.get("code_version", "")).endswith(".dirty"):
        out.append({"cls": "dirty", "text": "uncommitted code",
                    "title": "run from a working tree with uncommitted changes: "
                             + str(provenance.get("dirty_allowed", ""))})
    dataset = data.get("dataset") or {}
    if dataset.get("partial"):
        have, full = dataset.get("corpus_utterances"), dataset.get("published_utterances")
        out.append({"cls": "partial", "text": f"{have} of {full} utterances" if have and full else "partial",
                    "title": "computed on part of the corpus: not comparable with results on all of it"})
    return out


def text_overlap_text(share: float | None) -> str:
    """How a run's protocol text overlap reads on the board (results before it was recorded say so)."""
    return "not recorded" if share is None else f"{100 * share:.1f}% of test utterances"


def _row_view(board: Board, row: Row, config_href: str, result_href: str) -> dict:
    s, data = row.submission, row.submission.data
    upstream = data["upstream"]
    detail = ["frozen" if upstream["frozen"] else "fine-tuned"]
    if upstream.get("layers"):
        detail.append(f"layers: {upstream['layers']}")
    if upstream.get("parameters"):
        detail.append(f"{count_text(upstream['parameters'])} parameters")
    cells = []
    overlap = data["protocol"].get("text_overlap")
    for spec in board.columns:
        summary = data["metrics"].get(spec.name)
        if summary is None:
            cells.append({"value": "–", "std": "", "ci": "", "best": False, "flag": ""})
            continue
        cells.append({"value": spec.format(summary["mean"]), "std": spec.format_std(summary.get("std")),
                      "ci": spec.format_ci(summary.get("ci95")),
                      # a phone head can memorise a sentence it heard in training: its PER is then
                      # partly recall of the text, and the cell says so
                      "flag": "text overlap" if spec.name == "per" and overlap else "",
                      "best": len(board.rows) > 1 and summary["mean"] == board.best(spec)})
    # a multi-corpus task: the primary metric per test corpus (results.json "corpora")
    per_corpus = data.get("corpora") or {}
    corpus_cells = []
    for corpus in corpus_columns(board):
        summary = (per_corpus.get(corpus) or {}).get("metrics", {}).get(board.primary.name)
        corpus_cells.append({"value": board.primary.format(summary["mean"]) if summary else "–",
                             "ci": board.primary.format_ci(summary.get("ci95")) if summary else ""})
    hardware = data["hardware"]
    return {
        "corpus_cells": corpus_cells,
        "rank": row.rank,
        "name": s.name,
        "model": s.model,
        "upstream": {"name": upstream["name"], "url": hub_url(upstream["name"]),
                     "detail": ", ".join(detail)},
        "cells": cells,
        "folds": _fold_view(data, [c.name for c in board.columns]),
        "n_folds": len(data["folds"]),
        # a seed ensemble (seqd bench ensemble) is one prediction per utterance from several seeds,
        # not several runs averaged: the column says so
        "seeds": ("ensemble of " if is_ensemble(data) else "") + ", ".join(str(x) for x in data["seeds"]),
        "seeds_text": seeds_text(data),
        "ensemble": is_ensemble(data),
        "code_version": data["code_version"],
        "config_hash": data["config_hash"],
        "config_href": config_href,
        "result_href": result_href,
        "date": data["date"][:10],
        "datetime": data["date"],
        "submitter": data.get("submitter", ""),
        "runtime": f"{data['runtime_s'] / 60:.1f} min" if data["runtime_s"] >= 60
                   else f"{data['runtime_s']:.0f} s",
        "hardware": ", ".join([str(hardware[k]) for k in ("device", "cpu", "gpu") if hardware.get(k)]
                              + ([f"torch {hardware['torch']}"] if hardware.get("torch") else [])),
        "averaging": data["protocol"]["averaging"],
        "text_overlap": text_overlap_text(overlap),
        "dataset": (data.get("dataset") or {}).get("name", ""),
        "notes": data.get("notes", ""),
        "synthetic": s.synthetic,
        "badges": badges(data),
    }


def corpus_columns(board: Board) -> list[str]:
    """The test corpora of a multi-corpus task (one column each), else none."""
    task = board.task
    if not getattr(task, "multi", False):
        return []
    return list(task.test_on or task.corpus_list)


def board_view(board: Board, *, links: dict[str, tuple[str, str]] | None = None,
               plots: list[dict] | None = None) -> dict:
    """Display values of ``board``; ``links`` maps a submission name to (config href, result href)."""
    task = board.task
    links = links or {}
    return {
        "task": {"name": task.name, "title": task.title, "description": task.description,
                 "corpus": task.corpus, "protocol": task.protocol,
                 "n_folds": task.n_folds if task.n_folds is not None else "",
                 "averaging": task.averaging, "classes": ", ".join(task.classes),
                 "primary": board.primary.label},
        "synthetic": board.synthetic,
        "columns": [{"name": c.name, "label": c.label, "title": c.title, "arrow": c.arrow,
                     "direction": c.direction, "primary": i == 0} for i, c in enumerate(board.columns)],
        "percent": ", ".join(c.label for c in board.columns if c.display == "percent"),
        # a protocol property, the same for every run of the task: the first run that records it
        "text_overlap": next((text_overlap_text(r.submission.data["protocol"]["text_overlap"])
                              for r in board.rows
                              if r.submission.data["protocol"].get("text_overlap") is not None), ""),
        "corpus_columns": [{"name": c, "label": f"{board.primary.label} {c}"} for c in corpus_columns(board)],
        "rows": [_row_view(board, r, *links.get(r.submission.name, ("", ""))) for r in board.rows],
        "plots": plots or [],
    }
