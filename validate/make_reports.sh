#!/bin/sh
# Regenerates the committed validation reports (docs/validation/) from the measured data in
# data/measured. Run from the repository root after building:  sh validate/make_reports.sh [build/fwtax]
set -eu
fwtax=${1:-build/fwtax}
paper=data/measured/framework-tax-2022
csvs=$(ls $paper/pretrained-fp32/*.csv $paper/pretrained-fp16/*.csv | tr '\n' ',' | sed 's/,$//')
"$fwtax" validate --measured "$csvs" --quiet --report docs/validation/framework-tax-2022 \
  --title "fwtax (pytorch-eager@1.12) against the Framework Tax paper's measurements (2022): PyTorch 1.12 eager, fp32 and fp16, eight GPUs" \
  > /dev/null
csvs=$(ls $paper/pretrained-torchscript/*.csv $paper/pretrained-torchscript-fp16/*.csv | tr '\n' ',' | sed 's/,$//')
"$fwtax" validate --measured "$csvs" --quiet --report docs/validation/framework-tax-2022-torchscript \
  --title "fwtax (torchscript@1.12) against the Framework Tax paper's TorchScript runs (2022): PyTorch 1.12 torch.jit.trace, fp32 and fp16, eight GPUs" \
  > /dev/null
csvs=$(ls $paper/onnxruntime/*.csv | tr '\n' ',' | sed 's/,$//')
"$fwtax" validate --measured "$csvs" --quiet --report docs/validation/framework-tax-2022-onnxruntime \
  --title "fwtax (onnxruntime@1.12) against the Framework Tax paper's ONNX Runtime runs (2022): CUDA execution provider, RTX 8000, fp32 and fp16" \
  > /dev/null
"$fwtax" validate --measured data/measured/h100-2026-11-runs.json --quiet --report docs/validation/h100-2026-11 \
  --title "fwtax against the shared H100 runs (2026-11): eager, CUDA graphs and TorchScript" > /dev/null
"$fwtax" validate --measured data/measured/h100-2026-11-runs.json --quiet --format json \
  > docs/validation/h100-2026-11/summary.json
for dev in h200-calibrated h200; do
  "$fwtax" validate --measured data/measured/h200-2026-11/runs.json --device $dev --quiet \
    --report docs/validation/h200-2026-11/$dev \
    --title "fwtax ($dev) against H200 runs measured for fwtax (2026-11-27): eager, CUDA graphs and TorchScript" > /dev/null
  "$fwtax" validate --measured data/measured/h200-2026-11/runs.json --device $dev --quiet --format json \
    > docs/validation/h200-2026-11/$dev/summary.json
done
# A report and its summary.json from measured runs on a device profile:
#   report DIR RUNS PROFILE TITLE [more validate flags, e.g. --host H]
report() {
  dir=$1 runs=$2 dev=$3 title=$4
  shift 4
  "$fwtax" validate --measured "$runs" --device "$dev" "$@" --quiet --report "docs/validation/$dir" --title "$title" > /dev/null
  "$fwtax" validate --measured "$runs" --device "$dev" "$@" --quiet --format json > "docs/validation/$dir/summary.json"
}
h7=data/measured/h200-2026-12
report h200-2026-12/eager $h7/runs-eager.json h200-calibrated \
  "fwtax (h200-calibrated, host h200-vm7 from the VM's own Python probe) against eager runs of 8 zoo models on a second H200 VM (2026-12-04), 4 interleaved passes" \
  --host h200-vm7
report h200-2026-12/compile $h7/compile-runs.json h200-calibrated \
  "fwtax (h200-calibrated, host h200-vm7) against eager, torch.compile and torch.compile(mode=reduce-overhead) on an H200 (2026-12-04): BERT-base, ResNet-50, GPT-2, MobileNet-v2, fp16, batch 1/8/64" \
  --host h200-vm7
report h200-2026-12/generate $h7/generate/runs.json h200-calibrated \
  "fwtax (h200-calibrated, host h200-vm7) against HF generate() of a TinyLlama-1.1B shape on an H200 (2026-12-04): prefill, decode steps, whole calls, dynamic and static (compiled) cache" \
  --host h200-vm7
cpu=data/measured/cpu-llm-2026-12
report cpu-llm-2026-12 $cpu/runs.json $cpu/cpu-profile-python.json \
  "fwtax against HF generate() on this machine's CPU (2026-12-03): prefill, decode steps and whole calls of small Llama, Qwen2 and GPT-2 shapes, dynamic and static KV cache"
cc=data/measured/compile-costs-2026-12
report compile-cpu-2026-12 $cc/zoo-cpu-runs.json $cc/cpu-profile-compile.json \
  "fwtax against eager and torch.compile'd zoo models on this machine's CPU (2026-12-03): ResNet-18, ResNet-50, MobileNet-V2"
lt=data/measured/cpu-libtorch-decode-2026-12
report cpu-libtorch-decode-2026-12 $lt/runs.json data/traces/cpu-2026-12/cpu-profile.json \
  "fwtax against one HF-style GPT-2 decode step in libtorch on this machine's CPU (2026-12-03)"
oc=data/measured/ort-cpu-2026-12
report ort-cpu-2026-12 $oc/zoo-cpu-runs.json $oc/cpu-profile-ort.json \
  "fwtax against ONNX Runtime 1.32 (CPU execution provider) and eager zoo models on this machine's CPU (2026-12-03): ResNet-18, ResNet-50, MobileNet-V2, BERT-mini, GPT2-mini"
hh=data/measured/hf-host-cpu-2026-12
report hf-host-cpu-2026-12 $hh/runs.json $hh/cpu-profile.json \
  "fwtax against eager forwards of HF transformers 5.17 encoders at hidden size 64 on this machine's CPU (2026-12-07): the host side alone (Python, modules, dispatch) of BERT-base, BERT-large, RoBERTa, DistilBERT, ALBERT and GPT-2"
cv=data/measured/cpu-validate-2026-12
for plan in quick full; do
  report cpu-validate-2026-12/$plan $cv/$plan/runs.json $cv/$plan/cpu-profile.json \
    "fwtax against validate --run cpu$( [ $plan = quick ] && echo ' --quick') on this machine's CPU (2026-12-06): libtorch C++ BERT-mini, GPT2-mini, ResNet-18, MobileNet-V2 and an MLP, the calibration and the runs in alternating rounds"
done
