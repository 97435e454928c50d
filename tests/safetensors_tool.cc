// Test helper for safetensors_python_test.py, which checks actlab's files
// against Python's own safetensors package:
//   safetensors_tool write PATH     writes a fixed set of tensors (every dtype,
//                                   scalars, empty tensors, special values) and
//                                   metadata, and prints them as JSON
//   safetensors_tool read PATH      prints a file's contents as JSON
//   safetensors_tool copy IN OUT    reads IN and writes its tensors and
//                                   metadata to OUT with actlab's writer
// JSON: {"metadata": {...}, "tensors": {NAME: {"dtype", "shape", "values"}}}
// with values flattened in C order; float values are given as their bit
// patterns (unsigned integers) so NaN payloads and -0.0 compare exactly.
// Errors: one line on stderr, exit 1 (usage: exit 2).
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actlab/safetensors.h"

namespace st = actlab::safetensors;
using nlohmann::ordered_json;

namespace {

template <class T, class Out = T>
ordered_json values(const std::byte* p, size_t n) {
  ordered_json a = ordered_json::array();
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    if constexpr (std::is_same_v<T, float>) a.push_back(std::bit_cast<uint32_t>(v));
    else if constexpr (std::is_same_v<T, double>) a.push_back(std::bit_cast<uint64_t>(v));
    else a.push_back(static_cast<Out>(v));
  }
  return a;
}

ordered_json describe(st::DType dtype, const std::vector<int64_t>& shape, const std::byte* p) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  ordered_json t;
  t["dtype"] = st::dtype_name(dtype);
  t["shape"] = shape;
  switch (dtype) {
    case st::DType::F32: t["values"] = values<float>(p, n); break;
    case st::DType::F64: t["values"] = values<double>(p, n); break;
    case st::DType::I32: t["values"] = values<int32_t>(p, n); break;
    case st::DType::I64: t["values"] = values<int64_t>(p, n); break;
    case st::DType::U8: t["values"] = values<uint8_t, unsigned>(p, n); break;
  }
  return t;
}

ordered_json describe(const st::File& f) {
  ordered_json out;
  out["metadata"] = f.metadata;
  out["tensors"] = ordered_json::object();
  for (const auto& [name, t] : f.tensors) out["tensors"][name] = describe(t.dtype, t.shape, t.bytes.data());
  return out;
}

int write_fixed(const std::string& path) {
  const float fnan = std::bit_cast<float>(uint32_t{0x7fc01234});
  static const std::vector<float> f32 = {0.0f, -0.0f, 1.5f, -2.25f, std::numeric_limits<float>::max(),
                                         std::numeric_limits<float>::denorm_min()};
  static const std::vector<float> f32_special = {std::numeric_limits<float>::infinity(),
                                                 -std::numeric_limits<float>::infinity(), fnan, 1.0f / 3.0f};
  static const std::vector<double> f64 = {3.141592653589793, -1e-300, std::numeric_limits<double>::denorm_min()};
  static const std::vector<int32_t> i32 = {std::numeric_limits<int32_t>::min(), -1, 0,
                                           std::numeric_limits<int32_t>::max()};
  static const std::vector<int64_t> i64 = {std::numeric_limits<int64_t>::min(), 42,
                                           std::numeric_limits<int64_t>::max()};
  static const std::vector<uint8_t> u8 = {0, 1, 127, 128, 255};
  static const double scalar_f64 = 2.5;
  static const uint8_t scalar_u8 = 7;
  static const int64_t scalar_i64 = -3;
  const std::vector<st::TensorRef> tensors = {
      {"layer.0.weight", st::DType::F32, {2, 3}, f32.data()},
      {"f32_special", st::DType::F32, {4}, f32_special.data()},
      {"f64", st::DType::F64, {3}, f64.data()},
      {"i32", st::DType::I32, {2, 2}, i32.data()},
      {"i64", st::DType::I64, {3, 1}, i64.data()},
      {"u8", st::DType::U8, {5}, u8.data()},
      {"scalar_f64", st::DType::F64, {}, &scalar_f64},
      {"scalar_u8", st::DType::U8, {}, &scalar_u8},
      {"scalar_i64", st::DType::I64, {}, &scalar_i64},
      {"empty_f32", st::DType::F32, {0}, nullptr},
      {"empty_i32", st::DType::I32, {2, 0}, nullptr},
  };
  const std::map<std::string, std::string> metadata = {
      {"format", "np"}, {"note", "unicode \xc3\xa9 \xe2\x9c\x93 \"quoted\" back\\slash\nnewline"}, {"empty", ""}};
  st::write(path, tensors, metadata);
  ordered_json out;
  out["metadata"] = metadata;
  out["tensors"] = ordered_json::object();
  for (const st::TensorRef& t : tensors) {
    out["tensors"][t.name] = describe(t.dtype, t.shape, static_cast<const std::byte*>(t.data));
  }
  std::puts(out.dump().c_str());
  return 0;
}

int copy(const std::string& in, const std::string& out) {
  st::File f = st::read(in);
  std::vector<st::TensorRef> refs;
  for (const auto& [name, t] : f.tensors) refs.push_back({name, t.dtype, t.shape, t.bytes.data()});
  st::write(out, refs, f.metadata);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "write" && argc == 3) return write_fixed(argv[2]);
    if (cmd == "read" && argc == 3) {
      std::puts(describe(st::read(argv[2])).dump().c_str());
      return 0;
    }
    if (cmd == "copy" && argc == 4) return copy(argv[2], argv[3]);
  } catch (const actlab::Error& e) {
    std::fprintf(stderr, "safetensors_tool: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: safetensors_tool write PATH | read PATH | copy IN OUT\n");
  return 2;
}
