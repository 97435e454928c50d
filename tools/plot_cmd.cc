// `actlab plot`: one panel per activation (f solid, f' dashed, in the
// activation's colour) plus an overlay of all of them; softmax-like functions
// get bars of their outputs over --logits. Values come from the public API
// in float64: forward for f, backward with dy = 1 for f'.
#include "tools/plot_cmd.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "actlab/activation.h"
#include "actlab/plot.h"

namespace actlab::cli {
namespace {

constexpr size_t kSamples = 1001;  // 1000 intervals: kinks land on a sample for round ranges

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

std::string Title(const Activation& a) {
  std::string t(a.spec->name);
  std::vector<std::string> ps;
  for (int k = 0; k < a.spec->num_params; ++k)
    ps.push_back(fmt::format("{}={:g}", a.spec->params[k].name, a.params[k]));
  if (!ps.empty()) t += fmt::format(" ({})", fmt::join(ps, ", "));
  return t;
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
  std::vector<double> x(kSamples);
  for (size_t i = 0; i < kSamples; ++i) x[i] = lo + (hi - lo) * double(i) / double(kSamples - 1);
  x.back() = hi;
  plot::Figure fig;
  plot::Panel all;
  all.title = o.derivative ? "all (dashed: f')" : "all";
  all.xlabel = "x";
  for (size_t k = 0; k < acts.size(); ++k) {
    const Activation& a = acts[k];
    if (a.spec->shape != Shape::kElementwise)
      throw Error(fmt::format("{}: works along an axis, so it has no curve f(x); plot its outputs over logits "
                              "instead, e.g. actlab plot {} --logits 1,2,3,4",
                              a.spec->name, a.spec->name));
    std::vector<double> y(kSamples), dy(kSamples);
    forward(a, x.data(), y.data(), kSamples);
    backward(a, x.data(), static_cast<const double*>(nullptr), dy.data(), kSamples);
    const std::string name(a.spec->name);
    plot::Panel p;
    p.title = Title(a);
    p.xlabel = "x";
    p.series.push_back({name + "(x)", x, y, plot::Kind::kLine, int(k), false});
    if (o.derivative) p.series.push_back({name + "'(x)", x, dy, plot::Kind::kLine, int(k), true});
    fig.panels.push_back(p);
    all.series.push_back({name, x, y, plot::Kind::kLine, int(k), false});
    if (o.derivative) all.series.push_back({"", x, dy, plot::Kind::kLine, int(k), true});
  }
  if (acts.size() > 1) fig.panels.push_back(all);
  return fig;
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
    p.title = Title(a) + " of [" + o.logits + "]";
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

}  // namespace

CLI::App* AddPlotCommand(CLI::App& app, PlotOptions& o) {
  auto* p = app.add_subcommand("plot", "Draw activations (f and f') or softmax outputs to PNG, SVG or PDF");
  p->add_option("NAME", o.names, "Activation names or aliases (see 'actlab list')")->required();
  p->add_option("--param,-p", o.params, "Parameter KEY=VALUE for every named activation that has it (repeatable)");
  p->add_option("--range", o.range, "Interval of x as LO:HI (default -4:4)");
  p->add_flag("--derivative,!--no-derivative", o.derivative, "Also draw f'(x) dashed (default; --no-derivative: f only)");
  p->add_option("--logits", o.logits,
                "For softmax, log_softmax, softmin, glu: comma-separated inputs; draws the outputs as bars");
  p->add_option("--out,-o", o.out, "Output file: .png, .svg or .pdf (default NAME.png, or activations.png)");
  p->add_option("--width", o.width, "Width in pixels (PNG) or points (SVG, PDF); default 480 per panel column");
  p->add_option("--height", o.height, "Height; default 360 per panel row");
  p->footer("Examples:\n  actlab plot gelu silu mish --out smooth.png\n  actlab plot elu --param alpha=0.5 --range -6:3\n"
            "  actlab plot softmax log_softmax --logits 1,2,3,4 --out softmax.svg");
  return p;
}

int RunPlot(const PlotOptions& o) {
  for (const auto& [flag, v] : {std::pair{"--width", o.width}, std::pair{"--height", o.height}})
    if (v != 0 && (v < 50 || v > 16384))
      throw Error(fmt::format("{} {}: out of range; use 50 to 16384 (or leave it out)", flag, v));
  const std::vector<Activation> acts = MakeAll(o);
  plot::Figure fig = o.logits.empty() ? CurveFigure(acts, o) : LogitsFigure(acts, o);
  fig.width = o.width;
  fig.height = o.height;
  const std::string out =
      !o.out.empty() ? o.out : acts.size() == 1 ? std::string(acts[0].spec->name) + ".png" : "activations.png";
  plot::save(fig, out);
  plot::release_caches();  // the process ends next: leave sanitizer builds nothing to report
  fmt::print("wrote {}\n", out);
  return 0;
}

}  // namespace actlab::cli
