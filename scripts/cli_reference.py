"""Write docs/cli.md from the ``seqd`` commands' own help (``--check``: only say whether it is current).

Usage: python scripts/cli_reference.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seqd_builder.cli._reference import render_reference  # noqa: E402

TARGET = ROOT / "docs" / "cli.md"


def main(argv: list[str]) -> int:
    text = render_reference()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
        if current != text:
            print(f"{TARGET} is out of date: run `python scripts/cli_reference.py`", file=sys.stderr)
            return 1
        print(f"{TARGET} is current")
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
