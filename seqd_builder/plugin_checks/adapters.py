"""Contract checks of a registered corpus adapter, on its example tree."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError, CorpusLayoutError, SeqdError

Check = Callable[[], None]


def adapter_checks(cls) -> list[Check]:
    """The contract of a registered corpus adapter; it builds ``cls.example_tree`` in a temporary folder."""
    checks = []
    for fn in (check_adapter_layout_error, check_adapter_example_tree, check_adapter_deterministic_items,
               check_adapter_items_are_records, check_adapter_refuses_unknown_options,
               check_adapter_bad_audio_is_rejected_with_its_file,
               check_adapter_odd_paths_do_not_stop_the_build,
               check_adapter_malformed_label_is_reported_where_it_is):
        part = functools.partial(fn, cls)
        part.__name__ = f"{fn.__name__}[{cls.name}]"
        checks.append(part)
    return checks


_EXAMPLES: dict[type, tuple[Path, dict]] = {}


def _example(cls, folder: Path | None = None):
    """The adapter's example tree, built once per process (the demo corpus takes seconds to
    synthesise); no check modifies it."""
    if cls not in _EXAMPLES:
        import atexit
        import shutil

        where = Path(tempfile.mkdtemp(prefix=f"seqd-example-{cls.name}-"))
        atexit.register(shutil.rmtree, where, ignore_errors=True)
        root = cls.example_tree(where / "corpus")
        _EXAMPLES[cls] = (root, dict(cls.example_options(root)))
    return _EXAMPLES[cls]


def check_adapter_layout_error(cls) -> None:
    """An empty folder is a layout error that says what was expected and what was found."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "stray.txt").write_text("not a corpus")
        try:
            cls(Path(tmp)).check_layout()
        except CorpusLayoutError as exc:
            assert "stray.txt" in str(exc) and "expected" in str(exc), str(exc)
            return
        except SeqdError:
            return  # adapters whose options name the inputs (seqd) refuse earlier, with their own error
        raise AssertionError(f"{cls.name}: check_layout accepted a folder holding only stray.txt")


def check_adapter_example_tree(cls) -> None:
    """Every adapter ships a small real-layout example tree (the contract suite runs on it)."""
    root, options = _example(cls)
    cls(root, **options).check_layout()


def _items(cls, root, options) -> list:
    adapter = cls(root, **options)
    adapter.check_layout()
    return list(adapter.items())


def check_adapter_deterministic_items(cls) -> None:
    """Same tree, same items in the same order: a resumed build skips exactly what it wrote."""
    root, options = _example(cls)
    first, second = _items(cls, root, options), _items(cls, root, options)
    assert [_key(x) for x in first] == [_key(x) for x in second]
    assert first, f"{cls.name}: the example tree gives no items"


def check_adapter_items_are_records(cls) -> None:
    """Items are RawItems (unique ids, audio inside the tree) or Rejections naming a source file."""
    from ..schema import RawItem, Rejection

    root, options = _example(cls)
    items = _items(cls, root, options)
    ids = [x.native_id for x in items if isinstance(x, RawItem)]
    assert ids and len(ids) == len(set(ids)), f"{cls.name}: duplicate or no native ids"
    for x in items:
        assert isinstance(x, (RawItem, Rejection)), type(x)
        if isinstance(x, Rejection):
            assert x.source_file and x.reason, x
        else:
            assert x.source_file, f"{cls.name}: item {x.native_id} names no source file"


def check_adapter_refuses_unknown_options(cls) -> None:
    """A misspelt option is refused, naming it and the valid ones, instead of being ignored."""
    root, options = _example(cls)
    try:
        cls(root, **options, surely_not_an_option=1)
    except ConfigError as exc:
        assert "surely_not_an_option" in str(exc), str(exc)
        return
    raise AssertionError(f"{cls.name}: an unknown option was accepted silently")


def _key(x) -> tuple:
    return (type(x).__name__, getattr(x, "native_id", getattr(x, "id", None)),
            str(getattr(x, "audio_path", None)), x.source_file, getattr(x, "source_line", getattr(x, "line", None)))


_DAMAGE = (("truncate", {"truncated_audio", "corrupt_audio"}), ("corrupt", {"corrupt_audio"}),
           ("delete", {"missing_audio"}))


def check_adapter_bad_audio_is_rejected_with_its_file(cls) -> None:
    """Through the real build: a truncated, a corrupt and a deleted audio file each end as one
    rejection with the right reason and the file's path relative to the corpus root, and the build's
    accounting still balances (the build raises otherwise)."""
    import json
    import os

    from .. import testing
    from ..pipeline import build
    from ..schema import RawItem

    root, options = _example(cls)
    with tempfile.TemporaryDirectory() as tmp:
        copy = _linked_copy(root, Path(tmp))
        items = [x for x in _items(cls, copy, options) if isinstance(x, RawItem) and x.audio_path]
        files = {Path(x.audio_path) for x in items if Path(x.audio_path).is_file()}
        budget = min(len(_DAMAGE), len(files) - 1)  # one file stays whole: a build of nothing fails
        damaged, used = {}, set()
        for item in items:
            path = Path(item.audio_path)
            if path in used or not path.is_file() or len(damaged) >= budget:
                continue
            used.add(path)
            how, reasons = _DAMAGE[len(damaged)]
            if how == "delete":
                os.unlink(path)
            else:
                getattr(testing, how)(path)
            damaged[item.native_id] = (path, reasons)
        assert damaged, f"{cls.name}: the example tree has no audio file to damage"
        listed = {x.native_id if isinstance(x, RawItem) else x.id.split("/", 1)[-1]
                  for x in _items(cls, copy, options)}
        out = Path(tmp) / "out"
        build([cls.name], out, root=copy, options={cls.name: options} if options else None,
              phones="none", progress=False, audit=False)
        rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
        by_id = {r["id"].split("/", 1)[1]: r for r in rejected}
        for native_id, (path, reasons) in damaged.items():
            if native_id not in listed:
                continue  # items come from the file listing: a deleted file is no item, nothing is lost
            rej = by_id.get(native_id)
            assert rej is not None, f"{cls.name}: damaged {path.name} is not among the rejections"
            assert rej["reason"] in reasons, f"{cls.name}: {path.name} rejected as {rej['reason']}"
            named = Path(rej["source_file"])
            if named.is_absolute():  # only a file outside the corpus tree (a SEQD sheet) may be absolute
                assert copy not in named.parents, f"{cls.name}: rejection names {named} absolutely"
            else:
                assert (copy / named).exists() or path.name in rej["source_file"], (
                    f"{cls.name}: rejection names {named}, which is not a file of the corpus")


def check_adapter_odd_paths_do_not_stop_the_build(cls) -> None:
    """A file whose name is not UTF-8 and a folder that cannot be read are reported (a bad_encoding
    rejection or an unlisted file; a skipped folder) while the build goes on, and the accounting still
    balances (:func:`seqd_builder.testing.unreadable` refuses the folder, as root too)."""
    import json
    import os
    import shutil

    from .. import testing
    from ..pipeline import build
    from ..schema import RawItem

    root, options = _example(cls)
    with tempfile.TemporaryDirectory() as tmp:
        copy = _linked_copy(root, Path(tmp))
        raw = [x for x in _items(cls, copy, options) if isinstance(x, RawItem) and x.audio_path]
        audio = sorted({Path(x.audio_path) for x in raw if Path(x.audio_path).is_file()})
        first = audio[0]
        odd = os.path.join(os.fsencode(first.parent), b"odd-\xff-name" + os.fsencode(first.suffix))
        shutil.copyfile(first, odd)
        folders = sorted({p.parent for p in audio if p.parent != first.parent and p.parent != copy})
        locked = folders[0] if folders and len({p.parent for p in audio}) > 1 else None
        out = Path(tmp) / "out"
        with testing.unreadable(locked):
            report = build([cls.name], out, root=copy, options={cls.name: options} if options else None,
                           phones="none", progress=False, audit=False).configs[0]
        assert report.balanced, f"{cls.name}: accounting does not balance: {report.summary()}"
        entry = json.loads((out / "manifest.json").read_text())["configs"][report.config]
        rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
        named = [r for r in rejected if "xff" in r["source_file"] or "xff" in r["id"]]
        assert all("\udcff" not in r["source_file"] for r in named), named  # printable, not surrogates
        if locked is not None:
            rel = str(locked.relative_to(copy))
            inside = {x.native_id for x in raw if Path(x.audio_path).parent == locked}
            missing = {r["id"].split("/", 1)[-1] for r in rejected if r["reason"] == "missing_audio"}
            reported = rel in entry["accounting"].get("skipped_folders", []) or inside <= missing
            assert reported, f"{cls.name}: the unreadable folder {rel} is neither a skipped folder nor " \
                             f"the missing audio of its items"


def _linked_copy(root: Path, tmp: Path) -> Path:
    """A copy of an example tree to damage, its files hard-linked (the damage helpers unlink first)."""
    import shutil

    from .. import testing

    copy = tmp / "corpus" / root.name
    shutil.copytree(root, copy, copy_function=lambda s, d: testing.link_or_copy(Path(s), Path(d)),
                    symlinks=True)
    return copy


def check_adapter_malformed_label_is_reported_where_it_is(cls) -> None:
    """A malformed label (a line of a label file, or a file name that is the label) is reported with
    its file and line, as a rejection or a warning: never dropped, never a crash."""
    from ..corpora import examples
    from ..schema import RawItem, Rejection

    damage = getattr(examples, f"{cls.name}_malformed", None) if cls.__module__.startswith(
        "seqd_builder.") else getattr(cls, "example_malformed", None)
    assert damage is not None, f"{cls.name}: no example of a malformed label to check"
    root, options = _example(cls)
    with tempfile.TemporaryDirectory() as tmp:
        copy = _linked_copy(root, Path(tmp))
        rel, line, extra = damage(copy)
        adapter = cls(copy, **(extra if extra is not None else options))
        adapter.check_layout()
        items = []
        for x in adapter.items():  # the card's mapping rejects what the adapter passes on, as the build does
            if isinstance(x, RawItem):
                try:
                    adapter.card.normalise(x)
                except SeqdError as exc:
                    x = Rejection(id=x.native_id, corpus=cls.name, source_file=x.source_file,
                                  line=x.source_line, reason="unknown_label", detail=str(exc))
            items.append(x)
        name = Path(rel).name
        hits = [x for x in items if isinstance(x, Rejection) and (
            x.source_file.endswith(rel) or name in x.source_file or name in x.id)
            and (line is None or x.line == line)]
        where = f"{rel}:{line}" if line is not None else rel
        warned = [m for m in adapter.warnings() if where in m or (line is not None and f"{name}:{line}" in m)]
        assert hits or warned, (f"{cls.name}: the malformed label at {where} is neither a rejection nor a "
                                f"warning naming it; rejections: "
                                f"{[(x.source_file, x.line) for x in items if isinstance(x, Rejection)][:5]}")
