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
/// for the few rows of a short query.
void c0_linear_few_rows(const float *input, long rows, long in_features,
                        const float *weight, long out_features, float *output);

/// The instruction set the kernels use: 1 baseline, 2 AVX2+FMA, 3 AVX-512.
int c0_kernel_level(void);

/// For tests (`KernelInstructionSet.force`): use `level` (at most what the CPU supports), or 0
/// for the automatic choice.
void c0_force_kernel_level(int level);

#endif
