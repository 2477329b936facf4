// Elementwise, reduction and shape ops. The op codes must match the constants in torch/ops.go.
#include "internal.h"

using tsi::get;
using tsi::wrap;

namespace {

at::Tensor unary(int op, const at::Tensor& a) {
  switch (op) {
    case 0: return at::neg(a);
    case 1: return at::exp(a);
    case 2: return at::log(a);
    case 3: return at::sqrt(a);
    case 4: return at::rsqrt(a);
    case 5: return at::abs(a);
    case 6: return at::tanh(a);
    case 7: return at::sigmoid(a);
    case 8: return at::relu(a);
    case 9: return at::gelu(a, "none");
    case 10: return at::gelu(a, "tanh");
    case 11: return at::log1p(a);
    case 12: return at::softplus(a);
    case 13: return at::isfinite(a);
    case 14: return at::logical_not(a);
    case 15: return a.contiguous();
    case 16: return a.clone();
    case 17: return at::sign(a);
    case 18: return at::erf(a);
    case 19: return at::square(a);
    default: throw std::invalid_argument("unknown unary op " + std::to_string(op));
  }
}

at::Tensor binary(int op, const at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case 0: return at::add(a, b);
    case 1: return at::sub(a, b);
    case 2: return at::mul(a, b);
    case 3: return at::div(a, b);
    case 4: return at::pow(a, b);
    case 5: return at::maximum(a, b);
    case 6: return at::minimum(a, b);
    case 7: return at::eq(a, b);
    case 8: return at::ne(a, b);
    case 9: return at::lt(a, b);
    case 10: return at::le(a, b);
    case 11: return at::gt(a, b);
    case 12: return at::ge(a, b);
    case 13: return at::logical_and(a, b);
    case 14: return at::logical_or(a, b);
    case 15:
      if (a.dim() == 0 || b.dim() == 0) throw std::invalid_argument("matmul: both operands need at least one dimension");
      return at::matmul(a, b);
    default: throw std::invalid_argument("unknown binary op " + std::to_string(op));
  }
}

at::Tensor scalar(int op, const at::Tensor& a, double s) {
  switch (op) {
    case 0: return at::add(a, s);
    case 1: return at::sub(a, s);
    case 2: return at::mul(a, s);
    case 3: return at::div(a, s);
    case 4: return at::pow(a, s);
    case 5: return at::rsub(a, s);
    case 6: return at::eq(a, s);
    case 7: return at::ne(a, s);
    case 8: return at::lt(a, s);
    case 9: return at::le(a, s);
    case 10: return at::gt(a, s);
    case 11: return at::ge(a, s);
    case 12: return at::clamp_min(a, s);
    case 13: return at::clamp_max(a, s);
    default: throw std::invalid_argument("unknown scalar op " + std::to_string(op));
  }
}

void check_dims(const at::Tensor& a, const std::vector<int64_t>& d) {
  for (auto x : d)
    if (x < -a.dim() || x >= std::max<int64_t>(a.dim(), 1))
      throw std::invalid_argument("dimension " + std::to_string(x) + " out of range for a tensor of " +
                                  std::to_string(a.dim()) + " dimensions");
}

at::Tensor reduce(int op, const at::Tensor& a, std::vector<int64_t> d, bool keep) {
  check_dims(a, d);
  bool all = d.empty();
  switch (op) {
    case 0: return all ? a.sum() : at::sum(a, d, keep);
    case 1: return all ? a.mean() : at::mean(a, d, keep);
    case 2: return at::amax(a, d, keep);
    case 3: return at::amin(a, d, keep);
    case 4: return all ? at::logsumexp(a.reshape({-1}), {0}, false) : at::logsumexp(a, d, keep);
    case 5:
      if (all) return a.all();
      if (d.size() != 1) throw std::invalid_argument("all: one dimension at a time");
      return at::all(a, d[0], keep);
    case 6:
      if (all) return a.any();
      if (d.size() != 1) throw std::invalid_argument("any: one dimension at a time");
      return at::any(a, d[0], keep);
    default: throw std::invalid_argument("unknown reduction " + std::to_string(op));
  }
}

}  // namespace

extern "C" {

ts_error ts_unary(int op, ts_tensor a, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(unary(op, get(a)));
  TS_CATCH
}

ts_error ts_binary(int op, ts_tensor a, ts_tensor b, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(binary(op, get(a, "left operand"), get(b, "right operand")));
  TS_CATCH
}

ts_error ts_scalar(int op, ts_tensor a, double s, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(scalar(op, get(a), s));
  TS_CATCH
}

ts_error ts_reduce(int op, ts_tensor a, const int64_t* d, int nd, int keepdim, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(reduce(op, get(a), tsi::dims(d, nd), keepdim != 0));
  TS_CATCH
}

ts_error ts_where(ts_tensor cond, ts_tensor a, ts_tensor b, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& c = get(cond, "condition");
  if (c.scalar_type() != at::kBool) throw std::invalid_argument("where: condition must be bool");
  *out = wrap(at::where(c, get(a), get(b)));
  TS_CATCH
}

ts_error ts_masked_fill(ts_tensor a, ts_tensor mask, double value, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& m = get(mask, "mask");
  if (m.scalar_type() != at::kBool) throw std::invalid_argument("masked_fill: mask must be bool");
  *out = wrap(get(a).masked_fill(m, value));
  TS_CATCH
}

ts_error ts_clamp(ts_tensor a, double lo, double hi, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  if (lo > hi) throw std::invalid_argument("clamp: min is larger than max");
  *out = wrap(at::clamp(get(a), lo, hi));
  TS_CATCH
}

ts_error ts_reshape(ts_tensor a, const int64_t* shape, int ndim, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(a).reshape(tsi::dims(shape, ndim)));
  TS_CATCH
}

ts_error ts_transpose(ts_tensor a, int64_t d0, int64_t d1, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(a).transpose(d0, d1));
  TS_CATCH
}

ts_error ts_permute(ts_tensor a, const int64_t* d, int nd, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(a).permute(tsi::dims(d, nd)));
  TS_CATCH
}

ts_error ts_narrow(ts_tensor a, int64_t dim, int64_t start, int64_t length, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(a).narrow(dim, start, length));
  TS_CATCH
}

ts_error ts_index_select(ts_tensor a, int64_t dim, ts_tensor index, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  const auto& t = get(a);
  const auto& i = get(index, "index");
  if (t.dim() > 0 && i.numel() > 0) {
    int64_t d = dim < 0 ? dim + t.dim() : dim;
    if (d < 0 || d >= t.dim()) throw std::invalid_argument("index_select: dimension " + std::to_string(dim) + " out of range");
    auto lo = i.min().item<int64_t>(), hi = i.max().item<int64_t>();
    if (lo < 0 || hi >= t.size(d))
      throw std::out_of_range("index_select: index " + std::to_string(lo < 0 ? lo : hi) + " out of range for size " +
                              std::to_string(t.size(d)));
  }
  *out = wrap(at::index_select(t, dim, i));
  TS_CATCH
}

ts_error ts_gather(ts_tensor a, int64_t dim, ts_tensor index, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(at::gather(get(a), dim, get(index, "index")));
  TS_CATCH
}

ts_error ts_cat(const ts_tensor* ts, int n, int64_t dim, int stack, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  if (n < 1) throw std::invalid_argument("cat: no tensors");
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(get(ts[i]));
  *out = wrap(stack ? at::stack(v, dim) : at::cat(v, dim));
  TS_CATCH
}

ts_error ts_unsqueeze(ts_tensor a, int64_t dim, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(a).unsqueeze(dim));
  TS_CATCH
}

ts_error ts_squeeze(ts_tensor a, int64_t dim, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(a).squeeze(dim));
  TS_CATCH
}

ts_error ts_expand(ts_tensor a, const int64_t* shape, int ndim, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(a).expand(tsi::dims(shape, ndim)));
  TS_CATCH
}

ts_error ts_to(ts_tensor a, int dtype, int device, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(get(a).to(tsi::device_of(device), tsi::dtype_of(dtype)));
  TS_CATCH
}

ts_error ts_argmax(ts_tensor a, int64_t dim, int keepdim, ts_tensor* out) {
  TS_TRY
  TS_OUT(out);
  *out = wrap(at::argmax(get(a), dim, keepdim != 0));
  TS_CATCH
}

ts_error ts_topk(ts_tensor a, int64_t k, int64_t dim, int largest, ts_tensor* values, ts_tensor* indices) {
  TS_TRY
  TS_OUT(values);
  TS_OUT(indices);
  auto r = at::topk(get(a), k, dim, largest != 0, true);
  *values = wrap(std::get<0>(r));
  *indices = wrap(std::get<1>(r));
  TS_CATCH
}

}  // extern "C"
