import CEmbeddingKernels

/// The instruction set the native model's vectorised kernels run with in this process, picked
/// once from what the CPU and the OS support (BLAS, used only as a fallback, chooses its own
/// kernels separately; see `MatrixProducts`).
public enum KernelInstructionSet: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case baseline = 1
    case avx2 = 2
    case avx512 = 3

    /// The instruction set in use.
    public static var current: KernelInstructionSet {
        KernelInstructionSet(rawValue: c0_kernel_level()) ?? .baseline
    }

    /// The best instruction set the CPU (and the OS) supports, whatever `force` says.
    public static var supported: KernelInstructionSet {
        KernelInstructionSet(rawValue: c0_cpu_kernel_level()) ?? .baseline
    }

    /// For tests: run the kernels with `instructionSet` (at most what the CPU supports), or
    /// with the automatic choice again when nil. Affects the whole process.
    @_spi(Testing)
    public static func force(_ instructionSet: KernelInstructionSet?) {
        c0_force_kernel_level(instructionSet?.rawValue ?? 0)
    }

    public var description: String {
        switch self {
        case .baseline: return "baseline"
        case .avx2: return "avx2"
        case .avx512: return "avx512"
        }
    }
}
