"""One registry mechanism for every kind of plug-in: corpora, models and upstreams.

A plug-in is a class registered under a name in the registry of its kind. Built-in plug-ins live one per
module in a package (``seqd_builder/corpora/<name>.py``, ``seqd_builder/benchmark/models/<name>.py``,
``seqd_builder/benchmark/upstreams/<name>.py``) and register themselves with the registry's decorator
when that module is imported; the registry imports the module named like the plug-in first, and the
whole package only when it must (listing, or a name that lives in a module of another name), so that
``seqd build emodb`` does not import the IEMOCAP reader.

Third-party packages add plug-ins without touching this repository through an entry point in the
registry's group (``seqd_builder.corpora``, ``seqd_builder.models``, ``seqd_builder.upstreams``)::

    [project.entry-points."seqd_builder.models"]
    my_model = "my_package.model:MyModel"

The entry point's object is registered under the entry point's name when the registry is first listed
or asked for a name it does not know. Every registered plug-in is covered by the shared contract suites
in :mod:`seqd_builder.plugin_checks`, whatever its origin: registering is all it takes to be tested.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from .errors import ConfigError, UnknownLabelError

T = TypeVar("T")


@dataclass(frozen=True)
class PluginInfo:
    """Where a registered plug-in comes from (for ``seqd plugins`` and error messages)."""

    kind: str
    name: str
    obj: object
    origin: str  # "built-in" or the entry point's distribution name

    @property
    def qualname(self) -> str:
        return f"{getattr(self.obj, '__module__', '?')}.{getattr(self.obj, '__qualname__', self.obj)}"


class Registry(Generic[T]):
    """Named plug-ins of one kind.

    ``package`` holds the built-in modules (``skip`` names its modules that are not plug-ins);
    ``group`` is the entry-point group third-party packages register in; ``hint`` is the command that
    lists the valid names, shown when a name is unknown.
    """

    def __init__(self, kind: str, *, package: str, group: str, skip: Iterable[str] = (),
                 hint: str | None = None):
        self.kind = kind
        self.package = package
        self.group = group
        self.skip = frozenset(skip)
        self.hint = hint
        self._items: dict[str, PluginInfo] = {}
        self._all_loaded = False
        self._entry_points_loaded = False

    # --- registering -------------------------------------------------------------------------------

    def register(self, name: str, *, origin: str = "built-in") -> Callable[[T], T]:
        """Decorator: register ``obj`` under ``name``. A second, different object under one name is an
        error (two plug-ins would silently shadow each other otherwise)."""
        if not name or not isinstance(name, str):
            raise ConfigError(f"a {self.kind} needs a non-empty name, got {name!r}")

        def deco(obj: T) -> T:
            known = self._items.get(name)
            if known is not None and known.obj is not obj and _qualname(known.obj) != _qualname(obj):
                raise ConfigError(f"{self.kind} {name!r} is registered twice: by {known.qualname} "
                                  f"({known.origin}) and by {_qualname(obj)} ({origin})",
                                  hint="rename one of them")
            self._items[name] = PluginInfo(self.kind, name, obj, origin)
            return obj

        return deco

    # --- looking up --------------------------------------------------------------------------------

    def names(self) -> list[str]:
        self._load_all()
        return sorted(self._items)

    def infos(self) -> list[PluginInfo]:
        self._load_all()
        return [self._items[n] for n in sorted(self._items)]

    def get(self, name: str) -> T:
        """The plug-in registered as ``name``; :class:`UnknownLabelError` lists the valid names."""
        if name not in self._items:
            self._load_one(name)
        if name not in self._items:
            self._load_entry_points()
        if name not in self._items:
            self._load_all()
        if name not in self._items:
            raise UnknownLabelError(self.kind, name, self._items, hint=self.hint)
        return self._items[name].obj  # type: ignore[return-value]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    # --- loading -----------------------------------------------------------------------------------

    def _load_one(self, name: str) -> None:
        if not name.isidentifier() or name in self.skip or name.startswith("_"):
            return
        module = f"{self.package}.{name}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)

    def _load_all(self) -> None:
        if not self._all_loaded:
            package = importlib.import_module(self.package)
            for info in pkgutil.iter_modules(package.__path__):
                if info.name not in self.skip and not info.name.startswith("_"):
                    importlib.import_module(f"{self.package}.{info.name}")
            self._all_loaded = True
        self._load_entry_points()

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.group):
            if ep.name in self._items:
                continue  # a built-in of that name wins; the clash is reported by `seqd plugins`
            try:
                obj = ep.load()
            except Exception as exc:  # a broken third-party package must not break the built-ins
                raise ConfigError(f"{self.kind} plug-in {ep.name!r} ({ep.value}, entry point group "
                                  f"{self.group!r}) fails to import: {exc}",
                                  hint="fix or uninstall the package that declares it") from exc
            dist = getattr(ep, "dist", None)
            self.register(ep.name, origin=getattr(dist, "name", None) or "entry point")(obj)


def _qualname(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)}"
