#!/usr/bin/env bash
# Set up seqd-builder on a fresh Debian/Ubuntu machine: system libraries, a virtual environment
# `.venv` at the repository root with the `seqd` command, and (with --test) what the tests need.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

python=${PYTHON:-python3}
"$python" - <<'PY' || { echo "seqd-builder needs Python >= 3.10 (set PYTHON=/path/to/python3.x)"; exit 1; }
import sys; sys.exit(sys.version_info < (3, 10))
PY

# FFmpeg's shared libraries: `datasets` decodes Audio through torchcodec, which loads them.
packages=()
ldconfig -p 2>/dev/null | grep -q 'libavcodec\.so' || packages+=(ffmpeg)
# Headless Chromium for the leaderboard's browser test.
if [ "$with_tests" = 1 ] && ! command -v chromium >/dev/null 2>&1; then packages+=(chromium); fi
if [ "${#packages[@]}" -gt 0 ]; then
  echo "installing system packages: ${packages[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch first and pinned: a range admitting newer releases would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
if [ "$with_tests" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi
echo "ready: $(.venv/bin/seqd --version) in .venv (try .venv/bin/seqd --help)"
