// Handles, copies, factories, process settings, grad modes, autograd, CUDA queries.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "internal.h"

#ifdef FEWSHOT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace tsi {
std::atomic<int64_t> live{0};
}

using tsi::get;
using tsi::wrap;

extern "C" {

void ts_free_error(ts_error err) { std::free(err); }

const char* ts_version(void) { return TORCH_VERSION; }

int ts_cuda_compiled(void) {
#ifdef FEWSHOT_WITH_CUDA
  return 1;
#else
  return 0;
#endif
}

int64_t ts_live_tensors(void) { return tsi::live.load(std::memory_order_relaxed); }

ts_error ts_manual_seed(uint64_t seed) {
  TS_TRY
  at::manual_seed(seed);
  TS_CATCH
}

ts_error ts_get_rng_state(ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  *out = wrap(gen.get_state());
  TS_CATCH
}

ts_error ts_set_rng_state(ts_tensor state) {
  TS_TRY
  const auto& s = get(state, "rng state");
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(s);
  TS_CATCH
}

ts_error ts_set_num_threads(int n) {
  TS_TRY
  if (n < 1) throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(n));
  at::set_num_threads(n);
  TS_CATCH
}

ts_error ts_get_num_threads(int* out) {
  TS_TRY
  TS_OUT(out);
  *out = at::get_num_threads();
  TS_CATCH
}

ts_error ts_set_num_interop_threads(int n) {
  TS_TRY
  if (n < 1) throw std::invalid_argument("inter-op thread count must be at least 1, got " + std::to_string(n));
  at::set_num_interop_threads(n);
  TS_CATCH
}

ts_error ts_mkldnn_available(int* out) {
  TS_TRY
  TS_OUT(out);
  *out = at::hasMKLDNN() ? 1 : 0;
  TS_CATCH
}

ts_error ts_cuda_is_available(int* out) {
  TS_TRY
  TS_OUT(out);
  *out = torch::cuda::is_available() ? 1 : 0;
  TS_CATCH
}

ts_error ts_cuda_device_count(int* out) {
  TS_TRY
  TS_OUT(out);
  *out = static_cast<int>(torch::cuda::device_count());
  TS_CATCH
}

ts_error ts_cuda_synchronize(int device) {
  TS_TRY
  if (!torch::cuda::is_available()) throw std::runtime_error("CUDA is not available");
  torch::cuda::synchronize(device);
  TS_CATCH
}

ts_error ts_cuda_memory_allocated(int device, int64_t* out) {
  TS_TRY
  TS_OUT(out);
#ifdef FEWSHOT_WITH_CUDA
  if (!torch::cuda::is_available()) throw std::runtime_error("CUDA is not available");
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
  *out = stats.allocated_bytes[0].current;
#else
  (void)device;
  throw std::runtime_error("this shim was built without CUDA");
#endif
  TS_CATCH
}

ts_error ts_cuda_empty_cache(void) {
  TS_TRY
#ifdef FEWSHOT_WITH_CUDA
  c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  TS_CATCH
}

ts_error ts_set_grad_enabled(int enabled, int* prev) {
  TS_TRY
  if (prev != nullptr) *prev = at::GradMode::is_enabled() ? 1 : 0;
  at::GradMode::set_enabled(enabled != 0);
  TS_CATCH
}

ts_error ts_is_grad_enabled(int* out) {
  TS_TRY
  TS_OUT(out);
  *out = at::GradMode::is_enabled() ? 1 : 0;
  TS_CATCH
}

ts_error ts_enter_inference_mode(void** guard) {
  TS_TRY
  TS_OUT(guard);
  *guard = new c10::InferenceMode(true);
  TS_CATCH
}

ts_error ts_exit_inference_mode(void* guard) {
  TS_TRY
  if (guard == nullptr) throw std::invalid_argument("inference-mode guard is NULL");
  delete static_cast<c10::InferenceMode*>(guard);
  TS_CATCH
}

ts_error ts_is_inference_mode(int* out) {
  TS_TRY
  TS_OUT(out);
  *out = c10::InferenceMode::is_enabled() ? 1 : 0;
  TS_CATCH
}

void ts_tensor_free(ts_tensor t) {
  if (t == nullptr) return;
  delete t;
  tsi::live.fetch_sub(1, std::memory_order_relaxed);
}

ts_error ts_from_data(const void* data, int64_t nbytes, const int64_t* shape, int ndim, int dtype, int device,
                      ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  auto sizes = tsi::dims(shape, ndim);
  for (auto d : sizes)
    if (d < 0) throw std::invalid_argument("negative dimension " + std::to_string(d));
  auto t = at::empty(sizes, at::TensorOptions().dtype(tsi::dtype_of(dtype)));
  int64_t want = static_cast<int64_t>(t.nbytes());
  if (want != nbytes)
    throw std::invalid_argument("data has " + std::to_string(nbytes) + " bytes, shape " + c10::str(t.sizes()) +
                                " of " + std::string(c10::toString(t.scalar_type())) + " needs " +
                                std::to_string(want));
  if (want > 0) {
    if (data == nullptr) throw std::invalid_argument("data pointer is NULL");
    std::memcpy(t.data_ptr(), data, static_cast<size_t>(want));
  }
  auto dev = tsi::device_of(device);
  if (!dev.is_cpu()) t = t.to(dev);
  *out = wrap(std::move(t));
  TS_CATCH
}

ts_error ts_to_data(ts_tensor h, void* dst, int64_t nbytes) {
  TS_TRY
  auto t = get(h).detach().to(at::kCPU).contiguous();
  int64_t have = static_cast<int64_t>(t.nbytes());
  if (have != nbytes)
    throw std::invalid_argument("tensor " + c10::str(t.sizes()) + " of " +
                                std::string(c10::toString(t.scalar_type())) + " has " + std::to_string(have) +
                                " bytes, destination has " + std::to_string(nbytes));
  if (have > 0) std::memcpy(dst, t.data_ptr(), static_cast<size_t>(have));
  TS_CATCH
}

ts_error ts_shape(ts_tensor h, int64_t* out, int maxdims, int* ndim) {
  TS_TRY
  TS_OUT(ndim);
  const auto& t = get(h);
  *ndim = static_cast<int>(t.dim());
  if (t.dim() > maxdims) throw std::invalid_argument("tensor has more dimensions than the buffer holds");
  for (int64_t i = 0; i < t.dim(); i++) out[i] = t.size(i);
  TS_CATCH
}

ts_error ts_dtype(ts_tensor h, int* out) {
  TS_TRY
  TS_OUT(out);
  *out = static_cast<int>(get(h).scalar_type());
  TS_CATCH
}

ts_error ts_device(ts_tensor h, int* out) {
  TS_TRY
  TS_OUT(out);
  *out = tsi::device_code(get(h).device());
  TS_CATCH
}

ts_error ts_numel(ts_tensor h, int64_t* out) {
  TS_TRY
  TS_OUT(out);
  *out = get(h).numel();
  TS_CATCH
}

ts_error ts_item(ts_tensor h, double* out) {
  TS_TRY
  TS_OUT(out);
  const auto& t = get(h);
  if (t.numel() != 1)
    throw std::invalid_argument("item() needs a tensor with one element, got shape " + c10::str(t.sizes()));
  *out = t.item<double>();
  TS_CATCH
}

ts_error ts_shallow_clone(ts_tensor h, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(h));
  TS_CATCH
}

ts_error ts_fill(int kind, const int64_t* shape, int ndim, int dtype, int device, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  auto opts = at::TensorOptions().dtype(tsi::dtype_of(dtype)).device(tsi::device_of(device));
  auto sizes = tsi::dims(shape, ndim);
  switch (kind) {
    case TS_FILL_ZEROS: *out = wrap(at::zeros(sizes, opts)); break;
    case TS_FILL_ONES: *out = wrap(at::ones(sizes, opts)); break;
    case TS_FILL_RANDN: *out = wrap(at::randn(sizes, opts)); break;
    case TS_FILL_RAND: *out = wrap(at::rand(sizes, opts)); break;
    default: throw std::invalid_argument("unknown fill kind " + std::to_string(kind));
  }
  TS_CATCH
}

ts_error ts_full(const int64_t* shape, int ndim, double value, int dtype, int device, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  auto opts = at::TensorOptions().dtype(tsi::dtype_of(dtype)).device(tsi::device_of(device));
  *out = wrap(at::full(tsi::dims(shape, ndim), value, opts));
  TS_CATCH
}

ts_error ts_arange(int64_t start, int64_t end, int dtype, int device, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  auto opts = at::TensorOptions().dtype(tsi::dtype_of(dtype)).device(tsi::device_of(device));
  *out = wrap(at::arange(start, end, opts));
  TS_CATCH
}

ts_error ts_set_requires_grad(ts_tensor h, int requires) {
  TS_TRY
  get(h).set_requires_grad(requires != 0);
  TS_CATCH
}

ts_error ts_requires_grad(ts_tensor h, int* out) {
  TS_TRY
  TS_OUT(out);
  *out = get(h).requires_grad() ? 1 : 0;
  TS_CATCH
}

ts_error ts_backward(ts_tensor h) {
  TS_TRY
  const auto& t = get(h);
  if (!t.requires_grad())
    throw std::invalid_argument("backward: tensor does not require grad (no parameter it depends on requires grad)");
  if (t.numel() != 1) throw std::invalid_argument("backward: needs a scalar loss, got shape " + c10::str(t.sizes()));
  t.backward();
  TS_CATCH
}

ts_error ts_grad(ts_tensor h, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& g = get(h).grad();
  *out = g.defined() ? wrap(g) : nullptr;
  TS_CATCH
}

ts_error ts_zero_grad(ts_tensor h) {
  TS_TRY
  auto& g = get(h).mutable_grad();
  g = at::Tensor();
  TS_CATCH
}

ts_error ts_detach(ts_tensor h, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(h).detach());
  TS_CATCH
}

ts_error ts_copy_(ts_tensor dst, ts_tensor src) {
  TS_TRY
  at::NoGradGuard guard;
  auto& d = const_cast<at::Tensor&>(get(dst, "destination"));
  const auto& s = get(src, "source");
  if (d.sizes() != s.sizes())
    throw std::invalid_argument("copy: destination shape " + c10::str(d.sizes()) + " differs from source " +
                                c10::str(s.sizes()));
  d.copy_(s);
  TS_CATCH
}

}  // extern "C"
