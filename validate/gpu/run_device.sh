#!/usr/bin/env bash
# fwtax's GPU session in one script, for a machine with one CUDA GPU, the CUDA Toolkit, CMake, a C++
# compiler and PyTorch (its libtorch is what fwtax-probe-torch links against there):
#   1. build fwtax with the CUDA probe and the libtorch probe;
#   2. fwtax calibrate --target cuda, then the Python dispatch probe, kernel sweeps and the CUDA-graph
#      check's replays of real models (validate/gpu/graph_check.py: the gap between kernels) merged in;
#   3. end-to-end runs of real models (validate/gpu/measure_gpu.py);
#   4. fwtax validate of those runs against the profile just calibrated, and again on the host that the
#      dispatch probe gives with its Python fitted to its in-model item (where transformers is installed).
# Usage: validate/gpu/run_device.sh OUTDIR [DEPS]   (DEPS: a folder from validate/gpu/pack_deps.sh,
# for a machine without Debian's libeigen3-dev, libboost-math-dev, nlohmann-json3-dev, zlib1g-dev).
# Every step logs to OUTDIR and a failed step does not stop the later ones. Budgets: E2E_BUDGET_S for
# the end-to-end runs (default 170 s; E2E_PASSES, E2E_PLAN, E2E_MODES pass --passes, --plan, --modes
# to measure_gpu.py); TRACE_BUDGET_S > 0 adds Kineto traces of torchvision CNNs
# (validate/gpu/trace_gpu.py: what PyTorch launches for their convolutions), default 0 (skipped), and
# TRACE_MODELS, TRACE_DTYPES, TRACE_BATCHES, TRACE_MODES (e.g. eager,torch-compile-reduce-overhead: what a
# compiled forward launches and how long its kernels take) choose what it traces;
# COMPILE_BUDGET_S > 0 adds eager, torch.compile and torch.compile(mode="reduce-overhead") runs of
# measure_gpu.py's `compile` plan in fp16 (each configuration compiles once: 20-60 s), default 0;
# GENERATE_TIMEOUT_S > 0 adds HF generate() of TinyLlama- and GPT-2-shaped models in fp16, dynamic and
# static cache (whose decode steps generate compiles: Inductor, reduce-overhead), batch 1 and 8, prompts
# 128 and 1024 (validate/cpu/hf_generate.py --device cuda), cut at that many seconds, default 0;
# GENERATE_MODELS, GENERATE_BATCHES, GENERATE_CONTEXTS, GENERATE_PASSES narrow it.
# STEPS (comma-separated, default all) runs only the steps named, for a short lease: build, calibrate,
# dispatch (the Python dispatch probe with the kernel sweeps), graph, e2e, traces, compile, generate,
# validate; and, outside `all`, probe (the dispatch probe alone, python-dispatch.json), sweeps (the kernel
# sweeps alone, sweeps.json) and probe-end (the dispatch probe again at the end, python-dispatch-end.json:
# with probe, how far the host drifted over the session). E2E_BATCHES replaces the plans' batch sizes;
# E2E_MODELS keeps only those models of the plans.
set -u
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:?usage: run_device.sh OUTDIR [DEPS]}")
deps=${2:+$(realpath "$2")}
mkdir -p "$out"
py=${PYTHON:-python3}
t0=$(date +%s)
step() { echo "== $(( $(date +%s) - t0 )) s: $*"; }
want() { [ "${STEPS:-all}" = all ] || [[ ",$STEPS," == *",$1,"* ]]; }
only() { [ "${STEPS:-all}" != all ] && [[ ",$STEPS," == *",$1,"* ]]; }

step environment
{ date -u +%FT%TZ; uname -a; nvidia-smi; nvcc --version; g++ --version | head -1; cmake --version | head -1
  $py -c "import torch, transformers, torchvision; print('torch', torch.__version__, 'transformers', transformers.__version__, 'torchvision', torchvision.__version__)"
  grep -m1 'model name' /proc/cpuinfo; nproc; } > "$out/environment.txt" 2>&1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.limit --format=csv >> "$out/environment.txt" 2>&1

if want build; then
step build
torch_prefix=$($py -c "import torch; print(torch.utils.cmake_prefix_path)" 2>/dev/null || true)
args=(-DCMAKE_BUILD_TYPE=Release -DFWTAX_BUILD_TESTS=OFF -DFWTAX_BUILD_BENCH=OFF -DFWTAX_WITH_CUDA=ON)
command -v ninja >/dev/null && args+=(-G Ninja)
if [ -n "$deps" ]; then
  args+=(-DEigen3_DIR="$deps/usr/share/eigen3/cmake" -Dnlohmann_json_DIR="$deps/usr/share/cmake/nlohmann_json")
  args+=(-DBoost_DIR="$(ls -d "$deps"/usr/lib/x86_64-linux-gnu/cmake/Boost-* | head -1)")
  if [ ! -e /usr/include/zlib.h ]; then
    z=$(ls /usr/lib/x86_64-linux-gnu/libz.so* /lib/x86_64-linux-gnu/libz.so* 2>/dev/null | head -1)
    args+=(-DZLIB_INCLUDE_DIR="$deps/usr/include" -DZLIB_LIBRARY="$z")
  fi
fi
targets=(fwtax fwtax-probe-cuda fwtax-probe-torch)
if ! cmake -S . -B build-gpu "${args[@]}" -DFWTAX_WITH_TORCH=ON -DCMAKE_PREFIX_PATH="$torch_prefix" > "$out/build.log" 2>&1; then
  echo "configure with libtorch failed; building without it" | tee -a "$out/build.log"
  rm -rf build-gpu
  cmake -S . -B build-gpu "${args[@]}" -DFWTAX_WITH_TORCH=OFF >> "$out/build.log" 2>&1
  targets=(fwtax fwtax-probe-cuda)
fi
cmake --build build-gpu -j"$(nproc)" --target "${targets[@]}" >> "$out/build.log" 2>&1 || echo "build failed (see build.log)"
tail -5 "$out/build.log"
fi

if want calibrate; then
step "calibrate --target cuda"
if [ -x build-gpu/fwtax ]; then
  timeout 300 build-gpu/fwtax calibrate --target cuda --name calibrated-gpu --out "$out/gpu-probe-only.json" > "$out/calibrate.log" 2>&1
  echo "exit $?" >> "$out/calibrate.log"
else  # the CUDA probe alone, so that the fit can still run elsewhere (fwtax calibrate --from)
  nvcc -O2 -arch=sm_90 -o /tmp/fwtax-probe-cuda calibrate/cuda/probe_cuda.cu -lcublas > "$out/calibrate.log" 2>&1 &&
    /tmp/fwtax-probe-cuda > "$out/probe-cuda.json" 2>> "$out/calibrate.log"
fi
cat "$out/calibrate.log"
fi

if want dispatch; then
  step "python dispatch"
  $py calibrate/python_dispatch.py --device cuda --quick --sweeps > "$out/python-dispatch.json" 2> "$out/python-dispatch.log"
elif only probe; then
  step "python dispatch probe"
  $py calibrate/python_dispatch.py --device cuda --quick > "$out/python-dispatch.json" 2> "$out/python-dispatch.log"
fi
if want graph; then
  step "graph check"
  PYTHONUNBUFFERED=1 timeout 150 $py validate/gpu/graph_check.py --out "$out/graph-check.json" > "$out/graph-check.log" 2>&1
  tail -12 "$out/graph-check.log"
fi

if want calibrate && [ -s "$out/gpu-probe-only.json" ]; then
  # Refit the same probe output with the Python costs and the graph replays' kernel gaps merged (no
  # second measurement of the GPU).
  $py - "$out/gpu-probe-only.json" "$out/probe-raw.json" <<'PY'
import json, sys
json.dump(json.load(open(sys.argv[1]))["calibration"]["raw"], open(sys.argv[2], "w"))
PY
  build-gpu/fwtax calibrate --target cuda --from "$out/probe-raw.json" --name calibrated-gpu \
    --merge "$out/python-dispatch.json$([ -s "$out/graph-check.json" ] && echo ",$out/graph-check.json")" \
    --out "$out/gpu-profile.json" >> "$out/calibrate.log" 2>&1
  tail -4 "$out/calibrate.log"
fi

if want e2e; then
  step "end-to-end runs"
  PYTHONUNBUFFERED=1 timeout $(( ${E2E_BUDGET_S:-170} + 60 )) $py validate/gpu/measure_gpu.py --out "$out/runs.json" \
    --budget-s "${E2E_BUDGET_S:-170}" --passes "${E2E_PASSES:-1}" ${E2E_PLAN:+--plan "$E2E_PLAN"} \
    ${E2E_MODES:+--modes "$E2E_MODES"} ${E2E_BATCHES:+--batches "$E2E_BATCHES"} \
    ${E2E_MODELS:+--models "$E2E_MODELS"} > "$out/runs.log" 2>&1
  tail -3 "$out/runs.log"
fi

if want traces && [ "${TRACE_BUDGET_S:-0}" -gt 0 ]; then
  step "kernel traces of CNNs"
  PYTHONUNBUFFERED=1 timeout $(( TRACE_BUDGET_S + 60 )) $py validate/gpu/trace_gpu.py --out "$out/traces" \
    --budget-s "$TRACE_BUDGET_S" ${TRACE_MODELS:+--models "$TRACE_MODELS"} ${TRACE_DTYPES:+--dtypes "$TRACE_DTYPES"} \
    ${TRACE_BATCHES:+--batches "$TRACE_BATCHES"} ${TRACE_MODES:+--modes "$TRACE_MODES"} > "$out/traces.log" 2>&1
  tail -3 "$out/traces.log"
fi

if want compile && [ "${COMPILE_BUDGET_S:-0}" -gt 0 ]; then
  step "torch.compile runs"
  PYTHONUNBUFFERED=1 timeout $(( COMPILE_BUDGET_S + 150 )) $py validate/gpu/measure_gpu.py --out "$out/compile-runs.json" \
    --budget-s "$COMPILE_BUDGET_S" --plan compile --dtypes fp16 \
    --modes eager,torch-compile,torch-compile-reduce-overhead > "$out/compile-runs.log" 2>&1
  tail -3 "$out/compile-runs.log"
fi

if only sweeps; then
  step "kernel sweeps"
  timeout "${SWEEPS_TIMEOUT_S:-120}" $py calibrate/python_dispatch.py --device cuda --sweeps-only > "$out/sweeps.json" \
    2> "$out/sweeps.log"
  echo "exit $?" >> "$out/sweeps.log"
fi

if want generate && [ "${GENERATE_TIMEOUT_S:-0}" -gt 0 ]; then
  step "HF generate"
  PYTHONUNBUFFERED=1 timeout "$GENERATE_TIMEOUT_S" $py validate/cpu/hf_generate.py --device cuda --dtype fp16 \
    --gpu-models --batches "${GENERATE_BATCHES:-1,8}" --contexts "${GENERATE_CONTEXTS:-128,1024}" \
    --passes "${GENERATE_PASSES:-3}" ${GENERATE_MODELS:+--models "$GENERATE_MODELS"} --out "$out/generate" \
    > "$out/generate.log" 2>&1
  tail -3 "$out/generate.log"
fi

if only probe-end; then
  step "python dispatch probe, again"
  $py calibrate/python_dispatch.py --device cuda --quick > "$out/python-dispatch-end.json" 2> "$out/python-dispatch-end.log"
fi

want validate && step validate
if want validate && [ -s "$out/gpu-profile.json" ] && [ -s "$out/runs.json" ]; then
  build-gpu/fwtax validate --measured "$out/runs.json" --device "$out/gpu-profile.json" > "$out/validate.txt" 2>&1
  head -40 "$out/validate.txt"
  # The host from the dispatch probe alone, its Python fitted to the probe's in-model item (a tiny
  # BERT's forward, where transformers is installed), against the same runs.
  if grep -q '"models"' "$out/python-dispatch.json" 2>/dev/null &&
     build-gpu/fwtax calibrate --target host --merge "$out/python-dispatch.json" --out "$out/host-in-model.json" \
       > "$out/host-in-model.log" 2>&1; then
    cat "$out/host-in-model.log"
    build-gpu/fwtax validate --measured "$out/runs.json" --device "$out/gpu-profile.json" \
      --host "$out/host-in-model.json" > "$out/validate-host-in-model.txt" 2>&1
    head -12 "$out/validate-host-in-model.txt"
  fi
  if [ -s "$out/compile-runs.json" ]; then
    build-gpu/fwtax validate --measured "$out/compile-runs.json" --device "$out/gpu-profile.json" \
      > "$out/validate-compile.txt" 2>&1
    tail -20 "$out/validate-compile.txt"
  fi
  if [ -s "$out/generate/runs.json" ]; then
    build-gpu/fwtax validate --measured "$out/generate/runs.json" --device "$out/gpu-profile.json" \
      > "$out/validate-generate.txt" 2>&1
    tail -20 "$out/validate-generate.txt"
  fi
fi
step done
