#pragma once
// The measured side of `fwtax validate --run cpu`: a plan of real models (zoo architectures at sizes a
// 2-core CPU runs in seconds), run in libtorch C++ by fwtax-run-torch, read back as measured runs.
#include <string>
#include <vector>

#include "model/json_spec.hpp"
#include "validate/measured.hpp"

namespace fwtax {

// BERT- and GPT-2-style transformers, ResNet-18, MobileNetV2 and an MLP stack, over batch and
// sequence length (image size). Each entry's "arch" is fwtax architecture JSON.
Json cpu_run_plan(bool quick);

// Runs the plan with fwtax-run-torch (next to the fwtax binary) and returns its measured-runs JSON.
Json run_cpu_plan(const Json& plan, bool progress);

}  // namespace fwtax
