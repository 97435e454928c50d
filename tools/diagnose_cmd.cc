// `actlab diagnose` and `actlab train --diagnose`.

#include "tools/diagnose_cmd.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "actlab/diagnostics.h"
#include "src/common/json_error.h"
#include "tools/report_cmd.h"

namespace actlab::cli {
namespace {

using json = nlohmann::ordered_json;

std::string fig(const json& v, const char* fmt_spec = "{:.3g}") {
  return v.is_number() ? fmt::format(fmt::runtime(fmt_spec), v.get<double>()) : "-";
}

// One line per layer: what the report measured there.
std::string layers_table(const json& layers) {
  std::string s = "layer  kind        units  figures\n";
  for (const json& l : layers) {
    std::string kind = l.at("kind").get<std::string>();
    if (l.contains("activation")) kind = l.at("activation").get<std::string>();
    std::string figs;
    if (l.contains("pre")) {
      const json& p = l.at("pre");
      figs += fmt::format("pre mean {} std {}", fig(p.at("mean")), fig(p.at("std")));
      if (l.at("saturated").is_number())
        figs += fmt::format("  saturated {:.1f}%", 100 * l.at("saturated").get<double>());
      if (l.contains("dead")) {
        const json& d = l.at("dead");
        // Dead units where f' has a zero region, else the rectifier's off
        // units (relu's off units are its dead ones: shown once).
        const char* k = d.at("dead").is_number() ? "dead" : "off";
        if (d.contains(k) && d.at(k).is_number()) {
          const size_t n = d.at(k).get<size_t>(), units = d.at("units").get<size_t>();
          figs += fmt::format("  {} {}/{} ({:.1f}%)", k, n, units, units ? 100.0 * double(n) / double(units) : 0.0);
        }
      }
    }
    if (l.contains("weight_norm"))
      figs += fmt::format("|W| {}  |dW| {}  update/|W| {}", fig(l.at("weight_norm")), fig(l.at("grad_norm")),
                          fig(l.at("update_ratio")));
    s += fmt::format("{:>5}  {:<10} {:>6}  {}\n", l.at("index").get<size_t>(), kind, l.at("units").get<size_t>(),
                     figs);
  }
  return s;
}

// What predicting the training labels' shares, whatever the input, scores
// under the run's loss (for the underfitting finding): the shares' entropy
// for cross-entropy, the mean binary entropy of the outputs for BCE (one
// output: class 1's share; K outputs: one-hot), and the commonest class's
// share as accuracy. Left unknown for regression and the other losses.
template <class T>
void set_baseline(diag::Observer<T>& obs, const PreparedRun& run) {
  const data::Dataset& train = run.splits.train;
  const LossKind loss = run.meta.config.loss;
  if (!train.classification() || train.labels.empty() ||
      (loss != LossKind::kCrossEntropy && loss != LossKind::kNll && loss != LossKind::kBceWithLogits))
    return;
  std::vector<double> shares(train.classes, 0.0);
  for (int32_t label : train.labels)
    if (label >= 0 && size_t(label) < shares.size()) ++shares[size_t(label)];
  for (double& s : shares) s /= double(train.labels.size());
  const auto plogp = [](double p) { return p > 0 ? p * std::log(p) : 0.0; };
  const auto binary_entropy = [&](double p) { return -plogp(p) - plogp(1 - p); };
  double baseline = 0;
  size_t outputs = 0;
  for (const LayerSpec& l : run.meta.layers)
    if (l.kind == "dense") outputs = l.units;
  if (loss != LossKind::kBceWithLogits) {
    for (double p : shares) baseline -= plogp(p);
  } else if (outputs == 1 && shares.size() == 2) {
    baseline = binary_entropy(shares[1]);
  } else if (outputs == shares.size()) {
    for (double p : shares) baseline += binary_entropy(p) / double(outputs);
  } else {
    return;
  }
  obs.set_baseline(baseline, *std::max_element(shares.begin(), shares.end()));
}

// The figures the findings are about: what the run reached by its last epoch.
json final_json(const EpochRecord& r) {
  const auto figure = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return {{"epoch", r.epoch},
          {"train_loss", figure(r.train_loss)},
          {"train_accuracy", figure(r.train_accuracy)},
          {"val_loss", figure(r.val_loss)},
          {"val_accuracy", figure(r.val_accuracy)},
          {"test_loss", figure(r.test_loss)},
          {"test_accuracy", figure(r.test_accuracy)}};
}

std::string final_text(const EpochRecord& r) {
  std::string s = fmt::format(": train loss {:.4f}", r.train_loss);
  if (std::isfinite(r.test_accuracy)) s += fmt::format(", test accuracy {:.2f}%", 100 * r.test_accuracy);
  return s;
}

// final: the run's last epoch, when one was recorded.
int print(const std::vector<diag::Finding>& findings, const std::string& layers_json, const std::string& stopped,
          bool as_json, std::string header, const EpochRecord* final) {
  const json layers = json::parse(layers_json);
  if (as_json) {
    json fs = json::array();
    for (const diag::Finding& f : findings) {
      json figs = json::object();
      for (const auto& [k, v] : f.figures) figs[k] = std::isfinite(v) ? json(v) : json(nullptr);
      fs.push_back({{"kind", f.kind}, {"layers", f.layers}, {"figures", figs}, {"message", f.message},
                    {"advice", f.advice}});
    }
    json out{{"findings", fs}, {"layers", layers}, {"stopped", stopped}};
    if (final) out["final"] = final_json(*final);
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  if (final) header += final_text(*final);
  const std::string table = layers_table(layers);  // first: a malformed layer prints nothing
  if (!header.empty()) fmt::print("{}\n", header);
  if (!stopped.empty()) fmt::print("stopped early: {}\n", stopped);
  fmt::print("{}\n{}", table, diag::findings_text(findings));
  return 0;
}

template <class T>
int diagnose_live(const DiagnoseOptions& o, PreparedRun& run) {
  const Checkpoint& meta = run.meta;
  Model<T> model(meta.input_features, meta.layers, meta.config.seed);
  TrainState<T> state;
  if (run.resuming) {
    load_checkpoint(o.train.resume, model, &state);
    if (state.epochs_done >= meta.config.epochs)
      throw Error(fmt::format("{}: already trained {} of {} epochs; pass a larger --epochs to look further",
                              o.train.resume, state.epochs_done, meta.config.epochs));
  } else {
    model.initialize(meta.config.seed, init_from_name(meta.config.init));
  }
  TrainConfig cfg = meta.config;
  if (o.train.stop_after) cfg.epochs = std::min(cfg.epochs, o.train.stop_after);
  diag::Observer<T> obs(o.every);
  set_baseline(obs, run);
  // Divergence is a finding here, not a failure: the records up to it stay.
  try {
    train(model, cfg, run.splits, state, TrainCallbacks{}, {}, meta.config.epochs, &obs);
  } catch (const Error& e) {
    obs.finish(e.what());
  }
  const auto findings = diag::analyze(obs.report());
  const json report = json::parse(diag::to_json(obs.report(), findings));
  const std::string header =
      fmt::format("diagnosed {} steps ({} epochs, a record every {} steps)", state.step, state.epochs_done, o.every);
  return print(findings, report.at("layers").dump(), obs.report().stopped, o.json, header,
               state.history.empty() ? nullptr : &state.history.back());
}

template <class T>
int train_diagnosed(const TrainOptions& o, PreparedRun& run) {
  diag::Observer<T> obs(o.diagnose_every);
  set_baseline(obs, run);
  run.diagnostics = [&obs]() { return diag::to_json(obs.report(), diag::analyze(obs.report())); };
  run.on_stop = [&obs](const std::string& why) { obs.finish(why); };
  int rc = 0;
  try {
    rc = TrainPrepared<T>(o, run, &obs);
  } catch (const Error& e) {
    // Say what the records showed before the error ends the run (on_stop
    // has closed them, unless the error came before training).
    if (obs.report().stopped.empty()) obs.finish(e.what());
    if (!o.json) fmt::print("diagnostics:\n{}", diag::findings_text(diag::analyze(obs.report())));
    std::fflush(stdout);
    throw;
  }
  // --json: the findings are in the printed object's "diagnostics".
  if (!o.json) fmt::print("diagnostics:\n{}", diag::findings_text(diag::analyze(obs.report())));
  return rc;
}

}  // namespace

void AddDiagnoseCommand(CLI::App& app, DiagnoseCommand& c) {
  DiagnoseOptions& o = c.opts;
  c.cmd = app.add_subcommand(
      "diagnose", "Train briefly (or read a run made with `train --diagnose`) and report vanishing or exploding "
                  "gradients, dead units, saturation, a learning rate off scale and underfitting");
  o.train.epochs = 1;  // a probe, not a run
  AddTrainFlags(c.cmd, o.train);
  c.cmd->add_option("--run", o.run,
                    "A run made with `actlab train --diagnose`: its folder (--run-dir) or metrics file "
                    "(--metrics-out) to report on");
  c.cmd->add_option("--every", o.every, "Steps between records")->check(CLI::Range(size_t{1}, size_t{1000000}));
  c.cmd->add_flag("--json", o.json, "Print {\"findings\": [...], \"layers\": [...]}");
}

int RunDiagnose(DiagnoseCommand& c) {
  DiagnoseOptions& o = c.opts;
  if (!o.run.empty()) {
    for (const CLI::Option* opt : c.cmd->get_options())
      if (opt->count() && opt->get_name() != "--run" && opt->get_name() != "--json")
        throw Error(opt->get_name() + " with --run: the run is already made; give --run RUN (and --json) only");
    const RunFile file = ReadRunFile(o.run);
    const auto [findings, layers] = diag::findings_from_json(file.text, file.metrics_path);
    std::string stopped;
    std::vector<EpochRecord> history;  // a metrics file's epochs; a bare diagnostics object has none
    try {
      const json j = json::parse(file.text);
      if (j.contains("diagnostics")) stopped = j["diagnostics"].value("stopped", "");
      if (j.contains("epochs")) history = history_from_json(j["epochs"].dump(), file.metrics_path);
    } catch (const json::exception&) {
    }
    // The layer summaries are read field by field: a hand-edited file that
    // lacks one is named, not reported as an internal error.
    try {
      return print(findings, layers, stopped, o.json, "diagnosed " + file.metrics_path,
                   history.empty() ? nullptr : &history.back());
    } catch (const json::exception& e) {
      throw Error(file.metrics_path + ": diagnostics \"layers\" are malformed (" + actlab::detail::json_error_text(e) +
                  "); give the file exactly as `actlab train --diagnose` wrote it");
    }
  }
  for (const char* flag : {"--save", "--metrics-out"})
    if (c.cmd->count(flag))
      throw Error(std::string(flag) + ": actlab diagnose keeps nothing; use `actlab train --diagnose " + flag +
                  " FILE` to keep the run");
  PreparedRun run = PrepareTrain(c.cmd, o.train);
  return run.meta.dtype == "float64" ? diagnose_live<double>(o, run) : diagnose_live<float>(o, run);
}

int TrainDiagnosed(const TrainOptions& o, PreparedRun& run) {
  return run.meta.dtype == "float64" ? train_diagnosed<double>(o, run) : train_diagnosed<float>(o, run);
}

}  // namespace actlab::cli
