// actlab/data.h: datasets for the training engine.
//
// Every reader validates before it allocates: a header's sizes are checked
// against the file's real size, so a corrupt file gives an Error naming the
// file and the problem ("FILE: PROBLEM; FIX"), never a huge allocation or a
// crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actlab/activation.h"  // actlab::Error

namespace actlab::data {

// Rows of float32 features with either class labels (classification) or
// real-valued targets (regression).
struct Dataset {
  std::string name;
  size_t rows = 0;
  size_t features = 0;
  std::vector<float> x;                    // rows * features, row-major
  std::vector<int32_t> labels;             // rows; empty for regression
  size_t classes = 0;                      // 0 for regression
  std::vector<float> targets;              // rows * outputs; empty for classification
  size_t outputs = 0;                      // regression targets per row
  std::vector<std::string> class_names;    // optional (class_names.size() == classes)
  std::vector<std::string> feature_names;  // optional

  bool classification() const { return classes > 0; }
  const float* row(size_t i) const { return x.data() + i * features; }
};

// A training set, a validation set (possibly empty) and a test set (possibly
// empty).
struct Splits {
  Dataset train, validation, test;
};

// ---- IDX (MNIST, Fashion-MNIST) ------------------------------------------------
// One images file (magic 0x00000803, uint8, N x R x C) and one labels file
// (magic 0x00000801, uint8, N), each raw or gzip-compressed (detected from the
// content, not the name). Pixels are returned as floats 0..255 (unscaled).
// Checks: magic, dimensions (N, R, C >= 1; N*R*C fits the file), exact
// length, image and label counts agree, labels < 10... (any label value
// must be < 256; classes = max label + 1).
Dataset read_idx(const std::string& images_path, const std::string& labels_path);

// A folder holding the four standard files, each with or without ".gz":
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte. Missing files get an Error listing what was looked
// for. Returns train and test; validation is empty. Fashion-MNIST's class
// names are filled in when the folder looks like Fashion-MNIST (path contains
// "fashion"), MNIST's digits "0".."9" otherwise.
Splits load_idx_dir(const std::string& dir);

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// ---- CSV -----------------------------------------------------------------------
// Numeric columns separated by commas (a header line is detected when its
// fields are not all numbers). The label column is chosen by header name or
// by zero-based index ("0", "-1" = last). Classification: labels may be
// integers or strings; distinct values are mapped to classes 0..K-1 in sorted
// order (class_names keeps the originals). Regression: the label column is the
// one target. Errors name the file, the line and the column: a non-numeric
// feature, a wrong field count, NaN/Inf, an unknown label column, no rows.
Dataset read_csv(const std::string& path, const std::string& label_column, bool regression);

// ---- Synthetic sets for the classic small demos -------------------------------------
// kind: "xor" (the 4 points of the truth table, repeated to n rows, no noise
// unless noise > 0, 2 classes), "spirals" (2 interleaved spirals, 2 classes),
// "moons" (sklearn's two moons), "circles" (two concentric circles, factor
// 0.5), "blobs" (3 Gaussian blobs). All 2 features; `noise` is the standard
// deviation of added Gaussian noise (sklearn's meaning). Deterministic in
// `seed`. Unknown kind -> Error listing the kinds.
Dataset synthetic(std::string_view kind, size_t rows, double noise, uint64_t seed);
std::vector<std::string_view> synthetic_kinds();

// ---- Preparation -----------------------------------------------------------------------
// Moves a seeded random `fraction` (0 <= fraction < 1) of `train`'s rows into
// a new validation set (in place: no copy of the remaining rows is kept).
Dataset take_validation(Dataset& train, double fraction, uint64_t seed);

// Feature scaling fitted on the training set and applied to every split.
//   "none": as is; "unit": x / 255 (images); "minmax": to [0, 1] per feature;
//   "standard": zero mean, unit variance per feature (constant features: 0).
struct Scaler {
  std::string kind = "none";
  std::vector<float> shift, scale;  // x' = (x - shift) * scale, per feature

  static Scaler fit(const Dataset& train, std::string_view kind);  // Error for an unknown kind
  void apply(Dataset& d) const;
};

}  // namespace actlab::data
