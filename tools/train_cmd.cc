// `actlab train | evaluate | predict`.

#include "tools/train_cmd.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "actlab/data.h"
#include "actlab/train.h"
#include "src/common/json_error.h"
#include "src/nn/blas.h"
#include "tools/diagnose_cmd.h"

namespace actlab::cli {
namespace {

using nlohmann::json;

void set_all_threads(int threads) {
  actlab::set_threads(threads);
  const int t = actlab::threads();
  blas::set_threads(t);
}

std::vector<std::pair<std::string, double>> parse_params(const std::vector<std::string>& raw) {
  std::vector<std::pair<std::string, double>> out;
  for (const std::string& r : raw) {
    const size_t eq = r.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("--act-param '" + r + "': expected NAME=VALUE, e.g. --act-param negative_slope=0.1");
    char* end = nullptr;
    const std::string v = r.substr(eq + 1);
    const double value = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0')
      throw Error("--act-param '" + r + "': '" + v + "' is not a number");
    out.emplace_back(r.substr(0, eq), value);
  }
  return out;
}

std::vector<size_t> parse_widths(const std::string& text) {
  std::vector<size_t> w;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, '-')) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || v == 0 || v > 100000000)
      throw Error("--layers '" + text + "': '" + part +
                  "' is not a layer width; use widths >= 1 joined by '-', e.g. 784-256-128-10");
    w.push_back(static_cast<size_t>(v));
  }
  if (w.size() < 2) throw Error("--layers '" + text + "': needs at least an input and an output width, e.g. 2-4-1");
  return w;
}

bool is_synthetic(const std::string& name) {
  for (auto k : data::synthetic_kinds())
    if (name == k) return true;
  return false;
}

// Data flags that only one kind of source reads are refused with the others,
// where they would be ignored without a word.
void check_data_flags(CLI::App* cmd, const DataOptions& d) {
  for (const char* flag : {"--label", "--regression", "--test-csv"})
    if (cmd->count(flag) && d.csv.empty())
      throw Error(
          fmt::format("{} applies to --csv data only (a synthetic or IDX set brings its own labels and "
                      "test split); drop {}, or pass --csv FILE",
                      flag, flag));
  for (const char* flag : {"--rows", "--noise"})
    if (cmd->count(flag) && !is_synthetic(d.data))
      throw Error(fmt::format("{} applies to the synthetic sets only (--data {}); drop {}", flag,
                              fmt::join(data::synthetic_kinds(), "|"), flag));
}

// The output layer against the data and the loss, for --layers and --model
// alike: a width that does not match the classes or the targets, or an
// output and loss that cannot learn, is refused before training starts.
void check_output(const std::string& source, size_t width, const std::string& out, LossKind loss,
                  const data::Dataset& tr) {
  if ((out == "softmax" || out == "log_softmax") && width == 1)
    throw Error(
        fmt::format("--out {} with one output: {} of a single value is constant, so the model cannot "
                    "learn; use --out sigmoid for one output, or a last layer one unit per class",
                    out, out));
  if (tr.classification()) {
    const bool binary_logit = tr.classes == 2 && width == 1;
    if (width != tr.classes && !binary_logit)
      throw Error(fmt::format("{}: the model has {} output{} but {} has {} classes; make the last layer {} wide{}",
                              source, width, width == 1 ? "" : "s", tr.name, tr.classes, tr.classes,
                              tr.classes == 2 ? " (or 1: one logit for two classes)" : ""));
    if (binary_logit && (loss == LossKind::kCrossEntropy || loss == LossKind::kNll))
      throw Error(
          fmt::format("--loss {} with one output: it needs one output per class; use --loss bce for one "
                      "output, or make the last layer 2 wide",
                      loss_name(loss)));
  } else {
    if (width != tr.outputs)
      throw Error(fmt::format(
          "{}: the model has {} output{} but {} has {} target{} per row; make the last layer "
          "{} wide",
          source, width, width == 1 ? "" : "s", tr.name, tr.outputs, tr.outputs == 1 ? "" : "s", tr.outputs));
    if (loss == LossKind::kCrossEntropy || loss == LossKind::kNll)
      throw Error(
          fmt::format("--loss {} needs class labels but {} has real-valued targets (--regression); use "
                      "--loss mse or --loss huber",
                      loss_name(loss), tr.name));
  }
}

// Numbers d's labels as `classes` does, matching by name: a CSV numbers the
// classes it holds in sorted order, so a file without one of them would
// shift every label after it. A label outside `classes` is refused: scored,
// it could only ever count as wrong.
void relabel(data::Dataset& d, const std::vector<std::string>& classes, const std::string& source,
             const std::string& whose) {
  if (!d.classification() || classes.empty() || d.class_names == classes || d.class_names.size() != d.classes) return;
  std::vector<size_t> rows(d.class_names.size(), 0);
  for (int32_t l : d.labels) ++rows[static_cast<size_t>(l)];
  std::vector<int32_t> to(d.class_names.size(), 0);
  for (size_t k = 0; k < d.class_names.size(); ++k) {
    const auto it = std::find(classes.begin(), classes.end(), d.class_names[k]);
    if (it == classes.end() && rows[k]) {
      const size_t shown = std::min<size_t>(classes.size(), 10);
      throw Error(fmt::format(
          "{}: label '{}' ({} rows) is not one of the {} classes {} ({}{}); pass rows of "
          "those classes only",
          source, d.class_names[k], rows[k], classes.size(), whose,
          fmt::join(classes.begin(), classes.begin() + shown, ", "), shown < classes.size() ? ", ..." : ""));
    }
    to[k] = static_cast<int32_t>(it - classes.begin());
  }
  for (int32_t& l : d.labels) l = to[static_cast<size_t>(l)];
  d.class_names = classes;
  d.classes = classes.size();
}

// The splits and the scaler fitted on the training rows (applied to all).
// The test rows' labels are numbered as the training rows' unless
// `own_numbering` (evaluate numbers every split by the model's classes).
std::pair<data::Splits, data::Scaler> load_data(const DataOptions& o, uint64_t seed, bool own_numbering = false) {
  data::Splits s;
  std::string scale = o.scale;
  if (!o.csv.empty()) {
    if (!o.data.empty()) throw Error("--csv and --data: give one data source, not both");
    s.train = data::read_csv(o.csv, o.label, o.regression);
    if (!o.test_csv.empty()) s.test = data::read_csv(o.test_csv, o.label, o.regression);
    if (scale.empty()) scale = "standard";
  } else if (is_synthetic(o.data)) {
    const double noise = o.noise >= 0 ? o.noise : o.data == "xor" ? 0.0 : 0.1;
    s.train = data::synthetic(o.data, o.rows, noise, seed);
    if (o.data == "xor") {
      s.test = data::synthetic(o.data, 4, 0.0, seed);
    } else {
      s.test = data::synthetic(o.data, std::max<size_t>(o.rows / 4, 1), noise, seed + 7919);
    }
    s.test.name = o.data + " (test)";
    if (scale.empty()) scale = "none";
  } else {
    s = o.data.empty() || o.data == "fashion-mnist" ? data::load_fashion_mnist() : data::load_idx_dir(o.data);
    if (scale.empty()) scale = "unit";
  }
  if (!own_numbering) relabel(s.test, s.train.class_names, o.test_csv, "of the training rows");
  if (o.val_fraction > 0 && s.train.rows >= 10)
    s.validation = data::take_validation(s.train, o.val_fraction, seed);
  data::Scaler scaler = data::Scaler::fit(s.train, scale);
  for (data::Dataset* d : {&s.train, &s.validation, &s.test})
    if (d->rows) scaler.apply(*d);
  return {std::move(s), std::move(scaler)};
}

json data_json(const DataOptions& d) {
  return {{"data", d.data}, {"csv", d.csv}, {"label", d.label}, {"regression", d.regression},
          {"test_csv", d.test_csv}, {"rows", d.rows}, {"noise", d.noise},
          {"val_fraction", d.val_fraction}, {"scale", d.scale}};
}

// The data description a checkpoint saved (data_json's fields).
DataOptions saved_data(const std::string& checkpoint, const std::string& saved) {
  DataOptions s;
  try {
    const json j = json::parse(saved);
    s.data = j.at("data").get<std::string>();
    s.csv = j.at("csv").get<std::string>();
    s.label = j.at("label").get<std::string>();
    s.regression = j.at("regression").get<bool>();
    s.test_csv = j.at("test_csv").get<std::string>();
    s.rows = j.at("rows").get<size_t>();
    s.noise = j.at("noise").get<double>();
    s.val_fraction = j.at("val_fraction").get<double>();
    s.scale = j.at("scale").get<std::string>();
  } catch (const json::exception& e) {
    throw Error(checkpoint + ": data description is malformed (" + actlab::detail::json_error_text(e) + ")");
  }
  return s;
}

// --resume: the data flags default to the saved run's; the ones that decide
// which rows are used must not differ from it.
void resume_data(const std::string& checkpoint, const std::string& saved, CLI::App* cmd, DataOptions& d) {
  if (saved.empty()) return;
  const DataOptions s = saved_data(checkpoint, saved);
  auto same = [&](const char* flag, bool equal) {
    if (cmd->count(flag) && !equal)
      throw Error(std::string(flag) + " differs from the resumed run's; --resume continues the same run on the "
                  "same rows (drop " + flag + ", or start a new run without --resume)");
  };
  same("--rows", d.rows == s.rows);
  same("--noise", d.noise == s.noise);
  same("--val-fraction", d.val_fraction == s.val_fraction);
  same("--scale", d.scale == s.scale);
  same("--regression", d.regression == s.regression);
  same("--label", d.label == s.label);
  // Where the files are may change (a moved folder); what they are may not.
  if (!cmd->count("--data") && !cmd->count("--csv")) {
    d.data = s.data;
    d.csv = s.csv;
    d.test_csv = s.test_csv;
  }
  d.label = s.label;
  d.regression = s.regression;
  d.rows = s.rows;
  d.noise = s.noise;
  d.val_fraction = s.val_fraction;
  d.scale = s.scale;
}

// A path the run will write: checked before training, so one that cannot be
// written fails now and not after the first epoch. The probe is the kind of
// temporary file the atomic writers make beside the target, removed at once,
// so nothing is left behind.
void check_writable(const char* flag, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(fmt::format("{} {}: is a folder; pass a file path", flag, path));
  const std::string probe = path + ".tmp." + std::to_string(getpid());
  std::FILE* f = std::fopen(probe.c_str(), "wbx");
  if (!f) {
    if (errno == EEXIST) return;  // someone else's file: leave it, and the write will tell
    throw Error(fmt::format("{} {}: cannot write ({}); check the folder exists and is writable", flag, path,
                            std::strerror(errno)));
  }
  std::fclose(f);
  std::remove(probe.c_str());
}

std::string pct(double v) { return std::isfinite(v) ? fmt::format("{:.2f}%", 100 * v) : "-"; }
std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.4f}", v) : "-"; }

std::string rate_text(double per_s) {
  return per_s >= 1e6 ? fmt::format("{:.2f}M", per_s / 1e6) : fmt::format("{:.1f}k", per_s / 1e3);
}

json metrics_json(const TrainOptions& o, const Checkpoint& meta, size_t params, const std::string& summary,
                  const std::vector<EpochRecord>& history, const data::Splits& d, int threads) {
  json j;
  j["command"] = "train";
  j["data"] = {{"name", d.train.name}, {"train_rows", d.train.rows},
               {"validation_rows", d.validation.rows}, {"test_rows", d.test.rows},
               {"features", d.train.features}, {"classes", d.train.classes}};
  j["model"] = json::parse(layers_to_json(meta.input_features, meta.layers));
  j["model"]["parameters"] = params;
  j["model"]["dtype"] = o.dtype;
  j["model"]["summary"] = summary;
  j["config"] = json::parse(config_to_json(meta.config));
  j["threads"] = threads;
  j["epochs"] = json::parse(history_to_json(history));
  if (!history.empty()) {
    const EpochRecord& last = history.back();
    j["final"] = {{"epoch", last.epoch},
                  {"test_loss", std::isfinite(last.test_loss) ? json(last.test_loss) : json(nullptr)},
                  {"test_accuracy", std::isfinite(last.test_accuracy) ? json(last.test_accuracy) : json(nullptr)}};
  }
  return j;
}

}  // namespace

// Writes text to path atomically (temporary file, then rename).
std::string SecondsText(double seconds, int decimals) {
  if (!std::isfinite(seconds)) return "-";
  return seconds >= 1 ? fmt::format("{:.{}f}", seconds, decimals) : fmt::format("{:.2g}", seconds);
}

void WriteFileAtomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      throw Error(path + ": cannot write (" + std::strerror(errno) + "); check the folder exists and is writable");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error(path + ": cannot write (" + why + ")");
  }
}

namespace {
CLI::Validator interval_check(const std::string& interval, bool integer) {
  const size_t comma = interval.find(',');
  const bool lo_open = interval.front() == '(', hi_open = interval.back() == ')';
  const double lo = std::strtod(interval.c_str() + 1, nullptr), hi = std::strtod(interval.c_str() + comma + 1, nullptr);
  const char* kind = integer ? "an integer" : "a number";
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(input.c_str(), &end);
        // An integer is written in digits: CLI11 would not convert "1e3" to a count.
        const size_t sign = !input.empty() && (input[0] == '-' || input[0] == '+') ? 1 : 0;
        const bool digits = input.size() > sign && input.find_first_not_of("0123456789", sign) == std::string::npos;
        const bool number = !input.empty() && *end == '\0' && std::isfinite(v) && (!integer || digits);
        if (number && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi)) return "";
        return fmt::format("{} is not {} in {}", input, kind, interval);
      },
      fmt::format("{} in {}", integer ? "INTEGER" : "NUMBER", interval));
}
}  // namespace

CLI::Validator NumberIn(const std::string& interval) { return interval_check(interval, false); }
CLI::Validator IntegerIn(const std::string& interval) { return interval_check(interval, true); }

template <class T>
int TrainPrepared(const TrainOptions& o, PreparedRun& prepared, TrainObserver<T>* observer) {
  Checkpoint& meta = prepared.meta;
  data::Splits& splits = prepared.splits;
  const bool resuming = prepared.resuming;
  Model<T> model(meta.input_features, meta.layers, meta.config.seed);
  TrainState<T> state;
  if (resuming) {
    load_checkpoint(o.resume, model, &state);
    if (state.epochs_done >= meta.config.epochs)
      throw Error(fmt::format("{}: already trained {} of {} epochs; pass a larger --epochs to continue",
                              o.resume, state.epochs_done, meta.config.epochs));
  } else {
    model.initialize(meta.config.seed, init_from_name(meta.config.init));
  }
  const std::string summary = model.summary();
  const bool quiet = o.quiet || o.json;  // --json: stdout holds only the JSON object
  const bool tty = isatty(fileno(stderr)) && !quiet;
  if (!quiet) {
    fmt::print("data: {} ({} train, {} validation, {} test rows, {} features, {})\n", splits.train.name,
               splits.train.rows, splits.validation.rows, splits.test.rows, splits.train.features,
               splits.train.classification() ? fmt::format("{} classes", splits.train.classes)
                                             : fmt::format("{} targets", splits.train.outputs));
    fmt::print("model ({}):\n{}", o.dtype, summary);
    const OptimizerConfig& oc = meta.config.optimizer;
    fmt::print("GEMM: {}\n", blas::describe());
    fmt::print("training: {} epochs, batch {}, {} (lr {}{}{}), loss {}, init {}, seed {}, {} threads, SIMD {}\n",
               meta.config.epochs, meta.config.batch_size, oc.kind, oc.lr,
               oc.momentum > 0 ? fmt::format(", momentum {}", oc.momentum) : "",
               meta.config.schedule.kind != "constant" ? ", " + meta.config.schedule.kind + " schedule" : "",
               loss_name(meta.config.loss), meta.config.init, meta.config.seed, actlab::threads(),
               actlab::active_target());
    // Small data at the default batch: 900 rows of spirals are 8 steps an epoch, 120 in 15 epochs.
    const size_t steps = (splits.train.rows + meta.config.batch_size - 1) / meta.config.batch_size;
    if (steps < 10)
      fmt::print(
          "note: {} step{} per epoch ({} rows, batch {}), {} in all; if the loss still falls at the end, a "
          "smaller --batch-size or more --epochs trains more\n",
          steps, steps == 1 ? "" : "s", splits.train.rows, meta.config.batch_size, steps * meta.config.epochs);
    if (resuming) fmt::print("resuming {} after epoch {}\n", o.resume, state.epochs_done);
    std::fflush(stdout);
  }
  const std::string save_path = !o.save.empty() ? o.save : o.resume;
  TrainCallbacks cb;
  if (tty) {
    cb.on_batch = [&, last = -1.0](size_t epoch, size_t b, size_t batches, double loss, double secs) mutable {
      if (b == 1) last = -1.0;
      if (b != batches && secs - last < 0.1) return;  // ten updates a second at most
      last = secs;
      const int width = 24;
      const int filled = static_cast<int>(width * b / batches);
      const double rate = secs > 0 ? static_cast<double>(b) * meta.config.batch_size / secs : 0;
      const double eta = b ? secs * static_cast<double>(batches - b) / static_cast<double>(b) : 0;
      std::fprintf(stderr, "\repoch %zu/%zu [%s%s] %zu/%zu  loss %.4f  %s samples/s  ETA %.0fs  ", epoch,
                   meta.config.epochs, std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), b, batches, loss, rate_text(rate).c_str(), eta);
      std::fflush(stderr);
    };
  }
  cb.on_epoch = [&](const EpochRecord& r) {
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (quiet) return;
    std::string line = fmt::format("epoch {:>3}/{}  train loss {} acc {}", r.epoch, meta.config.epochs,
                                   num(r.train_loss), pct(r.train_accuracy));
    if (std::isfinite(r.val_loss)) line += fmt::format("  val loss {} acc {}", num(r.val_loss), pct(r.val_accuracy));
    if (std::isfinite(r.test_loss)) line += fmt::format("  test loss {} acc {}", num(r.test_loss), pct(r.test_accuracy));
    line += fmt::format("  {} s  {} samples/s", SecondsText(r.seconds, 2), rate_text(r.samples_per_second));
    fmt::print("{}\n", line);
    std::fflush(stdout);
  };
  std::string stopped;  // why training ended early ("" while it has not)
  auto metrics = [&]() {
    json j = metrics_json(o, meta, model.parameter_count(), summary, state.history, splits, actlab::threads());
    j["stopped"] = stopped;
    if (prepared.diagnostics) j["diagnostics"] = json::parse(prepared.diagnostics());
    return j;
  };
  auto write_metrics = [&]() {
    if (!o.metrics_out.empty()) WriteFileAtomic(o.metrics_out, metrics().dump(2) + "\n");
  };
  auto checkpoint = [&]() {
    if (!save_path.empty()) save_checkpoint(save_path, model, meta, &state);
    write_metrics();
  };
  TrainConfig run = meta.config;
  if (o.stop_after) {
    if (o.stop_after <= state.epochs_done)
      throw Error(fmt::format("--stop-after {}: the run is already at epoch {}", o.stop_after, state.epochs_done));
    run.epochs = std::min(run.epochs, o.stop_after);
  }
  try {
    train(model, run, splits, state, cb, checkpoint, meta.config.epochs, observer);
  } catch (const Error& e) {
    // The metrics file says why the run ended where it did (a report of a
    // diverged run would otherwise look like a finished one). The checkpoint
    // keeps the last good epoch.
    stopped = e.what();
    if (prepared.on_stop) prepared.on_stop(stopped);
    try {
      write_metrics();
    } catch (const Error&) {
      // the training error is the one to report
    }
    throw;
  }
  if (o.json) {
    fmt::print("{}\n", metrics().dump(2));
    return 0;
  }
  if (state.history.empty()) return 0;
  const EpochRecord& last = state.history.back();
  double total = 0;
  for (auto& r : state.history) total += r.seconds;
  if (std::isfinite(last.test_accuracy)) {
    fmt::print("final test accuracy: {} (loss {}) after {} epochs, {} s of training\n",
               pct(last.test_accuracy), num(last.test_loss), last.epoch, SecondsText(total, 1));
  } else if (std::isfinite(last.test_loss)) {
    fmt::print("final test loss: {} after {} epochs, {} s of training\n", num(last.test_loss),
               last.epoch, SecondsText(total, 1));
  } else {
    fmt::print("final train loss: {} after {} epochs, {} s of training\n", num(last.train_loss),
               last.epoch, SecondsText(total, 1));
  }
  if (!save_path.empty() && !quiet) fmt::print("saved {}\n", save_path);
  return 0;
}

template int TrainPrepared(const TrainOptions&, PreparedRun&, TrainObserver<float>*);
template int TrainPrepared(const TrainOptions&, PreparedRun&, TrainObserver<double>*);

void AddDataOptions(CLI::App* cmd, DataOptions& d) {
  cmd->add_option("--data", d.data,
                  "IDX folder (4 standard files, .gz ok), 'fashion-mnist' (default: $ACTLAB_FASHION_MNIST, "
                  "else Debian's /usr/share/datasets/fashion-mnist), or a synthetic set: xor, spirals, moons, circles, blobs");
  cmd->add_option("--csv", d.csv, "CSV file of numeric features and a label column");
  cmd->add_option("--label", d.label, "CSV label column: header name or index (-1 = last)");
  cmd->add_flag("--regression", d.regression, "CSV label is a real-valued target");
  cmd->add_option("--test-csv", d.test_csv, "CSV test set (same columns)");
  cmd->add_option("--rows", d.rows, "Rows of a synthetic set")->check(IntegerIn("[4, 10000000]"));
  cmd->add_option("--noise", d.noise, "Noise of a synthetic set (default 0.1, xor 0)")->check(NumberIn("[0, inf)"));
  cmd->add_option("--val-fraction", d.val_fraction, "Training rows held out for validation")
      ->check(NumberIn("[0, 0.9]"));
  cmd->add_option("--scale", d.scale, "Feature scaling: none, unit (x/255), minmax, standard (default: by data)");
}

void AddTrainCommands(CLI::App& app, TrainCommands& c) {
  c.train = app.add_subcommand("train", "Train a network (default: 784-256-128-10 ReLU on Fashion-MNIST)");
  AddTrainFlags(c.train, c.train_opts);
  c.train->add_flag("--json", c.train_opts.json,
                    "Print the metrics (what --metrics-out writes, docs/json.md) as one JSON object, no text");
  c.train->add_flag("--diagnose", c.train_opts.diagnose,
                    "Record per-layer statistics and report problems (docs/diagnostics.md); with --metrics-out "
                    "they go under \"diagnostics\"");
  c.train->add_option("--run-dir", c.train_opts.run_dir,
                      "Keep the run in this folder (created if needed): DIR/model.safetensors and DIR/metrics.json, "
                      "what `actlab report DIR` reads; instead of --save and --metrics-out");
  c.train->add_option("--diagnose-every", c.train_opts.diagnose_every, "--diagnose: steps between records")
      ->check(IntegerIn("[1, 1000000]"));
  AddEvaluatePredict(app, c);
}

void AddTrainFlags(CLI::App* t, TrainOptions& o) {
  // The last of a repeated flag wins (scripts append overrides).
  t->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  AddDataOptions(t, o.data);
  t->add_option("--layers", o.layers, "Widths joined by '-', input first (default 784-256-128-10 for images)");
  t->add_option("--act", o.act, "Hidden activation (any name from `actlab list`)");
  t->add_option("--act-param", o.act_params, "Activation parameter NAME=VALUE (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  t->add_option("--out", o.out, "Output: softmax (multi-class), sigmoid (binary), identity (regression), log_softmax");
  t->add_option("--model", o.model_file, "Architecture from a JSON model file instead of --layers/--act");
  t->add_option("--dropout", o.dropout, "Dropout rate after each hidden activation")->check(NumberIn("[0, 0.99]"));
  t->add_option("--norm", o.norm, "Normalisation before each hidden activation: none, batch, layer")
      ->check(CLI::IsMember({"none", "batch", "layer"}));
  t->add_option("--init", o.init, "Weight init: auto, naive, xavier, he, lecun, torch (+ _uniform/_normal)");
  t->add_option("--loss", o.loss, "Loss: cross_entropy, nll, bce, mse, huber (default: by output)");
  t->add_option("--huber-delta", o.huber_delta, "Huber loss delta")->check(NumberIn("(0, inf)"));
  t->add_option("--optimizer", o.optimizer, "sgd, adam, adamw, rmsprop, adagrad");
  t->add_option("--lr", o.lr, "Learning rate (default: adam/adamw 1e-3, rmsprop 1e-3, sgd 0.05, adagrad 1e-2)")
      ->check(NumberIn("(0, inf)"));
  t->add_option("--momentum", o.momentum, "SGD / RMSprop momentum (default: sgd 0.9, rmsprop 0)")
      ->check(NumberIn("[0, 1)"));
  t->add_flag("--nesterov", o.nesterov, "Nesterov momentum (SGD)");
  t->add_option("--weight-decay", o.weight_decay, "L2 weight decay (adamw: decoupled, default 0.01)")
      ->check(NumberIn("[0, inf)"));
  t->add_option("--beta1", o.beta1, "Adam beta1")->check(NumberIn("[0, 1)"));
  t->add_option("--beta2", o.beta2, "Adam beta2")->check(NumberIn("[0, 1)"));
  t->add_option("--eps", o.eps, "Optimizer epsilon (default: torch's)")->check(NumberIn("(0, inf)"));
  t->add_option("--schedule", o.schedule, "Learning-rate schedule: cosine (default; to --min-lr over the run), step, constant");
  t->add_option("--step-size", o.step_size, "step schedule: epochs between decays")->check(IntegerIn("[1, 100000]"));
  t->add_option("--gamma", o.gamma, "step schedule: decay factor")->check(NumberIn("(0, 1]"));
  t->add_option("--min-lr", o.min_lr, "cosine schedule: final learning rate")->check(NumberIn("[0, inf)"));
  t->add_option("--warmup", o.warmup, "Linear warm-up steps (batches)")->check(IntegerIn("[0, 1000000000]"));
  t->add_option("--clip-norm", o.clip_norm, "Clip the global gradient norm to this (0 = off)")
      ->check(NumberIn("[0, inf)"));
  t->add_option("--clip-value", o.clip_value, "Clip each gradient to [-v, v] (0 = off)")->check(NumberIn("[0, inf)"));
  t->add_option("--epochs", o.epochs, "Epochs")->check(IntegerIn("[1, 100000]"));
  t->add_option("--stop-after", o.stop_after,
                "Stop after this epoch; the schedule still plans for --epochs (continue with --resume)")
      ->check(IntegerIn("[1, 100000]"));
  t->add_option("--batch-size", o.batch_size, "Rows per batch")->check(IntegerIn("[1, 1048576]"));
  t->add_option("--seed", o.seed, "Seed for init, shuffling, dropout, validation split")
      ->check(IntegerIn("[0, 18446744073709551615]"));
  t->add_option("--threads", o.threads, "Threads (0 = all cores)")->check(IntegerIn("[0, 1024]"));
  t->add_option("--dtype", o.dtype, "float32 or float64")->check(CLI::IsMember({"float32", "float64"}));
  t->add_option("--save", o.save, "Checkpoint (safetensors) written after every epoch");
  t->add_option("--resume", o.resume, "Continue the run saved in this checkpoint");
  t->add_option("--metrics-out", o.metrics_out, "Per-epoch metrics as JSON");
  t->add_flag("--quiet,-q", o.quiet, "Only the final line");
}

void AddEvaluatePredict(CLI::App& app, TrainCommands& c) {
  EvaluateOptions& e = c.eval_opts;
  c.evaluate = app.add_subcommand("evaluate", "Loss, accuracy and per-class accuracy of a saved model");
  c.evaluate->add_option("model", e.model, "Checkpoint from `actlab train --save`")->required();
  AddDataOptions(c.evaluate, e.data);
  // The checkpoint's scaler and the run's split decide these; RunEvaluate
  // refuses them with that reason, so --help does not offer them.
  for (const char* flag : {"--scale", "--val-fraction"}) c.evaluate->get_option(flag)->group("");
  c.evaluate->add_option("--threads", e.threads, "Threads (0 = all cores)")->check(IntegerIn("[0, 1024]"));
  c.evaluate->add_flag("--json", e.json, "Print one JSON object");

  PredictOptions& p = c.predict_opts;
  c.predict = app.add_subcommand("predict", "Class and probabilities for rows of features");
  c.predict->add_option("model", p.model, "Checkpoint from `actlab train --save`")->required();
  c.predict->add_option("--input", p.input, "File of rows (numbers separated by spaces or commas); - = stdin");
  c.predict->add_option("--csv", p.csv, "CSV file as in train (a header, a label column, which is skipped)");
  c.predict->add_option("--label", p.label, "--csv label column: header name or index (default: the run's)");
  c.predict->add_option("--top", p.top, "Probabilities shown per row")->check(IntegerIn("[1, 1000]"));
  c.predict->add_flag("--json", p.json, "One JSON object per row");
  c.predict->add_option("--threads", p.threads, "Threads (0 = all cores)")->check(IntegerIn("[0, 1024]"));
}

int RunTrain(TrainCommands& c) {
  TrainOptions& o = c.train_opts;
  if (!o.run_dir.empty())
    for (const char* flag : {"--save", "--metrics-out"})
      if (c.train->count(flag))
        throw Error(std::string(flag) + " with --run-dir: the run folder already names both files "
                    "(DIR/model.safetensors, DIR/metrics.json); give one or the other");
  if (!o.save.empty() && o.save == o.metrics_out)
    throw Error("--save and --metrics-out name the same file " + o.save + "; give each its own");
  PreparedRun run = PrepareTrain(c.train, o);
  // Created only once the flags and the data are known to be good, so a
  // mistyped command leaves no empty folder behind.
  if (!o.run_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.run_dir, ec);
    if (ec || !std::filesystem::is_directory(o.run_dir))
      throw Error("--run-dir " + o.run_dir + ": cannot create the folder (" +
                  (ec ? ec.message() : std::string("a file of that name exists")) + "); choose another path");
    o.save = (std::filesystem::path(o.run_dir) / "model.safetensors").string();
    o.metrics_out = (std::filesystem::path(o.run_dir) / "metrics.json").string();
  }
  const char* save_flag = !o.run_dir.empty() ? "--run-dir" : !o.save.empty() ? "--save" : "--resume";
  const std::string save_path = !o.save.empty() ? o.save : o.resume;
  if (!save_path.empty()) check_writable(save_flag, save_path);
  if (!o.metrics_out.empty()) check_writable(o.run_dir.empty() ? "--metrics-out" : "--run-dir", o.metrics_out);
  if (c.train_opts.diagnose) return TrainDiagnosed(c.train_opts, run);
  return run.meta.dtype == "float64" ? TrainPrepared<double>(c.train_opts, run, nullptr)
                                     : TrainPrepared<float>(c.train_opts, run, nullptr);
}

PreparedRun PrepareTrain(CLI::App* cmd, TrainOptions& o) {
  set_all_threads(o.threads);
  Checkpoint meta;
  bool resuming = !o.resume.empty();
  if (resuming) {
    // A resumed run is the same run: its architecture and settings come from
    // the checkpoint; only the epoch count (and where to save) may change.
    static const char* fixed[] = {"--layers", "--act", "--act-param", "--out", "--model", "--dropout",
                                  "--norm", "--init", "--loss", "--huber-delta", "--optimizer", "--lr",
                                  "--momentum", "--nesterov", "--weight-decay", "--beta1", "--beta2",
                                  "--eps", "--schedule", "--step-size", "--gamma", "--min-lr", "--warmup",
                                  "--clip-norm", "--clip-value", "--batch-size", "--seed", "--dtype"};
    for (const char* f : fixed)
      if (cmd->count(f))
        throw Error(std::string(f) + " cannot change when resuming: --resume continues the saved run with its "
                    "own settings (drop " + f + ", or start a new run without --resume)");
    meta = read_checkpoint_meta(o.resume);
    if (cmd->count("--epochs")) meta.config.epochs = o.epochs;
    o.dtype = meta.dtype;
    resume_data(o.resume, meta.data, cmd, o.data);
  }
  check_data_flags(cmd, o.data);
  auto [splits, scaler] = load_data(o.data, resuming ? meta.config.seed : o.seed);
  if (resuming) {
    if (!meta.scaler.shift.empty()) scaler = meta.scaler;
  } else {
    meta.scaler = scaler;
    meta.classes = splits.train.class_names;
    meta.data = data_json(o.data).dump();
    TrainConfig& cfg = meta.config;
    cfg.epochs = o.epochs;
    cfg.batch_size = o.batch_size;
    cfg.seed = o.seed;
    cfg.init = o.init;
    init_from_name(cfg.init);
    const data::Dataset& tr = splits.train;
    size_t outputs = tr.classification() ? tr.classes : tr.outputs;
    if (tr.classification() && tr.classes == 2) outputs = 1;  // binary: one logit
    // Architecture.
    std::vector<LayerSpec> layers;
    size_t input = tr.features;
    std::string out = o.out;
    std::string source = o.layers.empty() ? "the default layers" : "--layers " + o.layers;
    if (!o.model_file.empty()) {
      for (const char* flag : {"--layers", "--act", "--act-param", "--norm", "--dropout"})
        if (cmd->count(flag))
          throw Error(
              fmt::format("{} with --model: {} defines every layer (activations, normalisation and dropout "
                          "too); drop {}, or drop --model",
                          flag, o.model_file, flag));
      source = o.model_file;
      std::ifstream f(o.model_file);
      if (!f) throw Error(o.model_file + ": cannot open (" + std::strerror(errno) + ")");
      std::stringstream ss;
      ss << f.rdbuf();
      const std::string text = ss.str();
      auto [in, l] = layers_from_json(text, o.model_file);
      if (in && in != tr.features)
        throw Error(fmt::format("{}: \"input\" is {} but {} has {} features", o.model_file, in, tr.name, tr.features));
      layers = std::move(l);
      try {
        const json j = json::parse(text);
        if (out.empty() && j.contains("output") && j["output"].is_string()) out = j["output"].get<std::string>();
      } catch (const json::exception&) {
      }
    } else {
      std::vector<size_t> widths;
      if (o.layers.empty()) {
        widths = tr.features == 784 ? std::vector<size_t>{784, 256, 128, outputs}
                                    : std::vector<size_t>{tr.features, 16, 16, outputs};
      } else {
        widths = parse_widths(o.layers);
        if (widths.front() != tr.features)
          throw Error(fmt::format("--layers {}: starts with {} inputs but {} has {} features; start with {}",
                                  o.layers, widths.front(), tr.name, tr.features, tr.features));
      }
      const auto params = parse_params(o.act_params);
      Activation::make(o.act, params);  // validates the name and parameters
      layers = mlp(widths, o.act, params);
      // --norm goes between each hidden dense layer and its activation, --dropout after the activation.
      std::vector<LayerSpec> with;
      for (size_t i = 0; i < layers.size(); ++i) {
        with.push_back(layers[i]);
        const bool hidden_dense = layers[i].kind == "dense" && i + 1 < layers.size();
        if (hidden_dense && o.norm != "none") {
          LayerSpec n;
          n.kind = o.norm == "batch" ? "batchnorm" : "layernorm";
          with.push_back(n);
        }
        if (layers[i].kind == "activation" && o.dropout > 0) {
          LayerSpec d;
          d.kind = "dropout";
          d.rate = o.dropout;
          with.push_back(d);
        }
      }
      layers = std::move(with);
    }
    // Output activation and loss: the loss fuses softmax (cross-entropy) and
    // sigmoid (BCE with logits); other pairs put the output activation in the
    // network as an ordinary layer.
    size_t width = input;
    {
      Model<double> probe(input, layers);
      width = probe.output_features();
    }
    if (out.empty()) out = !tr.classification() ? "identity" : width == 1 ? "sigmoid" : "softmax";
    std::string loss = o.loss;
    if (loss.empty())
      loss = out == "softmax" ? "cross_entropy" : out == "sigmoid" ? "bce" : out == "log_softmax" ? "nll" : "mse";
    cfg.loss = loss_from_name(loss);
    const bool fused = (out == "softmax" && cfg.loss == LossKind::kCrossEntropy) ||
                       (out == "sigmoid" && cfg.loss == LossKind::kBceWithLogits);
    if (out == "softmax" && cfg.loss == LossKind::kBceWithLogits)
      throw Error("--out softmax with --loss bce: BCE applies its own sigmoid; use --out sigmoid, or --loss cross_entropy");
    if (out == "sigmoid" && cfg.loss == LossKind::kCrossEntropy)
      throw Error("--out sigmoid with --loss cross_entropy: cross-entropy applies its own softmax; use --out softmax, or --loss bce");
    if (!fused && out != "identity") {
      Activation::make(out);
      LayerSpec a;
      a.kind = "activation";
      a.activation = out;
      layers.push_back(a);
    }
    check_output(source, Model<double>(input, layers).output_features(), out, cfg.loss, tr);
    cfg.output = fused ? out : "identity";
    cfg.huber_delta = o.huber_delta;
    // Optimizer with per-optimizer defaults.
    OptimizerConfig& oc = cfg.optimizer;
    oc.kind = o.optimizer;
    const bool sgd = oc.kind == "sgd";
    oc.lr = o.lr > 0 ? o.lr : sgd ? 0.05 : oc.kind == "adagrad" ? 0.01 : 1e-3;
    oc.momentum = o.momentum >= 0 ? o.momentum : sgd ? 0.9 : 0.0;
    oc.nesterov = o.nesterov;
    oc.weight_decay = o.weight_decay >= 0 ? o.weight_decay : oc.kind == "adamw" ? 0.01 : 0.0;
    oc.beta1 = o.beta1;
    oc.beta2 = o.beta2;
    oc.eps = o.eps;
    oc = validated(oc);
    ScheduleConfig& sc = cfg.schedule;
    sc.kind = o.schedule;
    sc.step_size = o.step_size;
    sc.gamma = o.gamma;
    sc.min_lr = o.min_lr;
    sc.warmup_steps = o.warmup;
    sc = validated(sc);
    cfg.clip_norm = o.clip_norm;
    cfg.clip_value = o.clip_value;
    meta.input_features = input;
    meta.layers = layers;
    meta.dtype = o.dtype;
  }
  if (meta.input_features != splits.train.features)
    throw Error(fmt::format("{}: the checkpoint's model takes {} features but {} has {}", o.resume,
                            meta.input_features, splits.train.name, splits.train.features));
  return PreparedRun{std::move(meta), std::move(splits), resuming, {}, {}};
}

namespace {
// Whether the model predicts real-valued targets: the CLI saves --regression
// with the data; a checkpoint without that tells by its output and loss.
bool regression_model(const std::string& path, const Checkpoint& meta) {
  if (!meta.data.empty()) return saved_data(path, meta.data).regression;
  return meta.classes.empty() && meta.config.output == "identity" &&
         (meta.config.loss == LossKind::kMse || meta.config.loss == LossKind::kHuber);
}

// The rows evaluate scored, in words and as docs/json.md's "split".
struct Scored {
  data::Dataset* rows;
  const char* split;
  const char* what;
  std::string warning;  // printed on stderr once the scores are known
};

template <class T>
int evaluate_typed(const EvaluateOptions& o, const Checkpoint& meta, const Scored& scored) {
  const data::Dataset& d = *scored.rows;
  Model<T> model(meta.input_features, meta.layers);
  load_checkpoint<T>(o.model, model, nullptr);
  const Evaluation e = evaluate(model, meta.config, d);
  if (!scored.warning.empty()) std::fprintf(stderr, "actlab: warning: %s\n", scored.warning.c_str());
  const std::vector<size_t>& count = e.class_rows;
  const std::vector<size_t>& hits = e.class_correct;
  auto class_name = [&](size_t k) {
    return k < meta.classes.size() ? meta.classes[k] : k < d.class_names.size() ? d.class_names[k] : std::to_string(k);
  };
  const size_t classes = d.classes;
  if (o.json) {
    json j{{"model", o.model}, {"data", d.name}, {"split", scored.split}, {"rows", e.rows}, {"loss", e.loss}};
    j["accuracy"] = std::isfinite(e.accuracy) ? json(e.accuracy) : json(nullptr);
    if (d.classification()) {
      json per = json::array(), confusion = json::array();
      for (size_t k = 0; k < classes; ++k) {
        per.push_back({{"class", k},
                       {"name", class_name(k)},
                       {"rows", count[k]},
                       {"accuracy", count[k] ? json(double(hits[k]) / count[k]) : json(nullptr)}});
        confusion.push_back(
            std::vector<size_t>(e.confusion.begin() + k * classes, e.confusion.begin() + (k + 1) * classes));
      }
      j["per_class"] = per;
      j["confusion"] = confusion;
    } else {
      j["rmse"] = e.rmse;
      j["mae"] = e.mae;
      j["r2"] = e.r2;
    }
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("{}: {} rows of {}, {}\nloss {:.4f}\n", o.model, e.rows, d.name, scored.what, e.loss);
  if (!d.classification()) {
    fmt::print("rmse {:.6g}\nmae {:.6g}\nr2 {:.4f}\n", e.rmse, e.mae, e.r2);
    return 0;
  }
  fmt::print("accuracy {}\nper class:\n", pct(e.accuracy));
  for (size_t k = 0; k < classes; ++k)
    fmt::print("  {:>2} {:<14} {:>6} rows  {}\n", k, class_name(k), count[k],
               count[k] ? pct(double(hits[k]) / count[k]) : "-");
  std::string header = fmt::format("confusion (rows: true class, columns: predicted):\n  {:>2} {:<14}", "", "");
  for (size_t k = 0; k < classes; ++k) header += fmt::format(" {:>6}", k);
  fmt::print("{}\n", header);
  for (size_t k = 0; k < classes; ++k) {
    std::string line = fmt::format("  {:>2} {:<14}", k, class_name(k));
    for (size_t p = 0; p < classes; ++p) line += fmt::format(" {:>6}", e.confusion[k * classes + p]);
    fmt::print("{}\n", line);
  }
  return 0;
}

// The rows to predict, all read and checked before the first is printed, so
// a bad row late in the input leaves no partial output behind. id: the row's
// 1-based number (its line with --input, its data row with --csv).
struct PredictRows {
  std::vector<float> x;
  std::vector<size_t> id;
};

PredictRows read_predict_rows(CLI::App* cmd, const PredictOptions& o, const Checkpoint& meta) {
  PredictRows rows;
  const size_t features = meta.input_features;
  if (!o.csv.empty()) {
    if (cmd->count("--input")) throw Error("--csv and --input: give one source of rows, not both");
    // The label column the model was trained with, unless told: the training CSV itself is valid input.
    std::string label = o.label;
    if (!cmd->count("--label")) label = meta.data.empty() ? "-1" : saved_data(o.model, meta.data).label;
    data::Dataset d = data::read_csv(o.csv, label, regression_model(o.model, meta));
    if (d.features != features)
      throw Error(
          fmt::format("{}: {} feature columns besides the label column '{}', the model takes {}; pass the "
                      "label column with --label COL",
                      o.csv, d.features, label, features));
    rows.x = std::move(d.x);
    rows.id.resize(d.rows);
    std::iota(rows.id.begin(), rows.id.end(), size_t{1});
    return rows;
  }
  if (cmd->count("--label")) throw Error("--label applies to --csv input only; drop --label, or pass --csv FILE");
  std::ifstream file;
  std::istream* in = &std::cin;
  if (o.input != "-") {
    file.open(o.input);
    if (!file) throw Error(o.input + ": cannot open (" + std::strerror(errno) + ")");
    in = &file;
  }
  const std::string source = o.input == "-" ? "stdin" : o.input;
  std::string line;
  size_t line_no = 0, values = 0;
  while (std::getline(*in, line)) {
    ++line_no;
    for (char& ch : line)
      if (ch == ',' || ch == '\t' || ch == '\r') ch = ' ';
    std::istringstream ss(line);
    std::string tok;
    values = 0;
    while (ss >> tok) {
      char* end = nullptr;
      const double v = std::strtod(tok.c_str(), &end);
      if (*end != '\0' || !std::isfinite(v)) {
        const bool header = rows.id.empty() && values == 0;
        throw Error(fmt::format("{} line {}: '{}' is not a finite number{}", source, line_no, tok,
                                header ? "; for a CSV file with a header and a label column, pass --csv FILE "
                                         "(--label COL)"
                                       : ""));
      }
      rows.x.push_back(static_cast<float>(v));
      ++values;
    }
    if (values == 0) continue;
    if (values != features)
      throw Error(
          fmt::format("{} line {}: {} values, the model takes {} features per row{}", source, line_no, values, features,
                      values == features + 1 ? "; for rows with a label column, pass --csv FILE --label COL" : ""));
    rows.id.push_back(line_no);
  }
  return rows;
}

template <class T>
int predict_typed(const PredictOptions& o, const Checkpoint& meta, const PredictRows& rows) {
  Model<T> model(meta.input_features, meta.layers);
  load_checkpoint<T>(o.model, model, nullptr);
  const Activation out_act = Activation::make(meta.config.output);
  const bool regression = regression_model(o.model, meta);
  const size_t features = meta.input_features;
  Tensor<T> x(1, features), p;
  for (size_t r = 0; r < rows.id.size(); ++r) {
    const size_t row_id = rows.id[r];
    for (size_t j = 0; j < features; ++j) {
      float v = rows.x[r * features + j];
      if (!meta.scaler.shift.empty()) v = (v - meta.scaler.shift[j]) * meta.scaler.scale[j];
      x(0, j) = v;
    }
    const Tensor<T>& out = model.forward(x, Mode::kEval);
    p.resize(1, out.cols());
    actlab::forward(out_act, out.data(), p.data(), out.cols(), out.cols());
    std::vector<std::pair<double, size_t>> ranked;
    if (out.cols() == 1 && meta.config.output == "sigmoid") {
      ranked = {{1.0 - p(0, 0), 0}, {double(p(0, 0)), 1}};
    } else {
      for (size_t k = 0; k < out.cols(); ++k) ranked.emplace_back(double(p(0, k)), k);
    }
    auto name = [&](size_t k) { return k < meta.classes.size() ? meta.classes[k] : std::to_string(k); };
    if (regression) {
      if (o.json) {
        const std::vector<double> prediction(p.data(), p.data() + p.size());
        fmt::print("{}\n", json{{"row", row_id}, {"prediction", prediction}}.dump());
      } else {
        for (size_t k = 0; k < p.size(); ++k) fmt::print("{}{:.6g}", k ? " " : "", double(p.data()[k]));
        fmt::print("\n");
      }
      continue;
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](auto& a, auto& b) { return a.first > b.first; });
    const size_t top = std::min(o.top, ranked.size());
    if (o.json) {
      json probs = json::array();
      for (size_t i = 0; i < top; ++i)
        probs.push_back({{"class", ranked[i].second}, {"name", name(ranked[i].second)}, {"probability", ranked[i].first}});
      fmt::print(
          "{}\n",
          json{{"row", row_id}, {"class", ranked[0].second}, {"name", name(ranked[0].second)}, {"top", probs}}.dump());
    } else {
      std::string s = fmt::format("{} {}", ranked[0].second, name(ranked[0].second));
      for (size_t i = 0; i < top; ++i)
        s += fmt::format("  {}:{:.4f}", name(ranked[i].second), ranked[i].first);
      fmt::print("{}\n", s);
    }
  }
  return 0;
}
}  // namespace

int RunEvaluate(CLI::App* cmd, const EvaluateOptions& o) {
  set_all_threads(o.threads);
  if (cmd->count("--scale"))
    throw Error(
        "--scale does not apply to evaluate: rows are scaled as the model's training rows were, by the "
        "scaler saved in the checkpoint; drop --scale");
  if (cmd->count("--val-fraction"))
    throw Error(
        "--val-fraction does not apply to evaluate: it scores the test split, else the validation rows "
        "the run held out; drop --val-fraction");
  const Checkpoint meta = read_checkpoint_meta(o.model);
  const bool saved = !meta.data.empty();
  const DataOptions run = saved ? saved_data(o.model, meta.data) : DataOptions{};
  const bool regression = regression_model(o.model, meta);
  if (cmd->count("--regression") && !regression)
    throw Error(fmt::format("--regression: {} is a classifier; drop --regression", o.model));
  // Without a source flag, the run's own data (a synthetic set is regenerated
  // from the run's seed); the label column and the task stay the run's
  // unless given.
  DataOptions d = run;
  if (cmd->count("--data") || cmd->count("--csv")) {
    d.data = o.data.data;
    d.csv = o.data.csv;
    d.test_csv = o.data.test_csv;
    d.rows = o.data.rows;
    d.noise = o.data.noise;
  }
  if (cmd->count("--test-csv")) d.test_csv = o.data.test_csv;
  if (cmd->count("--rows")) d.rows = o.data.rows;
  if (cmd->count("--noise")) d.noise = o.data.noise;
  if (cmd->count("--label")) d.label = o.data.label;
  d.regression = regression;
  check_data_flags(cmd, d);
  // The run's training CSV without a test split: score the validation rows
  // the run held out, drawn again as training drew them (same rows, seed and
  // fraction), rather than rows the model learnt.
  std::error_code ec;
  const bool own_csv = !d.csv.empty() && !run.csv.empty() && d.label == run.label &&
                       (d.csv == run.csv || std::filesystem::equivalent(d.csv, run.csv, ec));
  d.val_fraction = own_csv && d.test_csv.empty() ? run.val_fraction : 0;
  d.scale = "none";  // the run's own scaler (fitted on its training rows) is applied below
  data::Splits splits = load_data(d, meta.config.seed, true).first;
  Scored scored{&splits.train, "all", "every row", ""};
  std::string source = d.csv.empty() ? splits.train.name : d.csv;
  if (splits.test.rows) {
    scored = {&splits.test, "test", "its test split", ""};
    source = d.test_csv.empty() ? splits.test.name : d.test_csv;
  } else if (splits.validation.rows) {
    scored = {&splits.validation, "validation", "the validation rows the run held out", ""};
  } else if (own_csv) {
    scored = {&splits.train, "train", "the rows it was trained on",
              fmt::format("{} was trained on these rows ({} has no test split and the run held none out), so the "
                          "scores overstate how it does on new rows; pass --test-csv FILE",
                          o.model, d.csv)};
  }
  data::Dataset& ds = *scored.rows;
  if (ds.features != meta.input_features)
    throw Error(fmt::format("{}: the model takes {} features but {} has {}; pass the data it was trained on "
                            "(--data or --csv)", o.model, meta.input_features, ds.name, ds.features));
  relabel(ds, meta.classes, source, "the model was trained on");
  if (!meta.scaler.shift.empty()) meta.scaler.apply(ds);
  return meta.dtype == "float64" ? evaluate_typed<double>(o, meta, scored) : evaluate_typed<float>(o, meta, scored);
}

int RunPredict(CLI::App* cmd, const PredictOptions& o) {
  set_all_threads(o.threads);
  const Checkpoint meta = read_checkpoint_meta(o.model);
  const PredictRows rows = read_predict_rows(cmd, o, meta);
  return meta.dtype == "float64" ? predict_typed<double>(o, meta, rows) : predict_typed<float>(o, meta, rows);
}

}  // namespace actlab::cli
