// `actlab plot`: activation curves f and f' (or, for softmax-like functions,
// probabilities over given logits), or a training run's curves and
// diagnostics (--run), drawn to PNG, SVG or PDF.
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
  std::string run;  // a run folder or metrics file: its curves (and diagnostics) instead of activations
  bool log_y = false;  // --run: the loss panel on a log scale
  bool json = false;
  CLI::App* cmd = nullptr;  // set by AddPlotCommand: which flags were given
};

CLI::App* AddPlotCommand(CLI::App& app, PlotOptions& o);
// Writes the figure(s) and prints their paths (or, with --json, one object); throws actlab::Error for bad input.
int RunPlot(const PlotOptions& o);

}  // namespace actlab::cli
