// `actlab train`, `actlab evaluate`, `actlab predict`: the training engine
// from the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "actlab/train.h"

namespace actlab::cli {

struct DataOptions {
  std::string data;   // IDX folder, or a synthetic set name; empty: Fashion-MNIST
  std::string csv;    // CSV file (instead of --data)
  std::string label = "-1";
  bool regression = false;
  std::string test_csv;
  size_t rows = 1000;  // synthetic sets
  double noise = -1;   // synthetic sets; < 0: the set's default
  double val_fraction = 0.1;
  std::string scale;  // empty: by data source
};

struct TrainOptions {
  DataOptions data;
  std::string layers, act = "relu", out, model_file;
  std::vector<std::string> act_params;
  double dropout = 0;
  std::string norm = "none";
  std::string init = "auto", loss, optimizer = "adam";
  double lr = -1, momentum = -1, weight_decay = -1, beta1 = 0.9, beta2 = 0.999, eps = -1;
  bool nesterov = false;
  std::string schedule = "cosine";
  size_t step_size = 0, warmup = 0;
  double gamma = 0.1, min_lr = 0;
  double clip_norm = 0, clip_value = 0, huber_delta = 1.0;
  size_t epochs = 15, batch_size = 128;
  size_t stop_after = 0;  // stop after this epoch (the run still plans for `epochs`)
  uint64_t seed = 1;
  int threads = 0;
  std::string dtype = "float32";
  std::string save, resume, metrics_out;
  std::string run_dir;  // actlab train --run-dir: DIR/model.safetensors + DIR/metrics.json
  bool quiet = false;
  bool json = false;          // actlab train --json: the metrics object on stdout, no text
  bool diagnose = false;      // actlab train --diagnose (tools/diagnose_cmd.h)
  size_t diagnose_every = 50;
};

struct EvaluateOptions {
  std::string model;
  DataOptions data;
  int threads = 0;
  bool json = false;
};

struct PredictOptions {
  std::string model, input = "-";
  std::string csv, label;  // --csv FILE --label COL: a CSV as train reads it
  size_t top = 3;
  bool json = false;
  int threads = 0;
};

struct TrainCommands {
  CLI::App* train = nullptr;
  CLI::App* evaluate = nullptr;
  CLI::App* predict = nullptr;
  TrainOptions train_opts;
  EvaluateOptions eval_opts;
  PredictOptions predict_opts;
};

void AddTrainCommands(CLI::App& app, TrainCommands& c);
// Writes text to path atomically (temporary file, then rename); Error naming
// the path otherwise.
void WriteFileAtomic(const std::string& path, const std::string& text);
// Seconds for people: `decimals` decimals from a second up, two significant digits below (a small
// run takes 0.004 s, which a fixed "0.00" hid); "-" when not finite.
std::string SecondsText(double seconds, int decimals);
// CLI11 checks that a flag's value is a finite number (an integer) in
// `interval`, written "[lo, hi]" with "(" or ")" for an open end and "inf"
// for no bound. They read the text before CLI11 converts it, so -1 for a
// count is refused instead of wrapping around to 2^64 - 1, and the message
// states the range: "--noise: -0.5 is not a number in [0, inf)".
CLI::Validator NumberIn(const std::string& interval);
CLI::Validator IntegerIn(const std::string& interval);
// The flags of `actlab train` on any subcommand (actlab diagnose reuses them).
void AddTrainFlags(CLI::App* cmd, TrainOptions& o);
void AddEvaluatePredict(CLI::App& app, TrainCommands& c);

// A run ready to train: the architecture and configuration (or those of the
// checkpoint being resumed) and the data, scaled.
struct PreparedRun {
  Checkpoint meta;
  data::Splits splits;
  bool resuming = false;
  // When set, --metrics-out gets its text (JSON) under "diagnostics".
  std::function<std::string()> diagnostics;
  // When set, called with the reason when training stops with an error,
  // before the metrics are written a last time (the diagnostics close their
  // partial epoch).
  std::function<void(const std::string&)> on_stop;
};
// Validates the flags given on `cmd`, loads the data, builds the
// configuration. Throws actlab::Error naming the flag.
PreparedRun PrepareTrain(CLI::App* cmd, TrainOptions& o);
// Trains it as `actlab train` does (output, checkpoints, metrics), with an
// optional observer inside the loop. Returns the exit code.
template <class T>
int TrainPrepared(const TrainOptions& o, PreparedRun& run, TrainObserver<T>* observer);
// Returns the exit code; throws actlab::Error for bad input.
int RunTrain(TrainCommands& c);
// cmd: the evaluate subcommand (which data flags were given).
int RunEvaluate(CLI::App* cmd, const EvaluateOptions& o);
// cmd: the predict subcommand (which flags were given).
int RunPredict(CLI::App* cmd, const PredictOptions& o);

}  // namespace actlab::cli
