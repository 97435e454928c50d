// actlab/tensor.h: the training engine's one container, a row-major matrix of
// float or double in 64-byte aligned storage (a batch of rows of features).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace actlab {

template <class T>
class Tensor {
 public:
  Tensor() = default;
  Tensor(size_t rows, size_t cols) { resize(rows, cols); }
  Tensor(const Tensor& o) { *this = o; }
  Tensor(Tensor&& o) noexcept { swap(o); }
  Tensor& operator=(const Tensor& o) {
    if (this != &o) {
      resize(o.rows_, o.cols_);
      if (size()) std::memcpy(data_, o.data_, size() * sizeof(T));
    }
    return *this;
  }
  Tensor& operator=(Tensor&& o) noexcept {
    swap(o);
    return *this;
  }
  ~Tensor() { std::free(data_); }

  // Keeps the storage when it is large enough; new elements are zero only when
  // the storage grows (callers overwrite every element they use).
  void resize(size_t rows, size_t cols) {
    const size_t n = rows * cols;
    if (n > capacity_) {
      std::free(data_);
      const size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
      data_ = static_cast<T*>(std::aligned_alloc(64, bytes));
      if (!data_) throw std::bad_alloc();
      std::memset(data_, 0, bytes);
      capacity_ = n;
    }
    rows_ = rows;
    cols_ = cols;
  }
  void zero() {
    if (size()) std::memset(data_, 0, size() * sizeof(T));
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  T* row(size_t r) { return data_ + r * cols_; }
  const T* row(size_t r) const { return data_ + r * cols_; }
  T& operator()(size_t r, size_t c) { return data_[r * cols_ + c]; }
  T operator()(size_t r, size_t c) const { return data_[r * cols_ + c]; }
  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t size() const { return rows_ * cols_; }

  void swap(Tensor& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(rows_, o.rows_);
    std::swap(cols_, o.cols_);
    std::swap(capacity_, o.capacity_);
  }

 private:
  T* data_ = nullptr;
  size_t rows_ = 0, cols_ = 0, capacity_ = 0;
};

}  // namespace actlab
