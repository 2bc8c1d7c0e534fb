#!/usr/bin/env bash
# Installs what fwtax needs from Debian's packages (only what is missing), then configures and builds
# it in ./build. Safe to run again: it only does what is left to do.
set -euo pipefail
cd "$(dirname "$0")"

packages=(cmake make g++ libeigen3-dev libboost-math-dev nlohmann-json3-dev doctest-dev zlib1g-dev
          libbenchmark-dev libtorch-dev libopenblas0-pthread python3-torch chromium clang libclang-rt-14-dev
          pybind11-dev python3-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x build/fwtax ] || echo "setup.sh: building fwtax in ./build (4-7 minutes on 2 cores; quiet until done)" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "setup.sh: built build/fwtax and the Python module in build/python" >&2
