#include "CEmbeddingKernels.h"
#include "CPUFeatures.h"

#include <string.h>

typedef float v16 __attribute__((ext_vector_type(16)));
typedef int v16i __attribute__((ext_vector_type(16)));
typedef float v8 __attribute__((ext_vector_type(8)));
typedef float v4 __attribute__((ext_vector_type(4)));
typedef float v2 __attribute__((ext_vector_type(2)));

#define C0_CONCAT2(a, b) a##_##b
#define C0_CONCAT(a, b) C0_CONCAT2(a, b)
#define C0_NAME(name) C0_CONCAT(name, C0_SUFFIX)

#if defined(__x86_64__) && defined(__clang__)
#define C0_DISPATCH 1
// Within one instruction set all functions agree on how 16-float vectors are passed.
#pragma clang diagnostic ignored "-Wpsabi"

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))), apply_to = function)
#define C0_SUFFIX avx512
#define C0_WIDE 1
#include "KernelsImpl.inc"
#undef C0_WIDE
#undef C0_SUFFIX
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define C0_SUFFIX avx2
#include "KernelsImpl.inc"
#undef C0_SUFFIX
#pragma clang attribute pop
#endif

#define C0_SUFFIX generic
#include "KernelsImpl.inc"
#undef C0_SUFFIX

static volatile int forced_level = 0;

int c0_kernel_level(void) {
    int level = forced_level;
    return level != 0 ? level : c0_cpu_level();
}

int c0_cpu_kernel_level(void) { return c0_cpu_level(); }

void c0_force_kernel_level(int level) {
    forced_level = level > c0_cpu_level() ? c0_cpu_level() : level < 0 ? 0 : level;
}

#if C0_DISPATCH
#define C0_CALL(name, ...)                                              \
    switch (c0_kernel_level()) {                                            \
    case C0_CPU_AVX512: name##_avx512(__VA_ARGS__); break;               \
    case C0_CPU_AVX2: name##_avx2(__VA_ARGS__); break;                   \
    default: name##_generic(__VA_ARGS__); break;                         \
    }
#else
#define C0_CALL(name, ...) name##_generic(__VA_ARGS__)
#endif

void c0_gelu(float *values, long count) { C0_CALL(c0_gelu, values, count) }

void c0_softmax_rows(float *matrix, long rows, long columns) { C0_CALL(c0_softmax_rows, matrix, rows, columns) }

void c0_layer_norm(const float *input, const float *bias, long rows, long columns,
                   const float *weight, const float *norm_bias, float epsilon, float *output) {
    C0_CALL(c0_layer_norm, input, bias, rows, columns, weight, norm_bias, epsilon, output)
}

void c0_linear_few_rows(const float *input, long rows, long in_features,
                        const float *weight, long out_features, float *output) {
    C0_CALL(c0_linear_few_rows, input, rows, in_features, weight, out_features, output)
}
