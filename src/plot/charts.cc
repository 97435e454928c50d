// The figures of a training run (include/actlab/charts.h).

#include "actlab/charts.h"

#include <fmt/format.h>

#include <cmath>
#include <utility>

namespace actlab::charts {
namespace {

constexpr size_t kSamples = 1001;  // 1000 intervals: kinks land on a sample for round ranges

bool any_finite(const std::vector<double>& v) {
  for (double x : v)
    if (std::isfinite(x)) return true;
  return false;
}

plot::Panel MakePanel(std::string title, std::string xlabel, std::string ylabel, bool log_y = false) {
  plot::Panel p;
  p.title = std::move(title);
  p.xlabel = std::move(xlabel);
  p.ylabel = std::move(ylabel);
  p.log_y = log_y;
  return p;
}

plot::Series MakeSeries(std::string label, int colour, bool dashed = false) {
  plot::Series s;
  s.label = std::move(label);
  s.colour = colour;
  s.dashed = dashed;
  return s;
}

// One line per layer over the recorded steps, of the layers `want` accepts.
template <class Want>
void per_layer_lines(plot::Panel& p, const diag::Report& r, Want want, double diag::LayerRecord::*field,
                     bool dashed = false, bool labelled = true) {
  int colour = 0;
  for (const diag::LayerInfo& l : r.layers) {
    if (!want(l)) continue;
    plot::Series s = MakeSeries(labelled ? layer_label(l) : "", colour++, dashed);
    for (const diag::StepRecord& st : r.steps) {
      s.x.push_back(double(st.step));
      s.y.push_back(l.index < st.layers.size() ? st.layers[l.index].*field : kNone);
    }
    if (any_finite(s.y)) p.series.push_back(std::move(s));
  }
}

bool is_dense(const diag::LayerInfo& l) { return !l.weight.empty(); }
bool is_activation(const diag::LayerInfo& l) { return l.kind == "activation"; }

}  // namespace

std::string layer_label(const diag::LayerInfo& layer) {
  if (is_activation(layer) && !layer.activation.empty())
    return fmt::format("layer {} {}", layer.index, layer.activation);
  return fmt::format("layer {}", layer.index);
}

std::string activation_title(const Activation& a) {
  std::string t(a.spec->name);
  std::vector<std::string> ps;
  for (int k = 0; k < a.spec->num_params; ++k)
    ps.push_back(fmt::format("{}={:g}", a.spec->params[k].name, a.params[k]));
  if (!ps.empty()) t += fmt::format(" ({})", fmt::join(ps, ", "));
  return t;
}

plot::Figure training_curves(const std::vector<EpochRecord>& history) {
  if (history.empty())
    throw Error("training_curves: no epochs recorded; train at least one epoch (actlab train --metrics-out FILE)");
  std::vector<double> epoch;
  for (const EpochRecord& e : history) epoch.push_back(double(e.epoch));
  struct Split {
    const char* name;
    double EpochRecord::*loss;
    double EpochRecord::*accuracy;
    int colour;
    bool dashed;
  };
  const Split splits[] = {{"train", &EpochRecord::train_loss, &EpochRecord::train_accuracy, 0, false},
                          {"validation", &EpochRecord::val_loss, &EpochRecord::val_accuracy, 1, true},
                          {"test", &EpochRecord::test_loss, &EpochRecord::test_accuracy, 2, false}};
  plot::Panel loss = MakePanel("loss", "epoch", "loss");
  plot::Panel acc = MakePanel("accuracy", "epoch", "accuracy (%)");
  for (const Split& s : splits) {
    std::vector<double> l, a;
    for (const EpochRecord& e : history) {
      l.push_back(e.*s.loss);
      a.push_back(100 * (e.*s.accuracy));
    }
    if (any_finite(l)) loss.series.push_back({s.name, epoch, l, plot::Kind::kLine, s.colour, s.dashed});
    if (any_finite(a)) acc.series.push_back({s.name, epoch, a, plot::Kind::kLine, s.colour, s.dashed});
  }
  plot::Figure fig;
  fig.panels.push_back(std::move(loss));
  if (!acc.series.empty()) fig.panels.push_back(std::move(acc));
  return fig;
}

plot::Figure diagnostics_figure(const diag::Report& r) {
  plot::Figure fig;
  if (r.steps.empty()) return fig;

  plot::Panel grad = MakePanel("gradient norm ||dL/dW||", "step", "L2 norm", true);
  per_layer_lines(grad, r, is_dense, &diag::LayerRecord::grad_norm);
  plot::Panel update = MakePanel("update / weight ratio", "step", "||W after - W before|| / ||W||", true);
  per_layer_lines(update, r, is_dense, &diag::LayerRecord::update_ratio);

  // A saturating activation (sigmoid, tanh) reports `saturated`, a
  // zero-region one (relu) `inactive`; one colour per layer either way.
  plot::Panel sat = MakePanel("saturated (solid) / f' = 0 (dashed)", "step", "share of entries");
  sat.ymin = 0.0;
  sat.ymax = 1.0;
  {
    int colour = 0;
    for (const diag::LayerInfo& l : r.layers) {
      if (!is_activation(l)) continue;
      for (auto [field, dashed] :
           {std::pair{&diag::LayerRecord::saturated, false}, std::pair{&diag::LayerRecord::inactive, true}}) {
        plot::Series s = MakeSeries(layer_label(l), colour, dashed);
        for (const diag::StepRecord& st : r.steps) {
          s.x.push_back(double(st.step));
          s.y.push_back(st.layers[l.index].*field);
        }
        if (any_finite(s.y)) sat.series.push_back(std::move(s));
      }
      ++colour;
    }
  }

  plot::Panel dead = MakePanel("dead (solid) / off (dashed) units per epoch", "epoch", "share of units");
  dead.ymin = 0.0;
  dead.ymax = 1.0;
  {
    int colour = 0;  // as in the panel above: one per activation layer
    for (const diag::LayerInfo& l : r.layers) {
      if (!is_activation(l)) continue;
      // Dead units where f' has a zero region; off units (input <= 0 on
      // every row) of the other rectifiers (leaky_relu, elu...). relu's off
      // units are its dead ones and are drawn once.
      plot::Series s = MakeSeries(layer_label(l), colour++);
      for (const diag::DeadRecord& d : r.dead)
        if (d.layer == l.index && d.units > 0 && (d.has_dead || d.has_off)) {
          s.x.push_back(double(d.epoch));
          s.y.push_back(double(d.has_dead ? d.dead : d.off) / double(d.units));
          s.dashed = !d.has_dead;
        }
      if (!s.x.empty()) dead.series.push_back(std::move(s));
    }
  }

  // density of bin k = counts[k] / (total * w), w = (hi - lo) / bins, drawn
  // as the histogram's outline: (lo, 0) up to the first bin's height, across,
  // and so on, back to 0 at hi. The plot module's bars are a fixed 0.8 units
  // wide, which fits categories, not bins of a data range. Each layer is
  // standardised, x -> (x - mean) / std (density * std), with its std in the
  // legend: on one shared raw axis a first layer at +-2000 flattened a later
  // one at +-2 to a spike.
  plot::Panel hist =
      MakePanel("pre-activation density, standardised (last record)", "(x - mean) / std, per layer", "density");
  {
    const diag::StepRecord& last = r.steps.back();
    int colour = 0;
    for (const diag::LayerInfo& l : r.layers) {
      if (!is_activation(l)) continue;
      const diag::LayerRecord& rec = last.layers[l.index];
      const diag::Histogram& h = rec.pre_hist;
      const int c = colour++;
      double total = 0;
      for (uint64_t n : h.counts) total += double(n);
      if (h.counts.empty() || !(h.hi > h.lo) || total == 0 || !std::isfinite(h.hi - h.lo)) continue;
      const double mean = rec.pre.mean, sd = rec.pre.std;
      if (!std::isfinite(mean) || !(sd > 0) || !std::isfinite(sd)) continue;
      const double w = (h.hi - h.lo) / double(h.counts.size());
      const auto z = [&](double x) { return (x - mean) / sd; };
      plot::Series s = MakeSeries(fmt::format("{} (std {:.3g})", layer_label(l), sd), c);
      s.x.push_back(z(h.lo));
      s.y.push_back(0);
      for (size_t k = 0; k < h.counts.size(); ++k) {
        const double d = double(h.counts[k]) / (total * w) * sd;
        const double x0 = h.lo + double(k) * w, x1 = k + 1 == h.counts.size() ? h.hi : x0 + w;
        s.x.insert(s.x.end(), {z(x0), z(x1)});
        s.y.insert(s.y.end(), {d, d});
      }
      s.x.push_back(z(h.hi));
      s.y.push_back(0);
      hist.series.push_back(std::move(s));
    }
  }

  for (plot::Panel* p : {&grad, &update, &sat, &dead, &hist})
    if (!p->series.empty()) fig.panels.push_back(std::move(*p));
  if (fig.panels.size() > 3) fig.columns = 2;
  return fig;
}

plot::Figure activation_curves(const std::vector<Activation>& acts, double lo, double hi, bool derivative) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    throw Error(fmt::format("activation_curves: the interval [{}, {}] is empty or not finite; give LO < HI", lo, hi));
  std::vector<double> x(kSamples);
  for (size_t i = 0; i < kSamples; ++i) x[i] = lo + (hi - lo) * double(i) / double(kSamples - 1);
  x.back() = hi;
  plot::Figure fig;
  plot::Panel all;
  all.title = derivative ? "all (dashed: f')" : "all";
  all.xlabel = "x";
  for (size_t k = 0; k < acts.size(); ++k) {
    const Activation& a = acts[k];
    if (a.spec->shape != Shape::kElementwise)
      throw Error(
          fmt::format("{}: works along an axis, so it has no curve f(x); plot its outputs over logits "
                      "instead, e.g. actlab plot {} --logits 1,2,3,4",
                      a.spec->name, a.spec->name));
    // f from forward; f' from backward with dy = nullptr (dy = 1).
    std::vector<double> y(kSamples), dy(kSamples);
    forward(a, x.data(), y.data(), kSamples);
    backward(a, x.data(), static_cast<const double*>(nullptr), dy.data(), kSamples);
    const std::string name(a.spec->name);
    plot::Panel p;
    p.title = activation_title(a);
    p.xlabel = "x";
    p.series.push_back({name + "(x)", x, y, plot::Kind::kLine, int(k), false});
    if (derivative) p.series.push_back({name + "'(x)", x, dy, plot::Kind::kLine, int(k), true});
    fig.panels.push_back(p);
    all.series.push_back({name, x, y, plot::Kind::kLine, int(k), false});
    if (derivative) all.series.push_back({"", x, dy, plot::Kind::kLine, int(k), true});
  }
  if (acts.size() > 1) fig.panels.push_back(all);
  return fig;
}

}  // namespace actlab::charts
