// actlab/charts.h: the figures of a training run, built once here and drawn by
// `actlab plot` (PNG/SVG/PDF) and `actlab report` (inline in HTML) alike.
// Each returns a plot::Figure (include/actlab/plot.h); nothing is drawn until
// plot::save or plot::render_svg.
#pragma once

#include <string>
#include <vector>

#include "actlab/activation.h"
#include "actlab/diagnostics.h"
#include "actlab/plot.h"
#include "actlab/train.h"

namespace actlab::charts {

// Per epoch: a "loss" panel (train solid blue, validation dashed orange, test
// solid green) and an "accuracy" panel (the same three, in percent). Splits
// never measured (all NaN) are left out, and so is the accuracy panel for
// regression. Throws Error when the history is empty.
plot::Figure training_curves(const std::vector<EpochRecord>& history);

// What `--diagnose` recorded, over optimizer steps:
//   "gradient norm ||dL/dW||" (log y), one line per dense layer;
//   "update / weight ratio" (log y), one line per dense layer;
//   "saturated (solid) / f' = 0 (dashed)" share, one line per activation layer;
//   "dead units per epoch" when zero-region activations were checked;
//   "pre-activation density, standardised", the last record's histogram of
//   each activation layer as an outline over (x - mean) / std (density =
//   count * std / (entries * bin width)), so layers of any width share the
//   axis; the legend gives each layer's std.
// Panels with nothing to show are left out; a report without records gives a
// figure without panels (which plot::save refuses: check panels.empty()).
plot::Figure diagnostics_figure(const diag::Report& report);

// f (solid) and f' (dashed) of each elementwise activation over [lo, hi] at
// 1001 points, one panel per activation titled with its parameters, plus an
// overlay when there are several (what `actlab plot NAME...` draws). Throws
// Error for an activation that works along an axis (softmax...) or a bad
// interval.
plot::Figure activation_curves(const std::vector<Activation>& acts, double lo, double hi, bool derivative = true);

// "relu", "elu (alpha=0.5)": the name and every parameter value.
std::string activation_title(const Activation& a);

// Dense layer i is "layer i"; activation layer i is "layer i tanh".
std::string layer_label(const diag::LayerInfo& layer);

}  // namespace actlab::charts
