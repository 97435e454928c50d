// `actlab plot`: activation curves f and f' (or, for softmax-like functions,
// probabilities over given logits) drawn to PNG, SVG or PDF.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace actlab::cli {

struct PlotOptions {
  std::vector<std::string> names;
  std::vector<std::string> params;  // KEY=VALUE, applied to every named activation that has KEY
  std::string range = "-4:4";
  bool derivative = true;  // --no-derivative: f only
  std::string logits;      // comma-separated; for axis / glu activations
  std::string out;         // default: NAME.png, or activations.png for several
  int width = 0, height = 0;
};

CLI::App* AddPlotCommand(CLI::App& app, PlotOptions& o);
// Writes the figure and prints its path; throws actlab::Error for bad input.
int RunPlot(const PlotOptions& o);

}  // namespace actlab::cli
