import CEmbeddingKernels

/// How the forward pass computes its matrix products (linear layers and attention).
public enum MatrixProducts: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The project's own kernels (`Sources/CEmbeddingKernels/Gemm.c`): the linear layers'
    /// weights are packed once at load into 32-feature panels, and every product runs
    /// register-blocked AVX-512 or AVX2+FMA code picked at run time (`KernelInstructionSet`),
    /// independent of which kernels the BLAS library would choose (e.g. `OPENBLAS_CORETYPE`).
    case packed
    /// OpenBLAS's `cblas_sgemm` (with `c0_linear_few_rows` for a query's few rows): the
    /// fallback where the project's kernels have only their portable baseline (4-wide vectors,
    /// ~45 GFLOP/s), i.e. on other architectures than x86-64 and on x86-64 CPUs without AVX2,
    /// where OpenBLAS's per-CPU kernels are faster.
    case blas

    /// The choice for this machine: `packed` on x86-64 with AVX2+FMA or AVX-512, else `blas`.
    public static var automatic: MatrixProducts {
        #if arch(x86_64)
        return KernelInstructionSet.supported.rawValue >= KernelInstructionSet.avx2.rawValue ? .packed : .blas
        #else
        return .blas
        #endif
    }

    public var description: String { rawValue }
}
