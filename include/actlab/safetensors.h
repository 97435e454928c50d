// actlab/safetensors.h: reading and writing the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON {"NAME": {"dtype", "shape", "data_offsets"}, ...,
// "__metadata__": {string: string}}, then the tensor bytes.
//
// Written here (no C++ safetensors package in Debian 12) with nlohmann-json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "actlab/activation.h"  // actlab::Error

namespace actlab::safetensors {

enum class DType { F32, F64, I32, I64, U8 };
const char* dtype_name(DType d);  // "F32", "F64", "I32", "I64", "U8"
size_t dtype_size(DType d);

// A tensor to write: bytes are not copied.
struct TensorRef {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;  // product(shape) * dtype_size(dtype) bytes
};

// Writes atomically: PATH.tmp.PID, fsync, rename over PATH, fsync of the
// folder. A crash at any moment leaves either the old file or the new one.
// Tensors are laid out in the order given (the header lists them sorted, as
// the reference implementation does), each aligned to 8 bytes. Throws Error
// (with the path and errno text) when the file cannot be written; the
// temporary file is removed.
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

// Reads and validates everything: header length within the file, JSON syntax,
// known dtypes, non-negative shapes, offsets in order, inside the data,
// non-overlapping, covering it exactly, sizes that match shape x dtype,
// metadata values that are strings. Any violation -> Error "PATH: PROBLEM"
// ("not a safetensors file", "truncated: header says N bytes, file has M",
// ...). Never allocates more than the file's size.
File read(const std::string& path);

}  // namespace actlab::safetensors
