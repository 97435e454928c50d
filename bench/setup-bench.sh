#!/usr/bin/env bash
# Benchmark comparators: never needed by ./setup.sh, the main job, the tests or CI.
#   bench/setup-bench.sh             oneDNN (with the OpenCL headers its CMake package needs) and
#                                    Google Benchmark from apt, then a current PyTorch 2.x from PyPI
#                                    into build/bench-venv, then rebuilds build/ with the benchmarks
#   bench/setup-bench.sh --no-torch  the same without PyTorch (its wheel brings CUDA libraries,
#                                    about 5 GB installed)
# Debian's python3-torch 1.13 stays what the tests use; build/bench-venv is for bench/*.py only:
#   build/bench-venv/bin/python bench/compare.py ...
set -euo pipefail
cd "$(dirname "$0")/.."

torch=1
case "${1:-}" in
  "") ;;
  --no-torch) torch=0 ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  *) echo "setup-bench.sh: unknown option '$1' (use --no-torch, or nothing)" >&2; exit 2 ;;
esac

packages=(build-essential cmake ninja-build pkg-config libbenchmark-dev libdnnl-dev ocl-icd-opencl-dev)
[ "$torch" = 1 ] && packages+=(python3 python3-venv python3-pip)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$torch" = 1 ]; then
  venv=build/bench-venv
  # Its own interpreter, without Debian's site-packages: Debian's torch 1.13 must not shadow the new one.
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
  echo "== PyTorch 2.x from PyPI into $venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade "torch>=2" numpy
  "$venv/bin/python" -c 'import torch; print("torch", torch.__version__, "CPU capability", torch.backends.cpu.get_cpu_capability())'
fi

echo "== building the benchmarks (Release) in build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DACTLAB_BUILD_BENCH=ON > build-bench.log 2>&1 \
  || { cat build-bench.log; exit 1; }
grep '^-- actlab:' build-bench.log || true
cmake --build build -j "$(nproc)"
ls -l build/bench/actlab_bench build/bench/onednn_bench
