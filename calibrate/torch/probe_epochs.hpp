#pragma once
// How many timed epochs fwtax-probe-torch takes per measurement: its own default, and the share of it
// each round takes when the probe runs in rounds whose fastest is kept (calibrate --rounds, validate
// --run cpu). One place, so that the probe and the commands that drive it agree.
#include <algorithm>

namespace fwtax::probe {

// The probe's default: 9 epochs with --quick, 21 otherwise.
constexpr int default_epochs(bool quick) { return quick ? 9 : 21; }

// Epochs per measurement in each of `rounds` rounds: the default shared between them, at least 2 (a
// round's median needs more than one epoch).
constexpr int epochs_per_round(bool quick, int rounds) {
  return rounds <= 1 ? default_epochs(quick) : std::max(2, (default_epochs(quick) + rounds - 1) / rounds);
}

}  // namespace fwtax::probe
