"""The dataset card (``README.md``) of a built dataset folder.

The YAML header is what ``datasets.load_dataset`` and the Hub read: ``configs`` (one per corpus plus
``all``) with their ``data_files``, and ``dataset_info`` with the declared features and split sizes, so
the features are never inferred from parquet. It is made with public classes of huggingface_hub and
datasets (:func:`card_data`), not templated as
text. The Markdown body follows the HF card sections (with an added audit section: rejections and
checksums) and is rendered with jinja2 under ``StrictUndefined``, so a missing value fails the build
instead of vanishing from the card.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from datasets import Audio, ClassLabel, List, Value

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


_SCALE_NAMES = {"intensity": "intensity", "vote_intensity": "perceived intensity (per vote)",
                "dimensions": "arousal / valence / dominance"}
_PHONE_FIELDS = {"inventory": "phone inventory", "g2p_language": "grapheme-to-phoneme language",
                 "default_mode": "default mode", "alignment": "alignment read from"}


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell (one line, no column separators)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def scale_rows(scales: dict[str, Any]) -> list[dict[str, str]]:
    """One table row per native scale of a card: its values, how they are stored, what they mean.

    The card records scales as nested data (``CorpusCard.scales()``); pasted as JSON they read as code,
    so each becomes a row of words: ``LO = 1, MD = 2, HI = 3`` rather than ``{"LO": 1, ...}``.
    """
    rows = []
    for kind, s in scales.items():
        if s.get("levels"):
            native = ", ".join(tok if tok == str(lvl) else f"{tok} = {lvl}" for tok, lvl in s["levels"].items())
        elif s.get("range"):
            low, high = s["range"]
            native = f"{low:g} to {high:g}"
        else:
            native = "–"
        meaning = [s["description"]] if s.get("description") else []
        meaning += [f"{dim}: {s[dim]}" for dim in ("arousal", "valence", "dominance") if s.get(dim)]
        if s.get("source"):
            meaning.append(f"source: {s['source']}")
        rows.append({"scale": _SCALE_NAMES.get(kind, kind.replace("_", " ")), "native": _cell(native),
                     "stored": _cell(s.get("normalised", "as given")),
                     "meaning": _cell("; ".join(meaning) or "–")})
    return rows


def phone_facts(phones: dict[str, Any]) -> list[tuple[str, str]]:
    """The card's phone settings as (label, value) pairs in words, for the card's prose."""
    return [(_PHONE_FIELDS.get(k, k.replace("_", " ")), str(v)) for k, v in phones.items()]


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


def _dataset_info(config: str, splits: dict[str, dict[str, int]]):
    from datasets import DatasetInfo, SplitDict, SplitInfo

    return DatasetInfo(features=FEATURES, config_name=config, splits=SplitDict(
        {s: SplitInfo(name=s, num_bytes=v["bytes"], num_examples=v["rows"])
         for s, v in sorted(splits.items())}))


def card_data(manifest: dict[str, Any]):
    """The YAML header as a ``huggingface_hub.DatasetCardData``.

    Built through the libraries' public classes, the ones ``push_to_hub`` writes headers with:
    ``DatasetCardData`` for the Hub's fields, ``DatasetInfosDict.to_dataset_card_data`` for
    ``dataset_info`` (features declared from :data:`FEATURES`, split sizes) and
    ``MetadataConfigs.to_dataset_card_data`` for ``configs`` (one per corpus, plus ``all``).
    """
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    configs = manifest["configs"]
    tags = ["speech-emotion-recognition", "seqd-builder", "emotion", "audio"]
    if any(c["card"].get("synthetic") for c in configs.values()):
        tags.append("synthetic")
    data = DatasetCardData(
        pretty_name=" + ".join(c["title"] for c in configs.values()),
        license=sorted({_hub_licence(c["card"]["licence"]) for c in configs.values()}),
        language=sorted({lang for c in configs.values() for lang in c["card"]["languages"]}),
        task_categories=["audio-classification"], tags=tags)
    names = sorted(configs)
    metadata = {name: {**({"default": True} if len(names) == 1 else {}),
                       "data_files": [{"split": s, "path": f"data/{name}/{s}-*.parquet"}
                                      for s in sorted(configs[name]["splits"])]}
                for name in names}
    infos = {name: _dataset_info(name, configs[name]["splits"]) for name in names}
    if len(names) > 1:
        all_splits = sorted({s for c in configs.values() for s in c["splits"]})
        metadata["all"] = {"default": True, "data_files": [{"split": s, "path": f"data/*/{s}-*.parquet"}
                                                           for s in all_splits]}
        infos["all"] = _dataset_info("all", {
            s: {"bytes": sum(c["splits"].get(s, {}).get("bytes", 0) for c in configs.values()),
                "rows": sum(c["splits"].get(s, {}).get("rows", 0) for c in configs.values())}
            for s in all_splits})
    MetadataConfigs(metadata).to_dataset_card_data(data)
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def card_header(manifest: dict[str, Any]) -> dict[str, Any]:
    """The YAML header as a dict (configs, dataset_info, licence, languages, tags)."""
    return card_data(manifest).to_dict()


def render_card(manifest: dict[str, Any], audit: dict[str, Any] | None = None) -> str:
    """The card; ``audit`` is the data audit's summary (``reports/audit.json``), shown when given."""
    header = card_data(manifest).to_yaml()
    body = _ENV.get_template("dataset_card.md.j2").render(
        manifest=manifest, configs=manifest["configs"], column_docs=COLUMN_DOCS,
        types={k: feature_type(v) for k, v in FEATURES.items()},
        categories=CATEGORIES, version=__version__,
        multi=len(manifest["configs"]) > 1, scale_rows=scale_rows, phone_facts=phone_facts,
        synthetic=sorted(n for n, c in manifest["configs"].items() if c["card"].get("synthetic")),
        recorded=sorted(n for n, c in manifest["configs"].items() if not c["card"].get("synthetic")),
        audit=audit,
    )
    return f"---\n{header}\n---\n\n{body}"


def write_card(out: Path, manifest: dict[str, Any]) -> Path:
    from ..audit import load_audit

    path = Path(out) / "README.md"
    path.write_text(render_card(manifest, load_audit(out)), encoding="utf-8")
    return path
