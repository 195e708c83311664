// The linear layers' matrix product against weights packed once at load: register-blocked
// tiles (input rows broadcast, packed weight panels loaded), blocked for L1 over K and for L2
// over the output features. Compiled for AVX-512, AVX2+FMA and baseline from GemmImpl.inc,
// dispatched like Kernels.c (c0_kernel_level), so it does not depend on the BLAS's choice of
// kernels. All three share one packed layout.
#include "CEmbeddingKernels.h"
#include "CPUFeatures.h"

#include <string.h>

typedef float g16 __attribute__((ext_vector_type(16)));
typedef float g8 __attribute__((ext_vector_type(8)));
typedef float g4 __attribute__((ext_vector_type(4)));

/// Output features per packed panel.
#define C0_PANEL 32

#define C0_CONCAT2(a, b) a##_##b
#define C0_CONCAT(a, b) C0_CONCAT2(a, b)
#define C0_NAME(name) C0_CONCAT(name, C0_SUFFIX)

/// At most this many k per block: the C0G_MR input rows of a tile (MR × KC floats) stay in L1.
#ifndef C0G_KC
#define C0G_KC 384
#endif
/// Packed weights per block of panels, in floats (192K floats = 768 KB: most of a 1 MB L2).
#ifndef C0G_L2_FLOATS
#define C0G_L2_FLOATS (192L * 1024)
#endif
#ifndef C0G_MR512
#define C0G_MR512 12
#endif

/// Panels of 32 of the `out` rows (stride `stride`) of `source[out][in]`, transposed and
/// scaled: `packed[p][k][j] = scale * source[32p + j][k]`, zeros past `out`.
static void c0_pack_panels(const float *source, long stride, long in, long out, float scale, float *packed) {
    long panels = (out + C0_PANEL - 1) / C0_PANEL;
    for (long p = 0; p < panels; p++) {
        float *panel = packed + p * C0_PANEL * in;
        long width = out - p * C0_PANEL < C0_PANEL ? out - p * C0_PANEL : C0_PANEL;
        if (width < C0_PANEL) memset(panel, 0, (size_t)(C0_PANEL * in) * sizeof(float));
        for (long j = 0; j < width; j++) {
            const float *row = source + (p * C0_PANEL + j) * stride;
            for (long k = 0; k < in; k++) panel[k * C0_PANEL + j] = scale * row[k];
        }
    }
}

#if defined(__x86_64__) && defined(__clang__)
#define C0_GEMM_DISPATCH 1
#pragma clang diagnostic ignored "-Wpsabi"

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))), apply_to = function)
#define C0_SUFFIX avx512
#define C0G_VEC g16
#define C0G_W 16
#define C0G_NV 2
#define C0G_MR C0G_MR512
#include "GemmImpl.inc"
#undef C0G_VEC
#undef C0G_W
#undef C0G_NV
#undef C0G_MR
#undef C0_SUFFIX
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define C0_SUFFIX avx2
#define C0G_VEC g8
#define C0G_W 8
#define C0G_NV 2
#define C0G_MR 6
#include "GemmImpl.inc"
#undef C0G_VEC
#undef C0G_W
#undef C0G_NV
#undef C0G_MR
#undef C0_SUFFIX
#pragma clang attribute pop
#endif

// Baseline: 4-float vectors (SSE2 on x86-64, NEON on arm64), 6 × 8 tiles in 12 accumulators.
#define C0_SUFFIX generic
#define C0G_VEC g4
#define C0G_W 4
#define C0G_NV 2
#define C0G_MR 6
#include "GemmImpl.inc"
#undef C0G_VEC
#undef C0G_W
#undef C0G_NV
#undef C0G_MR
#undef C0_SUFFIX

size_t c0_packed_weight_size(long in_features, long out_features) {
    long panels = (out_features + C0_PANEL - 1) / C0_PANEL;
    return (size_t)(panels * C0_PANEL * in_features) * sizeof(float);
}

void c0_pack_weight(const float *weight, long in_features, long out_features, float *packed) {
    c0_pack_panels(weight, in_features, in_features, out_features, 1.0f, packed);
}

size_t c0_attention_scratch_size(long n, long head_size) {
    size_t keys = c0_packed_weight_size(head_size, n), values = (size_t)(n * C0_PANEL) * sizeof(float);
    return keys > values ? keys : values;
}

#if C0_GEMM_DISPATCH
#define C0_GEMM_CALL(name, ...)                                          \
    switch (c0_kernel_level()) {                                         \
    case C0_CPU_AVX512: name##_avx512(__VA_ARGS__); break;               \
    case C0_CPU_AVX2: name##_avx2(__VA_ARGS__); break;                   \
    default: name##_generic(__VA_ARGS__); break;                         \
    }
#else
#define C0_GEMM_CALL(name, ...) name##_generic(__VA_ARGS__);
#endif

void c0_linear_packed(const float *input, long rows, long in_features,
                      const float *packed, long out_features, float *output) {
    c0_linear_packed_panels(input, rows, in_features, packed, out_features, 0,
                            (out_features + C0_PANEL - 1) / C0_PANEL, output);
}

void c0_linear_packed_panels(const float *input, long rows, long in_features, const float *packed,
                             long out_features, long first_panel, long panel_count, float *output) {
    C0_GEMM_CALL(c0_linear_packed_panels, input, rows, in_features, packed, out_features, first_panel,
                 panel_count, output)
}

void c0_attention_scores(const float *query, const float *key, long n, long head_size, long stride,
                         float scale, float *scores, float *scratch) {
    C0_GEMM_CALL(c0_attention_scores, query, key, n, head_size, stride, scale, scores, scratch)
}

void c0_attention_context(const float *probabilities, long n, const float *value, long head_size,
                          long stride, float *context, float *scratch) {
    C0_GEMM_CALL(c0_attention_context, probabilities, n, value, head_size, stride, context, scratch)
}
