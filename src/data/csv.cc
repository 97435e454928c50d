// CSV datasets: numeric features, one label (class or regression target).
//
// Deliberately small: comma-separated, no quoting beyond a field wrapped
// whole in double quotes, one record per line. What it does check is every
// value: a bad field is reported as FILE:LINE:COLUMN (1-based, as compilers
// and editors count) with the column's name when there is a header.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "actlab/data.h"

namespace actlab::data {
namespace {

struct Field {
  std::string_view text;  // trimmed, unquoted
  size_t col;             // 1-based byte column of its first character
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void split(const std::string& line, std::vector<Field>& out) {
  out.clear();
  std::string_view rest(line);
  size_t offset = 0;
  for (;;) {
    const size_t comma = rest.find(',');
    std::string_view raw = rest.substr(0, comma);
    std::string_view t = trim(raw);
    const size_t col = offset + static_cast<size_t>(t.data() - raw.data()) + 1;
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    out.push_back({t, col});
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
    offset += comma + 1;
  }
}

enum class Num { kOk, kNotNumber, kNonFinite, kOutOfRange };

// std::from_chars: locale-independent, exact, and it rejects trailing junk.
// It does not take a leading '+', which people write, so that is skipped.
Num parse(std::string_view s, double& v) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') {
    ++b;
    if (b != e && *b == '-') return Num::kNotNumber;
  }
  if (b == e) return Num::kNotNumber;
  const auto [p, ec] = std::from_chars(b, e, v);
  if (p != e) return Num::kNotNumber;
  if (ec == std::errc::result_out_of_range) return Num::kOutOfRange;
  if (ec != std::errc()) return Num::kNotNumber;
  if (!std::isfinite(v)) return Num::kNonFinite;
  return Num::kOk;
}

bool is_number(std::string_view s) {
  double v;
  return parse(s, v) != Num::kNotNumber;
}

// Integral labels ("3", "3.0", "-1") become integer classes ordered by
// value, so "10" sorts after "9".
bool integral(std::string_view s, long long& out) {
  double v;
  if (parse(s, v) != Num::kOk || v != std::floor(v) || std::fabs(v) > 0x1p53) return false;
  out = static_cast<long long>(v);
  return true;
}

class CsvReader {
 public:
  CsvReader(const std::string& path, const std::string& label_column, bool regression)
      : path_(path), spec_(label_column), regression_(regression) {}

  Dataset read() {
    std::error_code ec;
    // A folder opens as a stream that reads nothing: say what it is.
    if (std::filesystem::is_directory(path_, ec)) fail_file("is a directory", "pass a CSV file");
    std::ifstream in(path_, std::ios::binary);
    if (!in) fail_file(fmt::format("cannot open ({})", std::strerror(errno)), "check the path");
    std::string line;
    std::vector<Field> f;
    size_t lineno = 0;
    bool first = true;
    while (std::getline(in, line)) {
      ++lineno;
      if (lineno == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 BOM
      if (trim(line).empty()) continue;
      split(line, f);
      if (first) {
        first = false;
        if (start(f, lineno)) continue;  // a header line
      }
      row(line, f, lineno);
    }
    if (in.bad()) fail_file(fmt::format("read error ({})", std::strerror(errno)), "check the file");
    if (first) fail_file("empty (no header, no rows)", "pass a CSV file with one row per sample");
    unheader_first_row();
    if (d_.rows == 0) fail_file("no data rows (only a header)", "pass a CSV file with one row per sample");
    finish_labels();
    d_.name = std::filesystem::path(path_).stem().string();
    return std::move(d_);
  }

 private:
  [[noreturn]] void fail_file(const std::string& problem, std::string_view fix) const {
    throw Error(fmt::format("{}: {}; {}", path_, problem, fix));
  }
  [[noreturn]] void fail_at(size_t line, size_t col, const std::string& problem, std::string_view fix) const {
    throw Error(fmt::format("{}:{}:{}: {}; {}", path_, line, col, problem, fix));
  }

  std::string column_name(size_t j) const {
    if (!header_.empty()) return fmt::format("column {} ('{}')", j, header_[j]);
    return fmt::format("column {}", j);
  }

  // Resolves the label column and decides whether the first line is a
  // header. Returns true when it is. Rule: with a label name it must be; with
  // an index it is when a field outside the label column is not a number
  // (anywhere, for regression). A numeric-looking header over string labels
  // ("0,1,...,783,label") is caught later by unheader_first_row().
  bool start(const std::vector<Field>& f, size_t lineno) {
    ncols_ = f.size();
    if (ncols_ < 2) {
      fail_at(lineno, 1, "one column only: no features besides the label",
              "pass a CSV file with feature columns and a label column");
    }
    long long index = 0;
    const char* b = spec_.data();
    const char* e = b + spec_.size();
    const auto [p, ec] = std::from_chars(b, e, index);
    const bool by_index = !spec_.empty() && ec == std::errc() && p == e;
    bool header = false;
    if (by_index) {
      const long long n = static_cast<long long>(ncols_);
      if (index < -n || index >= n) {
        fail_at(lineno, 1, fmt::format("unknown label column '{}': the file has {} columns", spec_, ncols_),
                fmt::format("pass 0..{} or -{}..-1 (-1 = last)", n - 1, n));
      }
      label_ = static_cast<size_t>(index < 0 ? index + n : index);
      for (size_t j = 0; j < ncols_; ++j) {
        if ((j != label_ || regression_) && !is_number(f[j].text)) header = true;
      }
    } else {
      bool all_numbers = true;
      for (const Field& x : f) all_numbers = all_numbers && is_number(x.text);
      if (all_numbers) {
        fail_at(lineno, 1,
                fmt::format("unknown label column '{}': no header line (the first line is all numbers)", spec_),
                "pass the label column by index (0, 1, ..., -1 = last)");
      }
      header = true;
      size_t found = ncols_;
      std::string names;
      for (size_t j = 0; j < ncols_; ++j) {
        if (found == ncols_ && f[j].text == spec_) found = j;
        names += fmt::format("{}{}", j ? ", " : "", f[j].text);
      }
      if (found == ncols_) {
        fail_at(lineno, 1, fmt::format("unknown label column '{}'", spec_), fmt::format("columns: {}", names));
      }
      label_ = found;
    }
    if (header) take_header(f);
    d_.features = ncols_ - 1;
    if (regression_) d_.outputs = 1;
    return header;
  }

  void take_header(const std::vector<Field>& f) {
    header_.clear();
    for (const Field& x : f) header_.emplace_back(x.text);
    d_.feature_names.clear();
    for (size_t j = 0; j < ncols_; ++j) {
      if (j != label_) d_.feature_names.push_back(header_[j]);
    }
  }

  void row(const std::string& line, const std::vector<Field>& f, size_t lineno) {
    const bool first_row = d_.rows == 0;
    if (f.size() != ncols_) {
      const size_t col = f.size() > ncols_ ? f[ncols_].col : trim(line).size() + 1;
      fail_at(lineno, col, fmt::format("{} fields, expected {} (as on the first line)", f.size(), ncols_),
              "every row needs the same columns");
    }
    for (size_t j = 0; j < ncols_; ++j) {
      const Field& x = f[j];
      if (j == label_ && !regression_) {
        if (x.text.empty()) fail_at(lineno, x.col, "empty label", "every row needs a label");
        double v;
        if (parse(x.text, v) == Num::kNonFinite) {
          fail_at(lineno, x.col, fmt::format("label is NaN/Inf ('{}')", x.text), "every row needs a real label");
        }
        const auto [it, added] = ids_.try_emplace(std::string(x.text), static_cast<int32_t>(ids_.size()));
        d_.labels.push_back(it->second);
        if (!is_number(x.text)) (first_row ? first_label_text_ : later_label_text_) = true;
        continue;
      }
      const float value = number(x, j, lineno);
      if (j == label_) {
        d_.targets.push_back(value);
      } else {
        d_.x.push_back(value);
      }
    }
    if (first_row) first_line_ = line;
    ++d_.rows;
  }

  float number(const Field& x, size_t j, size_t lineno) const {
    const std::string what = j == label_ ? fmt::format("target {}", column_name(j)) : column_name(j);
    if (x.text.empty()) fail_at(lineno, x.col, fmt::format("{} is empty", what), "every field needs a number");
    double v = 0;
    switch (parse(x.text, v)) {
      case Num::kOk: break;
      case Num::kNotNumber:
        fail_at(lineno, x.col, fmt::format("{} is not a number: '{}'", what, x.text),
                regression_ ? "features and targets must be numbers"
                            : "features must be numbers (only the label column may hold strings)");
      case Num::kNonFinite:
        fail_at(lineno, x.col, fmt::format("{} is NaN/Inf ('{}')", what, x.text),
                "remove or impute missing values");
      case Num::kOutOfRange:
        fail_at(lineno, x.col, fmt::format("{} is out of range: '{}'", what, x.text), "rescale the column");
    }
    if (std::fabs(v) > std::numeric_limits<float>::max()) {
      fail_at(lineno, x.col, fmt::format("{} is out of float32 range: '{}'", what, x.text), "rescale the column");
    }
    return static_cast<float>(v);
  }

  // A first data row whose label alone is a string, above rows whose labels
  // are all numbers, was a header with numeric-looking feature names
  // ("0,1,...,783,label"): drop it and take its fields as the names.
  void unheader_first_row() {
    if (regression_ || !header_.empty() || d_.rows < 2 || !first_label_text_ || later_label_text_) return;
    std::vector<Field> f;
    split(first_line_, f);
    take_header(f);
    d_.x.erase(d_.x.begin(), d_.x.begin() + static_cast<std::ptrdiff_t>(d_.features));
    const int32_t dropped = d_.labels.front();
    d_.labels.erase(d_.labels.begin());
    for (auto it = ids_.begin(); it != ids_.end(); ++it) {
      if (it->second == dropped) {
        ids_.erase(it);
        break;
      }
    }
    // Ids were given in order of first appearance; the header's was 0.
    for (auto& [text, id] : ids_) --id;
    for (int32_t& l : d_.labels) --l;
    --d_.rows;
  }

  // Classes 0..K-1 in sorted order of the distinct labels: by value when all
  // are integral numbers, else as strings.
  void finish_labels() {
    if (regression_) return;
    std::vector<std::pair<std::string, int32_t>> seen(ids_.begin(), ids_.end());
    bool all_integral = true;
    std::vector<long long> values(seen.size());
    for (size_t i = 0; i < seen.size(); ++i) all_integral = all_integral && integral(seen[i].first, values[i]);
    std::vector<int32_t> remap(seen.size());
    if (all_integral) {
      // Distinct spellings of one value ("1", "1.0") are one class.
      std::map<long long, int32_t> by_value;
      for (long long v : values) by_value.emplace(v, 0);
      int32_t k = 0;
      for (auto& [v, id] : by_value) {
        id = k++;
        d_.class_names.push_back(std::to_string(v));
      }
      for (size_t i = 0; i < seen.size(); ++i) remap[static_cast<size_t>(seen[i].second)] = by_value[values[i]];
    } else {
      // std::map iterates in string order.
      int32_t k = 0;
      for (const auto& [text, id] : seen) {
        remap[static_cast<size_t>(id)] = k++;
        d_.class_names.push_back(text);
      }
    }
    for (int32_t& l : d_.labels) l = remap[static_cast<size_t>(l)];
    d_.classes = d_.class_names.size();
  }

  std::string path_;
  std::string spec_;
  bool regression_;
  size_t ncols_ = 0;
  size_t label_ = 0;
  std::vector<std::string> header_;
  std::map<std::string, int32_t> ids_;  // label text -> id in order of first appearance
  Dataset d_;
  std::string first_line_;  // the first data row, in case it was a header
  bool first_label_text_ = false;
  bool later_label_text_ = false;
};

}  // namespace

Dataset read_csv(const std::string& path, const std::string& label_column, bool regression) {
  return CsvReader(path, label_column, regression).read();
}

}  // namespace actlab::data
