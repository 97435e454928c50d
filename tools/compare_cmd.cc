// `actlab compare`. Each (activation, depth) is trained with seeds seed,
// seed+1, ...; the table shows what the textbooks claim, measured: test
// accuracy, how fast the target accuracy is reached, the time per epoch, the
// gradient ratio between the first and last layer (vanishing gradients), and
// after training the fraction of dead (ReLU family), off (rectifiers: never
// positive) and saturated units on held-out rows.

#include "tools/compare_cmd.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "actlab/diagnostics.h"
#include "actlab/plot.h"
#include "actlab/train.h"

namespace actlab::cli {
namespace {

using nlohmann::json;

// Mean L2 norm of each dense layer's weight gradient over sampled steps.
class GradientNorms final : public TrainObserver<float> {
 public:
  void after_backward(Model<float>& model, uint64_t step, size_t) override {
    if (step % 10 != 0) return;
    std::vector<double> norms;
    for (const auto& p : model.named_parameters()) {
      if (p.name.size() < 7 || p.name.compare(p.name.size() - 7, 7, ".weight") != 0 || p.vector) continue;
      double s = 0;
      for (size_t i = 0; i < p.rows * p.cols; ++i) s += double(p.grad[i]) * p.grad[i];
      norms.push_back(std::sqrt(s));
    }
    if (sums_.empty()) sums_.assign(norms.size(), 0.0);
    for (size_t i = 0; i < norms.size() && i < sums_.size(); ++i) sums_[i] += norms[i];
    ++samples_;
  }
  // first layer's / last layer's mean gradient norm
  double ratio() const {
    if (sums_.size() < 2 || sums_.back() == 0) return NAN;
    return sums_.front() / sums_.back();
  }

 private:
  std::vector<double> sums_;
  size_t samples_ = 0;
};

struct UnitStats {
  double dead = NAN, off = NAN, saturated = NAN;  // fractions over the hidden activation layers' units
};

// After training, on up to 1000 held-out rows, with actlab diagnose's
// definitions: a unit of an activation with a zero region of f' (the ReLU
// family) is dead when f'(x) = 0 on every row; a unit of a rectifier (relu,
// leaky_relu, elu, gelu...) is off when its input is <= 0 on every row (for
// relu the same units as dead; leaky_relu's and elu's still get a gradient);
// for activations without a zero region, an entry is saturated when
// |f'(x)| < 1% of sup |f'|.
UnitStats probe_units(Model<float>& model, const data::Dataset& d) {
  UnitStats out;
  if (d.rows == 0) return out;
  const size_t rows = std::min<size_t>(1000, d.rows);
  Tensor<float> x(rows, d.features);
  for (size_t r = 0; r < rows; ++r) std::copy(d.row(r), d.row(r) + d.features, x.row(r));
  model.forward(x, Mode::kEval);
  size_t dead = 0, units = 0, off = 0, rect_units = 0, entries = 0;
  double sat = 0;
  std::vector<uint8_t> active;
  std::vector<float> scratch;
  for (size_t i = 0; i < model.layer_count(); ++i) {
    const LayerSpec& s = model.specs()[i];
    if (s.kind != "activation") continue;
    const Activation a = activation_of(s);
    // The same definitions as actlab diagnose (docs/diagnostics.md).
    const diag::DerivativeProfile profile = diag::derivative_profile(a);
    if (!profile.elementwise) continue;
    const Tensor<float>& pre = model.activation(i);
    if (profile.rectifier) {
      diag::mark_positive(pre.data(), pre.rows(), pre.cols(), active);
      for (uint8_t on : active) off += !on;
      rect_units += active.size();
      active.clear();
    }
    if (profile.zero_region) {
      diag::mark_active(a, pre.data(), pre.rows(), pre.cols(), active, scratch);
      for (uint8_t on : active) dead += !on;
      units += active.size();
      active.clear();
    } else {
      sat += diag::saturated_fraction(a, pre.data(), pre.size(), profile.peak, scratch) * double(pre.size());
      entries += pre.size();
    }
  }
  if (units) out.dead = double(dead) / double(units);
  if (rect_units) out.off = double(off) / double(rect_units);
  if (entries) out.saturated = sat / double(entries);
  return out;
}

struct Cell {
  std::string act;
  size_t depth;
  std::vector<double> accuracy, epochs_to_target, seconds_per_epoch, dead, off, saturated, grad_ratio;
};

double mean(const std::vector<double>& v) {
  double s = 0;
  size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) s += x, ++n;
  return n ? s / double(n) : NAN;
}
double stddev(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0;
  size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) s += (x - m) * (x - m), ++n;
  return n > 1 ? std::sqrt(s / double(n - 1)) : NAN;  // one run has no spread (not a spread of 0)
}
json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
std::string fixed(double v, const char* f) { return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : "-"; }
// "84.20 ± 0.35" over seeds; one seed has no spread to print.
std::string accuracy_text(const std::vector<double>& accuracy) {
  const double m = mean(accuracy), sd = stddev(accuracy);
  if (!std::isfinite(m)) return "diverged";
  return std::isfinite(sd) ? fmt::format("{:.2f} ± {:.2f}", 100 * m, 100 * sd) : fmt::format("{:.2f}", 100 * m);
}

}  // namespace

CLI::App* AddCompareCommand(CLI::App& app, CompareOptions& o) {
  CLI::App* c = app.add_subcommand("compare", "Train one architecture with each activation and depth, over seeds, side by side");
  AddTrainFlags(c, o.train);
  c->add_option("--acts", o.acts, "Activations, comma-separated")->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--depth", o.depths, "Hidden layers, comma-separated (e.g. 2,5,10)")
      ->delimiter(',')
      ->check(IntegerIn("[1, 1000]"))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--seeds", o.seeds, "Runs per cell (seeds --seed, --seed+1, ...)")->check(IntegerIn("[1, 100]"));
  c->add_option("--width", o.width, "Units per hidden layer")->check(IntegerIn("[1, 100000]"));
  c->add_option("--target", o.target, "Test accuracy for the 'epochs to target' column")->check(NumberIn("[0, 1]"));
  c->add_option("--csv-out", o.csv_out, "Write the table as CSV");
  c->add_option("--json-out", o.json_out, "Write the table (and every run) as JSON");
  c->add_option("--chart", o.chart, "Draw the table (PNG, SVG or PDF by extension): accuracy, gradient ratio, dead and saturated units against depth");
  c->add_flag("--json", o.json, "Print JSON instead of the table");
  return c;
}

int RunCompare(CLI::App* cmd, CompareOptions& o) {
  if (cmd->count("--layers") || cmd->count("--model") || cmd->count("--act"))
    throw Error("compare sets the layers itself: use --acts, --depth and --width instead of --layers/--model/--act");
  if (cmd->count("--resume") || cmd->count("--save"))
    throw Error("compare trains many models; --save and --resume do not apply");
  for (const std::string& a : o.acts) Activation::make(a);  // validates the names first
  if (o.depths.empty() || o.acts.empty()) throw Error("compare: give at least one --acts and one --depth");
  o.train.quiet = true;
  if (!cmd->count("--epochs")) o.train.epochs = 5;
  std::vector<Cell> cells;
  json runs = json::array();
  const bool tty = isatty(fileno(stderr));
  const size_t total = o.acts.size() * o.depths.size() * o.seeds;
  size_t done = 0;
  // Input and output widths come from the data (and --out).
  size_t in = 0, outputs = 0;
  {
    TrainOptions t = o.train;
    PreparedRun probe = PrepareTrain(cmd, t);
    in = probe.meta.input_features;
    Model<double> m(in, probe.meta.layers);
    outputs = m.output_features();
    if (probe.meta.config.output == "identity" && !probe.meta.layers.empty() &&
        probe.meta.layers.back().kind == "activation")
      outputs = Model<double>(in, std::vector<LayerSpec>(probe.meta.layers.begin(), probe.meta.layers.end() - 1))
                    .output_features();
  }
  for (size_t depth : o.depths) {
    for (const std::string& act : o.acts) {
      Cell cell{act, depth, {}, {}, {}, {}, {}, {}, {}};
      for (size_t s = 0; s < o.seeds; ++s) {
        TrainOptions t = o.train;
        t.act = act;
        t.seed = o.train.seed + s;
        std::string layers = std::to_string(in);
        for (size_t k = 0; k < depth; ++k) layers += "-" + std::to_string(o.width);
        layers += "-" + std::to_string(outputs);
        t.layers = layers;
        PreparedRun run = PrepareTrain(cmd, t);
        Model<float> model(run.meta.input_features, run.meta.layers, run.meta.config.seed);
        model.initialize(run.meta.config.seed, init_from_name(run.meta.config.init));
        TrainState<float> state;
        GradientNorms norms;
        if (tty)
          std::fprintf(stderr, "\r[%zu/%zu] %s depth %zu seed %zu ...\033[K", done + 1, total, act.c_str(), depth,
                       static_cast<size_t>(t.seed));
        std::string failure;
        try {
          train(model, run.meta.config, run.splits, state, {}, {}, run.meta.config.epochs, &norms);
        } catch (const Error& e) {
          failure = e.what();  // a diverged run is a result, not an error
        }
        ++done;
        const data::Dataset& held = run.splits.test.rows ? run.splits.test : run.splits.validation;
        const UnitStats u = failure.empty() ? probe_units(model, held) : UnitStats{};
        double acc = NAN, secs = 0, reached = NAN;
        for (const EpochRecord& r : state.history) {
          secs += r.seconds;
          const double a = std::isfinite(r.test_accuracy) ? r.test_accuracy : r.val_accuracy;
          if (std::isnan(reached) && a >= o.target) reached = double(r.epoch);
          acc = a;
        }
        if (!failure.empty()) acc = NAN;
        cell.accuracy.push_back(acc);
        cell.epochs_to_target.push_back(reached);
        cell.seconds_per_epoch.push_back(state.history.empty() ? NAN : secs / double(state.history.size()));
        cell.dead.push_back(u.dead);
        cell.off.push_back(u.off);
        cell.saturated.push_back(u.saturated);
        cell.grad_ratio.push_back(norms.ratio());
        json r{{"activation", act}, {"depth", depth}, {"seed", t.seed}, {"layers", layers},
               {"test_accuracy", num(acc)}, {"epochs_to_target", num(reached)},
               {"seconds_per_epoch", num(cell.seconds_per_epoch.back())}, {"dead_fraction", num(u.dead)},
               {"off_fraction", num(u.off)}, {"saturated_fraction", num(u.saturated)},
               {"grad_norm_ratio_first_last", num(norms.ratio())},
               {"epochs", json::parse(history_to_json(state.history))}};
        if (!failure.empty()) r["failure"] = failure;
        runs.push_back(r);
      }
      cells.push_back(cell);
    }
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  json table = json::array();
  for (const Cell& c : cells) {
    size_t reached = 0;
    for (double e : c.epochs_to_target) reached += std::isfinite(e);
    table.push_back({{"activation", c.act}, {"depth", c.depth}, {"runs", c.accuracy.size()},
                     {"test_accuracy_mean", num(mean(c.accuracy))}, {"test_accuracy_std", num(stddev(c.accuracy))},
                     {"epochs_to_target_mean", num(mean(c.epochs_to_target))}, {"runs_reaching_target", reached},
                     {"seconds_per_epoch", num(mean(c.seconds_per_epoch))}, {"dead_fraction", num(mean(c.dead))},
                     {"off_fraction", num(mean(c.off))}, {"saturated_fraction", num(mean(c.saturated))},
                     {"grad_norm_ratio_first_last", num(mean(c.grad_ratio))}});
  }
  json all{{"command", "compare"}, {"epochs", o.train.epochs}, {"width", o.width}, {"seeds", o.seeds},
           {"target", o.target}, {"init", o.train.init}, {"table", table}, {"runs", runs}};
  if (!o.json_out.empty()) WriteFileAtomic(o.json_out, all.dump(2) + "\n");
  if (!o.csv_out.empty()) {
    std::ostringstream f;
    f << "activation,depth,runs,test_accuracy_mean,test_accuracy_std,epochs_to_target_mean,runs_reaching_target,"
         "seconds_per_epoch,dead_fraction,off_fraction,saturated_fraction,grad_norm_ratio_first_last\n";
    for (const json& r : table) {
      auto v = [](const json& x) { return x.is_null() ? std::string() : x.dump(); };
      f << r["activation"].get<std::string>() << ',' << r["depth"] << ',' << r["runs"] << ','
        << v(r["test_accuracy_mean"]) << ',' << v(r["test_accuracy_std"]) << ',' << v(r["epochs_to_target_mean"])
        << ',' << r["runs_reaching_target"] << ',' << v(r["seconds_per_epoch"]) << ',' << v(r["dead_fraction"])
        << ',' << v(r["off_fraction"]) << ',' << v(r["saturated_fraction"]) << ',' << v(r["grad_norm_ratio_first_last"]) << '\n';
    }
    WriteFileAtomic(o.csv_out, f.str());
  }
  if (!o.chart.empty()) {
    // One line per activation across the depths, in four panels.
    plot::Figure fig;
    fig.title = fmt::format("actlab compare: {} epochs, width {}, init {}, {} seed(s)", o.train.epochs, o.width,
                            o.train.init, o.seeds);
    fig.columns = 2;
    auto panel = [](const char* title, const char* ylabel) {
      plot::Panel p;
      p.title = title;
      p.xlabel = "hidden layers";
      p.ylabel = ylabel;
      return p;
    };
    plot::Panel acc = panel("test accuracy (mean over seeds)", "accuracy");
    plot::Panel ratio = panel("gradient norm, first layer / last", "ratio");
    ratio.log_y = true;
    plot::Panel dead = panel("dead units (solid), off units (dashed)", "fraction");
    plot::Panel sat = panel("saturated entries (|f'| < 1% of peak)", "fraction");
    // A series with no finite point (relu has no saturated entries, tanh no
    // dead units) would only take a legend entry.
    auto any_finite = [](const plot::Series& ser) {
      return std::any_of(ser.y.begin(), ser.y.end(), [](double v) { return std::isfinite(v); });
    };
    for (size_t k = 0; k < o.acts.size(); ++k) {
      const std::string& act = o.acts[k];
      plot::Series a, r, d, f, t;
      a.label = r.label = d.label = t.label = act;
      a.colour = r.colour = d.colour = f.colour = t.colour = int(k);
      f.dashed = true;  // unlabelled: the solid line of the same colour names it
      for (const Cell& c : cells) {
        if (c.act != act) continue;
        const double x = double(c.depth);
        a.x.push_back(x), a.y.push_back(mean(c.accuracy));
        r.x.push_back(x), r.y.push_back(mean(c.grad_ratio));
        d.x.push_back(x), d.y.push_back(mean(c.dead));
        f.x.push_back(x), f.y.push_back(mean(c.off));
        t.x.push_back(x), t.y.push_back(mean(c.saturated));
      }
      if (any_finite(a)) acc.series.push_back(a);
      if (any_finite(r)) ratio.series.push_back(r);
      if (any_finite(d)) dead.series.push_back(d);
      if (any_finite(f)) {
        if (!any_finite(d)) f.label = act;
        dead.series.push_back(f);
      }
      if (any_finite(t)) sat.series.push_back(t);
    }
    for (plot::Panel* p : {&acc, &ratio, &dead, &sat})
      for (plot::Series& s : p->series) s.kind = o.depths.size() > 1 ? plot::Kind::kLine : plot::Kind::kScatter;
    acc.ymin = 0, acc.ymax = 1, dead.ymin = 0, sat.ymin = 0;
    fig.panels = {acc, ratio, dead, sat};
    plot::save(fig, o.chart);
    plot::release_caches();  // nothing else is drawn: leave sanitizer builds no font cache to report
  }
  if (o.json) {
    fmt::print("{}\n", all.dump(2));
    return 0;
  }
  fmt::print("{} epochs, {} hidden units per layer, init {}, {} seed{} per cell; target accuracy {:.0f}%\n",
             o.train.epochs, o.width, o.train.init, o.seeds, o.seeds == 1 ? "" : "s", 100 * o.target);
  fmt::print("{:<12} {:>5}  {:>16}  {:>15}  {:>7}  {:>6}  {:>6}  {:>6}  {:>12}\n", "activation", "depth",
             "test acc (%)", "epochs to tgt", "s/epoch", "dead", "off", "satur.", "grad 1st/last");
  for (const Cell& c : cells) {
    size_t reached = 0;
    for (double e : c.epochs_to_target) reached += std::isfinite(e);
    fmt::print("{:<12} {:>5}  {:>16}  {:>15}  {:>7}  {:>6}  {:>6}  {:>6}  {:>12}\n", c.act, c.depth,
               accuracy_text(c.accuracy),
               fmt::format("{} ({}/{})", fixed(mean(c.epochs_to_target), "{:.1f}"), reached, c.accuracy.size()),
               SecondsText(mean(c.seconds_per_epoch), 2), fixed(100 * mean(c.dead), "{:.0f}%"),
               fixed(100 * mean(c.off), "{:.0f}%"), fixed(100 * mean(c.saturated), "{:.0f}%"),
               fixed(mean(c.grad_ratio), "{:.2g}"));
  }
  return 0;
}

}  // namespace actlab::cli
