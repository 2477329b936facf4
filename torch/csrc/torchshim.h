/*
 * torchshim: a plain-C interface over libtorch for the Go package torch.
 *
 * Rules every function follows:
 *   - It returns NULL on success, or an error message (malloc'd; release it with ts_free_error).
 *     Every C++ exception is caught inside the call; nothing unwinds into the caller.
 *   - Results come back through out-parameters. A tensor handle returned through an out-parameter is
 *     owned by the caller and must be released with ts_tensor_free.
 *   - Data is always copied in and out; the shim never keeps a pointer to caller memory.
 *   - Devices are ints: -1 is the CPU, n >= 0 is cuda:n. Dtypes are c10::ScalarType values.
 *   - Grad mode is taken from the calling thread (the Go side pins the goroutine while it changes it);
 *     the fused helpers take an explicit mode instead.
 */
#ifndef FEWSHOT_TORCHSHIM_H
#define FEWSHOT_TORCHSHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_tensor_s *ts_tensor;
typedef char *ts_error;

void ts_free_error(ts_error err);

/* Build facts and process-wide settings. */
const char *ts_version(void);      /* libtorch version the shim was compiled against */
int ts_cuda_compiled(void);        /* 1 when the shim was built against a CUDA libtorch */
int64_t ts_live_tensors(void);     /* handles created and not yet freed */
ts_error ts_manual_seed(uint64_t seed);
ts_error ts_get_rng_state(ts_tensor *out);  /* CPU generator state as a uint8 tensor */
ts_error ts_set_rng_state(ts_tensor state);
ts_error ts_set_num_threads(int n);
ts_error ts_get_num_threads(int *out);
ts_error ts_set_num_interop_threads(int n);
ts_error ts_mkldnn_available(int *out);
ts_error ts_cuda_is_available(int *out);
ts_error ts_cuda_device_count(int *out);
ts_error ts_cuda_synchronize(int device);
ts_error ts_cuda_memory_allocated(int device, int64_t *out);
ts_error ts_cuda_empty_cache(void);

/* Grad and inference modes of the calling thread; each setter returns the previous value. */
ts_error ts_set_grad_enabled(int enabled, int *prev);
ts_error ts_is_grad_enabled(int *out);
ts_error ts_enter_inference_mode(void **guard); /* an opaque guard; ts_exit_inference_mode restores */
ts_error ts_exit_inference_mode(void *guard);
ts_error ts_is_inference_mode(int *out);

/* Handles. */
void ts_tensor_free(ts_tensor t);
ts_error ts_from_data(const void *data, int64_t nbytes, const int64_t *shape, int ndim, int dtype, int device,
                      ts_tensor *out);
ts_error ts_to_data(ts_tensor t, void *dst, int64_t nbytes);
ts_error ts_shape(ts_tensor t, int64_t *dims, int maxdims, int *ndim);
ts_error ts_dtype(ts_tensor t, int *out);
ts_error ts_device(ts_tensor t, int *out);
ts_error ts_numel(ts_tensor t, int64_t *out);
ts_error ts_item(ts_tensor t, double *out);
ts_error ts_shallow_clone(ts_tensor t, ts_tensor *out); /* a second handle on the same storage */

/* Factories. */
enum { TS_FILL_ZEROS = 0, TS_FILL_ONES = 1, TS_FILL_RANDN = 2, TS_FILL_RAND = 3 };
ts_error ts_fill(int kind, const int64_t *shape, int ndim, int dtype, int device, ts_tensor *out);
ts_error ts_full(const int64_t *shape, int ndim, double value, int dtype, int device, ts_tensor *out);
ts_error ts_arange(int64_t start, int64_t end, int dtype, int device, ts_tensor *out);

/* Elementwise and shape ops. The op codes are listed in ops.go (the Go side) and ops.cpp. */
ts_error ts_unary(int op, ts_tensor a, ts_tensor *out);
ts_error ts_binary(int op, ts_tensor a, ts_tensor b, ts_tensor *out);
ts_error ts_scalar(int op, ts_tensor a, double s, ts_tensor *out);
ts_error ts_reduce(int op, ts_tensor a, const int64_t *dims, int ndims, int keepdim, ts_tensor *out);
ts_error ts_where(ts_tensor cond, ts_tensor a, ts_tensor b, ts_tensor *out);
ts_error ts_masked_fill(ts_tensor a, ts_tensor mask, double value, ts_tensor *out);
ts_error ts_clamp(ts_tensor a, double lo, double hi, ts_tensor *out);
ts_error ts_reshape(ts_tensor a, const int64_t *shape, int ndim, ts_tensor *out);
ts_error ts_transpose(ts_tensor a, int64_t d0, int64_t d1, ts_tensor *out);
ts_error ts_permute(ts_tensor a, const int64_t *dims, int ndim, ts_tensor *out);
ts_error ts_narrow(ts_tensor a, int64_t dim, int64_t start, int64_t length, ts_tensor *out);
ts_error ts_index_select(ts_tensor a, int64_t dim, ts_tensor index, ts_tensor *out);
ts_error ts_gather(ts_tensor a, int64_t dim, ts_tensor index, ts_tensor *out);
ts_error ts_cat(const ts_tensor *ts, int n, int64_t dim, int stack, ts_tensor *out);
ts_error ts_unsqueeze(ts_tensor a, int64_t dim, ts_tensor *out);
ts_error ts_squeeze(ts_tensor a, int64_t dim, ts_tensor *out);
ts_error ts_expand(ts_tensor a, const int64_t *shape, int ndim, ts_tensor *out);
ts_error ts_to(ts_tensor a, int dtype, int device, ts_tensor *out);
ts_error ts_argmax(ts_tensor a, int64_t dim, int keepdim, ts_tensor *out);
ts_error ts_topk(ts_tensor a, int64_t k, int64_t dim, int largest, ts_tensor *values, ts_tensor *indices);

/* Neural-network ops. */
ts_error ts_linear(ts_tensor x, ts_tensor w, ts_tensor b /* nullable */, ts_tensor *out);
ts_error ts_embedding(ts_tensor weight, ts_tensor ids, ts_tensor *out);
ts_error ts_layer_norm(ts_tensor x, ts_tensor w, ts_tensor b, double eps, ts_tensor *out);
ts_error ts_softmax(ts_tensor x, int64_t dim, int log, ts_tensor *out);
ts_error ts_dropout(ts_tensor x, double p, int train, ts_tensor *out);
ts_error ts_normalize(ts_tensor x, double p, int64_t dim, double eps, ts_tensor *out);
ts_error ts_cosine_similarity(ts_tensor a, ts_tensor b, int64_t dim, double eps, ts_tensor *out);
ts_error ts_cross_entropy(ts_tensor logits, ts_tensor targets, ts_tensor *out);
ts_error ts_mse_loss(ts_tensor a, ts_tensor b, ts_tensor *out);

/*
 * One post-LayerNorm transformer encoder layer (BERT, RoBERTa, DistilBERT and MPNet share it):
 *   h = LN1(x + Wo * attention(x) ); y = LN2(h + W2 * act(W1 * h))
 * weights holds 12 handles in this order: qkv_w [3H,H], qkv_b [3H], o_w, o_b, ln1_w, ln1_b, f1_w, f1_b,
 * f2_w, f2_b, ln2_w, ln2_b. mask_bias is [B,1,1,S] (0 for tokens, a large negative value for padding);
 * pos_bias (nullable) is added to the attention scores ([B or 1, heads, S, S]). act: 0 gelu (erf), 1 gelu
 * (tanh), 2 relu. Dropout applies when train != 0. With onednn != 0, the linears of a float32 CPU forward
 * on unpacked weights run through oneDNN, under autograd in backward too (ts_onednn_linear); elsewhere the
 * flag is ignored.
 */
ts_error ts_encoder_layer(ts_tensor x, ts_tensor mask_bias, ts_tensor pos_bias, const ts_tensor *weights,
                          int64_t heads, double eps, int act, double dropout, int train, int onednn,
                          ts_tensor *out);

/*
 * y = x W^T + b for float32 CPU tensors with oneDNN's inner product (mkldnn_linear) in place of the BLAS
 * matrix product, as an autograd function: the backward pass computes dx = dy W and dW = dy^T x with oneDNN
 * too, and db = sum(dy). Same values as ts_linear up to the order of float sums. b may be null. Fails where
 * libtorch has no oneDNN.
 */
ts_error ts_onednn_linear(ts_tensor x, ts_tensor w, ts_tensor b, ts_tensor *out);

/*
 * oneDNN (mkldnn) packing for CPU inference: a float32 or bfloat16 CPU tensor in oneDNN's opaque layout.
 * ts_encoder_layer runs any linear whose weight was packed this way (with its bias packed too) through
 * mkldnn_linear, converting its input to the weight's dtype and the output back (bfloat16 packing is the
 * fast, less exact mode for CPUs with AVX-512 BF16). Packed tensors serve inference only (no autograd).
 */
ts_error ts_to_mkldnn(ts_tensor x, ts_tensor *out);
ts_error ts_is_mkldnn(ts_tensor x, int *out);

/*
 * The direct oneDNN path for float32 CPU inference (dnnl.cpp). ts_pack_linear reorders a float32 CPU weight
 * [out, in] once into the blocked layout of oneDNN's matmul; the handle still reads as the dense weight (the
 * same storage), and ts_linear and ts_encoder_layer run it through the matmul primitive on the tensors' own
 * buffers, with the bias, the activation and the residual addition fused (inference only: under autograd a
 * packed weight computes through at::linear). ts_packed_linear_available says whether this build has the
 * path (it needs oneDNN's headers for the libdnnl that libtorch itself links); where it does not,
 * ts_pack_linear fails and callers use ts_to_mkldnn.
 */
ts_error ts_packed_linear_available(int *out);
ts_error ts_pack_linear(ts_tensor w, ts_tensor *out);
ts_error ts_is_packed_linear(ts_tensor w, int *out);

/*
 * Dynamic int8 quantization of linear layers for CPU inference (quant.cpp), through libtorch's quantized
 * engine. ts_quantize_linear quantizes a float32 weight [out, in] once, int8 symmetric as PyTorch's default
 * dynamic-quantization weight observer does (scale = max|w| / 127.5, at least float32's epsilon; zero
 * point 0), with one scale per block of rows (blocks = 1 for an ordinary linear, 3 for a fused
 * query/key/value matrix: the same as quantizing the three projections separately), and packs it with the
 * optional float32 bias for the engine. The handle's tensor is the int8 weight; the handle also carries
 * the engine's packed form. ts_quantized_linear quantizes its float32 input [..., in] per call to uint8
 * (per tensor, from its own min and max), multiplies in int32 and returns float32 [..., out].
 * ts_encoder_layer runs a linear whose weight handle came from ts_quantize_linear the same way (the bias
 * slot is then ignored: the bias is packed with the weight). Inference only (no autograd).
 *
 * ts_quantized_engine names the engine ts_quantize_linear uses ("x86", "fbgemm", "onednn" or "qnnpack"; a
 * static string) and whether activations get 7 bits instead of 8 (x86 CPUs without VNNI, where 8-bit
 * products can saturate); it fails, saying why, on a CPU without the instructions (AVX2 on x86) or a
 * libtorch without an engine for it. The engine is set only while packing and restored after.
 */
ts_error ts_quantized_engine(const char **name, int *reduce_range);
ts_error ts_quantize_linear(ts_tensor w, ts_tensor b /* nullable */, int64_t blocks, ts_tensor *out);
ts_error ts_quantized_linear(ts_tensor x, ts_tensor q, ts_tensor *out);
ts_error ts_dequantize(ts_tensor q, ts_tensor *out); /* a quantized tensor (the int8 weight) as float32 */
ts_error ts_is_quantized(ts_tensor x, int *out);

/* Autograd. */
ts_error ts_set_requires_grad(ts_tensor t, int requires);
ts_error ts_requires_grad(ts_tensor t, int *out);
ts_error ts_backward(ts_tensor t);
ts_error ts_grad(ts_tensor t, ts_tensor *out); /* *out is NULL when t has no gradient */
ts_error ts_zero_grad(ts_tensor t);            /* drops the gradient */
ts_error ts_detach(ts_tensor t, ts_tensor *out);
ts_error ts_copy_(ts_tensor dst, ts_tensor src); /* in place, without recording autograd */

/* Optimizers: in-place updates under no-grad; parameters without a gradient are skipped. */
ts_error ts_adamw_step(const ts_tensor *params, const ts_tensor *exp_avg, const ts_tensor *exp_avg_sq, int n,
                       double lr, double beta1, double beta2, double eps, double weight_decay, int64_t step);
ts_error ts_sgd_step(const ts_tensor *params, const ts_tensor *momentum_buf, int n, double lr, double momentum,
                     double weight_decay, int nesterov, int64_t step);
ts_error ts_clip_grad_norm(const ts_tensor *params, int n, double max_norm, double *total_norm);

#ifdef __cplusplus
}
#endif

#endif
