"""``seqd build``, ``seqd info``, ``seqd push`` and ``seqd corpora``: thin wrappers over the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..errors import BuildError, ConfigError
from ._errors import removed_if_failed

_EXAMPLES = """
Examples:

  seqd build ravdess --root ~/corpora/RAVDESS --out ravdess-hf --workers 2

  seqd build casia esd --root casia=~/CASIA --root esd=~/ESD --out zh-hf

  seqd build seqd --audio clips/ --annotations votes.csv --project project.yaml --out my-hf

  seqd build emodb --root ~/EmoDB --out part0 --shard 0/2   (then 1/2; see docs/scale-out.md)

  seqd build gather part0 part1 --out emodb-hf

  seqd build emodb --root ~/EmoDB --out emodb-hf --executor dask://local --shards 4
"""


_RATED = ("seqd", "demo")
"""Corpora whose labels come from rating sheets (``--annotations``) and a project file."""


def _parse_roots(corpora: list[str], roots: list[str]) -> tuple[Optional[str], dict[str, str]]:
    """One plain ``--root PATH`` for one corpus, or ``--root NAME=PATH`` per corpus."""
    named: dict[str, str] = {}
    plain: list[str] = []
    for r in roots:
        name, sep, path = r.partition("=")
        if sep and name in corpora:
            named[name] = path
        else:
            plain.append(r)
    if len(plain) > 1 or (plain and named):
        raise ConfigError(f"cannot tell which --root belongs to which corpus: {roots}",
                          hint="with several corpora, give --root NAME=PATH for each")
    return (plain[0] if plain else None), named


def build_command(
    corpora: list[str] = typer.Argument(..., metavar="CORPUS", help="Corpus names (see `seqd corpora`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Dataset folder to write (or resume)."),
    root: list[str] = typer.Option([], "--root", "-r",
                                   help="Corpus folder as distributed; NAME=PATH for several corpora."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Processes decoding audio in parallel."),
    phones: Optional[str] = typer.Option(
        None, "--phones", help="Phones: none, g2p, corpus, align or mfa (default: the card's choice)."),
    audio: Optional[Path] = typer.Option(None, "--audio", help="seqd corpora: the folder of audio clips."),
    annotations: list[Path] = typer.Option([], "--annotations",
                                           help="seqd corpora: annotation tables (CSV/TSV/parquet)."),
    project: Optional[Path] = typer.Option(None, "--project", help="seqd corpora: the project file."),
    force: bool = typer.Option(False, "--force", help="Rebuild from scratch even if up to date."),
    shard_mb: int = typer.Option(256, "--shard-mb", min=1, help="Audio megabytes per parquet shard."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    audit: bool = typer.Option(True, "--audit/--no-audit",
                               help="Run the data audit (leakage, duplicates, signal) for the card."),
    shard: Optional[str] = typer.Option(
        None, "--shard", help="Build part I/N (I from 0) into --out; join the parts with `seqd build "
                              "gather PARTS... --out DIR`."),
    executor: Optional[str] = typer.Option(
        None, "--executor", help="Run the build as part tasks plus a gather on Dask: dask://local or "
                                 "dask://HOST:PORT."),
    shards: Optional[int] = typer.Option(
        None, "--shards", min=1, help="With --executor: number of parts (default: the cluster's workers)."),
    keep_parts: bool = typer.Option(False, "--keep-parts", help="With --executor: keep the part folders."),
) -> None:
    """Build corpora into one Hugging Face dataset folder (resumable; re-running is safe)."""
    from ..pipeline import build
    from ..corpora.base import adapter_class

    if corpora and corpora[0] == "gather":
        _gather(corpora[1:], out, root=root, shard=shard, executor=executor)
        return
    if shard is not None and executor is not None:
        raise ConfigError("--shard builds one part here; --executor runs all the parts: give one of them")
    if (shards is not None or keep_parts) and executor is None:
        raise ConfigError("--shards and --keep-parts go with --executor",
                          hint="e.g. --executor dask://local --shards 4")
    for name in corpora:  # an unknown name is the first thing to fix, before any missing --root
        adapter_class(name)
    plain, roots = _parse_roots(corpora, root)
    options: dict[str, dict] = {}
    if audio is not None or annotations or project is not None:
        rated = [c for c in corpora if c in _RATED]
        if len(rated) != 1:
            raise ConfigError(f"--audio/--annotations/--project belong to one rated corpus "
                              f"({' or '.join(_RATED)}); named: {', '.join(corpora)}",
                              hint="use `seqd build seqd --audio DIR --annotations FILE ...`")
        name = rated[0]
        if audio is not None:
            if (plain is not None and len(corpora) == 1) or name in roots:
                raise ConfigError(f"give the {name} audio folder once: --audio or --root, not both")
            roots[name] = str(audio)
        options[name] = {"annotations": [str(a) for a in annotations],
                         **({"project": str(project)} if project else {})}
    if executor is not None:
        from ..pipeline.executors import run_sharded

        if plain is not None:
            roots[corpora[0]] = plain
        sharded = run_sharded(corpora, out, executor=executor, shards=shards, keep_parts=keep_parts,
                              build_kwargs=dict(roots=roots, workers=workers, phones=phones,
                                                options=options, force=force,
                                                max_shard_bytes=shard_mb * 1024 * 1024))
        typer.echo(sharded.summary())
        typer.echo(f"dataset folder: {sharded.out}  (datasets.load_dataset({str(sharded.out)!r}))")
        return
    with removed_if_failed(out):
        report = build(corpora, out, root=plain, roots=roots, workers=workers, phones=phones,
                       options=options, force=force, max_shard_bytes=shard_mb * 1024 * 1024,
                       progress=not quiet, audit=audit, shard=shard)
    typer.echo(report.summary())
    if report.audit is not None:
        counts: dict[str, int] = {}
        for w in report.audit["warnings"]:
            counts[w["kind"]] = counts.get(w["kind"], 0) + 1
        typer.echo("audit: " + (_counts(counts) or "no warnings")
                   + f" (reports/audit.json; `seqd audit {report.out}` lists them)")
    typer.echo(f"dataset folder: {report.out}  (datasets.load_dataset({str(report.out)!r}))")
    if any(sum(c.rejected.values()) for c in report.configs):
        typer.echo(f"rejected items with reasons: {report.out / 'rejected.jsonl'}")


def _counts(counts: dict) -> str:
    """``{'count_mismatch': 1, 'corrupt': 2}`` as ``count_mismatch 1, corrupt 2`` (largest first)."""
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _scale(scale) -> str:
    """A native scale of the card in words: its description, then its other fields as ``key: value``."""
    if not isinstance(scale, dict):
        return str(scale)
    parts = [str(scale["description"])] if scale.get("description") else []
    for key, value in scale.items():
        if key == "description":
            continue
        parts.append(f"{key.replace('_', ' ')}: {_words(value)}")
    return "; ".join(parts)


def _words(value) -> str:
    """A card value in words at any depth: ``a = 1, b = (c = 2)``, lists joined, no Python reprs."""
    if isinstance(value, dict):
        return ", ".join(f"{k} = " + (f"({_words(v)})" if isinstance(v, dict) else _words(v))
                         for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_words(v) for v in value)
    return str(value)


def _gather(parts: list[str], out: Path, *, root: list[str], shard: Optional[str],
            executor: Optional[str]) -> None:
    """``seqd build gather PART... --out DIR``: join the part folders of a sharded build."""
    from ..pipeline.gather import gather

    if root or shard or executor:
        raise ConfigError("`seqd build gather` takes part folders and --out only",
                          hint="seqd build gather part-0 part-1 ... --out DIR")
    report = gather([Path(p) for p in parts], out)
    typer.echo(report.summary())
    typer.echo(f"dataset folder: {report.out}  (datasets.load_dataset({str(report.out)!r}))")


def info_command(
    folder: Path = typer.Argument(..., help="A dataset folder written by `seqd build`."),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
    rejections: int = typer.Option(5, "--rejections", help="How many rejections to list per corpus."),
) -> None:
    """Counts, scales and rejections of a built dataset folder."""
    path = folder / "manifest.json"
    if not path.is_file():
        raise BuildError(f"{folder} has no manifest.json: it is not a folder built by seqd",
                         hint="run `seqd build CORPUS --root PATH --out FOLDER`")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if as_json:
        typer.echo(json.dumps(manifest, indent=2, ensure_ascii=False))
        return
    for name, c in sorted(manifest["configs"].items()):
        acc = c["accounting"]
        typer.secho(f"{name}: {c['title']}", bold=True)
        typer.echo(f"  licence {c['card']['licence']['id']} (redistribution: "
                   f"{c['card']['licence']['redistribution']}); built {c['built']} by {c['code_version']}")
        rejected = sum(acc["rejected"].values())
        typer.echo(f"  found {acc['found']}, written {acc['written']}, rejected {rejected}"
                   + (f" ({_counts(acc['rejected'])})" if rejected else ""))
        if acc.get("skipped") or acc.get("skipped_folders"):
            typer.echo(f"  skipped by design: {_counts(acc.get('skipped') or {}) or 'none'}"
                       + (f"; unreadable folders: {', '.join(acc['skipped_folders'])}"
                          if acc.get("skipped_folders") else ""))
        if acc["warnings"]:
            typer.echo(f"  warnings: {_counts(acc['warnings'])}")
        for s, v in sorted(c["splits"].items()):
            typer.echo(f"  split {s}: {v['rows']} utterances, {v['hours']:.2f} h")
        typer.echo(f"  categories: {_counts(c['counts']['categories'])}")
        gender = c["counts"]["gender"]
        typer.echo(f"  gender: {_counts(gender) if isinstance(gender, dict) else gender}; "
                   f"speakers: {c['counts']['speakers']}")
        for name, scale in (c["card"]["scales"] or {}).items():
            typer.echo(f"  scale {name}: {_scale(scale)}")
        for w in c.get("count_warnings", []):
            typer.echo(f"  count check: {w}")
        rej_path = folder / c["rejections"]
        if rejections and rej_path.exists():
            lines = rej_path.read_text(encoding="utf-8").splitlines()
            for line in lines[:rejections]:
                r = json.loads(line)
                where = f"{r['source_file']}:{r['line']}" if r.get("line") else r["source_file"]
                typer.echo(f"  rejected {r['id']} [{r['reason']}] {where}: {r['detail']}")
            if len(lines) > rejections:
                typer.echo(f"  … {len(lines) - rejections} more in {rej_path}")


def push_command(
    folder: Path = typer.Argument(..., help="A dataset folder written by `seqd build`."),
    repo_id: str = typer.Argument(..., help="Hub dataset repository, e.g. my-org/ravdess-seqd."),
    private: bool = typer.Option(False, "--private", help="Create the repository as private."),
    i_have_the_rights: bool = typer.Option(
        False, "--i-have-the-rights",
        help="Required to push corpora whose licence forbids redistribution (to a private repo)."),
    token: Optional[str] = typer.Option(None, "--token", envvar="HF_TOKEN", help="Hub token."),
) -> None:
    """Upload a built dataset folder to the Hugging Face Hub."""
    from ..publish import push

    url = push(folder, repo_id, private=private, allow_restricted=i_have_the_rights, token=token)
    typer.echo(f"uploaded: {url}")


def corpora_command() -> None:
    """Supported corpora with their licence and redistribution status."""
    from ..corpora import adapter_names, load_card
    from ..corpora.base import adapter_class

    names = adapter_names()
    width = max(map(len, names))
    for name in names:
        card = load_card(name)
        layout = adapter_class(name).layout_description()
        typer.echo(f"{name:<{width}}  {card.licence['id']:<18} redistribution: "
                   f"{card.licence['redistribution']:<13} {card.title}")
        typer.echo(f"{'':<{width}}  layout: {layout}")


def register(app: typer.Typer) -> None:
    app.command("build", help=build_command.__doc__ + "\n" + _EXAMPLES)(build_command)
    app.command("info")(info_command)
    app.command("push")(push_command)
    app.command("corpora")(corpora_command)
