// Linear layers for float32 CPU inference called straight through oneDNN's matmul primitive.
//
// libtorch 1.13's mkldnn_linear (the ToMKLDNN path) wraps each call in copies: its input is converted to an
// oneDNN tensor and its output back, and a weight stored in oneDNN's plain layout is reordered into the
// kernel's blocked layout on every call (ideep's "reorder if differ"). On the shapes of a sentence encoder
// (rows = batch x sequence, 384-1536 columns) that held the product to 158-229 GFLOP/s on a 2-core AVX-512
// machine; the same product on oneDNN memory wrapped around the tensors' own buffers, with the weight
// reordered once at pack time, runs at 308 (scripts/bench_torch.sh). The primitive also
// applies the layer's activation (GELU or ReLU) and residual addition as post-ops while the output tile is
// still in cache, which removes two passes over the activations.
//
// Compiled with oneDNN's C++ API for the same libdnnl that libtorch links (Debian's libtorch does; the pip
// wheels carry their own private copy, and there the path is absent: ts_packed_linear_available says 0 and
// ts_pack_linear fails, so callers keep the ToMKLDNN path). The Go build (torch/csrc as a cgo package, for
// the system libtorch) turns it on where oneDNN's headers are installed, unless FEWSHOT_NO_DNNL is defined
// (the fewshot_nodnnl tag); CMake decides for other libtorch builds and defines one of the two macros.
#if !defined(FEWSHOT_WITH_DNNL) && !defined(FEWSHOT_NO_DNNL) && __has_include(<oneapi/dnnl/dnnl.hpp>)
#define FEWSHOT_WITH_DNNL 1
#endif

#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "internal.h"

#ifdef FEWSHOT_WITH_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace tsi {

#ifdef FEWSHOT_WITH_DNNL

namespace {
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// The row count at which the weight's blocked layout is chosen. oneDNN's brgemm matmul picks the same
// layout for every row count on AVX-512 (checked for 1 to 4096 rows); a primitive that wants another one
// for some row count is never built (see make_entry), and that call falls back to at::linear.
constexpr int64_t kLayoutRows = 512;
// Primitives kept per packed weight, one per (row count, post-ops) pair, most recently used first. A
// length-sorted encoder run sees one row count per distinct batch shape, and a streamed input repeats
// them chunk after chunk; the cap covers every sequence length up to 512 at one batch size (so a cycle
// of them never evicts itself) and bounds the memory (the JIT code itself is shared in oneDNN's cache).
constexpr size_t kCacheEntries = 640;

// cpu_engine is the one oneDNN CPU engine every primitive and memory here uses (an immutable handle).
const dnnl::engine& cpu_engine() {
  static const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

// execute runs a primitive on args, with a scratchpad of its own (the primitives use user scratchpads, so
// concurrent calls never share one), and waits for it.
void execute(const dnnl::primitive& prim, const dnnl::memory::desc& scratch_md,
             std::unordered_map<int, dnnl::memory> args) {
  auto scratch = at::empty({static_cast<int64_t>(scratch_md.get_size())}, at::kByte);
  if (scratch.numel() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(scratch_md, cpu_engine(), scratch.data_ptr()));
  dnnl::stream s(cpu_engine());
  prim.execute(s, args);
  s.wait();
}

dnnl::algorithm eltwise_of(int act) {
  switch (act) {
    case 0: return dnnl::algorithm::eltwise_gelu_erf;
    case 1: return dnnl::algorithm::eltwise_gelu_tanh;
    case 2: return dnnl::algorithm::eltwise_relu;
    default: throw std::invalid_argument("packed linear: unknown activation code " + std::to_string(act));
  }
}
}  // namespace

struct PackedLinear {
  struct Entry {
    int64_t rows;
    int act;
    bool residual, bias;
    bool usable;  // false: oneDNN would not run this shape on the packed layout; use at::linear
    dnnl::matmul prim;
    dnnl::memory::desc scratch;
  };

  at::Tensor dense;  // the weight [out, in] as given (shares the caller's storage; used by the fallback)
  int64_t out = 0, in = 0;
  dnnl::memory::desc wdesc;
  at::Tensor blocked;  // the weight in wdesc's layout
  std::mutex mu;
  std::list<Entry> cache;

  Entry make_entry(int64_t rows, int act, bool residual, bool bias) {
    Entry e{rows, act, residual, bias, false, dnnl::matmul(), dnnl::memory::desc()};
    dnnl::memory::desc src({rows, in}, dt::f32, tag::ab), dst({rows, out}, dt::f32, tag::ab);
    dnnl::memory::desc bmd = bias ? dnnl::memory::desc({1, out}, dt::f32, tag::ab) : dnnl::memory::desc();
    dnnl::post_ops po;
    if (act >= 0) po.append_eltwise(1.f, eltwise_of(act), 0.f, 0.f);
    if (residual) po.append_binary(dnnl::algorithm::binary_add, dst);
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // per call, so concurrent calls never share it
    try {
      auto pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wdesc, bmd, dst), attr, cpu_engine());
      e.prim = dnnl::matmul(pd);
      e.scratch = pd.scratchpad_desc();
      e.usable = true;
    } catch (const dnnl::error&) {
      // No implementation for this shape on the packed layout: leave usable false.
    }
    return e;
  }

  // entry returns the cached primitive for this call's shape and post-ops, building it on first use.
  Entry entry(int64_t rows, int act, bool residual, bool bias) {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = cache.begin(); it != cache.end(); ++it) {
      if (it->rows == rows && it->act == act && it->residual == residual && it->bias == bias) {
        cache.splice(cache.begin(), cache, it);
        return cache.front();
      }
    }
    cache.push_front(make_entry(rows, act, residual, bias));
    if (cache.size() > kCacheEntries) cache.pop_back();
    return cache.front();
  }
};

bool packed_linear_available() { return true; }

std::shared_ptr<PackedLinear> pack_linear(const at::Tensor& w) {
  if (w.dim() != 2) throw std::invalid_argument("pack linear: weight must be 2-D, got shape " + c10::str(w.sizes()));
  if (w.scalar_type() != at::kFloat || !w.device().is_cpu())
    throw std::invalid_argument("pack linear: weight must be a float32 CPU tensor");
  if (w.is_mkldnn() || w.is_quantized() || w.is_sparse())
    throw std::invalid_argument("pack linear: weight must be a dense tensor");
  auto p = std::make_shared<PackedLinear>();
  p->dense = w.detach();
  p->out = w.size(0);
  p->in = w.size(1);
  const auto& eng = cpu_engine();
  // The matmul computes src [rows, in] x weights [in, out]; the weight [out, in] row-major is [in, out]
  // in layout "ba". Let the primitive choose the blocked layout, then reorder into it once.
  dnnl::memory::desc any({p->in, p->out}, dt::f32, tag::any);
  auto pd = dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(dnnl::memory::desc({kLayoutRows, p->in}, dt::f32, tag::ab), any,
                         dnnl::memory::desc({kLayoutRows, p->out}, dt::f32, tag::ab)),
      eng);
  p->wdesc = pd.weights_desc();
  p->blocked = at::empty({static_cast<int64_t>(p->wdesc.get_size())}, at::kByte);
  auto wc = p->dense.contiguous();
  dnnl::memory user({{p->in, p->out}, dt::f32, tag::ba}, eng, wc.data_ptr<float>());
  dnnl::memory packed(p->wdesc, eng, p->blocked.data_ptr());
  dnnl::stream s(eng);
  dnnl::reorder(user, packed).execute(s, user, packed);
  s.wait();
  return p;
}

at::Tensor packed_linear(PackedLinear& p, const at::Tensor& x, const at::Tensor& b, int act,
                         const at::Tensor& residual) {
  if (x.scalar_type() != at::kFloat || !x.device().is_cpu())
    throw std::invalid_argument("packed linear: input must be a float32 CPU tensor");
  if (x.dim() < 1 || x.size(-1) != p.in)
    throw std::invalid_argument("packed linear: input shape " + c10::str(x.sizes()) + " does not match weight [" +
                                std::to_string(p.out) + ", " + std::to_string(p.in) + "]");
  auto sizes = x.sizes().vec();
  sizes.back() = p.out;
  const int64_t rows = x.numel() / p.in;
  if (b.defined() && (b.dim() != 1 || b.size(0) != p.out || b.scalar_type() != at::kFloat || !b.device().is_cpu()))
    throw std::invalid_argument("packed linear: bias must be float32 [" + std::to_string(p.out) + "], got " +
                                c10::str(b.sizes()));
  if (residual.defined() && (residual.numel() != rows * p.out || residual.scalar_type() != at::kFloat ||
                             !residual.device().is_cpu()))
    throw std::invalid_argument("packed linear: residual shape " + c10::str(residual.sizes()) +
                                " does not match the output " + c10::str(sizes));
  if (act < -1 || act > 2) throw std::invalid_argument("packed linear: unknown activation code " + std::to_string(act));
  if (rows == 0) return at::empty(sizes, x.options());

  auto e = p.entry(rows, act, residual.defined(), b.defined());
  if (!e.usable) {
    auto y = activation(at::linear(x, p.dense, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt), act);
    return residual.defined() ? y + residual.reshape(sizes) : y;
  }
  const auto& eng = cpu_engine();
  auto xc = x.reshape({rows, p.in}).contiguous();
  auto y = at::empty({rows, p.out}, x.options());
  at::Tensor bc, rc;
  dnnl::memory::desc dst({rows, p.out}, dt::f32, tag::ab);
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, dnnl::memory({{rows, p.in}, dt::f32, tag::ab}, eng, xc.data_ptr<float>())},
      {DNNL_ARG_WEIGHTS, dnnl::memory(p.wdesc, eng, p.blocked.data_ptr())},
      {DNNL_ARG_DST, dnnl::memory(dst, eng, y.data_ptr<float>())}};
  if (b.defined()) {
    bc = b.contiguous();
    args.emplace(DNNL_ARG_BIAS, dnnl::memory({{1, p.out}, dt::f32, tag::ab}, eng, bc.data_ptr<float>()));
  }
  if (residual.defined()) {
    rc = residual.reshape({rows, p.out}).contiguous();
    const int index = act >= 0 ? 1 : 0;  // the binary post-op's place in the chain
    args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1, dnnl::memory(dst, eng, rc.data_ptr<float>()));
  }
  execute(e.prim, e.scratch, std::move(args));
  return y.view(sizes);
}

at::Tensor direct_matmul(const at::Tensor& a, const at::Tensor& b, const at::Tensor& bias) {
  if (a.dim() != 2 || b.dim() != 2 || a.size(1) != b.size(0))
    throw std::invalid_argument("matmul: shapes " + c10::str(a.sizes()) + " and " + c10::str(b.sizes()) + " do not chain");
  if (a.scalar_type() != at::kFloat || b.scalar_type() != at::kFloat || !a.device().is_cpu() || !b.device().is_cpu())
    throw std::invalid_argument("matmul: operands must be float32 CPU tensors");
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  if (M == 0 || N == 0 || K == 0) {
    auto y = at::zeros({M, N}, a.options());
    return bias.defined() ? y + bias : y;
  }
  // oneDNN reads any plain strided layout (a transposed view included) in place; a broadcast (stride 0)
  // or otherwise odd operand is made contiguous first.
  auto plain = [](const at::Tensor& t) {
    return t.stride(0) > 0 && t.stride(1) > 0 && (t.stride(0) == 1 || t.stride(1) == 1) ? t : t.contiguous();
  };
  auto ac = plain(a), bc = plain(b);
  const auto& eng = cpu_engine();
  dnnl::memory::desc ad({M, K}, dt::f32, dnnl::memory::dims{ac.stride(0), ac.stride(1)});
  dnnl::memory::desc bd({K, N}, dt::f32, dnnl::memory::dims{bc.stride(0), bc.stride(1)});
  dnnl::memory::desc yd({M, N}, dt::f32, tag::ab);
  dnnl::memory::desc biasd = bias.defined() ? dnnl::memory::desc({1, N}, dt::f32, tag::ab) : dnnl::memory::desc();
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  // oneDNN keeps built primitives in its own cache, so building the descriptor per call costs microseconds.
  auto pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(ad, bd, biasd, yd), attr, eng);
  auto y = at::empty({M, N}, a.options());
  at::Tensor biasc;
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, dnnl::memory(ad, eng, ac.data_ptr<float>())},
                                             {DNNL_ARG_WEIGHTS, dnnl::memory(bd, eng, bc.data_ptr<float>())},
                                             {DNNL_ARG_DST, dnnl::memory(yd, eng, y.data_ptr<float>())}};
  if (bias.defined()) {
    biasc = bias.contiguous();
    args.emplace(DNNL_ARG_BIAS, dnnl::memory(biasd, eng, biasc.data_ptr<float>()));
  }
  execute(dnnl::matmul(pd), pd.scratchpad_desc(), std::move(args));
  return y;
}

#else  // !FEWSHOT_WITH_DNNL

struct PackedLinear {};

bool packed_linear_available() { return false; }

std::shared_ptr<PackedLinear> pack_linear(const at::Tensor&) {
  throw std::runtime_error(
      "pack linear: this build of the shim has no direct oneDNN path (built without oneDNN's headers, or "
      "against a libtorch that carries a private oneDNN)");
}

at::Tensor packed_linear(PackedLinear&, const at::Tensor&, const at::Tensor&, int, const at::Tensor&) {
  throw std::runtime_error("packed linear: this build of the shim has no direct oneDNN path");
}

at::Tensor direct_matmul(const at::Tensor&, const at::Tensor&, const at::Tensor&) {
  throw std::runtime_error("matmul: this build of the shim has no direct oneDNN path");
}

#endif

}  // namespace tsi

extern "C" {

ts_error ts_packed_linear_available(int* out) {
  TS_TRY
  TS_OUT(out);
  *out = tsi::packed_linear_available() ? 1 : 0;
  TS_CATCH
}

ts_error ts_pack_linear(ts_tensor w, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& wt = tsi::get(w, "weight");
  auto packed = tsi::pack_linear(wt);
  auto* h = tsi::wrap(wt.detach());
  h->packed = std::move(packed);
  *out = h;
  TS_CATCH
}

ts_error ts_is_packed_linear(ts_tensor w, int* out) {
  TS_TRY
  TS_OUT(out);
  tsi::get(w, "weight");
  *out = w->packed ? 1 : 0;
  TS_CATCH
}

}  // extern "C"
