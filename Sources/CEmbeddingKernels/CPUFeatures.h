// CPU feature detection for choosing the kernels' instruction set. Not public.
#ifndef C0_CPU_FEATURES_H
#define C0_CPU_FEATURES_H

enum { C0_CPU_BASELINE = 1, C0_CPU_AVX2 = 2, C0_CPU_AVX512 = 3 };

#if defined(__x86_64__)
#include <cpuid.h>

/// The best instruction set the CPU and the OS (saved register state) both support.
static inline int c0_detect_cpu_level(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return C0_CPU_BASELINE;
    int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    if (!osxsave || !avx || !fma) return C0_CPU_BASELINE;
    unsigned xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    (void)xcr0_high;
    if ((xcr0_low & 0x6) != 0x6 || !__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return C0_CPU_BASELINE;
    if (!((ebx >> 5) & 1)) return C0_CPU_BASELINE;  // AVX2
    const unsigned avx512 = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);  // F DQ CD BW VL
    if ((xcr0_low & 0xE6) == 0xE6 && (ebx & avx512) == avx512) return C0_CPU_AVX512;
    return C0_CPU_AVX2;
}
#else
static inline int c0_detect_cpu_level(void) { return C0_CPU_BASELINE; }
#endif

/// `c0_detect_cpu_level()`, computed once (a benign race: every thread computes the same value).
static inline int c0_cpu_level(void) {
    static volatile int level = 0;
    if (level == 0) level = c0_detect_cpu_level();
    return level;
}

#endif
