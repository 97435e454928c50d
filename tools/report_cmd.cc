// `actlab report`: a training run as one self-contained HTML page.
//
// Figures are embedded as <img src="data:image/svg+xml;base64,...">, not as
// inline <svg>: cairo names the glyphs and clip paths of every SVG it writes
// the same way (glyph-0-1, clip-1...), so two inline figures would resolve
// each other's references; an image is a document of its own, and cairo
// draws text as outlines, so inlining would not make it selectable anyway.
// A Content-Security-Policy allowing only data: images and the inline style
// makes any reference to the network fail loudly instead of loading.

#include "tools/report_cmd.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "actlab/activation.h"
#include "actlab/charts.h"
#include "src/common/json_error.h"
#include "tools/train_cmd.h"

namespace actlab::cli {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr const char* kRunHelp = "give a folder made by `actlab train --run-dir DIR` or the file of `--metrics-out`";

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open (" + std::strerror(errno) + "); " + kRunHelp);
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw Error(path + ": cannot read (" + std::strerror(errno) + "); " + kRunHelp);
  return ss.str();
}

std::string Escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = unsigned(uint8_t(in[i])) << 16 | unsigned(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = unsigned(uint8_t(in[i])) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = unsigned(uint8_t(in[i])) << 16 | unsigned(uint8_t(in[i + 1])) << 8;
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

double Num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number()) return kNone;
  return j.at(key).get<double>();
}

std::string Fig(double v) { return std::isfinite(v) ? fmt::format("{:.3g}", v) : "–"; }
std::string Pct(double v) { return std::isfinite(v) ? fmt::format("{:.2f}%", 100 * v) : "–"; }
std::string Seconds(double s) {
  if (s < 1) return fmt::format("{:.2g} s", s);  // small data trains in milliseconds, which "0.0 s" hid
  if (s < 60) return fmt::format("{:.1f} s", s);
  if (s < 3600) return fmt::format("{:.0f} min {:.0f} s", std::floor(s / 60), std::fmod(s, 60));
  return fmt::format("{:.0f} h {:.0f} min", std::floor(s / 3600), std::floor(std::fmod(s, 3600) / 60));
}

// Every activation layer, nested ones (residual bodies) included.
void CollectActivations(const std::vector<LayerSpec>& layers, std::vector<Activation>& out,
                        std::vector<std::string>& skipped) {
  for (const LayerSpec& l : layers) {
    if (l.kind == "residual") CollectActivations(l.body, out, skipped);
    if (l.kind != "activation") continue;
    const Activation a = Activation::make(l.activation, l.params);
    const std::string title = charts::activation_title(a);
    const auto same = [&](const Activation& b) { return charts::activation_title(b) == title; };
    if (a.spec->shape != Shape::kElementwise) {
      if (std::find(skipped.begin(), skipped.end(), title) == skipped.end()) skipped.push_back(title);
    } else if (std::none_of(out.begin(), out.end(), same)) {
      out.push_back(a);
    }
  }
}

struct Section {
  std::string id, title, body;
};

struct Embedded {
  std::string section, title;
  plot::Figure fig;
};

std::string FigureHtml(const plot::Figure& fig, const std::string& alt, const std::string& caption) {
  const auto [w, h] = plot::size(fig);
  return fmt::format(
      "<figure><img class=\"chart\" width=\"{}\" height=\"{}\" alt=\"{}\" src=\"data:image/svg+xml;base64,{}\">"
      "<figcaption>{}</figcaption></figure>\n",
      w, h, Escape(alt), Base64(plot::render_svg(fig)), caption);
}

std::string Row(const std::string& key, const std::string& value_html) {
  return fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", Escape(key), value_html);
}

std::string OptimizerText(const OptimizerConfig& o) {
  std::string s = fmt::format("{}, lr {:g}", o.kind, o.lr);
  if (o.kind == "sgd") {
    if (o.momentum > 0) s += fmt::format(", momentum {:g}{}", o.momentum, o.nesterov ? " (Nesterov)" : "");
    if (o.dampening > 0) s += fmt::format(", dampening {:g}", o.dampening);
  } else if (o.kind == "adam" || o.kind == "adamw") {
    s += fmt::format(", betas {:g}/{:g}, eps {:g}", o.beta1, o.beta2, o.eps);
  } else if (o.kind == "rmsprop") {
    s += fmt::format(", alpha {:g}, eps {:g}", o.alpha, o.eps);
    if (o.momentum > 0) s += fmt::format(", momentum {:g}", o.momentum);
    if (o.centered) s += ", centered";
  } else if (o.kind == "adagrad") {
    s += fmt::format(", eps {:g}", o.eps);
    if (o.lr_decay > 0) s += fmt::format(", lr decay {:g}", o.lr_decay);
  }
  if (o.weight_decay > 0) s += fmt::format(", weight decay {:g}", o.weight_decay);
  return s;
}

std::string ScheduleText(const ScheduleConfig& s) {
  std::string t = s.kind;
  if (s.kind == "cosine") t += fmt::format(" (to {:g})", s.min_lr);
  if (s.kind == "step") t += fmt::format(" (x{:g} every {} epochs)", s.gamma, s.step_size);
  if (s.warmup_steps) t += fmt::format(", {} warm-up steps", s.warmup_steps);
  return t;
}

constexpr const char* kStyle = R"(
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --band: #f6f8fa; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: var(--ink); background: #fff; }
header { background: #16324f; color: #fff; padding: 22px 0 18px; }
header .wrap, main { max-width: 1040px; margin: 0 auto; padding: 0 24px; }
header h1 { margin: 0; font-size: 24px; font-weight: 600; }
header p { margin: 4px 0 0; color: #c9d6e3; font-size: 14px; }
nav { margin-top: 10px; font-size: 14px; }
nav a { color: #fff; margin-right: 16px; text-decoration: none; border-bottom: 1px solid #6f8aa6; }
section { margin: 30px 0; }
h2 { font-size: 19px; font-weight: 600; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: var(--band); }
.card .v { font-size: 22px; font-weight: 600; }
.card .k { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.kv { table-layout: fixed; }
table.kv th { width: 190px; color: var(--muted); font-weight: 500; }
table.kv td { overflow-wrap: anywhere; }
@media (max-width: 640px) {
  header .wrap, main { padding: 0 12px; }
  table.kv th { width: 34%; }
}
table.layers td.n, table.layers th.n { text-align: right; font-variant-numeric: tabular-nums; }
table.layers thead th { background: var(--band); font-weight: 600; }
table.layers tbody tr:nth-child(even) { background: #fbfcfd; }
.scroll { overflow-x: auto; }
pre { background: var(--band); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
      font-size: 13px; overflow-x: auto; margin: 8px 0 0; }
figure { margin: 16px 0; }
img.chart { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; max-width: 960px; }
.finding { border-left: 4px solid #d62728; background: #fdf3f3; border-radius: 4px; padding: 10px 14px; margin: 10px 0; }
.finding h3 { margin: 0 0 4px; font-size: 15px; }
.finding p { margin: 4px 0; }
.finding .figs { color: var(--muted); font-size: 13px; }
.ok { border-left: 4px solid #2ca02c; background: #f1f9f1; padding: 10px 14px; border-radius: 4px; }
.note { border-left: 4px solid #ff7f0e; background: #fff6ec; padding: 10px 14px; border-radius: 4px; }
.muted { color: var(--muted); font-size: 13px; }
code { font-size: 13px; background: var(--band); padding: 1px 4px; border-radius: 3px; }
footer { color: var(--muted); font-size: 12px; margin: 40px 0 30px; }
)";

struct Built {
  std::string html;
  std::vector<Section> sections;
  std::vector<Embedded> figures;
};

Built Build(const LoadedRun& run, const std::string& name) {
  const json& m = run.metrics;
  const json& data = m.contains("data") ? m.at("data") : json::object();
  const json& model = m.contains("model") ? m.at("model") : json::object();
  const EpochRecord& last = run.history.back();
  // The model's activations: drawn in their section, named in the header.
  std::vector<Activation> acts;
  std::vector<std::string> skipped;  // softmax-like: no curve f(x)
  CollectActivations(run.layers, acts, skipped);
  Built b;

  // ---- summary
  {
    double train_s = 0, eval_s = 0;
    for (const EpochRecord& e : run.history) train_s += e.seconds, eval_s += e.eval_seconds;
    size_t best = 0;  // the epoch of the highest validation accuracy (the first, on ties)
    for (size_t i = 0; i < run.history.size(); ++i) {
      const double v = run.history[i].val_accuracy, b = run.history[best].val_accuracy;
      if (std::isfinite(v) && (!std::isfinite(b) || v > b)) best = i;
    }
    std::vector<std::pair<std::string, std::string>> cards;
    if (std::isfinite(last.test_accuracy)) cards.push_back({Pct(last.test_accuracy), "final test accuracy"});
    // 4 decimals for the usual losses; a diverging run's 2.4e+24 in a form that fits its card.
    auto loss = [](double v) {
      return std::isfinite(v) && (std::fabs(v) >= 1e4 || (v != 0 && std::fabs(v) < 1e-3)) ? fmt::format("{:.3g}", v)
                                                                                          : fmt::format("{:.4f}", v);
    };
    if (std::isfinite(last.test_loss)) cards.push_back({loss(last.test_loss), "final test loss"});
    if (!std::isfinite(last.test_loss)) cards.push_back({loss(last.train_loss), "final train loss"});
    if (std::isfinite(run.history[best].val_accuracy))
      cards.push_back({Pct(run.history[best].val_accuracy),
                       fmt::format("best validation accuracy (epoch {})", run.history[best].epoch)});
    cards.push_back({fmt::format("{} / {}", last.epoch, run.config.epochs), "epochs trained / planned"});
    cards.push_back({Seconds(train_s), fmt::format("training time (+{} evaluation)", Seconds(eval_s))});
    if (model.contains("parameters") && model.at("parameters").is_number())
      cards.push_back({fmt::format("{}", model.at("parameters").get<uint64_t>()), "parameters"});
    cards.push_back(
        {run.has_diagnostics ? std::to_string(run.findings.size()) : "–",
         run.has_diagnostics ? (run.findings.size() == 1 ? "finding" : "findings") : "findings (not recorded)"});
    std::string body = "<div class=\"cards\">\n";
    for (const auto& [v, k] : cards)
      body += fmt::format("<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>\n", Escape(v),
                          Escape(k));
    body += "</div>\n";
    // Metrics files from before "stopped" existed only have the diagnostics' copy.
    std::string stopped = m.contains("stopped") && m.at("stopped").is_string() ? m.at("stopped").get<std::string>() : "";
    if (stopped.empty() && run.has_diagnostics) stopped = run.diagnostics.stopped;
    if (!stopped.empty())
      body += fmt::format("<p class=\"note\">Training stopped early, after epoch {}: {}</p>\n", last.epoch,
                          Escape(stopped));
    b.sections.push_back({"summary", "Summary", body});
  }

  // ---- configuration
  {
    const TrainConfig& c = run.config;
    std::string t = "<table class=\"kv\">\n";
    std::string d = data.value("name", std::string("?"));
    d += fmt::format(": {} train, {} validation, {} test rows; {} features", data.value("train_rows", size_t{0}),
                     data.value("validation_rows", size_t{0}), data.value("test_rows", size_t{0}),
                     data.value("features", size_t{0}));
    if (data.value("classes", size_t{0})) d += fmt::format(", {} classes", data.value("classes", size_t{0}));
    t += Row("data", Escape(d));
    t += Row("model", Escape(fmt::format("{} parameters, {}", model.value("parameters", uint64_t{0}),
                                         model.value("dtype", std::string("float32")))) +
                          "<pre>" + Escape(model.value("summary", std::string())) + "</pre>");
    t += Row("loss / output", Escape(fmt::format("{} / {}", loss_name(c.loss), c.output)));
    t += Row("optimizer", Escape(OptimizerText(c.optimizer)));
    t += Row("schedule", Escape(ScheduleText(c.schedule)));
    t += Row("init", Escape(c.init));
    t += Row("batch size", std::to_string(c.batch_size));
    t += Row("epochs", std::to_string(c.epochs));
    t += Row("seed", std::to_string(c.seed));
    if (c.clip_norm > 0 || c.clip_value > 0)
      t += Row("gradient clipping",
               Escape(fmt::format("{}{}", c.clip_norm > 0 ? fmt::format("norm {:g} ", c.clip_norm) : "",
                                  c.clip_value > 0 ? fmt::format("value {:g}", c.clip_value) : "")));
    if (m.contains("threads") && m.at("threads").is_number())
      t += Row("threads", std::to_string(m.at("threads").get<int>()));
    if (run.has_diagnostics)
      t += Row("diagnostics", Escape(fmt::format("a record every {} steps", run.diagnostics.every)));
    if (!run.checkpoint.empty()) t += Row("checkpoint", "<code>" + Escape(run.checkpoint) + "</code>");
    t += "</table>\n";
    b.sections.push_back({"configuration", "Configuration", t});
  }

  // ---- curves
  {
    plot::Figure f = charts::training_curves(run.history);
    f.width = 960;
    f.height = 340;
    b.figures.push_back({"curves", "training curves", f});
    b.sections.push_back(
        {"curves", "Training curves",
         FigureHtml(f, "loss and accuracy per epoch",
                    "Loss and accuracy per epoch: train (solid blue, mean over the epoch's batches), validation "
                    "(dashed orange) and test (green), each measured after the epoch.")});
  }

  // ---- findings
  {
    std::string body;
    if (!run.has_diagnostics) {
      body =
          "<p class=\"note\">diagnostics not recorded: re-run with --diagnose "
          "(<code>actlab train --diagnose --run-dir DIR ...</code>) to get the findings, the per-layer table "
          "and its charts.</p>\n";
    } else if (run.findings.empty()) {
      body =
          "<p class=\"ok\">no problems found: no vanishing or exploding gradients, dead units, saturation, "
          "learning rate off scale or underfitting (thresholds in docs/diagnostics.md).</p>\n";
    } else {
      for (const diag::Finding& f : run.findings) {
        std::string layers, figs;
        for (size_t l : f.layers) layers += (layers.empty() ? "" : ", ") + std::to_string(l);
        for (const auto& [k, v] : f.figures) figs += fmt::format("{}{} = {}", figs.empty() ? "" : "; ", k, Fig(v));
        body += fmt::format(
            "<div class=\"finding\"><h3>{}</h3><p>{}</p><p><strong>Try:</strong> {}</p>"
            "<p class=\"figs\">layers {}; {}</p></div>\n",
            Escape(f.kind), Escape(f.message), Escape(f.advice), Escape(layers.empty() ? "-" : layers), Escape(figs));
      }
    }
    b.sections.push_back({"findings", "Findings", body});
  }

  // ---- per-layer diagnostics
  if (run.has_diagnostics) {
    std::string t =
        "<div class=\"scroll\"><table class=\"layers\"><thead><tr><th>layer</th><th>kind</th><th class=\"n\">units</th>"
        "<th class=\"n\">pre mean</th><th class=\"n\">pre std</th><th class=\"n\">saturated</th>"
        "<th class=\"n\">f'=0 share</th><th class=\"n\">dead</th><th class=\"n\">off</th><th class=\"n\">||W||</th><th class=\"n\">||dW||</th>"
        "<th class=\"n\">update / ||W||</th><th class=\"n\">input grad RMS</th></tr></thead><tbody>\n";
    for (const json& l : run.layer_summary) {
      const json& pre = l.contains("pre") ? l.at("pre") : json::object();
      std::string kind = l.value("kind", std::string("?"));
      if (l.contains("activation") && l.at("activation").is_string()) kind = l.at("activation").get<std::string>();
      std::string dead = "–", off = "–";
      if (l.contains("dead") && l.at("dead").is_object()) {
        const double units = Num(l.at("dead"), "units");
        auto count = [&](const char* k) {
          const double n = Num(l.at("dead"), k);
          return std::isfinite(n) ? fmt::format("{:.0f} ({})", n, units > 0 ? Pct(n / units) : "–") : std::string("–");
        };
        dead = count("dead");
        off = count("off");
      }
      t += fmt::format(
          "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
          "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
          "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
          l.value("index", size_t{0}), Escape(kind), l.value("units", size_t{0}), Fig(Num(pre, "mean")),
          Fig(Num(pre, "std")), Pct(Num(l, "saturated")), Pct(Num(l, "inactive")), Escape(dead), Escape(off),
          Fig(Num(l, "weight_norm")), Fig(Num(l, "grad_norm")), Fig(Num(l, "update_ratio")),
          Fig(Num(l, "input_grad_norm")));
    }
    t += "</tbody></table></div>\n<p class=\"muted\">pre mean/std and ||W||: the last record; saturated, f'=0 share, "
         "||dW||, update ratio and input gradient RMS: medians over every record; dead: units with f' = 0 on "
         "every row of the last epoch's final records; off: units of a rectifier (relu, leaky_relu, elu, gelu...) whose "
         "input stayed <= 0 on those rows (relu's are its dead units; leaky_relu's and elu's still learn). "
         "Definitions in docs/diagnostics.md.</p>\n";
    const plot::Figure f = charts::diagnostics_figure(run.diagnostics);
    if (!f.panels.empty()) {
      b.figures.push_back({"layers", "diagnostics", f});
      t += FigureHtml(f, "per-layer diagnostics over training steps",
                      "Per layer over the optimizer steps recorded: the weight gradient's norm and the size of each "
                      "update relative to the weights (log scales; about 1e-3 is healthy), the share of "
                      "saturated or zero-derivative entries, dead units per epoch, and the distribution of "
                      "each activation's inputs at the last record.");
    }
    b.sections.push_back({"layers", "Per-layer diagnostics", t});
  }

  // ---- activations
  {
    std::string body;
    if (!acts.empty()) {
      // Wide enough to show where the recorded pre-activations lie (their
      // last-record range), at least [-4, 4], at most [-50, 50].
      double lo = -4, hi = 4;
      bool clipped = false;
      if (run.has_diagnostics && !run.diagnostics.steps.empty())
        for (const diag::LayerRecord& l : run.diagnostics.steps.back().layers)
          if (!l.pre_hist.counts.empty() && std::isfinite(l.pre_hist.lo) && std::isfinite(l.pre_hist.hi)) {
            clipped |= l.pre_hist.lo < -50 || l.pre_hist.hi > 50;
            lo = std::min(lo, std::max(-50.0, std::floor(l.pre_hist.lo)));
            hi = std::max(hi, std::min(50.0, std::ceil(l.pre_hist.hi)));
          }
      plot::Figure f = charts::activation_curves(acts, lo, hi, true);
      if (f.panels.size() > 3) f.columns = 3;
      if (f.panels.size() == 1) f.width = 560, f.height = 380;
      b.figures.push_back({"activations", "activations", f});
      body += FigureHtml(f, "activation functions and derivatives",
                         fmt::format("f(x) solid and f'(x) dashed for each activation in the model, over [{:g}, {:g}]"
                                     "{}.",
                                     lo, hi,
                                     !run.has_diagnostics ? ""
                                     : clipped ? ": the last record's pre-activations reach beyond it (table above)"
                                               : ", which covers the pre-activations of the last record"));
    }
    for (const std::string& s : skipped)
      body += fmt::format(
          "<p class=\"muted\">{} works along an axis, so it has no curve f(x) (<code>actlab plot {} "
          "--logits 1,2,3,4</code> draws its outputs).</p>\n",
          Escape(s), Escape(s.substr(0, s.find(' '))));
    if (body.empty()) body = "<p class=\"muted\">the model has no activation layers.</p>\n";
    b.sections.push_back({"activations", "Activations", body});
  }

  std::string act_names;
  for (const Activation& a : acts) act_names += (act_names.empty() ? "" : ", ") + charts::activation_title(a);
  for (const std::string& a : skipped) act_names += (act_names.empty() ? "" : ", ") + a;
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
      "style-src 'unsafe-inline'\">\n<meta name=\"generator\" content=\"actlab report\">\n"
      "<title>actlab report: {}</title>\n<style>{}</style>\n</head>\n<body>\n"
      "<header><div class=\"wrap\"><h1>Training report: {}</h1><p>{} · {} · {} epoch{}</p>\n<nav>",
      Escape(name), kStyle, Escape(name), Escape(data.value("name", std::string("?"))),
      Escape(act_names.empty() ? "no activations" : act_names), last.epoch, last.epoch == 1 ? "" : "s");
  for (const Section& s : b.sections) html += fmt::format("<a href=\"#{}\">{}</a>", s.id, Escape(s.title));
  html += "</nav></div></header>\n<main>\n";
  for (const Section& s : b.sections)
    html += fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n", s.id, Escape(s.title), s.body);
  html += fmt::format(
      "<footer>Made by <code>actlab report</code> from <code>{}</code>.</footer>\n</main>\n</body>\n</html>\n",
      Escape(run.metrics_path));
  b.html = std::move(html);
  return b;
}

}  // namespace

RunFile ReadRunFile(const std::string& run) {
  RunFile r;
  std::error_code ec;
  const fs::file_status st = fs::status(run, ec);
  if (run.empty() || !fs::exists(st)) throw Error(run + ": no such file or folder; " + kRunHelp);
  if (fs::is_directory(st)) {
    r.dir = run;
    r.metrics_path = (fs::path(run) / "metrics.json").string();
    if (!fs::exists(r.metrics_path, ec))
      throw Error(run + ": no metrics.json in this folder; train into it with `actlab train --run-dir " + run +
                  "` (add --diagnose for the diagnostics)");
    const fs::path ckpt = fs::path(run) / "model.safetensors";
    if (fs::is_regular_file(ckpt, ec)) r.checkpoint = ckpt.string();
  } else {
    r.metrics_path = run;
    const fs::path parent = fs::path(run).parent_path();
    r.dir = parent.empty() ? "." : parent.string();
  }
  if (fs::is_directory(r.metrics_path, ec)) throw Error(r.metrics_path + ": is a folder, not a file; " + kRunHelp);
  r.text = ReadAll(r.metrics_path);
  return r;
}

LoadedRun LoadRun(const std::string& run) {
  RunFile file = ReadRunFile(run);
  LoadedRun r;
  r.metrics_path = file.metrics_path;
  r.dir = file.dir;
  r.checkpoint = file.checkpoint;
  const std::string& text = file.text;
  try {
    r.metrics = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(r.metrics_path + ": not valid JSON (" + actlab::detail::json_error_text(e) + "); " + kRunHelp);
  }
  const json& m = r.metrics;
  if (!m.is_object() || m.value("command", std::string()) != "train" || !m.contains("epochs") ||
      !m.contains("config") || !m.contains("model"))
    throw Error(r.metrics_path +
                ": not an actlab metrics file (it needs \"command\": \"train\", \"epochs\", "
                "\"config\" and \"model\"); " +
                kRunHelp);
  r.history = history_from_json(m.at("epochs").dump(), r.metrics_path);
  if (r.history.empty())
    throw Error(r.metrics_path + ": no epochs recorded yet; let `actlab train` finish an epoch, then report");
  r.config = config_from_json(m.at("config").dump(), r.metrics_path);
  r.layers = layers_from_json(m.at("model").dump(), r.metrics_path + " model").second;
  for (const LayerSpec& l : r.layers)
    if (l.kind == "activation" && !find(l.activation))
      throw Error(r.metrics_path + ": model uses activation '" + l.activation +
                  "', which this actlab does not know; "
                  "report with the actlab that trained it");
  if (m.contains("diagnostics")) {
    r.has_diagnostics = true;
    r.diagnostics = diag::report_from_json(text, r.metrics_path);
    auto [findings, layers] = diag::findings_from_json(text, r.metrics_path);
    r.findings = std::move(findings);
    r.layer_summary = json::parse(layers);
    if (!r.layer_summary.is_array())
      throw Error(r.metrics_path + ": diagnostics \"layers\" is not a list; " + kRunHelp);
  }
  return r;
}

json FigureJson(const plot::Figure& fig) {
  const auto [w, h] = plot::size(fig);
  json panels = json::array();
  for (const plot::Panel& p : fig.panels) {
    json series = json::array();
    for (const plot::Series& s : p.series)
      if (!s.label.empty()) series.push_back(s.label);
    panels.push_back({{"title", p.title}, {"series", series}, {"log_y", p.log_y}});
  }
  return {{"width", w}, {"height", h}, {"panels", panels}};
}

CLI::App* AddReportCommand(CLI::App& app, ReportOptions& o) {
  auto* r = app.add_subcommand("report",
                               "One self-contained HTML page of a training run: configuration, curves, "
                               "findings, per-layer diagnostics, the activations used");
  r->add_option("RUN", o.run, "Run folder (`actlab train --run-dir DIR`) or metrics file (`--metrics-out`)")
      ->required();
  r->add_option("--out,-o", o.out,
                "HTML file to write (default RUN/report.html, or the metrics file's name with .html)");
  r->add_flag("--json", o.json, "Print {\"path\", \"run\", \"sections\", \"figures\", \"findings\", \"diagnostics\"}");
  r->footer(
      "Example:\n  actlab train --data spirals --layers 2-64-64-1 --act tanh --epochs 300 --batch-size 32 --lr 0.003 "
      "--diagnose --run-dir runs/spirals\n  actlab report runs/spirals");
  return r;
}

int RunReport(const ReportOptions& o) {
  const LoadedRun run = LoadRun(o.run);
  std::string out = o.out;
  if (out.empty()) {
    if (fs::is_directory(o.run)) {
      out = (fs::path(o.run) / "report.html").string();
    } else {
      fs::path p(o.run);
      p.replace_extension(".html");
      out = p.string();
    }
  }
  std::string name = fs::path(o.run).lexically_normal().filename().string();
  if (name.empty() || name == ".") name = fs::path(o.run).lexically_normal().parent_path().filename().string();
  if (name.empty()) name = o.run;
  ReleaseFontCaches release;
  const Built b = Build(run, name);
  WriteFileAtomic(out, b.html);

  if (!o.json) {
    fmt::print("wrote {}\n", out);
    return 0;
  }
  json sections = json::array();
  for (const Section& s : b.sections) sections.push_back(s.id);
  json figures = json::array();
  for (const Embedded& e : b.figures) {
    json f{{"section", e.section}, {"title", e.title}, {"format", "svg"}};
    f.update(FigureJson(e.fig));
    figures.push_back(f);
  }
  json findings = json::array();
  for (const diag::Finding& f : run.findings)
    findings.push_back({{"kind", f.kind}, {"layers", f.layers}, {"message", f.message}});
  fmt::print("{}\n", json{{"path", out},
                          {"run", run.metrics_path},
                          {"bytes", b.html.size()},
                          {"sections", sections},
                          {"figures", figures},
                          {"findings", findings},
                          {"diagnostics", run.has_diagnostics}}
                         .dump(2));
  return 0;
}

}  // namespace actlab::cli
