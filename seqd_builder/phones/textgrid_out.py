"""Write alignments as Praat TextGrids (praatio), the format every phonetics tool opens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ..schema import PhoneSegment


def write_textgrid(path: str | Path, tiers: Mapping[str, Iterable[PhoneSegment]],
                   duration: float) -> None:
    """One interval tier per entry; pause labels (``sil``) are written as empty intervals."""
    from praatio import textgrid

    grid = textgrid.Textgrid()
    for name, segments in tiers.items():
        entries = [(s.start, min(s.end, duration), s.phone) for s in segments
                   if s.phone != "sil" and s.end > s.start]
        grid.addTier(textgrid.IntervalTier(name, entries, 0.0, duration))
    grid.save(str(path), format="long_textgrid", includeBlankSpaces=True)
