// `actlab plot`: one panel per activation (f solid, f' dashed, in the
// activation's colour) plus an overlay of all of them; softmax-like functions
// get bars of their outputs over --logits. Values come from the public API
// in float64: forward for f, backward with dy = 1 for f'.
#include "tools/plot_cmd.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "actlab/activation.h"
#include "actlab/charts.h"
#include "actlab/plot.h"
#include "tools/report_cmd.h"

namespace actlab::cli {
namespace {

double ParseNumber(const std::string& text, const std::string& what, const std::string& example) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    throw Error(fmt::format("{}: '{}' is not a finite number; {}", what, text, example));
  return v;
}

std::vector<std::pair<std::string, double>> ParseParams(const std::vector<std::string>& raw) {
  std::vector<std::pair<std::string, double>> out;
  for (const std::string& kv : raw) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(fmt::format("--param '{}': expected KEY=VALUE; e.g. --param alpha=0.5", kv));
    out.emplace_back(kv.substr(0, eq),
                     ParseNumber(kv.substr(eq + 1), "--param " + kv.substr(0, eq), "e.g. --param alpha=0.5"));
  }
  return out;
}

// Each --param goes to the activations that have it; one that none of them
// has is an error (make() on the first name explains which parameters exist).
std::vector<Activation> MakeAll(const PlotOptions& o) {
  const auto params = ParseParams(o.params);
  std::vector<Activation> acts;
  for (const std::string& name : o.names) {
    const Spec* spec = find(name);
    if (!spec) (void)Activation::make(name);  // throws with suggestions
    std::vector<std::pair<std::string, double>> mine;
    for (const auto& kv : params)
      for (const ParamSpec& p : spec->parameters())
        if (p.name == kv.first) mine.push_back(kv);
    acts.push_back(Activation::make(name, mine));
  }
  for (const auto& kv : params) {
    bool used = false;
    for (const Activation& a : acts)
      for (const ParamSpec& p : a.spec->parameters()) used |= p.name == kv.first;
    if (!used) (void)Activation::make(o.names[0], std::vector{kv});  // throws: no such parameter
  }
  return acts;
}

std::pair<double, double> ParseRange(const std::string& r) {
  const auto colon = r.find(':', 1);  // a leading '-' is a sign, never the separator
  if (colon == std::string::npos)
    throw Error(fmt::format("--range '{}': expected LO:HI; e.g. --range -4:4", r));
  const double lo = ParseNumber(r.substr(0, colon), "--range LO", "e.g. --range -4:4");
  const double hi = ParseNumber(r.substr(colon + 1), "--range HI", "e.g. --range -4:4");
  if (!(lo < hi)) throw Error(fmt::format("--range '{}': LO must be below HI; e.g. --range -4:4", r));
  return {lo, hi};
}

std::vector<double> ParseLogits(const std::string& text) {
  std::vector<double> v;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string tok = text.substr(start, comma - start);
    while (!tok.empty() && tok.front() == ' ') tok.erase(0, 1);
    while (!tok.empty() && tok.back() == ' ') tok.pop_back();
    v.push_back(ParseNumber(tok, "--logits", "give numbers separated by commas, e.g. --logits 1,2,3,4"));
    start = comma + 1;
  }
  if (v.size() > 1000) throw Error(fmt::format("--logits: {} values; give at most 1000", v.size()));
  return v;
}

plot::Figure CurveFigure(const std::vector<Activation>& acts, const PlotOptions& o) {
  const auto [lo, hi] = ParseRange(o.range);
  return charts::activation_curves(acts, lo, hi, o.derivative);
}

plot::Figure LogitsFigure(const std::vector<Activation>& acts, const PlotOptions& o) {
  const std::vector<double> z = ParseLogits(o.logits);
  plot::Figure fig;
  plot::Panel all;
  all.title = "all";
  all.xlabel = "class";
  all.ylabel = "output";
  for (size_t k = 0; k < acts.size(); ++k) {
    const Activation& a = acts[k];
    const std::string name(a.spec->name);
    if (a.spec->shape == Shape::kElementwise)
      throw Error(fmt::format("{}: is elementwise, so --logits does not apply (it is for softmax, log_softmax, "
                              "softmin, glu); plot its curve instead, e.g. actlab plot {} --range -4:4",
                              name, name));
    if (a.spec->shape == Shape::kGlu && z.size() % 2 != 0)
      throw Error(fmt::format("--logits: glu needs an even count (halves a | b), got {}; add or drop one value",
                              z.size()));
    std::vector<double> y(a.spec->shape == Shape::kGlu ? z.size() / 2 : z.size());
    forward(a, z.data(), y.data(), z.size(), z.size());
    plot::Panel p;
    p.title = charts::activation_title(a) + " of [" + o.logits + "]";
    p.xlabel = "class";
    p.ylabel = name == "log_softmax" ? "log-probability" : a.spec->shape == Shape::kGlu ? "output" : "probability";
    p.legend = plot::Legend::kNone;
    p.bar_values = z.size() <= 12;
    for (size_t i = 0; i < y.size(); ++i) p.categories.push_back(std::to_string(i));
    p.series.push_back({name, {}, y, plot::Kind::kBars, int(k), false});
    if (acts.size() > 1 && all.categories.size() < p.categories.size()) all.categories = p.categories;
    all.series.push_back(p.series.back());
    fig.panels.push_back(p);
  }
  if (acts.size() > 1) fig.panels.push_back(all);
  return fig;
}

// --run: the curves to OUT (default RUN/curves.png), the diagnostics, when
// recorded, beside it as OUT's stem + "-diagnostics" + OUT's extension.
std::vector<std::pair<std::string, plot::Figure>> RunFigures(const PlotOptions& o) {
  for (const char* flag : {"NAME", "--param", "--range", "--derivative", "--logits"})
    if (o.cmd && o.cmd->count(flag))
      throw Error(fmt::format("{} with --run: --run draws the run's own figures; give --run RUN [--out FILE] only, "
                              "or activation names without --run",
                              std::string(flag) == "--derivative" ? "--derivative/--no-derivative" : flag));
  const LoadedRun run = LoadRun(o.run);
  namespace fs = std::filesystem;
  const fs::path out = !o.out.empty() ? fs::path(o.out) : fs::path(run.dir) / "curves.png";
  std::vector<std::pair<std::string, plot::Figure>> figs;
  figs.emplace_back(out.string(), charts::training_curves(run.history));
  // A loss falling over decades (0.7 to 1e-3) reads as flat after the first
  // epochs on a linear axis; the accuracy panel stays linear.
  figs.back().second.panels.front().log_y = o.log_y;
  if (run.has_diagnostics) {
    plot::Figure d = charts::diagnostics_figure(run.diagnostics);
    if (!d.panels.empty()) {
      fs::path dp = out;
      dp.replace_filename(out.stem().string() + "-diagnostics" + out.extension().string());
      figs.emplace_back(dp.string(), std::move(d));
    }
  }
  return figs;
}

}  // namespace

CLI::App* AddPlotCommand(CLI::App& app, PlotOptions& o) {
  auto* p = app.add_subcommand("plot", "Draw activations (f and f') or softmax outputs, or a training run's curves "
                                       "and diagnostics (--run), to PNG, SVG or PDF");
  o.cmd = p;
  p->add_option("NAME", o.names, "Activation names or aliases (see 'actlab list')");
  p->add_option("--param,-p", o.params, "Parameter KEY=VALUE for every named activation that has it (repeatable)");
  p->add_option("--range", o.range, "Interval of x as LO:HI (default -4:4)");
  p->add_flag("--derivative,!--no-derivative", o.derivative, "Also draw f'(x) dashed (default; --no-derivative: f only)");
  p->add_option("--logits", o.logits,
                "For softmax, log_softmax, softmin, glu: comma-separated inputs; draws the outputs as bars");
  p->add_option("--run", o.run,
                "Instead of activations: a run folder (`train --run-dir`) or metrics file; draws its loss and "
                "accuracy curves, and with --diagnose records a second file OUT-diagnostics");
  p->add_flag("--log-y", o.log_y, "With --run: draw the loss on a log scale (losses <= 0 are left out)");
  p->add_option("--out,-o", o.out,
                "Output file: .png, .svg or .pdf (default NAME.png, or activations.png for several; "
                "--run: RUN/curves.png)");
  p->add_option("--width", o.width, "Width in pixels (PNG) or points (SVG, PDF); default 480 per panel column");
  p->add_option("--height", o.height, "Height; default 360 per panel row");
  p->add_flag("--json", o.json, "Print {\"files\": [{\"path\", \"format\", \"width\", \"height\", \"panels\"}]}");
  p->footer(
      "Examples:\n  actlab plot gelu silu mish --out smooth.png\n  actlab plot elu --param alpha=0.5 --range -6:3\n"
      "  actlab plot softmax log_softmax --logits 1,2,3,4 --out softmax.svg\n"
      "  actlab plot --run runs/spirals --out curves.svg\n  actlab plot --run runs/spirals --log-y");
  return p;
}

int RunPlot(const PlotOptions& o) {
  for (const auto& [flag, v] : {std::pair{"--width", o.width}, std::pair{"--height", o.height}})
    if (v != 0 && (v < 50 || v > 16384))
      throw Error(fmt::format("{} {}: out of range; use 50 to 16384 (or leave it out)", flag, v));
  std::vector<std::pair<std::string, plot::Figure>> figs;
  if (o.log_y && o.run.empty())
    throw Error("--log-y applies to a run's loss curves: give --run RUN with it (activation plots are linear)");
  if (!o.run.empty()) {
    figs = RunFigures(o);
  } else {
    if (o.names.empty())
      throw Error("NAME is required: nothing to draw; name activations (actlab plot gelu relu) or a run (actlab plot --run DIR)");
    const std::vector<Activation> acts = MakeAll(o);
    const std::string out =
        !o.out.empty() ? o.out : acts.size() == 1 ? std::string(acts[0].spec->name) + ".png" : "activations.png";
    figs.emplace_back(out, o.logits.empty() ? CurveFigure(acts, o) : LogitsFigure(acts, o));
  }
  for (auto& [path, fig] : figs) {
    fig.width = o.width;
    fig.height = o.height;
  }
  // The files of one call share their folder, extension and size, so what
  // would refuse the second (format, size, an unwritable folder) refuses the
  // first before anything is written.
  ReleaseFontCaches release;
  for (const auto& [path, fig] : figs) plot::save(fig, path);
  if (o.json) {
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const auto& [path, fig] : figs) {
      nlohmann::ordered_json f{{"path", path}, {"format", plot::format_of(path)}};
      f.update(FigureJson(fig));
      files.push_back(f);
    }
    fmt::print("{}\n", nlohmann::ordered_json{{"files", files}}.dump(2));
  } else {
    for (const auto& [path, fig] : figs) fmt::print("wrote {}\n", path);
  }
  return 0;
}

}  // namespace actlab::cli
