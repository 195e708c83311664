import CBLAS
import CEmbeddingKernels

/// The matrix and element-wise kernels of the forward pass. Matrices are row-major; widths
/// are multiples of 16 (hidden 384, intermediate 1536).
enum Kernels {
    /// For `MatrixProducts.blas`: up to this many rows, `linear` streams the weights through
    /// `c0_linear_few_rows` instead of calling BLAS, which would repack every weight matrix for
    /// a handful of query tokens. (Measured on AVX-512: ~1.6× faster at 10-30 rows.)
    static let fewRowsLimit = 48

    /// `output[rows, outFeatures] += input[rows, inFeatures] · weightᵀ`, with PyTorch's
    /// `[outFeatures, inFeatures]` weight layout: through the packed copy when there is one,
    /// else (the BLAS fallback) `c0_linear_few_rows` or `cblas_sgemm`.
    static func linear(
        _ input: UnsafePointer<Float>, rows: Int, weight: LinearWeight, output: UnsafeMutablePointer<Float>
    ) {
        let inFeatures = weight.inFeatures, outFeatures = weight.outFeatures
        if let packed = weight.packed {
            c0_linear_packed(input, rows, inFeatures, packed, outFeatures, output)
        } else if rows <= fewRowsLimit {
            c0_linear_few_rows(input, rows, inFeatures, weight.original, outFeatures, output)
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans,
                Int32(rows), Int32(outFeatures), Int32(inFeatures),
                1, input, Int32(inFeatures), weight.original, Int32(inFeatures),
                1, output, Int32(outFeatures)
            )
        }
    }

    /// Copies `row` into each of the `rows` rows of `matrix`.
    static func broadcastRows(_ row: UnsafePointer<Float>, into matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows {
            (matrix + r * columns).update(from: row, count: columns)
        }
    }

    /// `output[r] = LayerNorm(input[r] + bias) · weight + normBias` for every row, biased
    /// variance and `epsilon` inside the square root, as `torch.nn.LayerNorm`.
    static func layerNorm(
        _ input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, columns: Int,
        weight: UnsafePointer<Float>, normBias: UnsafePointer<Float>, epsilon: Float,
        output: UnsafeMutablePointer<Float>
    ) {
        c0_layer_norm(input, bias, rows, columns, weight, normBias, epsilon, output)
    }

    /// The exact GELU, `x · Φ(x) = x/2 · (1 + erf(x/√2))`, in place.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        c0_gelu(values, count)
    }

    /// Row-wise softmax in place, subtracting each row's maximum first.
    static func softmaxRows(_ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        c0_softmax_rows(matrix, rows, columns)
    }
}
