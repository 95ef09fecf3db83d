"""Typed configuration files: a YAML mapping checked against the dataclass it becomes.

Cards, tasks and annotation projects are frozen dataclasses whose fields carry their types; pydantic
reads those annotations and checks a file's values against them (nested mappings, tuples, scales), so
that the hand-written checks left in each ``__post_init__`` are the domain rules (a category must be a
unified one, levels 1..N without gaps), not type plumbing. Every problem of a file is reported at once,
each with the file and the key path (``intensity.levels.01``), as :class:`ConfigError`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError, SeqdError

T = TypeVar("T")


@functools.lru_cache(maxsize=None)
def _adapter(cls: type):
    from pydantic import TypeAdapter

    return TypeAdapter(cls)


def validate_file_record(cls: type[T], data: dict[str, Any], *, file: str | Path, what: str) -> T:
    """``cls(**data)`` with every field checked against its annotation; problems become one
    :class:`ConfigError` listing each key path, what was found and what was expected."""
    from pydantic import ValidationError

    try:
        return _adapter(cls).validate_python(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-", "tagged-")))
            if err["type"] == "value_error" or err["type"].startswith("assertion"):
                cause = err.get("ctx", {}).get("error")
                if isinstance(cause, SeqdError):  # a domain rule of __post_init__: its message is better
                    if cause.file is None:
                        raise ConfigError(str(cause), file=file, hint=cause.hint) from None
                    raise cause from None
            problems.append(_problem(loc, err))
        raise _invalid(what, problems, file) from None


def _problem(loc: str, err: dict) -> str:
    return f"{loc or '(top level)'}: {err['msg']} (got {err['input']!r})"


def _invalid(what: str, problems: list[str], file: str | Path | None) -> ConfigError:
    """One error listing every problem of a file, each with its key path."""
    return ConfigError(f"{what} has {len(problems)} invalid value(s):\n  - " + "\n  - ".join(problems),
                       file=file, hint="fix these keys; the documentation of the file format lists each "
                                       "key's type")


@functools.lru_cache(maxsize=None)
def _strict_model(cls: type):
    """A strict pydantic model with the dataclass's fields (YAML values must already have the type:
    ``"3"`` is no int here), refusing keys the dataclass does not have."""
    import dataclasses
    import typing

    from pydantic import ConfigDict, create_model

    hints = typing.get_type_hints(cls)
    fields = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else ...
        fields[f.name] = (hints[f.name], default)
    return create_model(f"{cls.__name__}File", __config__=ConfigDict(strict=True, extra="forbid"), **fields)


def check_flat_record(cls: type, data: dict[str, Any], *, file: str | Path | None, what: str) -> None:
    """Check a flat mapping of scalars (a model config's ``training`` block) against ``cls``'s field
    types strictly, reporting every wrong type and unknown key at once; nothing is converted."""
    from pydantic import ValidationError

    try:
        _strict_model(cls).model_validate(data)
    except ValidationError as exc:
        problems = [_problem(".".join(str(p) for p in err["loc"]), err) for err in exc.errors(include_url=False)]
        raise _invalid(what, problems, file) from None
