// Standalone benchmark of c0_linear_packed (Sources/CEmbeddingKernels/Gemm.c) against OpenBLAS
// cblas_sgemm for MiniLM's linear-layer shapes, plus correctness checks against a double
// precision reference. See run.sh: it runs this once with OPENBLAS_CORETYPE=Haswell and once
// without, interleaved, single-threaded.
//
// usage: bench [tag] [repeats]     prints "RESULT tag shape rows impl best median" lines
//        bench check              correctness only
// BENCH_LEVEL=1|2|3 in the environment forces our kernels' instruction set.
#include "CEmbeddingKernels.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static unsigned long long rng = 88172645463325252ULL;
static float uniform(void) {  // [-1, 1)
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1ULL << 24))) * 2.0f - 1.0f;
}

static float *make(long count, float scale) {
    float *p = aligned_alloc(64, ((size_t)count * sizeof(float) + 63) / 64 * 64);
    for (long i = 0; i < count; i++) p[i] = uniform() * scale;
    return p;
}

static void blas_linear(const float *x, long rows, long in, const float *w, long out, float *y) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)out, (int)in,
                1, x, (int)in, w, (int)in, 1, y, (int)out);
}

typedef struct { double max_abs, max_rel, max_scaled; } Error;

/// Errors of `y` (= y0 + x·wᵀ) on the checked rows: absolute, relative to |ref| (where
/// |ref| > 1e-3 · scale), and scaled by Σ|x||w| (the natural float error bound).
static Error check(const float *x, long rows, long in, const float *w, long out,
                   const float *y0, const float *y, long row_step) {
    Error e = {0, 0, 0};
    for (long r = 0; r < rows; r += row_step) {
        for (long o = 0; o < out; o++) {
            double s = y0[r * out + o], m = fabs(y0[r * out + o]);
            for (long k = 0; k < in; k++) {
                s += (double)x[r * in + k] * w[o * in + k];
                m += fabs((double)x[r * in + k] * w[o * in + k]);
            }
            double d = fabs(y[r * out + o] - s);
            if (d > e.max_abs) e.max_abs = d;
            if (d / m > e.max_scaled) e.max_scaled = d / m;
            if (fabs(s) > 1e-3 * m && d / fabs(s) > e.max_rel) e.max_rel = d / fabs(s);
        }
    }
    return e;
}

static int check_case(long rows, long in, long out, long row_step, int level, int with_blas) {
    float *x = make(rows * in, 1), *w = make(out * in, 0.05f), *y0 = make(rows * out, 0.5f);
    float *packed = aligned_alloc(64, (c0_packed_weight_size(in, out) + 63) / 64 * 64);
    float *y = malloc(rows * out * sizeof(float)), *yb = malloc(rows * out * sizeof(float));
    c0_pack_weight(w, in, out, packed);
    c0_force_kernel_level(level);
    memcpy(y, y0, rows * out * sizeof(float));
    c0_linear_packed(x, rows, in, packed, out, y);
    c0_force_kernel_level(0);
    Error e = check(x, rows, in, w, out, y0, y, row_step);
    int ok = e.max_scaled < 1e-5;
    printf("CHECK level=%d rows=%-5ld in=%-5ld out=%-5ld ours: max_abs %.2e max_rel %.2e max_err/sum|xw| %.2e %s",
           level, rows, in, out, e.max_abs, e.max_rel, e.max_scaled, ok ? "ok" : "FAIL");
    if (with_blas) {
        memcpy(yb, y0, rows * out * sizeof(float));
        blas_linear(x, rows, in, w, out, yb);
        Error b = check(x, rows, in, w, out, y0, yb, row_step);
        printf(" | cblas: max_abs %.2e max_rel %.2e max_err/sum|xw| %.2e", b.max_abs, b.max_rel, b.max_scaled);
    }
    printf("\n");
    free(x); free(w); free(y0); free(packed); free(y); free(yb);
    return ok;
}

/// One head: scores = scale·Q·Kᵀ and context = P·V (P random rows, as after softmax) against a
/// double-precision reference; errors scaled by Σ|terms|.
static int check_attention(long n, long d, long stride, int level, int with_blas) {
    float *q = make(n * stride, 1), *k = make(n * stride, 1), *v = make(n * stride, 1);
    float *p = make(n * n, 1), *scores = make(n * n, 1), *context = make(n * stride, 1);
    float *scratch = malloc(c0_attention_scratch_size(n, d));
    float scale = 1 / sqrtf((float)d);
    c0_force_kernel_level(level);
    c0_attention_scores(q, k, n, d, stride, scale, scores, scratch);
    c0_attention_context(p, n, v, d, stride, context, scratch);
    c0_force_kernel_level(0);
    double es = 0, ec = 0, bs = 0, bc = 0;
    float *scores_b = make(n * n, 1), *context_b = make(n * stride, 1);
    if (with_blas) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, scale, q, (int)stride, k, (int)stride, 0, scores_b, (int)n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)d, (int)n, 1, p, (int)n, v, (int)stride, 0, context_b, (int)stride);
    }
    for (long i = 0; i < n; i++) {
        for (long j = 0; j < n; j++) {
            double s = 0, m = 0;
            for (long t = 0; t < d; t++) { s += (double)q[i * stride + t] * k[j * stride + t]; m += fabs((double)q[i * stride + t] * k[j * stride + t]); }
            s *= scale; m *= scale;
            if (fabs(scores[i * n + j] - s) / m > es) es = fabs(scores[i * n + j] - s) / m;
            if (with_blas && fabs(scores_b[i * n + j] - s) / m > bs) bs = fabs(scores_b[i * n + j] - s) / m;
        }
        for (long t = 0; t < d; t++) {
            double s = 0, m = 0;
            for (long j = 0; j < n; j++) { s += (double)p[i * n + j] * v[j * stride + t]; m += fabs((double)p[i * n + j] * v[j * stride + t]); }
            if (fabs(context[i * stride + t] - s) / m > ec) ec = fabs(context[i * stride + t] - s) / m;
            if (with_blas && fabs(context_b[i * stride + t] - s) / m > bc) bc = fabs(context_b[i * stride + t] - s) / m;
        }
    }
    int ok = es < 1e-5 && ec < 1e-5;
    printf("CHECK level=%d attention n=%-4ld head=%-3ld stride=%-4ld ours: scores err/sum|terms| %.2e, context %.2e %s",
           level, n, d, stride, es, ec, ok ? "ok" : "FAIL");
    if (with_blas) printf(" | cblas: %.2e, %.2e", bs, bc);
    printf("\n");
    free(q); free(k); free(v); free(p); free(scores); free(context); free(scratch); free(scores_b); free(context_b);
    return ok;
}

static int checks(void) {
    int ok = 1;
    static const long shapes[3][2] = {{384, 384}, {384, 1536}, {1536, 384}};
    for (int s = 0; s < 3; s++) {
        ok &= check_case(256, shapes[s][0], shapes[s][1], 1, 0, 1);
        ok &= check_case(8192, shapes[s][0], shapes[s][1], 61, 0, 1);
        ok &= check_case(10, shapes[s][0], shapes[s][1], 1, 0, 1);
    }
    // Odd sizes (row, column and K remainders) for every instruction set.
    static const long odd[][3] = {{1, 1, 1}, {13, 100, 70}, {29, 17, 33}, {7, 385, 31}, {50, 777, 65}, {3, 2000, 96}};
    for (int level = 1; level <= c0_kernel_level(); level++) {
        for (unsigned i = 0; i < sizeof odd / sizeof odd[0]; i++) ok &= check_case(odd[i][0], odd[i][1], odd[i][2], 1, level, 0);
        ok &= check_case(256, 384, 1536, 7, level, 0);
    }
    static const long attention[][3] = {{256, 32, 384}, {10, 32, 384}, {37, 32, 384}, {100, 64, 768}, {33, 20, 60}, {5, 48, 100}};
    for (int level = 1; level <= c0_kernel_level(); level++) {
        for (unsigned i = 0; i < sizeof attention / sizeof attention[0]; i++) {
            ok &= check_attention(attention[i][0], attention[i][1], attention[i][2], level, level == c0_kernel_level());
        }
    }
    printf("CHECKS %s\n", ok ? "PASSED" : "FAILED");
    return ok;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum { IMPLS = 3 };
static const char *impl_names[IMPLS] = {"ours", "cblas", "few_rows"};

static void run(int impl, const float *x, long rows, long in, const float *w, const float *packed, long out, float *y) {
    switch (impl) {
    case 0: c0_linear_packed(x, rows, in, packed, out, y); break;
    case 1: blas_linear(x, rows, in, w, out, y); break;
    case 2: c0_linear_few_rows(x, rows, in, w, out, y); break;
    }
}

static void bench(const char *tag, int repeats) {
    static const long shapes[3][2] = {{384, 384}, {384, 1536}, {1536, 384}};
    static const long row_counts[4] = {10, 256, 2048, 8192};
    for (int s = 0; s < 3; s++) {
        long in = shapes[s][0], out = shapes[s][1];
        float *w = make(out * in, 0.05f);
        float *packed = aligned_alloc(64, (c0_packed_weight_size(in, out) + 63) / 64 * 64);
        c0_pack_weight(w, in, out, packed);
        for (int rc = 0; rc < 4; rc++) {
            long rows = row_counts[rc];
            float *x = make(rows * in, 1), *y = make(rows * out, 0.5f);
            double flops = 2.0 * rows * in * out;
            long iterations = (long)(0.03e9 * 30 / flops);  // ~30 ms at 30 GFLOP/s
            if (iterations < 1) iterations = 1;
            int impls = rows <= 48 ? 3 : 2;
            double rates[IMPLS][64];
            for (int i = 0; i < impls; i++) run(i, x, rows, in, w, packed, out, y);  // warm up
            for (int rep = 0; rep < repeats; rep++) {
                for (int i0 = 0; i0 < impls; i0++) {
                    int i = (i0 + rep) % impls;  // rotate the order
                    double t = now();
                    for (long it = 0; it < iterations; it++) run(i, x, rows, in, w, packed, out, y);
                    rates[i][rep] = flops * iterations / (now() - t) * 1e-9;
                }
            }
            for (int i = 0; i < impls; i++) {
                qsort(rates[i], repeats, sizeof(double), compare_doubles);
                printf("RESULT %s %ldx%ld %ld %s %.1f %.1f\n", tag, in, out, rows, impl_names[i],
                       rates[i][repeats - 1], rates[i][repeats / 2]);
            }
            fflush(stdout);
            free(x); free(y);
        }
        free(w); free(packed);
    }
}

/// Attention per sequence of n tokens: 12 heads of 32, rows 384 apart, as BertEncoder calls it.
static void bench_attention(const char *tag, int repeats) {
    static const long lengths[4] = {10, 64, 128, 256};
    const long heads = 12, d = 32, stride = 384;
    for (int li = 0; li < 4; li++) {
        long n = lengths[li];
        float *q = make(n * stride, 1), *k = make(n * stride, 1), *v = make(n * stride, 1);
        float *scores = make(n * n, 1), *context = make(n * stride, 1);
        float *scratch = malloc(c0_attention_scratch_size(n, d));
        double flops = 2.0 * n * n * d * heads;  // per product, all heads
        long iterations = (long)(0.02e9 * 30 / flops) + 1;
        double rates[4][64];
        for (int rep = 0; rep < repeats; rep++) {
            for (int i0 = 0; i0 < 4; i0++) {
                int i = (i0 + rep) % 4;
                double t = now();
                for (long it = 0; it < iterations; it++) {
                    for (long h = 0; h < heads; h++) {
                        long c = h * d;
                        switch (i) {
                        case 0: c0_attention_scores(q + c, k + c, n, d, stride, 0.17f, scores, scratch); break;
                        case 1: cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, 0.17f, q + c, (int)stride, k + c, (int)stride, 0, scores, (int)n); break;
                        case 2: c0_attention_context(scores, n, v + c, d, stride, context + c, scratch); break;
                        case 3: cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)d, (int)n, 1, scores, (int)n, v + c, (int)stride, 0, context + c, (int)stride); break;
                        }
                    }
                }
                rates[i][rep] = flops * iterations / (now() - t) * 1e-9;
            }
        }
        static const char *names[4] = {"ours_qk", "cblas_qk", "ours_pv", "cblas_pv"};
        for (int i = 0; i < 4; i++) {
            qsort(rates[i], repeats, sizeof(double), compare_doubles);
            printf("RESULT %s attention/n %ld %s %.1f %.1f\n", tag, n, names[i], rates[i][repeats - 1], rates[i][repeats / 2]);
        }
        fflush(stdout);
        free(q); free(k); free(v); free(scores); free(context); free(scratch);
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "check") == 0) return checks() ? 0 : 1;
    const char *tag = argc > 1 ? argv[1] : "run";
    int repeats = argc > 2 ? atoi(argv[2]) : 7;
    if (repeats < 1) repeats = 1;
    if (repeats > 64) repeats = 64;
    // BENCH_LEVEL=1|2|3 runs our kernels with that instruction set (baseline, AVX2, AVX-512).
    if (getenv("BENCH_LEVEL")) c0_force_kernel_level(atoi(getenv("BENCH_LEVEL")));
    fprintf(stderr, "%s: kernel level %d, OPENBLAS_CORETYPE=%s, openblas config: %s\n", tag, c0_kernel_level(),
            getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)", openblas_get_config());
    bench(tag, repeats);
    bench_attention(tag, repeats);
    return 0;
}
