// `actlab compare`: the same architecture trained with each activation and
// depth over several seeds, side by side.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tools/train_cmd.h"

namespace actlab::cli {

struct CompareOptions {
  TrainOptions train;  // every `actlab train` flag; --layers and --act are set per case
  std::vector<std::string> acts{"relu", "leaky_relu", "elu", "selu", "gelu", "silu", "mish", "tanh", "sigmoid"};
  std::vector<size_t> depths{2, 5, 10};
  size_t seeds = 3;
  size_t width = 64;
  double target = 0.8;  // accuracy for "epochs to target"
  std::string csv_out, json_out, chart;
  bool json = false;
};

CLI::App* AddCompareCommand(CLI::App& app, CompareOptions& o);
int RunCompare(CLI::App* cmd, CompareOptions& o);

}  // namespace actlab::cli
