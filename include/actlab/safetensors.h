// actlab/safetensors.h: reading and writing the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON {"__metadata__": {string: string}, "NAME":
// {"dtype", "shape", "data_offsets": [BEGIN, END)}, ...}, then the tensor
// bytes, C order, little-endian. Offsets count from the first byte after the
// header; the tensors tile that region exactly, with no gaps and nothing
// after the last one (the reference reader rejects anything else).
//
// Written here (no C++ safetensors package in Debian 12) with nlohmann-json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "actlab/activation.h"  // actlab::Error

namespace actlab::safetensors {

enum class DType { F32, F64, I32, I64, U8 };
const char* dtype_name(DType d);  // "F32", "F64", "I32", "I64", "U8"
size_t dtype_size(DType d);

// The DType that stores T: dtype_of<float>() == DType::F32.
template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::F32;
  else if constexpr (std::is_same_v<T, double>) return DType::F64;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::I32;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::I64;
  else if constexpr (std::is_same_v<T, uint8_t>) return DType::U8;
  else static_assert(sizeof(T) == 0, "safetensors stores float, double, int32_t, int64_t, uint8_t");
}

// A tensor to write: bytes are not copied.
struct TensorRef {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;  // [] is a scalar (1 element); a 0 makes it empty
  const void* data;            // product(shape) * dtype_size(dtype) bytes; may be null when that is 0
};

// Writes atomically: PATH.tmp.PID, fsync, rename over PATH, fsync of the
// folder. A crash at any moment leaves either the old file or the new one.
// The layout is the reference implementation's, byte for byte: the JSON
// header ("__metadata__" first, omitted when empty, then the tensors in file
// order) padded with spaces to a multiple of 8, and the tensors ordered by
// element size, largest first (I64, F64, F32, I32, U8), then by name, with no
// padding between them, so each starts at a multiple of its element size.
// Throws Error (with the path and errno text) when the file cannot be
// written, and for bad input (duplicate names, a tensor named
// "__metadata__", negative dimensions, null data); the temporary file is
// removed. Two threads of one process must not write the same PATH at once.
void write(const std::string& path, std::span<const TensorRef> tensors,
           const std::map<std::string, std::string>& metadata);

struct Tensor {
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;
  size_t elements() const;
};

struct File {
  std::map<std::string, std::string> metadata;
  std::map<std::string, Tensor> tensors;

  // The tensor NAME as values of type T (float, double, int32_t, int64_t,
  // uint8_t; the stored dtype must match exactly). If `shape` is non-empty it
  // must equal the stored shape. Errors name the file, the tensor and what
  // differs.
  template <class T>
  std::vector<T> get(const std::string& name, const std::vector<int64_t>& shape = {}) const;
  bool has(const std::string& name) const { return tensors.count(name) != 0; }
  std::string path;
};

extern template std::vector<float> File::get<float>(const std::string&, const std::vector<int64_t>&) const;
extern template std::vector<double> File::get<double>(const std::string&, const std::vector<int64_t>&) const;
extern template std::vector<int32_t> File::get<int32_t>(const std::string&, const std::vector<int64_t>&) const;
extern template std::vector<int64_t> File::get<int64_t>(const std::string&, const std::vector<int64_t>&) const;
extern template std::vector<uint8_t> File::get<uint8_t>(const std::string&, const std::vector<int64_t>&) const;

// Reads and validates everything: header length within the file (and within
// the reference's 100 MB limit), JSON syntax (UTF-8, no duplicate keys),
// known dtypes, non-negative integer shapes, offsets in order, inside the
// data, non-overlapping, covering it exactly, sizes that match shape x dtype,
// a "__metadata__" object whose values are strings. Unknown keys inside a
// tensor's entry are ignored, as the reference reader does. Any violation ->
// Error "PATH: PROBLEM" ("not a safetensors file", "truncated: header says N
// bytes of tensor data, file holds M; ...", ...). Never allocates more than
// the file's size (plus the parsed header).
File read(const std::string& path);

}  // namespace actlab::safetensors
