// `actlab report RUN`: one self-contained HTML page of a training run
// (configuration, curves, findings, per-layer diagnostics, the activations
// used). Also the run loading that `actlab plot --run` shares.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actlab/diagnostics.h"
#include "actlab/plot.h"
#include "actlab/train.h"

namespace actlab::cli {

// A finished (or interrupted) `actlab train` run, read back from its
// metrics file.
struct LoadedRun {
  std::string metrics_path;  // the metrics JSON
  std::string dir;           // the folder holding it ("." when none is named)
  std::string checkpoint;    // DIR/model.safetensors when RUN is a folder holding one, else ""
  nlohmann::ordered_json metrics;
  std::vector<EpochRecord> history;  // at least one epoch
  TrainConfig config;
  std::vector<LayerSpec> layers;
  bool has_diagnostics = false;
  diag::Report diagnostics;              // when has_diagnostics
  std::vector<diag::Finding> findings;   // as the run recorded them
  nlohmann::ordered_json layer_summary;  // diagnostics' per-layer summaries (array)
};

// The metrics file of RUN, a folder with metrics.json inside (`actlab train
// --run-dir RUN`) or the file itself (`--metrics-out`): what every `--run`
// and `report RUN` accept. Throws Error "WHAT: PROBLEM; FIX" when it is
// missing or unreadable; the text is not parsed.
struct RunFile {
  std::string metrics_path;  // the metrics JSON
  std::string dir;           // the folder holding it ("." when none is named)
  std::string checkpoint;    // DIR/model.safetensors when RUN is a folder holding one, else ""
  std::string text;
};
RunFile ReadRunFile(const std::string& run);

// ReadRunFile, then the file read as a metrics file of `actlab train`. Throws
// Error "WHAT: PROBLEM; FIX" when it is not JSON or not an actlab metrics file.
LoadedRun LoadRun(const std::string& run);

// {"width", "height", "panels": [{"title", "series": [labels], "log_y"}]}: what
// `plot --json` and `report --json` say about a figure (unlabelled series,
// such as the dashed f' of an overlay, are left out).
nlohmann::ordered_json FigureJson(const plot::Figure& fig);

// Frees cairo's and fontconfig's caches when the command ends, by an error
// after drawing too: the process exits next, and sanitizer builds would
// report the caches as leaks.
struct ReleaseFontCaches {
  ReleaseFontCaches() = default;
  ReleaseFontCaches(const ReleaseFontCaches&) = delete;
  ReleaseFontCaches& operator=(const ReleaseFontCaches&) = delete;
  ~ReleaseFontCaches() { plot::release_caches(); }
};

struct ReportOptions {
  std::string run;
  std::string out;  // default: RUN/report.html, or the metrics file with .html
  bool json = false;
};

CLI::App* AddReportCommand(CLI::App& app, ReportOptions& o);
// Writes the page and prints its path (or the JSON summary); throws
// actlab::Error for bad input, having written nothing.
int RunReport(const ReportOptions& o);

}  // namespace actlab::cli
