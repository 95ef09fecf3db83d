"""An annotation project: the label set, the scales, the raters and the merging rules, read from YAML.

A SEQD-style corpus declares its own labels and scales (no two curation efforts use the same ones), so
everything the merging code needs to know is in this one small file (``annotations/README.md`` is the
spec). The corpora that ship raw votes are described by project files too
(``annotations/projects/crema_d.yaml``, ``msp_podcast.yaml``): that is how one merging implementation
reproduces each corpus' own consensus.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ..assets import asset_dir
from ..yamlfile import read_mapping
from ..errors import ConfigError, UnknownLabelError
from ..schema import CATEGORIES, DIMENSIONS, Vote
from ..schema.scales import IntensityScale
from ..typed import check_flat_record


@dataclass(frozen=True)
class Label:
    """One native label: its code (as merged and published), its unified category, its spellings.

    ``aliases`` are other spellings raters may write (matched case-insensitively); ``prefixes`` match
    families of free-text labels such as MSP-Podcast's ``Other-<anything>``.
    """

    code: str
    category: str | None
    aliases: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self):
        if not self.code or self.code != self.code.strip():
            raise ConfigError(f"label code must be non-empty without surrounding spaces, got {self.code!r}")
        if self.category is not None and self.category not in CATEGORIES:
            raise UnknownLabelError("unified category", self.category, CATEGORIES,
                                    hint=f"fix the category of label {self.code!r} in the project file")


@dataclass(frozen=True)
class Role:
    """A kind of rater. ``self_rating``: ratings by the speaker (IEMOCAP's self-evaluators)."""

    name: str
    self_rating: bool = False
    description: str = ""


@dataclass(frozen=True)
class MergeRules:
    """How votes become a consensus; every choice here is documented in ``annotations/README.md``."""

    ties: str = "keep"                      # keep | no_consensus | break
    tie_break: tuple[str, ...] = ()         # priority order of codes for ties: break; () = label order
    separator: str = ":"                    # joins kept ties (CREMA-D writes A:D)
    category_exclude_self: bool = False
    min_raters: int = 1                     # fewer category votes (sum of weights) -> insufficient
    min_agreement: float = 0.0              # winner's share below this -> insufficient
    insufficient: str = "no_consensus"      # no_consensus (kept, category null) | reject
    intensity: str = "mean"                 # mean | median
    intensity_raters: str = "consensus"     # consensus (raters who chose the winner) | all
    dimensions: str = "mean"                # mean | median
    dimensions_exclude_self: bool = False   # IEMOCAP averages VAD without the speaker's own ratings
    flag_below: float = 0.4                 # per-rater kappa with the others' consensus below this: flagged

    _CHOICES = {"ties": ("keep", "no_consensus", "break"), "insufficient": ("no_consensus", "reject"),
                "intensity": ("mean", "median"), "intensity_raters": ("consensus", "all"),
                "dimensions": ("mean", "median")}

    def __post_init__(self):
        for name, choices in self._CHOICES.items():
            if getattr(self, name) not in choices:
                raise UnknownLabelError(f"merge.{name}", getattr(self, name), choices,
                                        hint="fix the merge rules in the project file")
        if self.min_raters < 1:
            raise ConfigError(f"merge.min_raters must be >= 1, got {self.min_raters}")
        if not 0.0 <= self.min_agreement <= 1.0:
            raise ConfigError(f"merge.min_agreement must be in [0, 1], got {self.min_agreement}")
        if not self.separator:
            raise ConfigError("merge.separator must be a non-empty string")


@dataclass(frozen=True)
class Project:
    """A validated project file. Build one with :func:`load_project`."""

    name: str
    labels: tuple[Label, ...]
    path: Path | None = None
    title: str = ""
    description: str = ""
    no_consensus: str | None = None
    intensity: IntensityScale | None = None
    dimensions: tuple[str, ...] = ()
    dimension_range: tuple[float, float] | None = None
    roles: dict[str, Role] = field(default_factory=dict)
    raters: dict[str, str] = field(default_factory=dict)      # rater id -> role name
    default_role: str | None = None
    unknown_raters: str = "allow"                             # allow | error
    merge: MergeRules = field(default_factory=MergeRules)
    speaker_pattern: str | None = None                        # regex with a 'speaker' group on the id
    corpus: dict[str, Any] = field(default_factory=dict)      # card fields for `seqd build seqd`

    def __post_init__(self):
        where = str(self.path or self.name)
        codes = [lb.code for lb in self.labels]
        if not codes:
            raise ConfigError("a project must declare at least one label", file=where)
        if len(set(codes)) != len(codes):
            raise ConfigError(f"duplicate label codes in {codes}", file=where)
        if self.no_consensus is not None and self.no_consensus in codes:
            raise ConfigError(f"no_consensus code {self.no_consensus!r} is also a label", file=where)
        for code in self.merge.tie_break:
            if code not in codes:
                raise UnknownLabelError("merge.tie_break label", code, codes, file=where)
        for dim in self.dimensions:
            if dim not in DIMENSIONS:
                raise UnknownLabelError("dimension", dim, DIMENSIONS, file=where)
        if self.dimensions and self.dimension_range is None:
            raise ConfigError("dimensions need a range: [low, high]", file=where)
        if self.dimension_range is not None and not self.dimension_range[1] > self.dimension_range[0]:
            raise ConfigError(f"dimensions.range must be [low, high], got {self.dimension_range!r}",
                              file=where)
        for rater, role in self.raters.items():
            if role not in self.roles:
                raise UnknownLabelError("role", role, self.roles, file=where,
                                        hint=f"declare the role of rater {rater!r} under roles:")
        if self.default_role is not None and self.default_role not in self.roles:
            raise UnknownLabelError("default_role", self.default_role, self.roles, file=where)
        if self.unknown_raters not in ("allow", "error"):
            raise UnknownLabelError("unknown_raters", self.unknown_raters, ("allow", "error"), file=where)
        spellings: dict[str, str] = {}
        for label in self.labels:
            for spelling in (label.code, *label.aliases):
                other = spellings.setdefault(spelling.lower(), label.code)
                if other != label.code:
                    raise ConfigError(f"spelling {spelling!r} names both {other!r} and {label.code!r}",
                                      file=where)

    # --- labels --------------------------------------------------------------------------------

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(lb.code for lb in self.labels)

    def label(self, code: str) -> Label:
        for lb in self.labels:
            if lb.code == code:
                return lb
        raise UnknownLabelError("label", code, self.codes, file=self.path)

    def resolve(self, native: str) -> str | None:
        """The label code a rater's written label stands for, or None when it matches none."""
        token = native.strip()
        low = token.lower()
        for lb in self.labels:
            if token == lb.code or low in (a.lower() for a in (lb.code, *lb.aliases)):
                return lb.code
        for lb in self.labels:
            if any(low.startswith(p.lower()) for p in lb.prefixes):
                return lb.code
        return None

    def code_of(self, vote: Vote) -> str | None:
        """The label code of a vote: its native label first, else its unified category."""
        if vote.category_native:
            code = self.resolve(vote.category_native)
            if code is not None:
                return code
        if vote.category is not None:
            for lb in self.labels:
                if lb.category == vote.category:
                    return lb.code
        return None

    def category_of(self, code: str | None) -> str | None:
        return None if code is None or code not in self.codes else self.label(code).category

    def spellings(self) -> list[str]:
        """What a sheet may write as a category, for error messages."""
        out: list[str] = []
        for lb in self.labels:
            out += [lb.code, *lb.aliases, *(f"{p}…" for p in lb.prefixes)]
        return list(dict.fromkeys(out))

    # --- raters --------------------------------------------------------------------------------

    def role_of(self, rater: str) -> str | None:
        return self.raters.get(rater, self.default_role)

    def is_self_role(self, rater: str) -> bool:
        role = self.role_of(rater)
        return bool(role is not None and self.roles[role].self_rating)


def project_path(name: str) -> Path:
    """A built-in project (``annotations/projects/<name>.yaml``)."""
    return asset_dir("annotations", "projects") / f"{name}.yaml"


def _as_tuple(value, what: str, where: Path) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{what} must be a list, got {value!r}", file=where)
    return tuple(str(v) for v in value)


def _labels(spec: Any, where: Path) -> tuple[Label, ...]:
    if not isinstance(spec, dict) or not spec:
        raise ConfigError("labels must be a mapping of label code -> unified category (or a mapping "
                          "with category, aliases, prefixes, description)", file=where)
    out = []
    for code, entry in spec.items():
        if entry is None or isinstance(entry, str):
            out.append(Label(str(code), entry))
            continue
        entry = _section(entry, f"label {code!r}", ("category", "aliases", "prefixes", "description"),
                         where)
        out.append(Label(str(code), entry.get("category"), _as_tuple(entry.get("aliases"), "aliases",
                                                                     where),
                         _as_tuple(entry.get("prefixes"), "prefixes", where),
                         str(entry.get("description", ""))))
    return tuple(out)


_RULE_SECTIONS: dict[str, dict[str, str]] = {
    "category": {"ties": "ties", "tie_break": "tie_break", "separator": "separator",
                 "exclude_self": "category_exclude_self"},
    "intensity": {"method": "intensity", "raters": "intensity_raters"},
    "dimensions": {"method": "dimensions", "exclude_self": "dimensions_exclude_self"},
    "reliability": {"flag_below": "flag_below"},
}
"""``merge:`` sub-sections and their keys -> MergeRules fields (``intensity: median`` = its method)."""

def _merge_rules(spec: dict, where: Path) -> MergeRules:
    spec = dict(spec or {})
    flat: dict[str, Any] = {}
    unknown: list[str] = []
    for section, keys in _RULE_SECTIONS.items():
        value = spec.pop(section, None)
        if value is None:
            continue
        if not isinstance(value, dict):
            value = {"method": value}
        for key, setting in value.items():
            if key in keys:
                flat[keys[key]] = setting
            else:
                unknown.append(f"{section}.{key}")
    for key in ("min_raters", "min_agreement", "insufficient"):
        if key in spec:
            flat[key] = spec.pop(key)
    unknown += sorted(spec)
    if unknown:
        raise ConfigError(f"merge: unknown fields {', '.join(unknown)}; see annotations/README.md "
                          f"for the merging rules", file=where)
    if "tie_break" in flat:
        tb = flat["tie_break"]
        flat["tie_break"] = () if tb in (None, "label_order") else _as_tuple(tb, "tie_break", where)
    # every rule checked strictly against MergeRules' field types, all problems at once: a quoted
    # "no" is not turned into True, nor "2.5" into a number
    check_flat_record(MergeRules, flat, file=where, what="the project's merge rules")
    return MergeRules(**flat)


_FIELDS = {"name", "title", "description", "labels", "no_consensus", "intensity", "dimensions",
           "roles", "raters", "default_role", "unknown_raters", "merge", "speaker_pattern", "corpus"}


def load_project(name_or_path: str | Path) -> Project:
    """Read and validate a project file, by path or by built-in name (``crema_d``, ``msp_podcast``)."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = project_path(str(name_or_path))
    if not path.is_file():
        builtins = sorted(p.stem for p in asset_dir("annotations", "projects").glob("*.yaml"))
        raise UnknownLabelError("project", str(name_or_path), builtins,
                                hint="pass the path of a project YAML file (see annotations/README.md)")
    data = read_mapping(path, "a project file", fields=_FIELDS, required=("labels",))
    try:
        return _build(data, path)
    except ConfigError as exc:
        if exc.file is None:
            raise ConfigError(str(exc), file=path, hint=exc.hint) from exc
        raise
    except UnknownLabelError as exc:
        if exc.file is None:
            raise UnknownLabelError(exc.kind, exc.value, exc.choices, file=path, hint=exc.hint) from exc
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc), file=path) from exc


def _section(spec: Any, what: str, valid: tuple[str, ...], path: Path) -> dict:
    """A mapping section of the project file, refusing keys it does not know."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{what}: expected a mapping with {', '.join(valid)}, got {spec!r}", file=path)
    bad = sorted(set(map(str, spec)) - set(valid))
    if bad:
        raise ConfigError(f"{what}: unknown fields {bad}; valid: {', '.join(valid)}", file=path)
    return dict(spec)


def _build(data: dict, path: Path) -> Project:
    intensity = None
    if data.get("intensity") is not None:
        spec = _section(data["intensity"], "intensity", ("levels", "range", "description"), path)
        description = str(spec.get("description", ""))
        intensity = (IntensityScale.from_names(_as_tuple(spec["levels"], "intensity.levels", path),
                                               description) if spec.get("levels") else
                     IntensityScale(range=tuple(float(x) for x in spec["range"])
                                    if spec.get("range") else None, description=description))
    dims, dim_range = (), None
    if data.get("dimensions") is not None:
        spec = _section(data["dimensions"], "dimensions", ("names", "range", "description"), path)
        dims = _as_tuple(spec.get("names", list(DIMENSIONS)), "dimensions.names", path)
        if spec.get("range") is None or len(spec["range"]) != 2:
            raise ConfigError(f"dimensions.range must be [low, high], got {spec.get('range')!r}",
                              file=path)
        dim_range = (float(spec["range"][0]), float(spec["range"][1]))
    roles = {}
    for rname, rspec in (data.get("roles") or {}).items():
        rspec = _section(rspec or {}, f"role {rname!r}", ("self_rating", "description"), path)
        roles[str(rname)] = Role(str(rname), bool(rspec.get("self_rating", False)),
                                 str(rspec.get("description", "")))
    raters = {}
    for rater, rspec in (data.get("raters") or {}).items():
        role = rspec.get("role") if isinstance(rspec, dict) else rspec
        raters[str(rater)] = str(role)
    return Project(
        name=str(data.get("name", path.stem)), labels=_labels(data["labels"], path), path=path,
        title=str(data.get("title", "")), description=str(data.get("description", "")),
        no_consensus=None if data.get("no_consensus") is None else str(data["no_consensus"]),
        intensity=intensity, dimensions=dims, dimension_range=dim_range, roles=roles,
        raters=raters, default_role=data.get("default_role"),
        unknown_raters=str(data.get("unknown_raters", "allow")),
        merge=_merge_rules(data.get("merge") or {}, path),
        speaker_pattern=data.get("speaker_pattern"), corpus=dict(data.get("corpus") or {}))


def replace_rules(project: Project, **changes) -> Project:
    """A copy of ``project`` with some merge rules changed (for experiments and tests)."""
    return dataclasses.replace(project, merge=dataclasses.replace(project.merge, **changes))
