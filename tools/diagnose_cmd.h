// `actlab diagnose` and `actlab train --diagnose`: what is going wrong in a
// training run (see docs/diagnostics.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "tools/train_cmd.h"

namespace actlab::cli {

struct DiagnoseOptions {
  TrainOptions train;  // the flags of `actlab train`; --epochs defaults to 1 here
  std::string run;     // --run METRICS.json: read a run made with `train --diagnose`
  size_t every = 10;   // steps between records (a short probe looks more often)
  bool json = false;
};

struct DiagnoseCommand {
  CLI::App* cmd = nullptr;
  DiagnoseOptions opts;
};

void AddDiagnoseCommand(CLI::App& app, DiagnoseCommand& c);
// Returns the exit code; throws actlab::Error for bad input.
int RunDiagnose(DiagnoseCommand& c);
// `actlab train --diagnose`: trains as `actlab train` does with the observer
// attached, puts its report into --metrics-out under "diagnostics", prints
// the findings at the end.
int TrainDiagnosed(const TrainOptions& o, PreparedRun& run);

}  // namespace actlab::cli
