#ifndef C_EMBEDDING_KERNELS_H
#define C_EMBEDDING_KERNELS_H

#include <stddef.h>

/// Vectorised kernels of the MiniLM forward pass: element-wise work, the linear layers' matrix
/// products against weights packed once at load, the attention's products, and a matrix
/// product for a few rows against unpacked weights (the BLAS fallback's query path). On x86-64
/// each is compiled for AVX-512, AVX2+FMA and baseline x86-64 and the best one for the CPU is
/// picked at run time (`c0_kernel_level`); elsewhere the baseline is used. Matrices are
/// row-major; for the element-wise kernels and `c0_linear_few_rows`, `columns` and
/// `in_features` must be multiples of 16 (the packed and attention products take any sizes).

/// `values[i] = values[i] * Φ(values[i])`, the exact (erf) GELU; erf to within 2e-7.
void c0_gelu(float *values, long count);

/// Softmax of each row, in place, subtracting the row maximum first.
void c0_softmax_rows(float *matrix, long rows, long columns);

/// `output[r] = (x - mean) / sqrt(var + epsilon) * weight + norm_bias` with `x = input[r] + bias`
/// (`bias` may be NULL); `output` may equal `input`.
void c0_layer_norm(const float *input, const float *bias, long rows, long columns,
                   const float *weight, const float *norm_bias, float epsilon, float *output);

/// `output[r][o] += dot(input[r], weight[o])` for `rows` input rows and `out_features` weight
/// rows of `in_features`: a matrix product that streams the weights once, without packing,
/// for the few rows of a short query when the weights are not packed (the BLAS fallback).
void c0_linear_few_rows(const float *input, long rows, long in_features,
                        const float *weight, long out_features, float *output);

/// Bytes of `c0_pack_weight`'s output for a `[out_features][in_features]` weight matrix: the
/// output features rounded up to a multiple of 32, times `in_features` floats.
size_t c0_packed_weight_size(long in_features, long out_features);

/// Packs a row-major `weight[out_features][in_features]` (PyTorch's linear layout) for
/// `c0_linear_packed`: panels of 32 output features, each `in_features` steps of the 32
/// weights for one input feature, the last panel padded with zeros. The layout is the same for
/// every instruction set. `packed` holds `c0_packed_weight_size` bytes (64-byte alignment is
/// best, not required).
void c0_pack_weight(const float *weight, long in_features, long out_features, float *packed);

/// `output[r][o] += dot(input[r], weight[o])` for `rows` input rows, with the weights packed by
/// `c0_pack_weight`: the blocked matrix product of the linear layers, any sizes.
void c0_linear_packed(const float *input, long rows, long in_features,
                      const float *packed, long out_features, float *output);

/// `c0_linear_packed` for the output features of panels `first_panel ..< first_panel +
/// panel_count` only (features `32 * first_panel` up to `32 * (first_panel + panel_count)` or
/// `out_features`), the rest of `output` untouched: each feature's sum is computed exactly as
/// `c0_linear_packed` computes it, so threads sharing one product's panels get its result.
void c0_linear_packed_panels(const float *input, long rows, long in_features, const float *packed,
                             long out_features, long first_panel, long panel_count, float *output);
/// Bytes of scratch `c0_attention_scores` and `c0_attention_context` need for sequences of up
/// to `n` tokens and heads of `head_size`.
size_t c0_attention_scratch_size(long n, long head_size);

/// One head's `scores[i][j] = scale * dot(query[i], key[j])` for `n` tokens, `query` and `key`
/// rows of `head_size` floats `stride` apart (the head's columns of the Q and K matrices),
/// `scores` `[n][n]` overwritten. Uses `scratch` (`c0_attention_scratch_size`) for K packed.
void c0_attention_scores(const float *query, const float *key, long n, long head_size, long stride,
                         float scale, float *scores, float *scratch);

/// One head's `context[i][d] = Σ_j probabilities[i][j] * value[j][d]`: `probabilities`
/// `[n][n]`; `value` and `context` rows of `head_size` floats `stride` apart, `context`
/// overwritten. Uses `scratch` only when `head_size` is not a multiple of 32.
void c0_attention_context(const float *probabilities, long n, const float *value, long head_size,
                          long stride, float *context, float *scratch);

/// The instruction set the kernels use: 1 baseline, 2 AVX2+FMA, 3 AVX-512.
int c0_kernel_level(void);

/// The best instruction set the CPU and the OS support, whatever `c0_force_kernel_level` says.
int c0_cpu_kernel_level(void);

/// For tests (`KernelInstructionSet.force`): use `level` (at most what the CPU supports), or 0
/// for the automatic choice.
void c0_force_kernel_level(int level);

#endif
