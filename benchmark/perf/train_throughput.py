"""Training throughput of the benchmark runner against a bare PyTorch loop, same model and batches.

Both loops train the same SpeechEQ model (fresh copy from the same initial weights) on the same
synthetic fbank-shaped features (``--items`` utterances of 1.5-4.5 s at 100 frames/s, 80 dims) in the
same batches (same loader, same shuffling seed):

* runner: the runner's own training step (``seqd_builder.benchmark.train.run_batches``: accelerate's
  ``prepare``/``backward``, gradient clipping at 5, per-batch loss bookkeeping, as ``seqd bench run``
  uses it);
* bare: ``for batch in loader: loss = model.loss(model(x, lengths)); loss.backward(); opt.step()``.

Rounds alternate bare/runner so that load drift on a shared machine hits both; the median epoch time of
each is reported, with samples/s, the ratio runner/bare (goal >= 0.9), and peak memory (max RSS of the
process on CPU; ``torch.cuda.max_memory_allocated`` on GPU). The same script runs unchanged on a GPU.

    python benchmark/perf/train_throughput.py --items 256 --epochs 3 --threads 1
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import statistics
import time

import numpy as np
import torch


def synthetic_data(items: int, dim: int, seed: int = 0):
    from seqd_builder.benchmark.data import FeatureDataset, TaskData
    from seqd_builder.benchmark.tasks import load_task

    rng = np.random.default_rng(seed)
    task = load_task("emodb")
    n = items
    data = TaskData(task=task, dataset=None, rows=np.arange(n), ids=[f"x/{i}" for i in range(n)],
                    speakers=[f"x/{i % 10}" for i in range(n)], splits=["train"] * n,
                    category=rng.integers(0, len(task.classes), n), intensity=np.full(n, -1),
                    gender=rng.integers(0, 2, n), vad=np.full((n, 3), np.nan, np.float32),
                    phones=[[] for _ in range(n)])
    feats = [torch.from_numpy(rng.standard_normal((1, int(rng.integers(150, 450)), dim)).astype(np.float32))
             for _ in range(n)]
    return task, data, FeatureDataset(data, np.arange(n), [feats], None, copies=1, seed=seed)


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def bare_epoch(model, opt, loader, device, epoch):
    model.train()
    for batch in loader:
        batch = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}
        out = model(batch["feats"], batch["lengths"])
        loss, _ = model.loss(out, batch, epoch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def main(argv=None) -> dict:
    from accelerate import Accelerator

    from seqd_builder.benchmark.models.base import ModelSpec, TrainStats
    from seqd_builder.benchmark.models.speecheq import SpeechEQ
    from seqd_builder.benchmark.train import make_loader, run_batches

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=3, help="rounds per loop (median reported)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--dim", type=int, default=80)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    accelerator = Accelerator()
    device = accelerator.device
    task, data, ds = synthetic_data(args.items, args.dim)
    spec = ModelSpec(dim=args.dim, num_layers=1, targets=("category",), classes=task.classes)
    torch.manual_seed(0)
    base = SpeechEQ(spec, hidden=args.hidden)
    base.fit_setup(TrainStats(mean=torch.zeros(1, args.dim), std=torch.ones(1, args.dim)))

    bare_model = copy.deepcopy(base).to(device)
    bare_opt = torch.optim.AdamW(bare_model.parameters(), lr=1e-3, weight_decay=1e-2)
    run_model = copy.deepcopy(base)
    run_opt = torch.optim.AdamW(run_model.parameters(), lr=1e-3, weight_decay=1e-2)
    run_model, run_opt = accelerator.prepare(run_model, run_opt)

    times = {"bare": [], "runner": []}
    for epoch in range(args.epochs + 1):  # round 0 warms both up and is not counted
        for kind in ("bare", "runner"):
            loader = make_loader(ds, args.batch_size, True, 0, epoch)  # identical batches for both
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            if kind == "bare":
                bare_epoch(bare_model, bare_opt, loader, device, epoch)
            else:
                run_batches(run_model, accelerator.prepare(loader), accelerator, train=True, epoch=epoch,
                            optimizer=run_opt, grad_clip=5.0)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if epoch:
                times[kind].append(time.perf_counter() - t0)
    res = {"device": str(device), "threads": torch.get_num_threads(), "items": args.items,
           "batch_size": args.batch_size, "hidden": args.hidden, "rounds": args.epochs}
    for kind, ts in times.items():
        med = statistics.median(ts)
        res[f"{kind}_epoch_s"] = round(med, 3)
        res[f"{kind}_samples_per_s"] = round(args.items / med, 1)
    res["ratio_runner_over_bare"] = round(res["runner_samples_per_s"] / res["bare_samples_per_s"], 3)
    res["peak_memory_mb"] = round(peak_memory_mb(device), 1)
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:>26}: {v}")
    return res


if __name__ == "__main__":
    main()
