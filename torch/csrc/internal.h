// Internal helpers shared by the shim's translation units. Not part of the C interface.
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <c10/util/Exception.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "torchshim.h"

namespace tsi {
struct PackedLinear;  // dnnl.cpp
}

struct ts_tensor_s {
  at::Tensor t;
  // A dynamically quantized linear (quant.cpp) also carries the quantized engine's packed weight and bias
  // (t is then the int8 weight) and whether its activations are quantized to 7 bits. None otherwise.
  c10::IValue qlinear;
  bool reduce_range = false;
  // A linear weight packed for oneDNN's matmul (ts_pack_linear; t is then the dense weight). Null otherwise.
  std::shared_ptr<tsi::PackedLinear> packed;
};

namespace tsi {

extern std::atomic<int64_t> live;

inline ts_error make_error(const char* msg) {
  size_t n = std::strlen(msg);
  char* out = static_cast<char*>(std::malloc(n + 1));
  if (out == nullptr) return nullptr;  // out of memory while reporting: nothing better to do
  std::memcpy(out, msg, n + 1);
  return out;
}

inline ts_tensor wrap(at::Tensor t) {
  auto* h = new ts_tensor_s{std::move(t)};
  live.fetch_add(1, std::memory_order_relaxed);
  return h;
}

// get returns the tensor behind a handle, or throws for a NULL or undefined one.
inline const at::Tensor& get(ts_tensor h, const char* what = "tensor") {
  if (h == nullptr) throw std::invalid_argument(std::string(what) + " is NULL (closed or never created)");
  if (!h->t.defined()) throw std::invalid_argument(std::string(what) + " is undefined");
  return h->t;
}

inline at::Device device_of(int d) {
  if (d < 0) return at::Device(at::kCPU);
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(d));
}

inline int device_code(const at::Device& d) {
  if (d.is_cpu()) return -1;
  if (d.is_cuda()) return d.has_index() ? d.index() : 0;
  return -2;
}

inline at::ScalarType dtype_of(int code) {
  switch (code) {
    case 0: return at::kByte;
    case 3: return at::kInt;
    case 4: return at::kLong;
    case 5: return at::kHalf;
    case 6: return at::kFloat;
    case 7: return at::kDouble;
    case 11: return at::kBool;
    case 15: return at::kBFloat16;
    default: throw std::invalid_argument("unsupported dtype code " + std::to_string(code));
  }
}

inline std::vector<int64_t> dims(const int64_t* p, int n) {
  if (n < 0) throw std::invalid_argument("negative number of dimensions");
  return std::vector<int64_t>(p, p + n);
}

// quantized_linear runs a handle made by ts_quantize_linear on a float32 input [..., in] (quant.cpp).
at::Tensor quantized_linear(const at::Tensor& x, const ts_tensor_s& q);

// activation applies an encoder activation by code: -1 none, 0 GELU, 1 GELU (tanh form), 2 ReLU (nn.cpp).
at::Tensor activation(const at::Tensor& x, int act);

// The direct oneDNN path for float32 CPU inference (dnnl.cpp). packed_linear computes act(x W^T + b) +
// residual for x [..., in], with act -1 (none), 0 (GELU), 1 (GELU, tanh form) or 2 (ReLU), and b and residual
// optional (undefined tensors); residual has the output's element count.
bool packed_linear_available();
std::shared_ptr<PackedLinear> pack_linear(const at::Tensor& w);
at::Tensor packed_linear(PackedLinear& p, const at::Tensor& x, const at::Tensor& b, int act, const at::Tensor& residual);
// direct_matmul computes a b (+ bias) for float32 CPU matrices a [M, K] and b [K, N] in any plain strided
// layout (transposed views are read in place) through oneDNN's matmul; bias [N] optional.
at::Tensor direct_matmul(const at::Tensor& a, const at::Tensor& b, const at::Tensor& bias);

}  // namespace tsi

// TS_TRY / TS_CATCH bracket every exported function body: every C++ exception becomes an error value.
#define TS_TRY try {
#define TS_CATCH                                                         \
  }                                                                      \
  catch (const c10::Error& e) {                                          \
    return tsi::make_error(e.what_without_backtrace());                  \
  }                                                                      \
  catch (const std::exception& e) {                                      \
    return tsi::make_error(e.what());                                    \
  }                                                                      \
  catch (...) {                                                          \
    return tsi::make_error("unknown C++ exception");                     \
  }                                                                      \
  return nullptr;

#define TS_OUT(ptr)                                                              \
  do {                                                                           \
    if ((ptr) == nullptr) throw std::invalid_argument("output pointer is NULL"); \
  } while (0)
