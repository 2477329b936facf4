// Neural-network ops, the fused encoder layer, losses and optimizer steps.
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <vector>

#include "internal.h"

using tsi::get;
using tsi::wrap;

at::Tensor tsi::activation(const at::Tensor& x, int act) {
  switch (act) {
    case -1: return x;
    case 0: return at::gelu(x, "none");
    case 1: return at::gelu(x, "tanh");
    case 2: return at::relu(x);
    default: throw std::invalid_argument("unknown activation code " + std::to_string(act));
  }
}

namespace {

// packed_applies says whether a linear on weight handle wh and input x takes the direct oneDNN path: a
// weight packed by ts_pack_linear, a float32 CPU input, and no autograd (the path records no graph).
bool packed_applies(ts_tensor wh, const at::Tensor& x) {
  return wh->packed && !at::GradMode::is_enabled() && x.scalar_type() == at::kFloat && x.device().is_cpu();
}

void check_2d_weight(const at::Tensor& w, int64_t rows, int64_t cols, const char* name) {
  if (w.dim() != 2 || w.size(0) != rows || w.size(1) != cols)
    throw std::invalid_argument(std::string("encoder layer: ") + name + " has shape " + c10::str(w.sizes()) +
                                ", expected [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
}

// Self-attention for CPU inference in float32 on the packed paths, in place of the batched matrix
// products of the general path: libtorch 1.13's CPU bmm multiplies each (sequence, head) pair with its own
// BLAS call after copying q, k and v to contiguous blocks, and for sentence-length sequences (S ~ 10-60,
// head size 32-64) the calls' overhead took 29% of a MiniLM-shaped layer. Here each (sequence, head) pair
// is one task of a parallel loop over plain loops the compiler vectorises, reading q, k and v in place from
// the fused projection and writing the context straight into [B, S, H]. The arithmetic is the general
// path's (scores times 1/sqrt(D) plus the mask, libtorch's softmax, probabilities times values); only the
// order of the sums differs, so results agree to float rounding.
//
// The kernels' loops are compiled for AVX-512 and AVX2 (with FMA) beside the baseline, and the loader picks
// the best one the CPU has (GCC's function multi-versioning); without it they would run 4 lanes wide.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define TS_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TS_VECTOR_CLONES
#endif

// scores_head fills one (sequence, head) block of scores: row[i][j] = (q_i . k_j) * sc + mask[j], with q_i
// and k_j read in place (stride H3 floats between tokens) and kt scratch for the keys transposed.
TS_VECTOR_CLONES
void scores_head(const float* __restrict q, const float* __restrict k, const float* __restrict mrow,
                 float* __restrict out, float* __restrict kt, int64_t S, int64_t D, int64_t H3, float sc) {
  for (int64_t j = 0; j < S; j++)
    for (int64_t d = 0; d < D; d++) kt[d * S + j] = k[j * H3 + d];
  for (int64_t i = 0; i < S; i++) {
    float* __restrict row = out + i * S;
    const float* qi = q + i * H3;
    for (int64_t j = 0; j < S; j++) row[j] = 0;
    for (int64_t d = 0; d < D; d++) {
      const float qd = qi[d];
      const float* __restrict kd = kt + d * S;
      for (int64_t j = 0; j < S; j++) row[j] += qd * kd[j];
    }
    for (int64_t j = 0; j < S; j++) row[j] = row[j] * sc + mrow[j];
  }
}

// context_head fills one (sequence, head) block of the context: o_i = sum_j probs[i][j] v_j, with v_j read
// in place (stride H3) and o_i written in place (stride H).
TS_VECTOR_CLONES
void context_head(const float* __restrict v, const float* __restrict probs, float* __restrict o, int64_t S,
                  int64_t D, int64_t H3, int64_t H) {
  for (int64_t i = 0; i < S; i++) {
    float* __restrict oi = o + i * H;
    const float* prow = probs + i * S;
    for (int64_t d = 0; d < D; d++) oi[d] = 0;
    for (int64_t j = 0; j < S; j++) {
      const float pij = prow[j];
      const float* __restrict vj = v + j * H3;
      for (int64_t d = 0; d < D; d++) oi[d] += pij * vj[d];
    }
  }
}

// qkv: [B, S, 3H] contiguous float32; mask: [B, S] contiguous float32 (the additive mask).
at::Tensor attention_scores_f32(const at::Tensor& qkv, const at::Tensor& mask, int64_t heads, double scale) {
  const int64_t B = qkv.size(0), S = qkv.size(1), H3 = qkv.size(2), H = H3 / 3, D = H / heads;
  auto scores = at::empty({B, heads, S, S}, qkv.options());
  const float* qp = qkv.data_ptr<float>();
  const float* mp = mask.data_ptr<float>();
  float* sp = scores.data_ptr<float>();
  const float sc = static_cast<float>(scale);
  at::parallel_for(0, B * heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> kt(static_cast<size_t>(D * S));  // this head's keys, transposed: kt[d][j]
    for (int64_t bh = begin; bh < end; bh++) {
      const int64_t b = bh / heads, h = bh % heads;
      const float* base = qp + b * S * H3;
      scores_head(base + h * D, base + H + h * D, mp + b * S, sp + bh * S * S, kt.data(), S, D, H3, sc);
    }
  });
  return scores;
}

// attention_context_f32: ctx[b, i, h*D + d] = sum_j probs[b, h, i, j] * v[b, j, h*D + d], as [B, S, H].
at::Tensor attention_context_f32(const at::Tensor& qkv, const at::Tensor& probs, int64_t heads) {
  const int64_t B = qkv.size(0), S = qkv.size(1), H3 = qkv.size(2), H = H3 / 3, D = H / heads;
  auto ctx = at::empty({B, S, H}, qkv.options());
  const float* qp = qkv.data_ptr<float>();
  const float* pp = probs.data_ptr<float>();
  float* cp = ctx.data_ptr<float>();
  at::parallel_for(0, B * heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; bh++) {
      const int64_t b = bh / heads, h = bh % heads;
      context_head(qp + b * S * H3 + 2 * H + h * D, pp + bh * S * S, cp + b * S * H + h * D, S, D, H3, H);
    }
  });
  return ctx;
}

// a [N, K] times w [M, K] transposed, plus b: through oneDNN's matmul on the operands in place where the
// shim has the direct path (dnnl.cpp; 1.3-2.9x faster on the encoder's training products), else through
// libtorch's oneDNN inner product on plain-layout copies.
at::Tensor onednn_mm_t(const at::Tensor& a, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
  if (tsi::packed_linear_available()) return tsi::direct_matmul(a, w.t(), b.has_value() ? *b : at::Tensor());
  return at::mkldnn_linear(a.contiguous().to_mkldnn(), w.contiguous().to_mkldnn(), b).to_dense();
}

// OneDNNLinear is a linear layer whose three matrix products run through oneDNN. On the CPUs this project
// targets, libtorch 1.13's BLAS path (OpenBLAS from Debian) reaches about 30 GFLOP/s on the shapes of a
// sentence encoder, oneDNN 100-200 (scripts/bench_torch.sh), so training spends most of its time here.
// Inputs of any rank are flattened to [N, K]; the gradient products are dx = dy w (w transposed as the
// "weight" of an inner product) and dw = dy^T x.
struct OneDNNLinear : public torch::autograd::Function<OneDNNLinear> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            const at::Tensor& b) {
    auto sizes = x.sizes().vec();
    auto x2 = x.reshape({-1, sizes.back()});
    ctx->save_for_backward({x2, w});
    ctx->saved_data["has_bias"] = b.defined();
    ctx->saved_data["sizes"] = c10::IValue(sizes);
    c10::optional<at::Tensor> bias;
    if (b.defined()) bias = b;
    sizes.back() = w.size(0);
    return onednn_mm_t(x2, w, bias).view(sizes);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& x2 = saved[0];
    const auto& w = saved[1];
    auto sizes = ctx->saved_data["sizes"].toIntVector();
    auto gy = grads[0].reshape({-1, w.size(0)});
    at::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) gx = onednn_mm_t(gy, w.t(), c10::nullopt).view(sizes);
    if (ctx->needs_input_grad(1)) gw = onednn_mm_t(gy.t(), x2.t(), c10::nullopt);
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) gb = gy.sum(0);
    return {gx, gw, gb};
  }
};

// check_linear throws unless w is [out, in], x is [..., in] and b (when defined) is [out].
void check_linear(const char* op, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (w.dim() != 2) throw std::invalid_argument(std::string(op) + ": weight must be 2-D, got shape " + c10::str(w.sizes()));
  if (x.dim() < 1 || x.size(-1) != w.size(1))
    throw std::invalid_argument(std::string(op) + ": input shape " + c10::str(x.sizes()) + " does not match weight " +
                                c10::str(w.sizes()));
  if (b.defined() && (b.dim() != 1 || b.size(0) != w.size(0)))
    throw std::invalid_argument(std::string(op) + ": bias shape " + c10::str(b.sizes()) + " does not match weight " +
                                c10::str(w.sizes()));
}

// The operands of a linear layer (b undefined for a null handle), shape-checked.
struct LinearOperands {
  at::Tensor x, w, b;
};

LinearOperands linear_operands(const char* op, ts_tensor x, ts_tensor w, ts_tensor b) {
  LinearOperands a{get(x, "input"), get(w, "weight"), at::Tensor()};
  if (b != nullptr) a.b = get(b, "bias");
  check_linear(op, a.x, a.w, a.b);
  return a;
}

void check_onednn_linear(const at::Tensor& x, const at::Tensor& w) {
  if (!at::hasMKLDNN()) throw std::runtime_error("this libtorch was built without oneDNN (mkldnn)");
  if (x.scalar_type() != at::kFloat || w.scalar_type() != at::kFloat || !x.device().is_cpu() || !w.device().is_cpu())
    throw std::invalid_argument("onednn linear: input and weight must be float32 CPU tensors");
}

}  // namespace

extern "C" {

ts_error ts_onednn_linear(ts_tensor x, ts_tensor w, ts_tensor b, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  auto a = linear_operands("onednn linear", x, w, b);
  check_onednn_linear(a.x, a.w);
  *out = wrap(OneDNNLinear::apply(a.x, a.w, a.b));
  TS_CATCH
}

ts_error ts_linear(ts_tensor x, ts_tensor w, ts_tensor b, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  auto a = linear_operands("linear", x, w, b);
  if (packed_applies(w, a.x))
    *out = wrap(tsi::packed_linear(*w->packed, a.x, a.b, -1, at::Tensor()));
  else
    *out = wrap(at::linear(a.x, a.w, a.b.defined() ? c10::optional<at::Tensor>(a.b) : c10::nullopt));
  TS_CATCH
}

ts_error ts_embedding(ts_tensor weight, ts_tensor ids, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& w = get(weight, "embedding weight");
  const auto& i = get(ids, "ids");
  if (i.scalar_type() != at::kLong && i.scalar_type() != at::kInt)
    throw std::invalid_argument("embedding: ids must be int64 or int32");
  if (i.numel() > 0) {
    auto lo = i.min().item<int64_t>();
    auto hi = i.max().item<int64_t>();
    if (lo < 0 || hi >= w.size(0))
      throw std::out_of_range("embedding: id " + std::to_string(lo < 0 ? lo : hi) + " out of range for a table of " +
                              std::to_string(w.size(0)) + " rows");
  }
  *out = wrap(at::embedding(w, i));
  TS_CATCH
}

ts_error ts_layer_norm(ts_tensor x, ts_tensor w, ts_tensor b, double eps, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& xt = get(x, "input");
  const auto& wt = get(w, "weight");
  *out = wrap(at::layer_norm(xt, {wt.size(0)}, wt, get(b, "bias"), eps));
  TS_CATCH
}

ts_error ts_softmax(ts_tensor x, int64_t dim, int log, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& xt = get(x);
  *out = wrap(log ? at::log_softmax(xt, dim) : at::softmax(xt, dim));
  TS_CATCH
}

ts_error ts_dropout(ts_tensor x, double p, int train, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  if (p < 0 || p > 1) throw std::invalid_argument("dropout: probability " + std::to_string(p) + " outside [0, 1]");
  *out = wrap(at::dropout(get(x), p, train != 0));
  TS_CATCH
}

ts_error ts_normalize(ts_tensor x, double p, int64_t dim, double eps, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& xt = get(x);
  auto norm = xt.norm(p, dim, true).clamp_min(eps).expand_as(xt);
  *out = wrap(xt / norm);
  TS_CATCH
}

ts_error ts_cosine_similarity(ts_tensor a, ts_tensor b, int64_t dim, double eps, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(at::cosine_similarity(get(a), get(b), dim, eps));
  TS_CATCH
}

ts_error ts_cross_entropy(ts_tensor logits, ts_tensor targets, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& l = get(logits, "logits");
  const auto& t = get(targets, "targets");
  if (l.dim() != 2) throw std::invalid_argument("cross_entropy: logits must be [N, C], got " + c10::str(l.sizes()));
  if (t.dim() != 1 || t.size(0) != l.size(0))
    throw std::invalid_argument("cross_entropy: targets must be [N] with N = " + std::to_string(l.size(0)) +
                                ", got " + c10::str(t.sizes()));
  if (t.scalar_type() != at::kLong) throw std::invalid_argument("cross_entropy: targets must be int64");
  if (t.numel() > 0) {
    auto lo = t.min().item<int64_t>();
    auto hi = t.max().item<int64_t>();
    if (lo < 0 || hi >= l.size(1))
      throw std::out_of_range("cross_entropy: target " + std::to_string(lo < 0 ? lo : hi) + " out of range for " +
                              std::to_string(l.size(1)) + " classes");
  }
  *out = wrap(at::nll_loss(at::log_softmax(l, 1), t));
  TS_CATCH
}

ts_error ts_mse_loss(ts_tensor a, ts_tensor b, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& x = get(a);
  const auto& y = get(b);
  if (x.sizes() != y.sizes())
    throw std::invalid_argument("mse_loss: shapes " + c10::str(x.sizes()) + " and " + c10::str(y.sizes()) + " differ");
  *out = wrap(at::mse_loss(x, y));
  TS_CATCH
}

ts_error ts_encoder_layer(ts_tensor x, ts_tensor mask_bias, ts_tensor pos_bias, const ts_tensor* w, int64_t heads,
                          double eps, int act, double dropout, int train, int onednn, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& xt = get(x, "input");
  if (xt.dim() != 3) throw std::invalid_argument("encoder layer: input must be [B, S, H], got " + c10::str(xt.sizes()));
  const int64_t B = xt.size(0), S = xt.size(1), H = xt.size(2);
  if (heads < 1 || H % heads != 0)
    throw std::invalid_argument("encoder layer: hidden size " + std::to_string(H) + " is not divisible by " +
                                std::to_string(heads) + " heads");
  const int64_t D = H / heads;
  const char* names[12] = {"qkv weight", "qkv bias", "output weight", "output bias", "attention LayerNorm weight",
                           "attention LayerNorm bias", "intermediate weight", "intermediate bias", "output dense weight",
                           "output dense bias", "output LayerNorm weight", "output LayerNorm bias"};
  at::Tensor p[12];
  for (int i = 0; i < 12; i++) p[i] = get(w[i], names[i]);
  check_2d_weight(p[0], 3 * H, H, names[0]);
  check_2d_weight(p[2], H, H, names[2]);
  const int64_t I = p[6].size(0);
  check_2d_weight(p[6], I, H, names[6]);
  check_2d_weight(p[8], H, I, names[8]);
  const auto& mb = get(mask_bias, "mask bias");
  bool drop = train != 0 && dropout > 0;

  // lin(in, weight handle, bias, act, residual) = act(in W^T + b) + residual (act -1: none; residual
  // undefined: none). A weight packed by ts_pack_linear runs through oneDNN's matmul with the activation and
  // the residual fused (inference only); one packed for oneDNN by to_mkldnn through mkldnn_linear on a 2-D
  // view; one whose handle was quantized (ts_quantize_linear, bias packed inside) through the quantized
  // engine. With onednn set, a float32 CPU forward on unpacked weights (training, and inference while
  // training) runs its linears through OneDNNLinear.
  const bool train_onednn = onednn != 0 && at::hasMKLDNN() && xt.scalar_type() == at::kFloat && xt.device().is_cpu();
  auto lin = [train_onednn](const at::Tensor& in, ts_tensor wh, const at::Tensor& b, int a,
                            const at::Tensor& residual) -> at::Tensor {
    const auto& w = wh->t;
    if (packed_applies(wh, in)) return tsi::packed_linear(*wh->packed, in, b, a, residual);
    at::Tensor y;
    if (!wh->qlinear.isNone()) {
      y = tsi::quantized_linear(in, *wh);
    } else if (train_onednn && !w.is_mkldnn() && w.scalar_type() == at::kFloat && w.device().is_cpu()) {
      y = OneDNNLinear::apply(in, w, b);
    } else if (!w.is_mkldnn()) {
      y = at::linear(in, w, b);
    } else {
      auto sizes = in.sizes().vec();
      auto x2 = in.reshape({-1, sizes.back()}).to(w.scalar_type()).contiguous().to_mkldnn();
      sizes.back() = w.size(0);
      y = at::mkldnn_linear(x2, w, b).to_dense().to(in.scalar_type()).view(sizes);
    }
    y = tsi::activation(y, a);
    return residual.defined() ? y + residual : y;
  };
  const at::Tensor none;
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  auto qkv_flat = lin(xt, w[0], p[1], -1, none);
  // The packed paths (weights packed for oneDNN or quantized: inference only) take the CPU attention
  // kernels above; the plain path stays libtorch's own.
  const bool packed = w[0]->packed || w[0]->t.is_mkldnn() || !w[0]->qlinear.isNone();
  at::Tensor ctx;
  if (packed && !drop && !at::GradMode::is_enabled() && qkv_flat.scalar_type() == at::kFloat &&
      qkv_flat.device().is_cpu() && mb.scalar_type() == at::kFloat && mb.dim() == 4 && mb.size(0) == B &&
      mb.size(1) == 1 && mb.size(2) == 1 && mb.size(3) == S) {
    auto qkvc = qkv_flat.contiguous();
    auto scores = attention_scores_f32(qkvc, mb.reshape({B, S}).contiguous(), heads, scale);
    if (pos_bias != nullptr) scores.add_(get(pos_bias, "position bias"));
    ctx = attention_context_f32(qkvc, at::softmax(scores, -1), heads);
  } else {
    auto qkv = qkv_flat.view({B, S, 3, heads, D}).permute({2, 0, 3, 1, 4});
    auto q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);
    auto scores = at::matmul(q, k.transpose(-2, -1)).mul_(scale);
    scores = scores + mb;
    if (pos_bias != nullptr) scores = scores + get(pos_bias, "position bias");
    auto probs = at::softmax(scores, -1);
    if (drop) probs = at::dropout(probs, dropout, true);
    ctx = at::matmul(probs, v).permute({0, 2, 1, 3}).reshape({B, S, H});
  }
  // Dropout falls between each sub-layer's output and its residual, so with dropout on the sums stay apart.
  auto sum1 = drop ? at::dropout(lin(ctx, w[2], p[3], -1, none), dropout, true) + xt : lin(ctx, w[2], p[3], -1, xt);
  auto h = at::layer_norm(sum1, {H}, p[4], p[5], eps);
  auto f = lin(h, w[6], p[7], act, none);
  auto sum2 = drop ? at::dropout(lin(f, w[8], p[9], -1, none), dropout, true) + h : lin(f, w[8], p[9], -1, h);
  *out = wrap(at::layer_norm(sum2, {H}, p[10], p[11], eps));
  TS_CATCH
}

ts_error ts_to_mkldnn(ts_tensor x, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& t = get(x);
  if (!at::hasMKLDNN()) throw std::runtime_error("this libtorch was built without oneDNN (mkldnn)");
  if (t.scalar_type() != at::kFloat && t.scalar_type() != at::kBFloat16)
    throw std::invalid_argument("to_mkldnn: only float32 and bfloat16 tensors can be packed");
  if (!t.device().is_cpu()) throw std::invalid_argument("to_mkldnn: only CPU tensors can be packed");
  *out = wrap(t.detach().contiguous().to_mkldnn());
  TS_CATCH
}

ts_error ts_is_mkldnn(ts_tensor x, int* out) {
  TS_TRY
  TS_OUT(out);
  *out = get(x).is_mkldnn() ? 1 : 0;
  TS_CATCH
}

ts_error ts_adamw_step(const ts_tensor* params, const ts_tensor* exp_avg, const ts_tensor* exp_avg_sq, int n,
                       double lr, double beta1, double beta2, double eps, double weight_decay, int64_t step) {
  TS_TRY
  if (step < 1) throw std::invalid_argument("adamw: step must start at 1");
  at::NoGradGuard guard;
  const double bc1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bc2 = 1 - std::pow(beta2, static_cast<double>(step));
  const double step_size = lr / bc1;
  const double bc2_sqrt = std::sqrt(bc2);
  for (int i = 0; i < n; i++) {
    auto& p = const_cast<at::Tensor&>(get(params[i], "parameter"));
    const auto& g = p.grad();
    if (!g.defined()) continue;
    auto& m = const_cast<at::Tensor&>(get(exp_avg[i], "exp_avg"));
    auto& v = const_cast<at::Tensor&>(get(exp_avg_sq[i], "exp_avg_sq"));
    if (m.sizes() != p.sizes() || v.sizes() != p.sizes())
      throw std::invalid_argument("adamw: state of parameter " + std::to_string(i) + " has the wrong shape");
    p.mul_(1 - lr * weight_decay);
    m.mul_(beta1).add_(g, 1 - beta1);
    v.mul_(beta2).addcmul_(g, g, 1 - beta2);
    auto denom = (v.sqrt() / bc2_sqrt).add_(eps);
    p.addcdiv_(m, denom, -step_size);
  }
  TS_CATCH
}

ts_error ts_sgd_step(const ts_tensor* params, const ts_tensor* momentum_buf, int n, double lr, double momentum,
                     double weight_decay, int nesterov, int64_t step) {
  TS_TRY
  at::NoGradGuard guard;
  for (int i = 0; i < n; i++) {
    auto& p = const_cast<at::Tensor&>(get(params[i], "parameter"));
    if (!p.grad().defined()) continue;
    auto d = p.grad();
    if (weight_decay != 0) d = d.add(p, weight_decay);
    if (momentum != 0) {
      auto& buf = const_cast<at::Tensor&>(get(momentum_buf[i], "momentum buffer"));
      if (step <= 1)
        buf.copy_(d);
      else
        buf.mul_(momentum).add_(d);
      d = nesterov ? d.add(buf, momentum) : buf;
    }
    p.add_(d, -lr);
  }
  TS_CATCH
}

ts_error ts_clip_grad_norm(const ts_tensor* params, int n, double max_norm, double* total_norm) {
  TS_TRY
  at::NoGradGuard guard;
  std::vector<at::Tensor> grads;
  for (int i = 0; i < n; i++) {
    const auto& g = get(params[i], "parameter").grad();
    if (g.defined()) grads.push_back(g);
  }
  double total = 0;
  if (!grads.empty()) {
    std::vector<at::Tensor> norms;
    for (auto& g : grads) norms.push_back(g.norm(2).to(at::kDouble));
    total = at::stack(norms).norm(2).item<double>();
    double coef = max_norm / (total + 1e-6);
    if (coef < 1)
      for (auto& g : grads) g.mul_(coef);
  }
  if (total_norm != nullptr) *total_norm = total;
  TS_CATCH
}

}  // extern "C"
