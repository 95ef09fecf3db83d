"""The one intensity scale type, shared by corpus cards and annotation projects.

A corpus card declares how its native tokens map to ordinal levels (RAVDESS ``01`` → 1, ``02`` → 2;
several tokens may share a level); an annotation project declares the names raters use, lowest
first (``low, medium, strong``). Both are the same concept, an ordinal scale 1..N or a continuous
range, so one class holds both, checked on creation: the card maps native values onto the unified
[0, 1] column with :meth:`map`, the sheet reader turns a rater's cell into a number with :meth:`parse`.

One unified ordinal scale across corpora (:data:`UNIFIED_LEVELS`: 0 none, 1 low, 2 medium, 3 high).
Level/N of each native scale is not comparable between corpora (RAVDESS "normal" and CREMA-D "MD"
would both sit near the middle, RAVDESS neutral at 0.5), so a card also declares ``unified``: where
each native token lands on the shared scale, and ``unified_neutral``: the level of rows whose category
is neutral (no emotion: ``none``), whatever native level they carry. A row without a native level
(CREMA-D ``XX``, "unspecified") stays null on the unified scale, never "low": unspecified is not
weak. The native level is kept in ``intensity_level``; :meth:`unified_level` gives the shared one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import ConfigError, UnknownLabelError

#: the unified ordinal intensity scale shared by every corpus (index = level)
UNIFIED_LEVELS = ("none", "low", "medium", "high")


def linear(value: float | None, lo: float, hi: float, what: str, where: str) -> float | None:
    """``value`` on ``[lo, hi]`` mapped linearly onto [0, 1]; a value outside is an error naming the range."""
    if value is None:
        return None
    if not lo <= value <= hi:
        raise UnknownLabelError(what, value, [f"a number in [{lo}, {hi}]"], file=where,
                                hint="the card's scale does not admit this value: check the source "
                                     "or the card's range")
    return (float(value) - lo) / (hi - lo)


@dataclass(frozen=True)
class IntensityScale:
    """Ordinal ``levels`` (token → level 1..N, without gaps) or a continuous ``range`` [low, high]."""

    levels: Mapping[str, int] | None = None
    range: tuple[float, float] | None = None
    description: str = ""
    # native token -> unified level (a name of UNIFIED_LEVELS or its index); None: not mapped
    unified: Mapping[str, int | str | None] | None = None
    # unified level of rows whose category is neutral (default "none" when ``unified`` is declared)
    unified_neutral: int | str | None = "none"

    def __post_init__(self):
        if (self.levels is None) == (self.range is None):
            raise ConfigError("intensity: give exactly one of 'levels' (ordinal) or 'range' (continuous)")
        if self.levels is not None:
            values = sorted(set(self.levels.values()))
            if not values or values != list(range(1, max(values) + 1)):
                raise ConfigError(f"intensity.levels must use the levels 1..N without gaps, got {values}")
        if self.range is not None and not self.range[1] > self.range[0]:
            raise ConfigError(f"intensity.range must be [low, high], got {self.range!r}")
        if self.unified is not None:
            if self.levels is None:
                raise ConfigError("intensity.unified maps ordinal tokens; this scale is continuous")
            missing = sorted(set(self.levels) - set(self.unified))
            extra = sorted(set(self.unified) - set(self.levels))
            if missing or extra:
                raise ConfigError(f"intensity.unified must map every native level token exactly: "
                                  f"missing {missing}, unknown {extra}",
                                  hint=f"the native tokens are {list(self.levels)}")
            unified = {str(k): _unified(v, f"intensity.unified.{k}") for k, v in self.unified.items()}
            by_level: dict[int, set] = {}
            for token, level in self.levels.items():
                by_level.setdefault(level, set()).add(unified[str(token)])
            clash = {lv: sorted(map(str, us)) for lv, us in by_level.items() if len(us) > 1}
            if clash:
                raise ConfigError(f"intensity.unified: tokens of one native level map to different unified "
                                  f"levels {clash}")
            object.__setattr__(self, "unified", unified)
        object.__setattr__(self, "unified_neutral", _unified(self.unified_neutral, "intensity.unified_neutral"))

    @classmethod
    def from_names(cls, names: Iterable[str], description: str = "") -> IntensityScale:
        """A scale whose level names are given lowest first (an annotation project's ``levels``)."""
        names = tuple(str(n) for n in names)
        if not names or len({n.lower() for n in names}) != len(names):
            raise ConfigError(f"intensity.levels must be distinct names, lowest first, got {names!r}")
        return cls(levels={name: i for i, name in enumerate(names, 1)}, description=description)

    @property
    def n_levels(self) -> int | None:
        return max(self.levels.values()) if self.levels else None

    @property
    def names(self) -> tuple[str, ...]:
        """The level tokens, lowest level first (ties in the card's order)."""
        return tuple(sorted(self.levels, key=self.levels.__getitem__)) if self.levels else ()

    @property
    def bounds(self) -> tuple[float, float]:
        return (1.0, float(self.n_levels)) if self.levels else self.range

    def map(self, native: str | float | None, where: str) -> tuple[float | None, int | None]:
        """(intensity in [0, 1], ordinal level) for a native token or value."""
        if native is None:
            return None, None
        if self.levels is not None:
            key = str(native)
            if key not in self.levels:
                raise UnknownLabelError("intensity level", native, self.levels, file=where)
            level = self.levels[key]
            return level / self.n_levels, level
        return linear(float(native), *self.range, "intensity", where), None

    def unified_level(self, level: int | None, category: str | None = None) -> int | None:
        """The unified level (0 none .. 3 high) of a row with native ``level`` (1..N) and ``category``.

        Neutral rows get ``unified_neutral``; a row without a native level stays None (unspecified).
        """
        if self.unified is None:
            return None
        if category == "neutral" and self.unified_neutral is not None:
            return self.unified_neutral
        if level is None:
            return None
        tokens = [t for t, lv in self.levels.items() if lv == int(level)]
        if not tokens:
            raise UnknownLabelError("intensity level", level, sorted(set(self.levels.values())))
        return self.unified[str(tokens[0])]

    def parse(self, token: str) -> float:
        """A rater's cell (level name, level number or value) as a number; ValueError names the choices."""
        token = token.strip()
        if self.levels is not None:
            by_name = {name.lower(): level for name, level in self.levels.items()}
            if token.lower() in by_name:
                return float(by_name[token.lower()])
            try:
                level = int(token)
            except ValueError:
                raise ValueError(f"intensity {token!r} is not a level; valid: "
                                 f"{', '.join(self.names)} or 1..{self.n_levels}") from None
            if not 1 <= level <= self.n_levels:
                raise ValueError(f"intensity level {level} out of range; valid: 1..{self.n_levels} "
                                 f"({', '.join(self.names)})")
            return float(level)
        value = float(token)
        if not self.range[0] <= value <= self.range[1]:
            raise ValueError(f"intensity {value:g} out of range; valid: [{self.range[0]:g}, "
                             f"{self.range[1]:g}]")
        return value


def _unified(value: int | str | None, where: str) -> int | None:
    """A unified level given by name (``medium``) or index (2); None stays None."""
    if value is None:
        return None
    if isinstance(value, str) and not value.isdigit():
        if value.lower() not in UNIFIED_LEVELS:
            raise UnknownLabelError("unified intensity level", value, UNIFIED_LEVELS, file=where)
        return UNIFIED_LEVELS.index(value.lower())
    if not 0 <= int(value) < len(UNIFIED_LEVELS):
        raise UnknownLabelError("unified intensity level", value, list(range(len(UNIFIED_LEVELS))), file=where)
    return int(value)
