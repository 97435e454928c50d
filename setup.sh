#!/usr/bin/env bash
# actlab set-up for a fresh Debian 12 machine.
#   ./setup.sh          install what is missing, build, run the main job
#   ./setup.sh --test   the same, then every test (Release, then ASan+UBSan)
# Packages come from apt (through sudo when not root); nothing is downloaded
# from anywhere else.
set -euo pipefail
cd "$(dirname "$0")"

mode=run
case "${1:-}" in
  "") ;;
  --test) mode=test ;;
  -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
  *) echo "setup.sh: unknown option '$1' (use --test, or nothing)" >&2; exit 2 ;;
esac

# What the main job needs: the compiler and build tools, the library's and the CLI's
# dependencies, and the data set it trains on (Debian 12 package names).
packages=(build-essential cmake ninja-build pkg-config
          libhwy-dev libcli11-dev libfmt-dev nlohmann-json3-dev libopenblas-dev zlib1g-dev libcairo2-dev
          dataset-fashion-mnist)
# The tests add GoogleTest, MPFR (the accuracy references), Google Benchmark (the
# benchmarks are built, so that they compile), PyTorch 1.13 (semantics and interop;
# Debian's, not the bench-only current one), a venv for PyPI's safetensors, and
# Chromium (the report is rendered in a real browser).
# Benchmark comparators (oneDNN, a current PyTorch) are neither: bench/setup-bench.sh.
[ "$mode" = test ] && packages+=(googletest libgtest-dev libgmock-dev libmpfr-dev libgmp-dev libbenchmark-dev
                                 python3 python3-torch python3-venv python3-pip chromium)

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

jobs=$(nproc)
tests=OFF
[ "$mode" = test ] && tests=ON
echo "== building (Release) in build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DACTLAB_WERROR=ON \
      -DACTLAB_BUILD_TESTS=$tests -DACTLAB_BUILD_BENCH=$tests > build.log 2>&1 || { cat build.log; exit 1; }
grep '^-- actlab:' build.log || true
cmake --build build -j "$jobs"

# The main job, in both modes: --test is the same, then every test.
echo "== main job: the classic 784-256-128-10 ReLU network trained on Fashion-MNIST"
build/actlab info
build/actlab train --save build/fashion-mnist.safetensors --metrics-out build/fashion-mnist-metrics.json
echo "== the saved model, evaluated per class"
build/actlab evaluate build/fashion-mnist.safetensors
[ "$mode" = run ] && exit 0

echo "== tests (Release)"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
# -g1 (line tables) is all a sanitizer's stack trace needs (function, file, line) and compiles in about
# half the time of -g (the SIMD kernels: 95 s instead of 166 s of CPU); the benchmarks are not built.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
      -DACTLAB_WERROR=ON -DACTLAB_SANITIZE=ON -DACTLAB_BUILD_BENCH=OFF > build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
cmake --build build-asan -j "$jobs"
# The install test builds a plain consumer, which cannot link a sanitized library.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -E install_consumer_test
