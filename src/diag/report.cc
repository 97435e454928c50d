// From records to findings, and both to and from JSON.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "actlab/diagnostics.h"
#include "src/common/json_error.h"

namespace actlab::diag {
namespace {

using json = nlohmann::ordered_json;

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return kNone;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// {"epoch", ["layer",] "units", "dead", "off"}: dead is null without a zero
// region of f', off is null for activations that are not rectifiers.
json dead_json(const DeadRecord& d, bool with_layer) {
  json o{{"epoch", d.epoch}};
  if (with_layer) o["layer"] = d.layer;
  o["units"] = d.units;
  o["dead"] = d.has_dead ? json(d.dead) : json(nullptr);
  o["off"] = d.has_off ? json(d.off) : json(nullptr);
  return o;
}

std::string layer_list(const std::vector<size_t>& layers) {
  std::string s;
  for (size_t i = 0; i < layers.size(); ++i) s += (i ? ", " : "") + std::to_string(layers[i]);
  return s;
}

std::string sci(double v) { return fmt::format("{:.2g}", v); }

// Per layer, the medians over every record of one field.
std::vector<double> layer_median(const Report& r, double LayerRecord::*field) {
  std::vector<double> out(r.layers.size(), kNone);
  for (size_t i = 0; i < r.layers.size(); ++i) {
    std::vector<double> v;
    for (const StepRecord& s : r.steps)
      if (i < s.layers.size()) v.push_back(s.layers[i].*field);
    out[i] = median(v);
  }
  return out;
}

}  // namespace

std::vector<Finding> analyze(const Report& r, const Thresholds& t) {
  std::vector<Finding> out;
  std::vector<size_t> dense;
  for (const LayerInfo& l : r.layers)
    if (!l.weight.empty()) dense.push_back(l.index);

  // Exploding: non-finite values, a run stopped by a non-finite loss, the
  // first layer's gradient far above the last's, or the global norm growing
  // by orders of magnitude.
  {
    std::vector<size_t> bad;
    for (const StepRecord& s : r.steps)
      for (const LayerRecord& l : s.layers)
        if (l.nonfinite && std::find(bad.begin(), bad.end(), l.layer) == bad.end()) bad.push_back(l.layer);
    std::sort(bad.begin(), bad.end());
    double first_norm = kNone, max_norm = 0;
    for (const StepRecord& s : r.steps) {
      if (!std::isfinite(s.grad_norm)) continue;
      if (std::isnan(first_norm)) first_norm = s.grad_norm;
      max_norm = std::max(max_norm, s.grad_norm);
    }
    const double growth = first_norm > 0 ? max_norm / first_norm : kNone;
    double ratio = kNone;
    if (dense.size() >= 2) {
      std::vector<double> v;
      for (const StepRecord& s : r.steps)
        v.push_back(s.layers[dense.front()].grad_norm / s.layers[dense.back()].grad_norm);
      ratio = median(v);
    }
    const bool diverged = r.stopped.find("diverged") != std::string::npos;
    if (!bad.empty() || diverged || growth > t.exploding || ratio > t.exploding) {
      Finding f;
      f.kind = "exploding_gradients";
      f.layers = !bad.empty() ? bad : dense;
      f.figures = {{"grad_norm_growth", growth}, {"first_to_last_grad_ratio", ratio},
                   {"nonfinite_layers", static_cast<double>(bad.size())}};
      f.message = !bad.empty() || diverged
                      ? "the values or gradients became NaN or infinite" +
                            (bad.empty() ? std::string() : " (layers " + layer_list(bad) + ")") +
                            (r.stopped.empty() ? "" : ": " + r.stopped)
                  : growth > t.exploding
                      ? fmt::format("the gradient norm grew {}x during training", sci(growth))
                      : fmt::format("the first dense layer's gradient is {}x the last's", sci(ratio));
      f.advice = "lower --lr (10x), add --clip-norm 1, use an init scaled to the activation (--init he for "
                 "ReLU, xavier for tanh/sigmoid), add --norm batch or layer";
      out.push_back(f);
    }
    // Vanishing: the median over records of ||dL/dW_first|| / ||dL/dW_last||.
    if (ratio < t.vanishing) {
      Finding f;
      f.kind = "vanishing_gradients";
      f.layers = dense;
      std::vector<double> first, last;
      for (const StepRecord& s : r.steps) {
        first.push_back(s.layers[dense.front()].grad_norm);
        last.push_back(s.layers[dense.back()].grad_norm);
      }
      f.figures = {{"first_to_last_grad_ratio", ratio}, {"first_grad_norm", median(first)},
                   {"last_grad_norm", median(last)}};
      f.message = fmt::format(
          "the gradient reaching the first dense layer (layer {}) is {}x the last's (layer {}): the early "
          "layers barely learn",
          dense.front(), sci(ratio), dense.back());
      f.advice = "use a non-saturating activation (--act relu, gelu or silu) with --init he, or --init xavier "
                 "for tanh/sigmoid; add --norm batch or layer; fewer layers";
      out.push_back(f);
    }
  }

  // Dead units: the last epoch looked at, per layer.
  {
    std::vector<size_t> layers;
    double worst = 0;
    size_t last_epoch = 0;
    for (const DeadRecord& d : r.dead) last_epoch = std::max(last_epoch, d.epoch);
    Finding f;
    for (const DeadRecord& d : r.dead) {
      // Off units of leaky_relu/elu still learn: only f' = 0 is dead.
      if (d.epoch != last_epoch || d.units == 0 || !d.has_dead) continue;
      const double frac = static_cast<double>(d.dead) / static_cast<double>(d.units);
      if (frac > t.dead) {
        layers.push_back(d.layer);
        f.figures.emplace_back(fmt::format("layer_{}_dead_fraction", d.layer), frac);
        worst = std::max(worst, frac);
      }
    }
    if (!layers.empty()) {
      f.kind = "dead_units";
      f.layers = layers;
      f.figures.emplace_back("worst_dead_fraction", worst);
      f.message = fmt::format(
          "up to {:.0f}% of the units in layers {} never activated (zero gradient on every recorded row of "
          "epoch {}): they no longer learn",
          100 * worst, layer_list(layers), last_epoch);
      f.advice = "lower --lr (large updates push biases negative), use --act leaky_relu, elu or gelu, "
                 "--init he, or add --norm batch";
      out.push_back(f);
    }
  }

  // Saturation: the median over records of the saturated share, per layer.
  {
    const std::vector<double> sat = layer_median(r, &LayerRecord::saturated);
    Finding f;
    double worst = 0;
    for (size_t i = 0; i < sat.size(); ++i) {
      if (!(sat[i] > t.saturated)) continue;
      f.layers.push_back(i);
      f.figures.emplace_back(fmt::format("layer_{}_saturated_fraction", i), sat[i]);
      worst = std::max(worst, sat[i]);
    }
    if (!f.layers.empty()) {
      f.kind = "saturation";
      f.figures.emplace_back("worst_saturated_fraction", worst);
      f.message = fmt::format(
          "up to {:.0f}% of the activations in layers {} sit where the derivative is below 1% of its peak: "
          "the gradient through them is cut a hundredfold",
          100 * worst, layer_list(f.layers));
      f.advice = "--init xavier keeps pre-activations in the linear range; add --norm batch; prefer "
                 "--act relu/gelu in deep networks; standardize the inputs (--scale standard)";
      out.push_back(f);
    }
  }

  // Learning rate: the median update ratio over records and dense layers
  // (Karpathy's heuristic: about 1e-3 is healthy).
  {
    // Steps with a zero gradient (dead networks) say nothing about the rate.
    std::vector<double> v;
    for (const StepRecord& s : r.steps)
      for (size_t i : dense)
        if (std::isfinite(s.layers[i].update_ratio) && s.layers[i].grad_norm > 0)
          v.push_back(s.layers[i].update_ratio);
    const double m = median(v);
    if (m > t.lr_high || m < t.lr_low) {
      Finding f;
      f.kind = "learning_rate";
      f.layers = dense;
      f.figures = {{"median_update_ratio", m}};
      const bool high = m > t.lr_high;
      f.message = fmt::format("each step changes the weights by {} of their norm (median); about 1e-3 is healthy: "
                              "the learning rate is too {}",
                              sci(m), high ? "high" : "low");
      f.advice = high ? fmt::format("lower --lr about {}x, or add a --warmup", sci(m / 1e-3))
                      : fmt::format("raise --lr about {}x, or use --optimizer adam", sci(1e-3 / m));
      out.push_back(f);
    }
  }

  // Underfitting: after its last epoch the network still scores on its own
  // training rows about what ignoring the input would. Last, because the
  // findings above are its usual causes.
  {
    const double ratio = r.train_loss / r.baseline_loss;
    if (r.baseline_loss > 0 && ratio > t.underfit) {
      Finding f;
      f.kind = "underfitting";
      f.layers = dense;
      f.figures = {{"train_loss", r.train_loss},
                   {"baseline_loss", r.baseline_loss},
                   {"loss_ratio", ratio},
                   {"train_accuracy", r.train_accuracy},
                   {"chance_accuracy", r.chance_accuracy}};
      f.message = fmt::format(
          "after {} epoch{} the training loss is {:.4f}, {:.0f}% of the {:.4f} that predicting the class shares "
          "without looking at the input scores{}: the network has learnt little of the training data",
          r.epochs, r.epochs == 1 ? "" : "s", r.train_loss, 100 * ratio, r.baseline_loss,
          std::isfinite(r.train_accuracy) && std::isfinite(r.chance_accuracy)
              ? fmt::format(" (training accuracy {:.1f}%, against {:.1f}% for always the commonest class)",
                            100 * r.train_accuracy, 100 * r.chance_accuracy)
              : "");
      f.advice =
          "fix any finding above first; then train for more steps (more --epochs, or a smaller "
          "--batch-size on small data: each epoch is only rows / batch-size steps), raise --lr (3-10x), "
          "or widen or deepen the network (--layers)";
      out.push_back(f);
    }
  }
  return out;
}

std::string to_json(const Report& r, const std::vector<Finding>& findings) {
  json j;
  j["every"] = r.every;
  j["stopped"] = r.stopped;
  const std::vector<double> sat = layer_median(r, &LayerRecord::saturated);
  const std::vector<double> inact = layer_median(r, &LayerRecord::inactive);
  const std::vector<double> gn = layer_median(r, &LayerRecord::grad_norm);
  const std::vector<double> ur = layer_median(r, &LayerRecord::update_ratio);
  const std::vector<double> ign = layer_median(r, &LayerRecord::input_grad_norm);
  json layers = json::array();
  for (const LayerInfo& l : r.layers) {
    json o{{"index", l.index}, {"kind", l.kind}, {"units", l.units}};
    if (!l.activation.empty()) o["activation"] = l.activation;
    if (!l.weight.empty()) o["weight"] = l.weight;
    o["input_grad_norm"] = num(ign[l.index]);
    const LayerRecord* last = r.steps.empty() ? nullptr : &r.steps.back().layers[l.index];
    if (l.kind == "activation" && last) {
      o["pre"] = {{"mean", last->pre.mean}, {"std", last->pre.std}, {"min", last->pre.min}, {"max", last->pre.max}};
      o["out"] = {{"mean", last->out.mean}, {"std", last->out.std}};
      o["histogram"] = {{"lo", last->pre_hist.lo}, {"hi", last->pre_hist.hi}, {"counts", last->pre_hist.counts}};
      o["saturated"] = num(sat[l.index]);
      o["inactive"] = num(inact[l.index]);
      for (const DeadRecord& d : r.dead)
        if (d.layer == l.index) o["dead"] = dead_json(d, false);
    }
    if (!l.weight.empty() && last) {
      o["weight_norm"] = num(last->weight_norm);
      o["grad_norm"] = num(gn[l.index]);
      o["update_ratio"] = num(ur[l.index]);
    }
    layers.push_back(o);
  }
  j["layers"] = layers;
  json steps = json::array();
  for (const StepRecord& s : r.steps) {
    json ls = json::array();
    for (const LayerRecord& l : s.layers) {
      json o{{"layer", l.layer}, {"input_grad_norm", num(l.input_grad_norm)}, {"nonfinite", l.nonfinite}};
      const LayerInfo& info = r.layers[l.layer];
      if (info.kind == "activation") {
        o["pre_mean"] = l.pre.mean;
        o["pre_std"] = l.pre.std;
        o["out_mean"] = l.out.mean;
        o["out_std"] = l.out.std;
        o["histogram"] = {{"lo", l.pre_hist.lo}, {"hi", l.pre_hist.hi}, {"counts", l.pre_hist.counts}};
        o["saturated"] = num(l.saturated);
        o["inactive"] = num(l.inactive);
      }
      if (!info.weight.empty()) {
        o["weight_norm"] = num(l.weight_norm);
        o["grad_norm"] = num(l.grad_norm);
        o["update_ratio"] = num(l.update_ratio);
      }
      ls.push_back(o);
    }
    steps.push_back({{"step", s.step}, {"epoch", s.epoch}, {"lr", num(s.lr)}, {"grad_norm", num(s.grad_norm)},
                     {"layers", ls}});
  }
  j["steps"] = steps;
  json dead = json::array();
  for (const DeadRecord& d : r.dead) dead.push_back(dead_json(d, true));
  j["dead"] = dead;
  json fs = json::array();
  for (const Finding& f : findings) {
    json fig = json::object();
    for (const auto& [k, v] : f.figures) fig[k] = num(v);
    fs.push_back({{"kind", f.kind}, {"layers", f.layers}, {"figures", fig}, {"message", f.message},
                  {"advice", f.advice}});
  }
  j["findings"] = fs;
  return j.dump();
}

namespace {

// The diagnostics object of `text`: to_json's output itself, or the
// "diagnostics" of a metrics file from `actlab train --diagnose`.
json diagnostics_of(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(source + ": not a diagnostics report (" + detail::json_error_text(e) + "); give the --metrics-out file of "
                "`actlab train --diagnose`");
  }
  // A diagnostics object has "every"; a metrics file has "command" and "epochs".
  if (j.is_object() && (j.contains("command") || (j.contains("epochs") && !j.contains("every")))) {
    if (!j.contains("diagnostics"))
      throw Error(source + ": has no \"diagnostics\"; train with `actlab train --diagnose --metrics-out FILE`");
    return j.at("diagnostics");
  }
  return j;
}

}  // namespace

std::pair<std::vector<Finding>, std::string> findings_from_json(const std::string& text, const std::string& source) {
  std::vector<Finding> out;
  const json j = diagnostics_of(text, source);
  try {
    for (const json& f : j.at("findings")) {
      Finding g;
      g.kind = f.at("kind").get<std::string>();
      g.layers = f.at("layers").get<std::vector<size_t>>();
      for (const auto& [k, v] : f.at("figures").items())
        g.figures.emplace_back(k, v.is_number() ? v.get<double>() : kNone);
      g.message = f.at("message").get<std::string>();
      g.advice = f.at("advice").get<std::string>();
      out.push_back(std::move(g));
    }
    return {std::move(out), j.at("layers").dump()};
  } catch (const json::exception& e) {
    throw Error(source + ": not a diagnostics report (" + detail::json_error_text(e) + "); give the --metrics-out file of "
                "`actlab train --diagnose`");
  }
}

namespace {

// A figure to_json may have written as null (non-finite) or, for fields of
// another kind of layer, left out.
double figure(const json& o, const char* key) {
  if (!o.contains(key) || o.at(key).is_null()) return kNone;
  return o.at(key).get<double>();
}

Histogram histogram_from(const json& h) {
  Histogram out;
  out.lo = h.at("lo").get<double>();
  out.hi = h.at("hi").get<double>();
  out.counts = h.at("counts").get<std::vector<uint64_t>>();
  return out;
}

}  // namespace

Report report_from_json(const std::string& text, const std::string& source) {
  const json j = diagnostics_of(text, source);
  Report r;
  // Records are indexed by layer (analyze() reads s.layers[i] for every
  // dense layer i), so a record that does not line up with the layer list is
  // refused here rather than read out of bounds later.
  const auto check = [&](bool ok, const std::string& what) {
    if (!ok) throw Error(source + ": diagnostics are inconsistent (" + what + "); give the file exactly as "
                         "`actlab train --diagnose` wrote it");
  };
  try {
    r.every = j.at("every").get<size_t>();
    r.stopped = j.value("stopped", std::string());
    for (const json& l : j.at("layers")) {
      LayerInfo info;
      info.index = l.at("index").get<size_t>();
      info.kind = l.at("kind").get<std::string>();
      info.units = l.at("units").get<size_t>();
      info.activation = l.value("activation", std::string());
      info.weight = l.value("weight", std::string());
      check(info.index == r.layers.size(), fmt::format("layer {} listed as index {}", r.layers.size(), info.index));
      r.layers.push_back(std::move(info));
    }
    for (const json& s : j.at("steps")) {
      StepRecord rec;
      rec.step = s.at("step").get<uint64_t>();
      rec.epoch = s.at("epoch").get<size_t>();
      rec.lr = figure(s, "lr");
      rec.grad_norm = figure(s, "grad_norm");
      for (const json& l : s.at("layers")) {
        LayerRecord lr;
        lr.layer = l.at("layer").get<size_t>();
        check(lr.layer == rec.layers.size(),
              fmt::format("step {}: record {} is of layer {}", rec.step, rec.layers.size(), lr.layer));
        lr.input_grad_norm = figure(l, "input_grad_norm");
        lr.nonfinite = l.value("nonfinite", false);
        lr.pre.mean = figure(l, "pre_mean");
        lr.pre.std = figure(l, "pre_std");
        lr.out.mean = figure(l, "out_mean");
        lr.out.std = figure(l, "out_std");
        if (l.contains("histogram")) lr.pre_hist = histogram_from(l.at("histogram"));
        lr.saturated = figure(l, "saturated");
        lr.inactive = figure(l, "inactive");
        lr.weight_norm = figure(l, "weight_norm");
        lr.grad_norm = figure(l, "grad_norm");
        lr.update_ratio = figure(l, "update_ratio");
        rec.layers.push_back(std::move(lr));
      }
      check(rec.layers.size() == r.layers.size(), fmt::format("step {} has {} layer records for {} layers",
                                                              rec.step, rec.layers.size(), r.layers.size()));
      r.steps.push_back(std::move(rec));
    }
    for (const json& d : j.at("dead")) {
      DeadRecord rec;
      rec.epoch = d.at("epoch").get<size_t>();
      rec.layer = d.at("layer").get<size_t>();
      rec.units = d.at("units").get<size_t>();
      // "dead" is null for rectifiers without a zero region; "off" is null
      // (or absent, in files written before it existed) for the others.
      rec.has_dead = !d.at("dead").is_null();
      if (rec.has_dead) rec.dead = d.at("dead").get<size_t>();
      rec.has_off = d.contains("off") && !d.at("off").is_null();
      if (rec.has_off) rec.off = d.at("off").get<size_t>();
      check(rec.layer < r.layers.size() && rec.dead <= rec.units && rec.off <= rec.units,
            fmt::format("dead-unit record of layer {}: {} dead and {} off of {} units", rec.layer, rec.dead,
                        rec.off, rec.units));
      r.dead.push_back(rec);
    }
  } catch (const json::exception& e) {
    throw Error(source + ": not a diagnostics report (" + detail::json_error_text(e) + "); give the --metrics-out file of "
                "`actlab train --diagnose`");
  }
  return r;
}

std::string findings_text(const std::vector<Finding>& findings) {
  if (findings.empty()) return "no problems found\n";
  std::string s;
  for (const Finding& f : findings) {
    s += fmt::format("{}: {}\n", f.kind, f.message);
    s += fmt::format("  layers: {}\n", layer_list(f.layers));
    std::string figs;
    for (const auto& [k, v] : f.figures) figs += fmt::format("{}{} {:.3g}", figs.empty() ? "" : ", ", k, v);
    s += fmt::format("  figures: {}\n", figs);
    s += fmt::format("  advice: {}\n", f.advice);
  }
  return s;
}

}  // namespace actlab::diag
