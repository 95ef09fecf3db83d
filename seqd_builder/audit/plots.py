"""The audit's plots, PNG files next to the dataset card (matplotlib, Agg backend).

Per config: the duration histogram, the class × split counts and the loudness (LUFS) and SNR
distributions, so a curator can look rather than read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: plots are files
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PLOT_DIR = "audit"
"""Folder of the plots, relative to the dataset folder (the card links them from there)."""


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_plots(folder: Path, config: str, cfg: dict[str, Any], rows: list[dict]) -> dict[str, str]:
    """Write the plots of one config; returns {kind: path relative to ``folder``}."""
    out_dir = Path(folder) / PLOT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    made: dict[str, str] = {}
    durations = [r["duration"] for r in rows if r.get("duration") is not None]
    if durations:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.hist(durations, bins=30, color="#4c72b0")
        ax.set_xlabel("duration (s)")
        ax.set_ylabel("files")
        ax.set_title(f"{config}: durations ({len(durations)} files)")
        _save(fig, out_dir / f"{config}-durations.png")
        made["durations"] = f"{PLOT_DIR}/{config}-durations.png"
    dist = cfg["labels"]
    classes = sorted({c for d in dist.values() for c in d["counts"]})
    if classes:
        splits = list(dist)
        counts = np.array([[dist[s]["counts"].get(c, 0) for s in splits] for c in classes])
        fig, ax = plt.subplots(figsize=(1.5 + 1.2 * len(splits), 0.9 + 0.35 * len(classes)))
        ax.imshow(counts, cmap="Blues", aspect="auto")
        for (i, j), v in np.ndenumerate(counts):
            ax.text(j, i, str(v), ha="center", va="center",
                    color="white" if v > counts.max() / 2 else "black", fontsize=8)
        ax.set_xticks(range(len(splits)), splits)
        ax.set_yticks(range(len(classes)), classes)
        ax.set_title(f"{config}: class × split")
        _save(fig, out_dir / f"{config}-classes.png")
        made["classes"] = f"{PLOT_DIR}/{config}-classes.png"
    lufs = [r["lufs"] for r in rows if r.get("lufs") is not None]
    snr = [r["snr_db"] for r in rows if r.get("snr_db") is not None]
    if lufs or snr:
        fig, axes = plt.subplots(1, 2, figsize=(8, 3))
        axes[0].hist(lufs, bins=30, color="#55a868")
        axes[0].set_xlabel("integrated loudness (LUFS, pyloudnorm)")
        axes[1].hist(snr, bins=30, color="#c44e52")
        axes[1].set_xlabel("SNR estimate (dB, energy percentiles)")
        for ax in axes:
            ax.set_ylabel("files")
        fig.suptitle(f"{config}: loudness and SNR")
        _save(fig, out_dir / f"{config}-loudness.png")
        made["loudness"] = f"{PLOT_DIR}/{config}-loudness.png"
    return made
