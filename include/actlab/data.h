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
// content, not the name). Pixels are returned as floats 0..255 (unscaled);
// classes = max label + 1. Checks, each an Error naming the file: magic (a
// labels file passed as images is recognised as such), dimensions (N, R, C
// >= 1, N*R*C <= 2^31), exact length (truncated or trailing bytes), image
// and label counts agree, an intact gzip stream (CRC and length trailer).
// Memory: the uint8 elements and the float output, nothing of the size a
// header merely claims.
Dataset read_idx(const std::string& images_path, const std::string& labels_path);

// A folder holding the four standard files, each with or without ".gz":
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte (the raw file when both exist). Missing files get an
// Error listing what was looked for. Returns train and test; validation is
// empty. Both splits get classes = 10 (or more if a label is >= 10) and, with
// 10, Fashion-MNIST's class names when the path contains "fashion" (any
// case), MNIST's digits "0".."9" otherwise.
Splits load_idx_dir(const std::string& dir);

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The folder that `--data fashion-mnist` (the default) reads: $ACTLAB_FASHION_MNIST when it is set
// and not empty (a copy outside Debian's path, or a smaller set for quick runs), else kFashionMnistDir.
std::string fashion_mnist_dir();
// load_idx_dir(fashion_mnist_dir()), named as Fashion-MNIST whatever the folder is called.
Splits load_fashion_mnist();

// ---- CSV -----------------------------------------------------------------------
// Numeric columns separated by commas, one row per line (LF or CRLF; blank
// lines skipped; spaces around fields and a field wrapped whole in double
// quotes are fine; quoted commas are not supported). The label column is
// chosen by header name or by zero-based index ("0", "-1" = last).
// Header: with a name, the first line must be one; with an index, the first
// line is a header when a field outside the label column (any field, for
// regression) is not a number, or when its label alone is text above labels
// that are all numbers ("0,1,...,783,label").
// Classification: labels may be integers or strings; distinct values are
// mapped to classes 0..K-1 in sorted order (by value when all are integral,
// so "9" < "10" and "9" == "9.0"; as text otherwise); class_names keeps them.
// Regression: the label column is the one target (outputs = 1). Errors name
// FILE:LINE:COLUMN (1-based characters) and the column: a non-numeric or
// empty feature, a wrong field count, NaN/Inf, a value beyond float32, an
// empty label, an unknown label column; and FILE: no rows, empty, unreadable.
Dataset read_csv(const std::string& path, const std::string& label_column, bool regression);

// ---- Synthetic sets for the classic small demos -------------------------------------
// kind: "xor" (the 4 points of the truth table in table order, repeated to n
// rows, no noise unless noise > 0, 2 classes), "spirals" (2 interleaved arms
// r = t / 3pi at angle t + class * pi, t in (0, 3pi], 2 classes), "moons"
// (sklearn.datasets.make_moons), "circles" (make_circles, factor 0.5),
// "blobs" (3 Gaussian blobs of std `noise` centred on the unit circle at 90,
// 210 and 330 degrees). All 2 features; `noise` is the standard deviation of
// added Gaussian noise (sklearn's meaning); all but xor are shuffled, and the
// order does not depend on `noise`. Deterministic in `seed` (actlab::Rng).
// Unknown kind, rows outside 1..10^8, noise < 0 or NaN -> Error.
Dataset synthetic(std::string_view kind, size_t rows, double noise, uint64_t seed);
std::vector<std::string_view> synthetic_kinds();

// ---- Preparation -----------------------------------------------------------------------
// Moves a seeded random `fraction` (0 <= fraction < 1) of `train`'s rows,
// round(fraction * rows) of them, into a new validation set (in place: no
// copy of the remaining rows is kept; they keep their order). Error when no
// training row would be left.
Dataset take_validation(Dataset& train, double fraction, uint64_t seed);

// Feature scaling fitted on the training set and applied to every split.
//   "none": as is; "unit": x / 255 (images); "minmax": to [0, 1] per feature;
//   "standard": zero mean, unit variance per feature (population variance, as
//   sklearn's StandardScaler). Constant features map to 0 (minmax, standard).
// apply() throws Error when the feature count differs from the fit.
struct Scaler {
  std::string kind = "none";
  std::vector<float> shift, scale;  // x' = (x - shift) * scale, per feature

  static Scaler fit(const Dataset& train, std::string_view kind);  // Error for an unknown kind
  void apply(Dataset& d) const;
};

}  // namespace actlab::data
