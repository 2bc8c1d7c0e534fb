#!/usr/bin/env bash
# Copies the header-only libraries fwtax builds against (Eigen, nlohmann/json, the part of Boost that
# Boost.Math's binomial distribution needs, zlib's headers) and their CMake package files from this
# Debian machine into DIR (default .deps), laid out like /usr, so that a machine without Debian's
# packages but with a compiler, CMake and the CUDA Toolkit (a rented GPU box, say) can build fwtax:
#   validate/gpu/run_device.sh OUTDIR .deps
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=${1:-.deps}/usr
rm -rf "$dest"
mkdir -p "$dest/include" "$dest/share/cmake" "$dest/share/eigen3" "$dest/lib/x86_64-linux-gnu/cmake"
cp -r /usr/include/eigen3 /usr/include/nlohmann "$dest/include/"
cp /usr/include/zlib.h /usr/include/zconf.h "$dest/include/"
cp -r /usr/share/eigen3/cmake "$dest/share/eigen3/"
cp -r /usr/share/cmake/nlohmann_json "$dest/share/cmake/"
cp -r /usr/lib/x86_64-linux-gnu/cmake/Boost-* /usr/lib/x86_64-linux-gnu/cmake/boost_headers-* "$dest/lib/x86_64-linux-gnu/cmake/"
# Boost: every header calibrate/stats.cpp pulls in with this compiler, plus the folders that pick
# compiler- and platform-specific variants (config, predef, detail, core).
g++ -std=c++20 -M -I. -I/usr/include/eigen3 calibrate/stats.cpp | tr ' \\' '\n\n' | grep '^/usr/include/boost/' |
  sort -u | while read -r f; do
    mkdir -p "$dest/include/$(dirname "${f#/usr/include/}")"
    cp "$f" "$dest/include/${f#/usr/include/}"
  done
for d in config predef detail core; do cp -r "/usr/include/boost/$d" "$dest/include/boost/"; done
du -sh "$dest"
