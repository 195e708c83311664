#ifndef C_EMBEDDING_KERNELS_H
#define C_EMBEDDING_KERNELS_H

/// Vectorised element-wise kernels of the MiniLM forward pass, and a matrix product for a few
/// rows. On x86-64 Linux each is compiled for AVX-512, AVX2+FMA and baseline x86-64 and the
/// best one for the CPU is picked at load time; elsewhere the baseline is used. Matrices are
/// row-major; `columns`, `in_features` must be multiples of 16.

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
/// for the few rows of a short query. `streaming` reads the weights with a non-temporal hint,
/// so that they do not push other weights out of the last-level cache.
void c0_linear_few_rows(const float *input, long rows, long in_features,
                        const float *weight, long out_features, float *output, int streaming);

#endif
