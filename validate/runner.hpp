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

// A machine shared with other work (a cloud VM, probably sharing its cores' hyperthreads with other
// VMs) changes speed every few seconds: on the 2-core development VM a 256x1024x1024 GEMM took 9.5 or
// 17-19 ms per call, in stretches of 1-15 s, with no load or steal time to show it. A calibration and
// runs measured one after the other then see different machines (MAPE 9-46% between runs of the same
// build). So `validate --run cpu` alternates the calibration and the runs in rounds, each round a
// share of the probe's epochs and one pass of the plan, and keeps each measurement's fastest round:
// both sides then describe the machine in its fast state, which a few rounds reach for nearly every
// measurement. cpu_plan_round is the plan of one round of `rounds` (one pass, its share of the time
// budget and of min_iters).
Json cpu_plan_round(const Json& plan, int rounds);

// Merges the outputs of the same probe or plan measured in rounds: each measurement (an object with
// a median_s: a probe's stats, a measured run) is its fastest round's, whole (median, range,
// percentiles and counts of that round); elapsed_s is summed; every other number is the rounds'
// median (the same in each: a batch, a size); strings and booleans are the first round's (a date, a
// description). The rounds must have the same shape (the same configurations in the same order), or
// std::runtime_error names where they differ.
Json merge_rounds(const std::vector<Json>& rounds);

}  // namespace fwtax
