"""Rerun a filed result from what it records, and report how far every metric moved.

A result records its task, resolved config (model, hyperparameters, front-end and its options,
training seed), the code version and the data's content fingerprint. :func:`reproduce_result` runs
:func:`~seqd_builder.benchmark.runner.run_task` again with exactly that config on the given data (all
folds, or the named ones) and compares each fold's metrics, and the fold means when every fold ran.

What to expect: on CPU, the same code, data and seed give **bit-identical** numbers (the runner seeds
every generator and torch's CPU kernels are deterministic for these models; tested). On other hardware
(a GPU, another BLAS, another thread count) floating-point sums run in another order, training takes
another path from the first epoch on, and fold metrics move by about as much as a change of seed
(on EmoDB's 50-utterance folds a few points of UA per fold, ~1 point on the fold mean); such a rerun
confirms a result only to within that spread, never exactly. Results of external predictions have no
training to rerun (``seqd bench rescore`` recomputes their scores), and seed ensembles are reproduced
member by member.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SubmissionError
from .config import config_hash
from .provenance import data_fingerprint, is_dirty

TOLERANCE_OTHER_HARDWARE = ("not bit-identical off the recorded hardware: expect fold metrics to move "
                            "by about a seed's spread (a few points of UA per fold on EmoDB)")


@dataclass
class Reproduction:
    """Recorded against rerun values; ``diffs`` maps 'fold <name>/<metric>' or '<metric>' to rerun −
    recorded."""

    task: str
    model: str
    folds: list[str]
    recorded: dict[str, float]
    rerun: dict[str, float]
    notes: list[str] = field(default_factory=list)

    @property
    def diffs(self) -> dict[str, float]:
        return {k: self.rerun[k] - v for k, v in self.recorded.items() if k in self.rerun}

    @property
    def identical(self) -> bool:
        return bool(self.diffs) and all(d == 0.0 for d in self.diffs.values())

    def to_dict(self) -> dict:
        return {"task": self.task, "model": self.model, "folds": self.folds, "identical": self.identical,
                "recorded": self.recorded, "rerun": self.rerun, "diffs": self.diffs, "notes": self.notes}

    def format(self) -> str:
        lines = [f"{self.task} / {self.model}: {len(self.folds)} folds rerun — "
                 + ("bit-identical" if self.identical else "differs")]
        for key, d in self.diffs.items():
            lines.append(f"  {key:<28} recorded {self.recorded[key]:.6f}  rerun {self.rerun[key]:.6f}  "
                         f"diff {d:+.2e}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _flatten(results: dict, folds: list[str]) -> dict[str, float]:
    out = {f"fold {f['fold']}/{k}": float(v) for f in results["folds"] if f["fold"] in folds
           for k, v in f["metrics"].items()}
    if len(folds) == len(results["folds"]):
        out.update({k: float(v["mean"]) for k, v in results["metrics"].items()})
    return out


def reproduce_result(path: str | Path, data_dir: str | Path, *, out: str | Path,
                     folds: list[str] | None = None, progress: bool = False) -> Reproduction:
    """Rerun the result in ``path`` on ``data_dir`` (writing the rerun to ``out``) and compare."""
    from .runner import run_task

    path = Path(path)
    recorded = json.loads(path.read_text(encoding="utf-8"))
    cfg = dict(recorded.get("config") or {})
    kind = (recorded.get("provenance") or {}).get("kind", "run")
    if kind == "external" or cfg.get("model") in ("external", "peer") or "ensemble" in cfg:
        what = ("external predictions" if kind == "external" or cfg.get("model") == "external"
                else "a seed ensemble" if "ensemble" in cfg else "a peer of the quality script")
        raise SubmissionError(f"{path} holds {what}, which `seqd bench run` did not train",
                              hint="rescore it with `seqd bench rescore`, or reproduce its members")
    names = [f["fold"] for f in recorded["folds"]]
    chosen = list(folds) if folds else names
    unknown = [f for f in chosen if f not in names]
    if unknown:
        raise SubmissionError(f"folds {unknown} are not in {path}", hint=f"choose among {names}")
    notes = []
    if is_dirty(recorded.get("code_version")):
        notes.append(f"recorded with uncommitted changes ({recorded['code_version']}): the code that made "
                     "it is not known exactly")
    fingerprint = (recorded.get("dataset") or {}).get("fingerprint", "")
    here = data_fingerprint(data_dir)
    if fingerprint.startswith("sha256:") and here and here != fingerprint:
        notes.append(f"data differ: fingerprint {here[:19]}… here, {fingerprint[:19]}… recorded")
    out = Path(out)
    if out.exists() or out.with_suffix("").exists():  # the runner would reuse finished folds
        raise SubmissionError(f"{out} (or its run folder) exists; a rerun must start from nothing",
                              hint="pass a new --out")
    overrides = {k: v for k, v in cfg.items() if k not in ("name", "task", "model")}
    model = cfg.get("name") or cfg.get("model")
    result = run_task(recorded["task"], model, data_dir, out=out, config_overrides=overrides,
                      folds=chosen, progress=progress)
    if result["config_hash"] != recorded.get("config_hash"):
        same = config_hash(recorded["config"]) == result["config_hash"]
        notes.append("config hash differs from the recorded one" + (
            " only because the record's hash covered runtime options (the effective configs are equal)"
            if same else f": {result['config_hash'][:19]}… vs {str(recorded.get('config_hash'))[:19]}…"))
    if result["hardware"].get("device") != (recorded.get("hardware") or {}).get("device"):
        notes.append(TOLERANCE_OTHER_HARDWARE)
    return Reproduction(task=recorded["task"], model=recorded["model"], folds=chosen,
                        recorded=_flatten(recorded, chosen), rerun=_flatten(result, chosen), notes=notes)
