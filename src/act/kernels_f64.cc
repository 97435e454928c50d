// The double kernels, compiled once per SIMD target (foreach_target) and chosen
// at run time (HWY_DYNAMIC_DISPATCH). One translation unit per dtype keeps the
// per-target compile parallel.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/act/kernels_f64.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "src/act/kernels-inl.h"

HWY_BEFORE_NAMESPACE();
namespace actlab::HWY_NAMESPACE {
void RunF64(const KernelCall<double>& call) { RunKernel(call); }
}  // namespace actlab::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace actlab {
HWY_EXPORT(RunF64);
namespace detail {
void RunKernelF64(const KernelCall<double>& call) { HWY_DYNAMIC_DISPATCH(RunF64)(call); }
}  // namespace detail
}  // namespace actlab
#endif
