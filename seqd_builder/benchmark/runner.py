"""Run a task end to end: data → folds → features → train per fold → metrics → results.json.

The library entry point is :func:`run_task`; ``seqd bench run`` is a thin layer over it. A run folder
(``<out stem>.run/``, :mod:`.runfolder`) holds the resolved config, and per fold its result, predictions and truth
(CSV, as s3prl writes them) and the best checkpoint (safetensors). Rerunning the same command skips
finished folds; finished folds of a different config are refused rather than mixed.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ..errors import ConfigError
from ..schema import DIMENSIONS
from . import recipe, scoring
from .augment import SpecAugment, feature_stats, speed_perturb, utterance_stats
from .config import config_hash, load_model_config
from .data import FeatureDataset, PhoneVocab, TaskData, load_task_data
from .folds import describe
from .frontend import accepts_ids, load_upstream, trainable_module, upstream_info
from .models import get_model_class
from .models.base import ModelSpec, TrainStats
from .results import code_version, hardware, now_iso, validate_results
from .runfolder import prepare_run_folder
from .scoring import FoldScores, fold_metrics, pooled_arrays
from .tasks import Task, load_task
from .train import TrainConfig, predict, train_fold


def run_task(task: str | Task, model: str, data_dir: str | Path, *, upstream: Any = None,
             out: str | Path = "results.json", config_overrides: dict | None = None,
             upstream_options: dict | None = None, seed: int | None = None,
             folds: list[str] | None = None, accelerator=None, submitter: str | None = None,
             progress: bool = True) -> dict:
    """Train and evaluate ``model`` on ``task`` with the dataset in ``data_dir``; returns results.json.

    ``model`` is a config in ``benchmark/models/`` or a registered model name; ``upstream`` a spec
    string for :func:`~seqd_builder.benchmark.upstreams.get_upstream` (default: the config's, ``fbank``)
    or an :class:`~seqd_builder.benchmark.frontend.Upstream` object; ``upstream_options`` go to
    ``get_upstream`` (e.g. ``{"cache": True}``). ``folds`` restricts the run to named folds (the results
    then say so in ``notes``). The results are validated against the schema and written to ``out``.
    """
    from accelerate.utils import set_seed

    t0 = time.time()
    task = task if isinstance(task, Task) else load_task(task)
    overrides = dict(config_overrides or {})
    if seed is not None:
        overrides = {**overrides, "training": {**overrides.get("training", {}), "seed": int(seed)}}
    options = dict(upstream_options or {})
    cache = options.pop("cache", None)  # where features are kept does not change results: not hashed
    if isinstance(upstream, str):
        overrides["upstream"] = {"spec": upstream, "options": options}
    cfg = load_model_config(model, overrides)
    extra = {"cache": cache} if cache else {}
    up = load_upstream(upstream if upstream is not None and not isinstance(upstream, str)
                       else cfg["upstream"]["spec"], **cfg["upstream"].get("options", {}), **extra)
    if not isinstance(upstream, str) and upstream is not None:
        cfg["upstream"] = {"spec": f"object:{up.name}", "options": {}}
    cfg["task"] = task.name
    train_cfg = TrainConfig(**cfg["training"])
    resolved = {k: v for k, v in cfg.items()}
    chash = config_hash(resolved)

    out = Path(out)
    accelerator, run_notes = recipe.make_accelerator(train_cfg, accelerator)
    data = load_task_data(task, data_dir)  # before the run folder: a wrong --data leaves nothing behind
    run_dir = prepare_run_folder(out, chash, resolved)
    protocol, all_folds = data.folds()  # speaker-disjointness asserted here, before any training
    chosen = [f for f in all_folds if folds is None or f.name in folds]
    if not chosen:
        raise ConfigError(f"no fold named {folds}; folds: {[f.name for f in all_folds]}")
    chosen = recipe.restrict_rows(data, chosen, train_cfg.train_rows)

    # rows that get speed-perturbed copies: the fitting rows (training, plus validation for a refit)
    needed_train = np.unique(np.concatenate([np.concatenate([f.train, f.validation]) if train_cfg.refit
                                             else f.train for f in chosen]))
    needed = np.unique(np.concatenate([np.concatenate([f.train, f.validation, f.test]) for f in chosen]))
    speeds = [1.0] + [s for s in cfg["augment"].get("speed", [1.0]) if s != 1.0]
    spec_aug = SpecAugment(**cfg["augment"]["specaugment"]) if cfg["augment"].get("specaugment") else None
    finetune = trainable_module(up)
    if finetune is not None and train_cfg.refit:  # its weights would have to start again from pretrained
        raise ConfigError("training.refit needs a frozen upstream; this one is fine-tuned",
                          hint="freeze the upstream or set training.refit: false")
    if hasattr(up, "to") and not isinstance(up, torch.nn.Module):
        up.to(accelerator.device)  # the front-end places its inputs on this device
    if finetune is None:
        prep = recipe.wave_prep(cfg, data, (), fine_tuned=False)  # a crop at most
        features = [extract_features(up, data, needed if s == 1.0 else needed_train, s, accelerator,
                                     progress=progress, prep=prep) for s in speeds]
        feats_fn = None
    else:  # fine-tuned upstream: waveforms go through it inside the training step
        finetune.to(accelerator.device)
        feats_fn = (lambda batch: tuple(t.to(accelerator.device) for t in up.forward(batch["waves"])))

    fold_results = []
    for fold in chosen:
        fdir = run_dir / "folds" / safe_name(fold.name)
        done = fdir / "result.json"
        if done.is_file():
            fold_results.append(json.loads(done.read_text(encoding="utf-8")))
            continue
        if finetune is not None:  # waveforms prepared with the fold's own training statistics
            features = recipe.wave_source(data, speeds, recipe.wave_prep(cfg, data, fold.train, True,
                                                                         progress))
        set_seed(train_cfg.seed)
        fold_results.append(_run_fold(task, cfg, data, fold, up, features, feats_fn, len(speeds), spec_aug,
                                      train_cfg, accelerator, fdir, finetune, progress))
    results = assemble(task, cfg, chash, up, data, protocol, chosen, all_folds, fold_results, accelerator,
                       time.time() - t0, submitter, run_notes)
    validate_results(results)
    if accelerator.is_main_process:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return results


def safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def extract_features(up, data: TaskData, rows, speed: float, accelerator, batch_size: int = 8,
                     progress: bool = True, prep=None) -> list:
    """Features ``[L, T, D]`` (CPU, float32) of the task rows ``rows`` at one speed; None elsewhere.

    ``prep`` (a :class:`~seqd_builder.benchmark.data.WavePrep`) transforms each perturbed waveform.
    """
    feats: list = [None] * len(data)
    ids_ok = accepts_ids(up)
    rows = list(map(int, rows))
    bar = tqdm(total=len(rows), desc=f"features {up.name} ×{speed:g}", unit="utt", leave=False,
               disable=not progress or not accelerator.is_local_main_process)
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        waves = [speed_perturb(data.wave(i), speed) for i in chunk]
        if prep is not None and not prep.identity:
            waves = [prep(w) for w in waves]
        kw = {"ids": [f"{data.ids[i]}@{speed:g}" for i in chunk]} if ids_ok else {}
        with torch.no_grad():
            x, lengths = up.forward(waves, **kw)
        x = x.detach().float().cpu()
        for j, i in enumerate(chunk):
            feats[i] = x[j, :, : int(lengths[j])].clone()
        bar.update(len(chunk))
    bar.close()
    return feats


def _run_fold(task, cfg, data, fold, up, features, feats_fn, copies, spec_aug, train_cfg, accelerator,
              fdir: Path, finetune, progress) -> dict:
    """Train on the fold's training rows with early stopping on its validation rows, then test.

    With ``training.refit`` the model that is tested is trained again from scratch (same seed) on the
    training and validation rows together, for the number of epochs early stopping chose (never fewer
    than ``min_epochs``), the way the scikit-learn peers refit after choosing ``C`` on validation. The
    validation speakers then add to the training data instead of only choosing the epoch.
    """
    from safetensors.torch import save_model

    primary = task.primary_metric
    model, vocab, train_ds = _fold_model(task, cfg, data, fold.train, up, features, finetune, copies,
                                         train_cfg)
    val_ds = FeatureDataset(data, fold.validation, features, vocab, copies=1, seed=train_cfg.seed)
    score = (lambda preds: fold_metrics(task, data, gather(preds, fold.validation), fold.validation,
                                        vocab)[0].get(primary, -math.inf))
    train_kw = dict(augment=spec_aug, feats_fn=feats_fn, progress=progress)
    outcome = train_fold(model, train_ds, val_ds, train_cfg, accelerator, score=score, upstream=finetune,
                         desc=f"{task.name} fold {fold.name}", **train_kw)
    fit_rows, epochs, selection = fold.train, outcome.epochs, None
    if train_cfg.refit and len(fold.validation):
        from accelerate.utils import set_seed

        epochs = max(outcome.best_epoch + 1, train_cfg.min_epochs)
        selection = {"best_epoch": outcome.best_epoch, "epochs": outcome.epochs, "history": outcome.history}
        set_seed(train_cfg.seed)
        fit_rows = np.concatenate([fold.train, fold.validation])
        model, vocab, train_ds = _fold_model(task, cfg, data, fit_rows, up, features, finetune, copies,
                                             train_cfg)
        outcome = train_fold(model, train_ds, None, replace(train_cfg, epochs=epochs), accelerator,
                             score=score, desc=f"{task.name} fold {fold.name} refit", **train_kw)
    test_ds = FeatureDataset(data, fold.test, features, vocab, copies=1, seed=train_cfg.seed)
    pred = gather(predict(model, test_ds, train_cfg, accelerator, feats_fn, upstream=finetune), fold.test)
    if train_cfg.clip_test and "vad" in pred:  # as released: test predictions kept on the scale
        pred["vad"] = np.clip(pred["vad"], 0.0, 1.0)
    fold_m, extra = fold_metrics(task, data, pred, fold.test, vocab)
    result = {"fold": fold.name, **({"corpus": str(data.corpus[int(fold.test[0])])} if task.multi else {}),
              "test_speakers": sorted({data.speakers[i] for i in fold.test})[:500],
              "n_train": int(len(fit_rows)), "n_test": int(len(fold.test)),
              "epochs": int(epochs), "metrics": fold_m, **extra}
    record = {"fold": result, "best_epoch": outcome.best_epoch,
              "active_heads": list(getattr(model, "active", ())), "pooled": pooled_arrays(data, pred, fold.test)}
    if accelerator.is_main_process:
        fdir.mkdir(parents=True, exist_ok=True)
        save_model(accelerator.unwrap_model(model), str(fdir / "model.safetensors"))
        write_predictions(fdir / "predictions.csv", task, data, fold, pred)
        saved = {**record, "history": outcome.history, **({"selection": selection} if selection else {})}
        (fdir / "result.json").write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
    return record


def _fold_model(task, cfg, data, fit_rows, up, features, finetune, copies, train_cfg):
    """A fresh model set up from ``fit_rows`` only (phone vocabulary, normalisation, class weights),
    its phone vocabulary, and the dataset of ``fit_rows`` (with their speed-perturbed copies)."""
    targets = task.targets
    vocab = None
    if "phones" in targets:
        seqs = [data.phones[i] for i in fit_rows]
        vocab = PhoneVocab(seqs) if any(seqs) else None
    spec = ModelSpec(dim=up.dim, num_layers=up.num_layers, targets=targets, classes=task.classes,
                     n_intensity=data.n_intensity if "intensity" in targets else 0,
                     n_phones=len(vocab) if vocab is not None else 0, epochs=train_cfg.epochs)
    model = get_model_class(cfg["model"])(spec, **cfg["params"])
    if cfg["normalise"] and finetune is None:
        mean, std = feature_stats(features[0], fit_rows)  # fitting rows only
    else:
        mean, std = torch.zeros(up.num_layers, up.dim), torch.ones(up.num_layers, up.dim)
    utterance = (utterance_stats(features[0], fit_rows, mean, std)
                 if finetune is None and model.needs_utterance_stats else None)
    model.fit_setup(TrainStats(mean=mean, std=std, category=data.category[fit_rows],
                               vad=data.vad[fit_rows], utterance=utterance, gender=data.gender[fit_rows]))
    return model, vocab, FeatureDataset(data, fit_rows, features, vocab, copies=copies, seed=train_cfg.seed)


def gather(preds: list, rows) -> dict:
    """Predictions of ``rows`` (task row indices) in that order, from batched (index, dict) pairs."""
    pos = {int(i): k for k, i in enumerate(rows)}
    out: dict[str, Any] = {}
    for idx, p in preds:
        for key, val in p.items():
            if key not in out:
                out[key] = [None] * len(rows)
            for j, i in enumerate(idx):
                out[key][pos[int(i)]] = val[j]
    return {k: (np.stack(v) if k != "phones" else v) for k, v in out.items()}


def write_predictions(path: Path, task: Task, data: TaskData, fold, pred: dict) -> None:
    rows = np.asarray(fold.test, dtype=int)
    table: dict[str, Any] = {"id": [data.ids[i] for i in rows], "speaker": [data.speakers[i] for i in rows],
                             "fold": fold.name}
    if "category" in pred:
        table["truth"] = [task.classes[c] if c >= 0 else "" for c in data.category[rows]]
        table["pred"] = [task.classes[c] for c in pred["category"]]
        for k, c in enumerate(task.classes if "category_prob" in pred else ()):
            table[f"prob_{c}"] = np.round(pred["category_prob"][:, k], 6)
    if "vad" in pred:
        for k, d in enumerate(DIMENSIONS):
            table[f"truth_{d}"] = data.vad[rows, k]
            table[f"pred_{d}"] = np.round(pred["vad"][:, k], 6)
    if "intensity" in pred:
        table["truth_intensity_level"] = [v + 1 if v >= 0 else None for v in data.intensity[rows]]
        table["pred_intensity_level"] = pred["intensity"] + 1
    if "gender" in pred:  # scored over the pooled folds too: a LOSO fold holds one gender
        from ..schema import GENDERS

        table["truth_gender"] = [GENDERS[g] if g >= 0 else None for g in data.gender[rows]]
        table["pred_gender"] = [GENDERS[g] for g in pred["gender"]]
    if getattr(data, "corpus", None) is not None and task.multi:
        table["corpus"] = [data.corpus[i] for i in rows]
    pd.DataFrame(table).to_csv(path, index=False)


def text_overlap_share(folds, texts) -> float | None:
    """Share of the run's test utterances whose transcript occurs in their fold's training set
    (:mod:`seqd_builder.audit.leakage`); None when no test utterance has a transcript."""
    from ..audit.leakage import text_overlap_share as share

    return share(folds, texts)


def assemble(task, cfg, chash, up, data, protocol, chosen, all_folds, fold_results, accelerator,
             runtime, submitter, run_notes=()) -> dict:
    folds_json = [r["fold"] for r in fold_results]
    b = {**scoring.DEFAULT_BOOTSTRAP, **cfg["bootstrap"]}
    scores = [FoldScores.from_pooled(f["fold"], r["pooled"], len(task.classes))
              for f, r in zip(folds_json, fold_results)]
    averaged = scoring.summarise(task.metrics, folds_json, scores, b)
    if task.multi:  # per test corpus, and their unweighted mean as the headline
        from .multicorpus import multi_corpus_block

        averaged, multi = multi_corpus_block(task, protocol, folds_json, scores, b)
    notes = [f"averaging: {scoring.averaging_text(b['resamples'], b['seed'], b.get('cluster'))}"]
    heads = sorted({h for r in fold_results for h in r.get("active_heads", [])})
    if cfg["model"] == "speecheq":
        notes.append(f"active auxiliary heads: {', '.join(heads) or 'none'}")
    if len(chosen) != len(all_folds):
        notes.append(f"partial run: {len(chosen)} of {len(all_folds)} folds")
    notes.extend(run_notes)
    layers = "single" if up.num_layers == 1 else f"weighted sum of {up.num_layers}"
    result = {
        "schema_version": 1, "task": task.name, "model": cfg["name"],
        "upstream": upstream_info(up, layers), "config": cfg, "config_hash": chash,
        "code_version": code_version(), "seeds": [int(cfg["training"]["seed"])],
        "protocol": {"name": protocol.name, "n_folds": len(chosen), "averaging": task.averaging[:200],
                     "text_overlap": text_overlap_share(chosen, data.texts or [None] * len(data))},
        "primary_metric": task.primary_metric, "metrics": averaged, "folds": folds_json,
        "runtime_s": round(float(runtime), 3), "hardware": hardware(accelerator.device), "date": now_iso(),
        "dataset": describe(task, data, data.folder),
        "notes": "; ".join(notes)[:2000], "provenance": {"kind": "run"},
    }
    if submitter:
        result["submitter"] = submitter
    if task.multi:
        result.update(multi)
    return result

