"""``python -m seqd_builder.demo OUT_DIR [small|tiny] [WORKERS]``: synthesise the SYNTHETIC demo corpus
and print its wall-clock and CPU time (this process and its children): the figures in docs/demo.md."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

from .synth import synthesise_demo


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.exit(__doc__)
    out, size = Path(args[0]), (args[1] if len(args) > 1 else "small")
    workers = int(args[2]) if len(args) > 2 else 1
    before = _cpu()
    corpus = synthesise_demo(out, size=size, workers=workers)
    print(f"{corpus.n_utterances} utterances ({size}, workers={workers}) in {corpus.seconds:.1f} s wall, "
          f"{_cpu() - before:.1f} s CPU; {out}")


if __name__ == "__main__":
    main()
