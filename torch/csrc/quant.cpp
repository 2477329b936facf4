// Dynamic int8 quantization of linear layers through libtorch's quantized engine (fbgemm/x86, oneDNN or
// QNNPACK). The engine's operators are called through the c10 dispatcher with boxed arguments, so the
// shim depends neither on the packed-parameters C++ class nor on an engine being compiled in: a libtorch
// without a usable engine answers with an error that the caller turns into a fallback.
#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <cfloat>
#include <mutex>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TS_X86 1
#endif

#include "internal.h"

using tsi::get;
using tsi::wrap;

namespace {

const char* engine_name(at::QEngine e) {
  switch (e) {
    case at::QEngine::FBGEMM: return "fbgemm";
    case at::QEngine::QNNPACK: return "qnnpack";
    case at::QEngine::ONEDNN: return "onednn";
    case at::QEngine::X86: return "x86";
    default: return "none";
  }
}

struct EngineChoice {
  at::QEngine engine;
  bool reduce_range;
};

#ifdef TS_X86
struct CPUFeatures {
  bool avx2 = false;
  bool vnni = false;  // AVX512-VNNI or AVX-VNNI: u8 x s8 products accumulate in int32 without saturating
};

CPUFeatures cpu_features() {
  CPUFeatures f;
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");  // also checks that the OS saves the AVX state
  unsigned a = 0, b = 0, c = 0, d = 0;
  bool avx512vnni = false, avxvnni = false;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) avx512vnni = (c >> 11) & 1;
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) avxvnni = (a >> 4) & 1;
  f.vnni = (avx512vnni && __builtin_cpu_supports("avx512f")) || (avxvnni && f.avx2);
  return f;
}
#endif

// choose_engine picks the engine for int8 linears, or throws saying why there is none. On x86 the int8
// kernels need AVX2 (QNNPACK, written for ARM, is slower there than the float32 path, so it is not used);
// without VNNI, 8-bit activations times 8-bit weights can saturate the 16-bit pair sums, so activations
// get 7 bits (PyTorch's reduce_range).
EngineChoice choose_engine() {
  const auto& sup = at::globalContext().supportedQEngines();
  auto has = [&](at::QEngine e) { return std::find(sup.begin(), sup.end(), e) != sup.end(); };
  std::string list;
  for (auto e : sup) list += std::string(list.empty() ? "" : ", ") + engine_name(e);
#ifdef TS_X86
  auto f = cpu_features();
  if (!f.avx2) throw std::runtime_error("int8: this CPU lacks AVX2, which the int8 kernels need");
  for (auto e : {at::QEngine::X86, at::QEngine::FBGEMM, at::QEngine::ONEDNN})
    if (has(e)) return {e, !f.vnni};
  throw std::runtime_error("int8: this libtorch has no x86 quantized engine (x86, fbgemm or onednn); it has: " + list);
#else
  for (auto e : {at::QEngine::QNNPACK, at::QEngine::ONEDNN})
    if (has(e)) return {e, false};
  throw std::runtime_error("int8: this libtorch has no quantized engine for this CPU (qnnpack or onednn); it has: " +
                           list);
#endif
}

// The engine is process-wide state in libtorch: it is set only around packing (the packed object then
// carries its own kernels) and restored after, under a lock.
std::mutex engine_mu;

// The operators, looked up once (a libtorch without quantized operators throws, and is asked again on the
// next call).
const c10::OperatorHandle& prepack_op() {
  static const c10::OperatorHandle h = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_prepack", "");
  return h;
}

const c10::OperatorHandle& linear_dynamic_op() {
  static const c10::OperatorHandle h = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_dynamic", "");
  return h;
}

// Symmetric int8 scale of PyTorch's default dynamic-quantization weight observer (MinMaxObserver,
// qint8, per_tensor_symmetric): max|w| / ((127 - -128) / 2), at least float32's epsilon, in float32.
float symmetric_scale(float amax) { return std::max(amax / 127.5f, FLT_EPSILON); }

}  // namespace

namespace tsi {

at::Tensor quantized_linear(const at::Tensor& x, const ts_tensor_s& q) {
  if (q.qlinear.isNone()) throw std::invalid_argument("quantized linear: the weight handle was not made by QuantizeLinear");
  const auto& w = q.t;
  if (!x.device().is_cpu()) throw std::invalid_argument("quantized linear: input must be on the CPU");
  if (x.dim() < 1 || x.size(-1) != w.size(1))
    throw std::invalid_argument("quantized linear: input shape " + c10::str(x.sizes()) + " does not match weight " +
                                c10::str(w.sizes()));
  auto sizes = x.sizes().vec();
  auto in = x.to(at::kFloat).reshape({-1, w.size(1)}).contiguous();
  std::vector<c10::IValue> stack{in, q.qlinear, q.reduce_range};
  linear_dynamic_op().callBoxed(&stack);
  sizes.back() = w.size(0);
  return stack.at(0).toTensor().view(sizes).to(x.scalar_type());
}

}  // namespace tsi

extern "C" {

ts_error ts_quantized_engine(const char** name, int* reduce_range) {
  TS_TRY
  TS_OUT(name);
  TS_OUT(reduce_range);
  auto c = choose_engine();
  *name = engine_name(c.engine);
  *reduce_range = c.reduce_range ? 1 : 0;
  TS_CATCH
}

ts_error ts_quantize_linear(ts_tensor w, ts_tensor b, int64_t blocks, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  at::NoGradGuard no_grad;
  const auto& wt = get(w, "weight");
  if (wt.dim() != 2) throw std::invalid_argument("quantize linear: weight must be 2-D, got " + c10::str(wt.sizes()));
  if (wt.scalar_type() != at::kFloat || !wt.device().is_cpu())
    throw std::invalid_argument("quantize linear: weight must be a float32 CPU tensor");
  const int64_t rows = wt.size(0);
  if (blocks < 1 || rows % blocks != 0)
    throw std::invalid_argument("quantize linear: " + std::to_string(rows) + " rows do not split into " +
                                std::to_string(blocks) + " blocks");
  c10::optional<at::Tensor> bias;
  if (b != nullptr) {
    const auto& bt = get(b, "bias");
    if (bt.dim() != 1 || bt.size(0) != rows || bt.scalar_type() != at::kFloat || !bt.device().is_cpu())
      throw std::invalid_argument("quantize linear: bias must be a float32 CPU vector of " + std::to_string(rows) +
                                  ", got " + c10::str(bt.sizes()));
    bias = bt.detach().contiguous();
  }
  auto choice = choose_engine();
  auto wf = wt.detach().contiguous();
  at::Tensor qw;
  if (blocks == 1) {
    float s = symmetric_scale(wf.abs().max().item<float>());
    qw = at::quantize_per_tensor(wf, s, 0, at::kQInt8);
  } else {
    // One symmetric scale per block of rows, stored per output channel.
    auto amax = wf.view({blocks, -1}).abs().amax({1});
    auto a = amax.accessor<float, 1>();
    std::vector<double> scales;
    scales.reserve(rows);
    for (int64_t i = 0; i < blocks; i++)
      for (int64_t r = 0; r < rows / blocks; r++) scales.push_back(symmetric_scale(a[i]));
    auto st = at::tensor(scales, at::TensorOptions().dtype(at::kDouble));
    auto zp = at::zeros({rows}, at::TensorOptions().dtype(at::kLong));
    qw = at::quantize_per_channel(wf, st, zp, 0, at::kQInt8);
  }
  std::vector<c10::IValue> stack{qw, bias.has_value() ? c10::IValue(*bias) : c10::IValue()};
  {
    std::lock_guard<std::mutex> lock(engine_mu);
    auto& ctx = at::globalContext();
    auto prev = ctx.qEngine();
    ctx.setQEngine(choice.engine);
    try {
      prepack_op().callBoxed(&stack);
    } catch (...) {
      ctx.setQEngine(prev);
      throw;
    }
    ctx.setQEngine(prev);
  }
  auto* h = new ts_tensor_s{qw};
  h->qlinear = std::move(stack.at(0));
  h->reduce_range = choice.reduce_range;
  tsi::live.fetch_add(1, std::memory_order_relaxed);
  *out = h;
  TS_CATCH
}

ts_error ts_quantized_linear(ts_tensor x, ts_tensor q, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& xt = get(x, "input");
  get(q, "quantized weight");
  *out = wrap(tsi::quantized_linear(xt, *q));
  TS_CATCH
}

ts_error ts_dequantize(ts_tensor q, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& t = get(q);
  if (!t.is_quantized()) throw std::invalid_argument("dequantize: tensor is not quantized");
  *out = wrap(t.dequantize());
  TS_CATCH
}

ts_error ts_is_quantized(ts_tensor x, int* out) {
  TS_TRY
  TS_OUT(out);
  *out = get(x).is_quantized() ? 1 : 0;
  TS_CATCH
}

}  // extern "C"
