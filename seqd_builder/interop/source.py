"""A built dataset folder as the exporters see it: per corpus config, rows with names and folds.

Exporters read the folder the way a consumer does (``datasets.load_dataset`` with undecoded audio, so
the embedded WAV bytes are passed on untouched) and need three things the parquet rows do not say on
their own: class names instead of ``ClassLabel`` indices, the corpus card's facts (licence, scales,
protocols) from ``manifest.json``, and each row's fold under each protocol the card declares.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import BuildError, UnknownLabelError


@dataclass(frozen=True)
class SourceConfig:
    """One corpus config of a built folder: its manifest entry and split names."""

    folder: Path
    name: str
    entry: dict[str, Any]

    @property
    def splits(self) -> list[str]:
        return sorted(self.entry["splits"])

    @property
    def card(self) -> dict[str, Any]:
        return self.entry["card"]

    def rows(self, split: str) -> Iterator[dict[str, Any]]:
        """Rows of one split with class names (not indices), audio as ``{"bytes", "path"}``, and
        ``folds``: ``{protocol: test group}`` for each fold protocol of the card."""
        from ..load import load

        ds = load(self.folder, self.name, split=split)
        names = {c: ds.features[c] for c in ("category", "category_perceived", "gender")}
        folds = fold_groups(self.name, self.card.get("protocols", []), list(ds["speaker"]))
        for i, row in enumerate(ds):
            for column, feature in names.items():
                if row[column] is not None:
                    row[column] = feature.int2str(row[column])
            row["folds"] = folds[i]
            yield row


def read_folder(folder: str | Path, configs: Sequence[str] | None = None) -> list[SourceConfig]:
    """The corpus configs of a folder written by ``seqd build`` (all, or the ones named)."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise BuildError(f"{folder} has no manifest.json: it is not a dataset folder built by seqd",
                         hint="run `seqd build CORPUS --root PATH --out FOLDER` first")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    available = sorted(manifest["configs"])
    wanted = list(configs) if configs else available
    for name in wanted:
        if name not in manifest["configs"]:
            raise UnknownLabelError("config", name, available, file=path,
                                    hint="name one of the folder's corpus configs, or none for all")
    return [SourceConfig(folder, name, manifest["configs"][name]) for name in wanted]


def fold_groups(corpus: str, protocols: list[dict[str, Any]],
                speakers: Sequence[str]) -> list[dict[str, str]]:
    """``{protocol: test group}`` per row, for the card's fold protocols (not official splits).

    The protocols come from the manifest (the card as it was at build time), read by the same
    :class:`~seqd_builder.corpora.protocols.Protocol` the benchmark uses, so a fold here is the fold
    a benchmark run tests.
    """
    from ..corpora.protocols import Protocol

    card = SimpleNamespace(name=corpus, path=None,
                           protocols={p["name"]: {k: v for k, v in p.items() if k != "name"}
                                      for p in protocols})
    out: list[dict[str, str]] = [{} for _ in speakers]
    for name in card.protocols:
        protocol = Protocol.from_card(card, name)
        if protocol.kind in ("official_split", "listed_folds"):  # no speaker groups: not a fold column
            continue
        for i, group in enumerate(protocol.groups(speakers)):
            if group is not None:
                out[i][name] = str(group)
    return out


def native_id(row_id: str, corpus: str) -> str:
    """``<corpus>/<native>`` → ``<native>`` (a file name for the exported audio)."""
    prefix = f"{corpus}/"
    return row_id[len(prefix):] if row_id.startswith(prefix) else row_id
