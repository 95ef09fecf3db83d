"""The dataset card (``README.md``) of a built dataset folder.

The YAML header is what ``datasets.load_dataset`` and the Hub read: ``configs`` (one per corpus plus
``all``) with their ``data_files``, and ``dataset_info`` with the declared features and split sizes, so
the features are never inferred from parquet. It is produced with PyYAML from a dict, not templated as
text. The Markdown body follows the HF card sections (with an added audit section: rejections and
checksums) and is rendered with jinja2 under ``StrictUndefined``, so a missing value fails the build
instead of vanishing from the card.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import yaml
from datasets import Audio, ClassLabel, DatasetInfo, List, Value

from .. import __version__
from ..schema import CATEGORIES, COLUMN_DOCS, FEATURES

# HF Hub licence identifiers (https://huggingface.co/docs/hub/repositories-licenses)
_HUB_LICENCES = {"cc-by-nc-sa-4.0", "cc0-1.0", "odbl", "mit", "apache-2.0", "cc-by-4.0", "cc-by-sa-4.0",
                 "cc-by-nc-4.0", "cc-by-nc-nd-4.0", "pddl", "odc-by"}



def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """jinja2's own per-user cache of compiled templates: compiling the card template costs more
    than writing a small corpus' card, and every build writes one."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no private temp folder to be had: compile every time
        return None


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("seqd_builder.publish", "templates"),
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
    trim_blocks=True, lstrip_blocks=True, bytecode_cache=_bytecode_cache(),
)
_ENV.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)


def feature_type(feature) -> str:
    """A short type name for the card's schema table (``string``, ``ClassLabel``, ``list<string>``)."""
    if isinstance(feature, Value):
        return feature.dtype
    if isinstance(feature, ClassLabel):
        return f"ClassLabel({feature.num_classes})"
    if isinstance(feature, Audio):
        return f"Audio({feature.sampling_rate} Hz)"
    if isinstance(feature, List):
        inner = feature.feature
        return "list<struct>" if isinstance(inner, dict) else f"list<{feature_type(inner)}>"
    return type(feature).__name__


def _hub_licence(licence: dict[str, Any]) -> str:
    lid = str(licence.get("id", "")).lower()
    return lid if lid in _HUB_LICENCES else "other"


def card_header(manifest: dict[str, Any]) -> dict[str, Any]:
    """The YAML header as a dict (configs, dataset_info, licence, languages, tags)."""
    configs = manifest["configs"]
    features_yaml = DatasetInfo(features=FEATURES)._to_yaml_dict()["features"]
    header: dict[str, Any] = {
        "pretty_name": " + ".join(c["title"] for c in configs.values()),
        "license": sorted({_hub_licence(c["card"]["licence"]) for c in configs.values()}),
        "language": sorted({lang for c in configs.values() for lang in c["card"]["languages"]}),
        "task_categories": ["audio-classification"],
        "tags": ["speech-emotion-recognition", "seqd-builder", "emotion", "audio"],
        "configs": [], "dataset_info": [],
    }
    if any(c["card"].get("synthetic") for c in configs.values()):
        header["tags"].append("synthetic")
    names = sorted(configs)
    for i, name in enumerate(names):
        cfg = configs[name]
        header["configs"].append({
            "config_name": name,
            **({"default": True} if i == 0 and len(names) == 1 else {}),
            "data_files": [{"split": s, "path": f"data/{name}/{s}-*.parquet"} for s in sorted(cfg["splits"])],
        })
        header["dataset_info"].append({
            "config_name": name, "features": features_yaml,
            "splits": [{"name": s, "num_bytes": v["bytes"], "num_examples": v["rows"]}
                       for s, v in sorted(cfg["splits"].items())],
        })
    if len(names) > 1:
        all_splits = sorted({s for c in configs.values() for s in c["splits"]})
        header["configs"].append({
            "config_name": "all", "default": True,
            "data_files": [{"split": s, "path": f"data/*/{s}-*.parquet"} for s in all_splits],
        })
        header["dataset_info"].append({
            "config_name": "all", "features": features_yaml,
            "splits": [{"name": s,
                        "num_bytes": sum(c["splits"].get(s, {}).get("bytes", 0) for c in configs.values()),
                        "num_examples": sum(c["splits"].get(s, {}).get("rows", 0) for c in configs.values())}
                       for s in all_splits],
        })
    return header


def render_card(manifest: dict[str, Any], audit: dict[str, Any] | None = None) -> str:
    """The card; ``audit`` is the data audit's summary (``reports/audit.json``), shown when given."""
    header = yaml.safe_dump(card_header(manifest), sort_keys=False, allow_unicode=True, width=120)
    body = _ENV.get_template("dataset_card.md.j2").render(
        manifest=manifest, configs=manifest["configs"], column_docs=COLUMN_DOCS,
        types={k: feature_type(v) for k, v in FEATURES.items()},
        categories=CATEGORIES, version=__version__,
        multi=len(manifest["configs"]) > 1, audit=audit,
    )
    return f"---\n{header}---\n\n{body}"


def write_card(out: Path, manifest: dict[str, Any]) -> Path:
    from ..audit import load_audit

    path = Path(out) / "README.md"
    path.write_text(render_card(manifest, load_audit(out)), encoding="utf-8")
    return path
