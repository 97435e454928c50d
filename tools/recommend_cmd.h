// `actlab recommend`: the classic "which activation?" guide, and, given a
// run's metrics, advice from what that run measured.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace actlab::cli {

struct RecommendOptions {
  std::string task = "multiclass";  // binary | multiclass | regression
  size_t depth = 2;                 // hidden layers
  std::string run;                  // metrics JSON (actlab train --metrics-out [--diagnose]) or diagnose --json
  bool json = false;
};

CLI::App* AddRecommendCommand(CLI::App& app, RecommendOptions& o);
int RunRecommend(const RecommendOptions& o);

}  // namespace actlab::cli
