"""``seqd demo``: the whole product on an embedded, SYNTHETIC corpus, with no download.

Each step uses the same library call a user would, in the order a curator and a benchmark submitter
meet them:

1. synthesise the demo corpus (Praat's eSpeak voices, prosody shaped by designed affect);
2. simulate raters of different reliability and write their SEQD annotation sheet and project file;
3. validate and merge the votes: merged table, agreement statistics and the curation report;
4. build the corpus through the build pipeline into a Hugging Face dataset folder;
5. train and evaluate the reference models on the demo tasks (speaker folds);
6. file the results and render the leaderboard.

Everything lands under one output folder; the step timings and the paths are printed at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..leaderboard.metrics import primary_summary

# (task, model, overrides): category + intensity models on the categorical task, EmoSphere-SER on the
# rated VAD. The overrides shrink the reference configs so that the walk-through trains in minutes on
# two CPU cores; every override is recorded in the results' config (and its hash).
DEMO_RUNS: tuple[tuple[str, str, dict], ...] = (
    ("demo", "baseline", {"training": {"epochs": 30}}),
    ("demo", "speecheq", {"params": {"hidden": 64, "rnn_layers": 0}, "augment": {"speed": [1.0]},
                          "training": {"epochs": 15}}),
    ("demo_attr", "emosphere", {"params": {"hidden": 64, "out_dim": 64, "head_hidden": 64},
                                "training": {"epochs": 10, "lr": 1.0e-3}}),
)


@dataclass
class DemoReport:
    out: Path
    steps: list[tuple[str, float, str]] = field(default_factory=list)  # (step, seconds, result)
    results: list[Path] = field(default_factory=list)
    site: Path | None = None

    def summary(self) -> str:
        lines = ["", "seqd demo (SYNTHETIC data: a walk-through of the tools, not an SER result)", ""]
        for step, seconds, result in self.steps:
            lines.append(f"  {step:<28} {seconds:6.1f} s  {result}")
        if self.site is not None:
            lines += ["", f"leaderboard: {self.site.resolve().as_uri()}"]  # --out may be relative
        return "\n".join(lines)


def run_demo(out: str | Path, *, size: str = "small", seed: int = 0, workers: int = 1,
             train: bool = True, epochs: int | None = None, threads: int = 1, progress: bool = True,
             echo: Callable[[str], None] = print) -> DemoReport:
    """Run the walk-through into ``out`` (re-running reuses what is already there).

    ``threads`` caps torch's CPU threads while training: the demo's models are small, and several
    threads contending for two cores make them many times slower, not faster.
    """
    from ..annotations import load_project, merge_sheet, read_sheet
    from ..annotations.report import write_report
    from ..annotations.simulate import simulate_raters, write_demo_project
    from ..pipeline import build
    from .design import load_design
    from .synth import DemoCorpus, synthesise_demo

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = DemoReport(out)

    def step(name: str, started: float, result: str) -> None:
        report.steps.append((name, time.monotonic() - started, result))
        echo(f"[demo] {name}: {result}")

    t = time.monotonic()
    corpus_dir = out / "corpus"
    if (corpus_dir / "truth.csv").is_file():
        corpus = DemoCorpus.open(corpus_dir)
    else:
        corpus = synthesise_demo(corpus_dir, seed=seed, size=size, workers=workers, progress=progress)
    n_utts = len(corpus.truth())
    step("1 synthesise corpus", t, f"{n_utts} synthetic utterances in {corpus_dir}")

    t = time.monotonic()
    ann = out / "annotations"
    ann.mkdir(exist_ok=True)
    sheet_path, project_path = ann / "sheet.csv", ann / "project.yaml"
    sheet = simulate_raters(corpus.rater_truth(), seed=seed)
    sheet.to_csv(sheet_path, index=False)
    write_demo_project(project_path, list(load_design().categories))
    step("2 simulate raters", t, f"{len(sheet)} ratings by {sheet['rater'].nunique()} raters in {sheet_path}")

    t = time.monotonic()
    merged = merge_sheet(read_sheet([sheet_path], load_project(project_path)).check())
    merged.write_table(ann / "merged")
    written = write_report(merged, ann / "report")
    kappa = merged.agreement.fleiss_kappa
    step("3 merge votes", t, f"Fleiss' kappa {kappa:.3f}; report {written[0]}")

    t = time.monotonic()
    dataset = out / "dataset"
    built = build(["demo"], dataset, root=corpus.root, workers=workers, progress=progress,
                  options={"demo": {"annotations": [str(sheet_path)], "project": str(project_path)}})
    cfg = built.configs[0]
    step("4 build dataset", t, f"{cfg.written} rows, {sum(cfg.rejected.values())} rejected; {dataset}")

    if train:
        import torch

        from ..benchmark.runner import run_task

        if threads:
            torch.set_num_threads(threads)

        results_dir = out / "results"
        results_dir.mkdir(exist_ok=True)
        for task, model, overrides in DEMO_RUNS:
            if epochs:
                overrides = {**overrides, "training": {**overrides.get("training", {}), "epochs": epochs}}
            t = time.monotonic()
            path = results_dir / f"{task}-{model}.json"
            result = run_task(task, model, dataset, upstream="fbank", out=path, seed=seed,
                              config_overrides=overrides, progress=progress)
            report.results.append(path)
            step(f"5 train {model} on {task}", t,
                 f"{primary_summary(result, ci=False)} over {len(result['folds'])} folds")

        t = time.monotonic()
        from ..leaderboard import render_site, submit

        board = out / "leaderboard"
        for path in report.results:
            submit(path, board / "submissions", replace=True,  # a local demo board, never the project's
                   allow_dirty="seqd demo: synthetic walkthrough run from a development checkout")
        # render_site refuses a non-empty folder it did not write itself
        report.site = render_site(board / "submissions", board / "site")
        step("6 render leaderboard", t, str(report.site))
    return report
