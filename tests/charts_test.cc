// The figures of a run (include/actlab/charts.h) hold exactly the numbers
// they were built from, and the diagnostics read back from JSON
// (diag::report_from_json) are the ones the observer recorded.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "actlab/charts.h"
#include "actlab/diagnostics.h"
#include "actlab/init.h"
#include "actlab/train.h"
#include "tests/support/error_of.h"

namespace actlab {
namespace {

using test::ErrorOf;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

struct FontCaches : ::testing::Environment {
  void TearDown() override { plot::release_caches(); }  // else ASan reports fontconfig's caches as leaks
};
const auto* const kFontCaches = ::testing::AddGlobalTestEnvironment(new FontCaches);

const plot::Panel* FindPanel(const plot::Figure& f, const std::string& title) {
  for (const plot::Panel& p : f.panels)
    if (p.title == title) return &p;
  return nullptr;
}

std::vector<EpochRecord> History(bool validation, bool accuracy) {
  std::vector<EpochRecord> h;
  for (size_t e = 1; e <= 4; ++e) {
    EpochRecord r;
    r.epoch = e;
    r.train_loss = 2.0 / double(e);
    r.test_loss = 2.5 / double(e);
    if (validation) r.val_loss = 2.2 / double(e);
    if (accuracy) {
      r.train_accuracy = 0.5 + 0.1 * double(e);
      r.test_accuracy = 0.4 + 0.1 * double(e);
      if (validation) r.val_accuracy = 0.45 + 0.1 * double(e);
    }
    h.push_back(r);
  }
  return h;
}

TEST(Charts, TrainingCurvesHoldEveryEpoch) {
  const std::vector<EpochRecord> h = History(true, true);
  const plot::Figure f = charts::training_curves(h);
  ASSERT_EQ(f.panels.size(), 2u);
  const plot::Panel& loss = f.panels[0];
  const plot::Panel& acc = f.panels[1];
  EXPECT_EQ(loss.title, "loss");
  EXPECT_EQ(acc.title, "accuracy");
  ASSERT_EQ(loss.series.size(), 3u);
  ASSERT_EQ(acc.series.size(), 3u);
  EXPECT_EQ(loss.series[0].label, "train");
  EXPECT_EQ(loss.series[1].label, "validation");
  EXPECT_EQ(loss.series[2].label, "test");
  EXPECT_TRUE(loss.series[1].dashed);
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(loss.series[0].x[i], double(h[i].epoch));
    EXPECT_EQ(loss.series[0].y[i], h[i].train_loss);
    EXPECT_EQ(loss.series[1].y[i], h[i].val_loss);
    EXPECT_EQ(loss.series[2].y[i], h[i].test_loss);
    EXPECT_DOUBLE_EQ(acc.series[0].y[i], 100 * h[i].train_accuracy);  // percent
    EXPECT_DOUBLE_EQ(acc.series[2].y[i], 100 * h[i].test_accuracy);
  }
  EXPECT_NO_THROW(plot::render_svg(f));
}

TEST(Charts, TrainingCurvesLeaveOutWhatWasNotMeasured) {
  // No validation split: two lines per panel.
  plot::Figure f = charts::training_curves(History(false, true));
  ASSERT_EQ(f.panels.size(), 2u);
  EXPECT_EQ(f.panels[0].series.size(), 2u);
  EXPECT_EQ(f.panels[1].series.size(), 2u);
  // Regression: no accuracy panel.
  f = charts::training_curves(History(true, false));
  ASSERT_EQ(f.panels.size(), 1u);
  EXPECT_EQ(f.panels[0].title, "loss");
  // One epoch still draws (as dots).
  f = charts::training_curves({History(true, true)[0]});
  EXPECT_EQ(f.panels[0].series[0].x.size(), 1u);
  EXPECT_NO_THROW(plot::render_svg(f));
  EXPECT_NE(ErrorOf([] { charts::training_curves({}); }).find("no epochs recorded"), std::string::npos);
}

// A real record: a 2-8-8-3 network (layers: dense, act, dense, act, dense)
// trained two epochs on spirals, watched every 2 steps.
diag::Report Recorded(const std::string& act) {
  data::Splits s;
  s.train = data::synthetic("spirals", 300, 0.1, 3);
  s.test = data::synthetic("spirals", 60, 0.1, 4);
  Model<float> m(2, mlp({2, 8, 8, 3}, act, {}), 1);
  m.initialize(1, init_from_name("auto"));
  TrainConfig cfg;
  cfg.epochs = 2;
  cfg.batch_size = 32;
  cfg.optimizer.kind = "adam";
  cfg.optimizer.lr = 1e-2;
  TrainState<float> state;
  diag::Observer<float> obs(2);
  train(m, cfg, s, state, TrainCallbacks{}, {}, 0, &obs);
  return obs.report();
}

TEST(Charts, DiagnosticsFigureDrawsTheRecords) {
  const diag::Report r = Recorded("relu");
  ASSERT_GE(r.steps.size(), 5u);
  ASSERT_EQ(r.layers.size(), 5u);
  const plot::Figure f = charts::diagnostics_figure(r);

  const plot::Panel* grad = FindPanel(f, "gradient norm ||dL/dW||");
  ASSERT_NE(grad, nullptr);
  EXPECT_TRUE(grad->log_y);
  ASSERT_EQ(grad->series.size(), 3u);  // dense layers 0, 2, 4
  EXPECT_EQ(grad->series[0].label, "layer 0");
  EXPECT_EQ(grad->series[2].label, "layer 4");
  for (size_t k = 0; k < r.steps.size(); ++k) {
    EXPECT_EQ(grad->series[1].x[k], double(r.steps[k].step));
    EXPECT_EQ(grad->series[1].y[k], r.steps[k].layers[2].grad_norm);
  }
  const plot::Panel* update = FindPanel(f, "update / weight ratio");
  ASSERT_NE(update, nullptr);
  ASSERT_EQ(update->series.size(), 3u);
  EXPECT_EQ(update->series[0].y.back(), r.steps.back().layers[0].update_ratio);

  // relu: the share of f' == 0, dashed, per activation layer; no saturation line.
  const plot::Panel* sat = FindPanel(f, "saturated (solid) / f' = 0 (dashed)");
  ASSERT_NE(sat, nullptr);
  ASSERT_EQ(sat->series.size(), 2u);
  EXPECT_EQ(sat->series[0].label, "layer 1 relu");
  EXPECT_TRUE(sat->series[0].dashed);
  EXPECT_EQ(sat->series[1].y[0], r.steps[0].layers[3].inactive);

  const plot::Panel* dead = FindPanel(f, "dead (solid) / off (dashed) units per epoch");
  ASSERT_NE(dead, nullptr);
  ASSERT_EQ(dead->series.size(), 2u);
  EXPECT_EQ(dead->series[0].x.size(), 2u);  // two epochs
  for (const diag::DeadRecord& d : r.dead) {
    if (d.layer == 1 && d.epoch == 2) {
      EXPECT_EQ(dead->series[0].y[1], double(d.dead) / double(d.units));
    }
  }

  // The outline of each histogram, standardised by the layer's mean and std:
  // from 0 at (lo - mean) / std to 0 at (hi - mean) / std, density
  // integrating to 1 (sum of density * bin width).
  const plot::Panel* hist = FindPanel(f, "pre-activation density, standardised (last record)");
  ASSERT_NE(hist, nullptr);
  ASSERT_EQ(hist->series.size(), 2u);
  const diag::LayerRecord& rec = r.steps.back().layers[1];
  const diag::Histogram& h = rec.pre_hist;
  const plot::Series& s = hist->series[0];
  char label[64];
  std::snprintf(label, sizeof label, "layer 1 relu (std %.3g)", rec.pre.std);
  EXPECT_EQ(s.label, label);
  ASSERT_EQ(s.x.size(), 2 * h.counts.size() + 2);
  EXPECT_DOUBLE_EQ(s.x.front(), (h.lo - rec.pre.mean) / rec.pre.std);
  EXPECT_DOUBLE_EQ(s.x.back(), (h.hi - rec.pre.mean) / rec.pre.std);
  EXPECT_EQ(s.y.front(), 0);
  EXPECT_EQ(s.y.back(), 0);
  double area = 0;
  for (size_t k = 0; k < h.counts.size(); ++k) area += s.y[1 + 2 * k] * (s.x[2 + 2 * k] - s.x[1 + 2 * k]);
  EXPECT_NEAR(area, 1.0, 1e-12);
  EXPECT_NO_THROW(plot::render_svg(f));
}

TEST(Charts, DensityPanelShowsLayersOfVeryDifferentWidthsOnOneAxis) {
  // A first layer at +-2000 beside a later one at +-2: each keeps its shape
  // (about the same x extent and peak), instead of the second becoming a spike.
  diag::Report r = Recorded("tanh");
  diag::LayerRecord& wide = r.steps.back().layers[1];
  const double scale = 1000;
  wide.pre.mean *= scale;
  wide.pre.std *= scale;
  wide.pre_hist.lo *= scale;
  wide.pre_hist.hi *= scale;
  const plot::Figure f = charts::diagnostics_figure(r);
  const plot::Panel* hist = FindPanel(f, "pre-activation density, standardised (last record)");
  ASSERT_NE(hist, nullptr);
  ASSERT_EQ(hist->series.size(), 2u);
  const auto extent = [](const plot::Series& s) { return s.x.back() - s.x.front(); };
  const auto peak = [](const plot::Series& s) { return *std::max_element(s.y.begin(), s.y.end()); };
  for (const plot::Series& s : hist->series) {
    EXPECT_GT(extent(s), 1.0) << s.label;
    EXPECT_LT(extent(s), 20.0) << s.label;
    EXPECT_GT(peak(s), 0.05) << s.label;
    EXPECT_LT(peak(s), 5.0) << s.label;
  }
  EXPECT_NE(hist->series[0].label.find("layer 1 tanh (std "), std::string::npos);
}

TEST(Charts, SaturatingActivationsGetSolidLinesAndNoDeadPanel) {
  const diag::Report r = Recorded("tanh");
  const plot::Figure f = charts::diagnostics_figure(r);
  const plot::Panel* sat = FindPanel(f, "saturated (solid) / f' = 0 (dashed)");
  ASSERT_NE(sat, nullptr);
  ASSERT_EQ(sat->series.size(), 2u);
  EXPECT_FALSE(sat->series[0].dashed);
  EXPECT_EQ(sat->series[0].label, "layer 1 tanh");
  EXPECT_EQ(FindPanel(f, "dead (solid) / off (dashed) units per epoch"), nullptr);  // tanh has no zero region
}

TEST(Charts, LeakyReluDrawsOffUnitsDashed) {
  // No zero region, so no dead units; as a rectifier its off units are drawn.
  const diag::Report r = Recorded("leaky_relu");
  const plot::Figure f = charts::diagnostics_figure(r);
  const plot::Panel* dead = FindPanel(f, "dead (solid) / off (dashed) units per epoch");
  ASSERT_NE(dead, nullptr);
  ASSERT_EQ(dead->series.size(), 2u);
  EXPECT_TRUE(dead->series[0].dashed);
  EXPECT_EQ(dead->series[0].label, "layer 1 leaky_relu");
  size_t checked = 0;
  for (const diag::DeadRecord& d : r.dead) {
    EXPECT_FALSE(d.has_dead);
    ASSERT_TRUE(d.has_off);
    if (d.layer != 1) continue;
    EXPECT_EQ(dead->series[0].y[checked++], double(d.off) / double(d.units));
  }
  EXPECT_EQ(checked, 2u);  // two epochs
}

TEST(Charts, DiagnosticsWithoutRecordsHaveNoPanels) {
  diag::Report r;
  EXPECT_TRUE(charts::diagnostics_figure(r).panels.empty());
  // Records whose figures are all NaN (a run that diverged at once) leave
  // out the line panels instead of drawing empty axes.
  r.layers = {{0, "dense", "", "0.weight", 4}, {1, "activation", "relu", "", 4}};
  diag::StepRecord s;
  s.layers.resize(2);
  s.layers[1].layer = 1;
  r.steps = {s};
  const plot::Figure f = charts::diagnostics_figure(r);
  EXPECT_EQ(FindPanel(f, "gradient norm ||dL/dW||"), nullptr);
  EXPECT_EQ(FindPanel(f, "pre-activation density, standardised (last record)"), nullptr);  // empty histogram
}

TEST(Charts, ActivationCurvesAreTheApiValues) {
  const std::vector<std::pair<std::string, double>> alpha = {{"alpha", 0.5}};
  const std::vector<Activation> acts = {Activation::make("relu"), Activation::make("elu", alpha)};
  const plot::Figure f = charts::activation_curves(acts, -2, 2, true);
  ASSERT_EQ(f.panels.size(), 3u);  // one per activation + the overlay
  EXPECT_EQ(f.panels[1].title, "elu (alpha=0.5)");
  const plot::Series& relu = f.panels[0].series[0];
  const plot::Series& drelu = f.panels[0].series[1];
  ASSERT_EQ(relu.x.size(), 1001u);
  EXPECT_EQ(relu.x.front(), -2);
  EXPECT_EQ(relu.x.back(), 2);
  for (size_t i = 0; i < relu.x.size(); ++i) {
    EXPECT_EQ(relu.y[i], std::max(0.0, relu.x[i]));
    EXPECT_EQ(drelu.y[i], relu.x[i] > 0 ? 1.0 : 0.0);  // torch: relu'(0) = 0
  }
  const plot::Series& elu = f.panels[1].series[0];
  EXPECT_NEAR(elu.y[0], 0.5 * std::expm1(-2.0), 1e-15);
  EXPECT_EQ(f.panels[2].series.size(), 4u);  // f and f' of both
  EXPECT_EQ(charts::activation_curves(acts, -2, 2, false).panels[0].series.size(), 1u);
  EXPECT_NE(ErrorOf([] { charts::activation_curves({Activation::make("softmax")}, -1, 1); }).find("along an axis"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { charts::activation_curves(acts, 1, 1); }).find("LO < HI"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { charts::activation_curves(acts, kNan, 1); }).find("LO < HI"), std::string::npos);
}

void ExpectSameFigure(double a, double b) {
  if (std::isnan(a)) {
    EXPECT_TRUE(std::isnan(b));
  } else {
    EXPECT_EQ(a, b);
  }
}

TEST(DiagJson, ReportRoundTrips) {
  for (const char* act : {"relu", "tanh"}) {
    const diag::Report r = Recorded(act);
    const std::string text = diag::to_json(r, diag::analyze(r));
    const diag::Report back = diag::report_from_json(text, "run.json");
    EXPECT_EQ(back.every, r.every);
    EXPECT_EQ(back.stopped, r.stopped);
    ASSERT_EQ(back.layers.size(), r.layers.size());
    for (size_t i = 0; i < r.layers.size(); ++i) {
      EXPECT_EQ(back.layers[i].kind, r.layers[i].kind);
      EXPECT_EQ(back.layers[i].activation, r.layers[i].activation);
      EXPECT_EQ(back.layers[i].weight, r.layers[i].weight);
      EXPECT_EQ(back.layers[i].units, r.layers[i].units);
    }
    ASSERT_EQ(back.steps.size(), r.steps.size());
    for (size_t k = 0; k < r.steps.size(); ++k) {
      const diag::StepRecord &a = r.steps[k], &b = back.steps[k];
      EXPECT_EQ(a.step, b.step);
      EXPECT_EQ(a.epoch, b.epoch);
      ExpectSameFigure(a.lr, b.lr);
      ExpectSameFigure(a.grad_norm, b.grad_norm);
      for (size_t i = 0; i < a.layers.size(); ++i) {
        const diag::LayerRecord &x = a.layers[i], &y = b.layers[i];
        ExpectSameFigure(x.grad_norm, y.grad_norm);
        ExpectSameFigure(x.weight_norm, y.weight_norm);
        ExpectSameFigure(x.update_ratio, y.update_ratio);
        ExpectSameFigure(x.input_grad_norm, y.input_grad_norm);
        ExpectSameFigure(x.saturated, y.saturated);
        ExpectSameFigure(x.inactive, y.inactive);
        EXPECT_EQ(x.nonfinite, y.nonfinite);
        if (r.layers[i].kind == "activation") {
          EXPECT_EQ(x.pre.mean, y.pre.mean);
          EXPECT_EQ(x.pre.std, y.pre.std);
          EXPECT_EQ(x.out.std, y.out.std);
          EXPECT_EQ(x.pre_hist.lo, y.pre_hist.lo);
          EXPECT_EQ(x.pre_hist.hi, y.pre_hist.hi);
          EXPECT_EQ(x.pre_hist.counts, y.pre_hist.counts);
        }
      }
    }
    ASSERT_EQ(back.dead.size(), r.dead.size());
    for (size_t i = 0; i < r.dead.size(); ++i) {
      EXPECT_EQ(back.dead[i].layer, r.dead[i].layer);
      EXPECT_EQ(back.dead[i].dead, r.dead[i].dead);
      EXPECT_EQ(back.dead[i].units, r.dead[i].units);
    }
    // What analyze() finds on the records read back is what it found on the originals.
    const auto f1 = diag::analyze(r), f2 = diag::analyze(back);
    ASSERT_EQ(f1.size(), f2.size());
    for (size_t i = 0; i < f1.size(); ++i) EXPECT_EQ(f1[i].message, f2[i].message);
    // Inside a metrics file, under "diagnostics".
    const diag::Report wrapped =
        diag::report_from_json(R"({"command": "train", "epochs": [], "diagnostics": )" + text + "}", "metrics.json");
    EXPECT_EQ(wrapped.steps.size(), r.steps.size());
  }
}

TEST(DiagJson, MalformedReportsNameTheFile) {
  const diag::Report r = Recorded("relu");
  const std::string good = diag::to_json(r, {});
  const auto error = [](const std::string& text) {
    return ErrorOf([&] { diag::report_from_json(text, "runs/a/metrics.json"); });
  };
  for (const std::string& e : {error("{"), error("[1, 2]"), error(R"({"every": 5})"), error("null")}) {
    EXPECT_EQ(e.rfind("runs/a/metrics.json: ", 0), 0u) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos);
  }
  EXPECT_NE(error(R"({"command": "train", "epochs": []})").find("--diagnose"), std::string::npos);
  // A record of a layer that is not there, or records out of order: refused,
  // never read out of bounds.
  std::string bad = good;
  const size_t at = bad.find(R"("layer":1)");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at, 9, R"("layer":7)");
  EXPECT_NE(error(bad).find("inconsistent"), std::string::npos);
  bad = good;
  const std::string first_dead = R"("dead":[{"epoch":1,"layer":1)";
  const size_t dead = bad.find(first_dead);
  ASSERT_NE(dead, std::string::npos);
  bad.replace(dead, first_dead.size(), R"("dead":[{"epoch":1,"layer":9)");
  EXPECT_NE(error(bad).find("inconsistent"), std::string::npos);
  // A figure of the wrong type.
  bad = good;
  bad.replace(bad.find(R"("every":2)"), 9, R"("every":"2")");
  EXPECT_NE(error(bad).find("not a diagnostics report"), std::string::npos);
}

}  // namespace
}  // namespace actlab
