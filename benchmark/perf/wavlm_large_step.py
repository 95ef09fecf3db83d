"""Time and peak memory of one training step of the released EmoSphere-SER recipe, on this machine.

What a GPU user needs to plan a run of ``emosphere_released`` (WavLM-large fine-tuned, CNN feature
encoder frozen, last hidden state, style pooling and heads of width 1024, micro-batches of 12 s clips).
Nothing is downloaded: the encoder is a *randomly initialised* WavLM with WavLM-large's shapes
(``transformers.WavLMConfig``: 24 layers, width 1024, 16 heads, FFN 4096, 7-layer CNN), which costs
the same arithmetic and memory as the pretrained weights.

Measured per batch size ``B`` (12 s of noise per item, ``--seconds``), in a fresh process each so that
peak RSS belongs to that size alone:

* step: forward (encoder + EmoSphere-SER), 1 − CCC + auxiliary loss, backward, AdamW step, train mode;
* peer: the same forward in eval mode under ``torch.no_grad`` (what a frozen front-end costs), so the
  step is also reported as a ratio to it.

Peak memory is the process's max RSS (weights, AdamW state, activations; CPU, float32). On a GPU under
fp16 autocast activations take about half of that; the script runs unchanged there and then reports
``torch.cuda.max_memory_allocated``.

``--flops`` also counts the floating-point operations of the encoder's forward and backward for one
clip (``torch.utils.flop_counter.FlopCounterMode``): the device-independent cost of an epoch.

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmark/perf/wavlm_large_step.py --batch 1 2 --threads 1 --flops

Results of this machine: ``benchmark/perf/results/wavlm_large_step.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch

LARGE = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
             feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=True)


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def one_size(batch: int, seconds: float, device: str) -> dict:
    from transformers import WavLMConfig, WavLMModel

    from seqd_builder.benchmark.models.base import ModelSpec, TrainStats
    from seqd_builder.benchmark.models.emosphere import EmoSphereSER

    dev = torch.device(device)
    torch.manual_seed(0)
    encoder = WavLMModel(WavLMConfig(**LARGE)).to(dev)
    encoder.freeze_feature_encoder()
    spec = ModelSpec(dim=1024, num_layers=1, targets=("vad",), epochs=20)
    head = EmoSphereSER(spec, hidden=1024, out_dim=1024, head_hidden=1024).to(dev)
    head.fit_setup(TrainStats(mean=torch.zeros(1, 1024), std=torch.ones(1, 1024),
                              vad=np.random.default_rng(0).random((64, 3)).astype(np.float32)))
    params = [p for p in [*encoder.parameters(), *head.parameters()] if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5)
    rng = np.random.default_rng(0)
    n = int(seconds * 16000)
    wave = torch.from_numpy(rng.standard_normal((batch, n)).astype(np.float32)).to(dev)
    mask = torch.ones(batch, n, dtype=torch.long, device=dev)
    vad = torch.from_numpy(rng.random((batch, 3)).astype(np.float32)).to(dev)

    def forward():
        h = encoder(wave, attention_mask=mask).last_hidden_state[:, None]  # [B, 1, T, D]
        lengths = torch.full((batch,), h.shape[2], dtype=torch.long, device=dev)
        return head(h, lengths)

    encoder.eval()
    head.eval()
    t = time.perf_counter()
    with torch.no_grad():
        forward()
    peer_s = time.perf_counter() - t
    encoder.train()
    head.train()
    t = time.perf_counter()
    out = forward()
    loss, _ = head.loss(out, {"vad": vad}, epoch=0)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    step_s = time.perf_counter() - t
    return {"batch": batch, "seconds": seconds, "device": device, "threads": torch.get_num_threads(),
            "encoder_parameters": sum(p.numel() for p in encoder.parameters()),
            "trainable_parameters": sum(p.numel() for p in params),
            "step_s": round(step_s, 2), "peer_forward_s": round(peer_s, 2),
            "step_over_forward": round(step_s / peer_s, 2), "peak_memory_mb": round(peak_memory_mb(dev))}


def encoder_flops(seconds: float) -> dict:
    """TFLOP of one clip through WavLM-large (CNN frozen, LayerDrop off): forward, and forward + backward."""
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import WavLMConfig, WavLMModel

    encoder = WavLMModel(WavLMConfig(**LARGE, layerdrop=0.0))
    encoder.freeze_feature_encoder()
    x = torch.randn(1, int(seconds * 16000))
    with FlopCounterMode(display=False) as both:
        encoder.train()
        encoder(x).last_hidden_state.mean().backward()
    with FlopCounterMode(display=False) as fwd, torch.no_grad():
        encoder.eval()
        encoder(x)
    return {"seconds": seconds, "forward_tflop": round(fwd.get_total_flops() / 1e12, 3),
            "forward_backward_tflop": round(both.get_total_flops() / 1e12, 3)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, nargs="+", default=[1, 2])
    p.add_argument("--seconds", type=float, default=12.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--flops", action="store_true", help="also count the encoder's FLOPs per clip")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # child process: one size
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.one:
        print(json.dumps(one_size(args.batch[0], args.seconds, args.device)))
        return
    rows = []
    for b in args.batch:  # a fresh process per size: max RSS is per process
        out = subprocess.run([sys.executable, __file__, "--one", "--batch", str(b), "--seconds",
                              str(args.seconds), "--threads", str(args.threads), "--device", args.device],
                             check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    if len(rows) >= 2:  # linear in the batch size: fixed part (weights, AdamW state) + per item
        (b0, r0), (b1, r1) = (rows[0]["batch"], rows[0]), (rows[-1]["batch"], rows[-1])
        per_item_mb = (r1["peak_memory_mb"] - r0["peak_memory_mb"]) / (b1 - b0)
        per_item_s = (r1["step_s"] - r0["step_s"]) / (b1 - b0)
        est = {"extrapolated_batch": 16,
               "peak_memory_mb": round(r0["peak_memory_mb"] + per_item_mb * (16 - b0)),
               "step_s": round(r0["step_s"] + per_item_s * (16 - b0), 1)}
        print(json.dumps({"per_item_mb": round(per_item_mb), "per_item_step_s": round(per_item_s, 2),
                          **est}))
    if args.flops:
        print(json.dumps(encoder_flops(args.seconds)))


if __name__ == "__main__":
    main()
