// swift-tools-version:6.1
import class Foundation.ProcessInfo
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Context0",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "context0-api", targets: ["APIServer"]),
        .executable(name: "context0-worker", targets: ["Workers"]),
        .executable(name: "context0-admin", targets: ["Admin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // What every part reads its settings with (`ConfigurationError`) and where a project
        // checkout keeps its files (`ProjectLayout`: .data/, .deps/, sql/). No dependencies.
        .target(name: "Settings", swiftSettings: swiftSettings),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                "Settings",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Jobs",
            dependencies: [
                "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The model's kernels and loops stay optimised in debug builds, which the tests use:
        // unoptimised, one embedding takes seconds instead of milliseconds.
        .target(name: "CEmbeddingKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        .target(
            name: "Embedding",
            dependencies: [
                "Settings",
                "CBLAS",
                "CEmbeddingKernels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "LLM",
            dependencies: [
                "Settings",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Auth",
            dependencies: [
                "Postgres",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Core",
            dependencies: [
                "Settings",
                "Auth",
                "Embedding",
                "LLM",
                "Postgres",
                "Jobs",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP API as a library (`buildApplication`), so tests run it in process;
        // `APIServer` is the `context0-api` executable around it.
        .target(
            name: "API",
            dependencies: [
                "Settings",
                "Postgres",
                "Jobs",
                "Auth",
                "Core",
                "Embedding",
                "LLM",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("OpenAPI/openapi.json")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "APIServer",
            dependencies: [
                "API", "Core", "Embedding", "LLM",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Workers",
            dependencies: [
                "Settings",
                "Postgres",
                "Jobs",
                "Core",
                "Embedding",
                "LLM",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Admin",
            dependencies: [
                "Settings",
                "Postgres",
                "Jobs",
                "Auth",
                "Core",
                "Embedding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "API", "Auth", "Settings", "Embedding", "LLM", "Postgres", "Jobs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        // The API in process (HummingbirdTesting) against the real PostgreSQL: routes,
        // error shapes, authentication, rate-limit headers.
        .testTarget(
            name: "APITests",
            dependencies: ["API", "Auth", "Settings", "Postgres", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Settings", "Postgres", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JobsTests",
            dependencies: ["Jobs", "Postgres", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EmbeddingTests",
            dependencies: ["Settings", "Embedding", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LLMTests",
            dependencies: ["Settings", "LLM", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CoreTests",
            dependencies: ["Core", "Embedding", "Jobs", "Postgres", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ContextAPITests",
            dependencies: ["Auth", "Core", "Embedding", "Jobs", "Postgres", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ResilienceTests",
            dependencies: ["Jobs", "Postgres", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MemoryAPITests",
            dependencies: [
                "Auth", "Core", "Jobs", "Postgres", "TestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "UsageAPITests",
            dependencies: [
                "Auth", "Core", "Postgres", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Auth", "Jobs", "Postgres", "TestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)

// Benchmarks (Benchmarks/<Name>/, `make bench-*`) exist only when CONTEXT0_BENCHMARKS is set
// and non-empty: plain `swift build` and `make test` compile none of them.
if let benchmarks = ProcessInfo.processInfo.environment["CONTEXT0_BENCHMARKS"], !benchmarks.isEmpty {
    package.products += [
        .executable(name: "context0-bench-queue", targets: ["QueueBenchmark"]),
        .executable(name: "context0-embedding-benchmark", targets: ["EmbeddingBenchmark"]),
        .executable(name: "context0-bench-api", targets: ["APIBenchmark"]),
        .executable(name: "context0-bench-memories", targets: ["MemoryBenchmark"]),
        .executable(name: "context0-bench-usage", targets: ["UsageBenchmark"]),
        .executable(name: "context0-bench-chunker", targets: ["ChunkerBenchmark"]),
    ]
    package.targets += [
        .executableTarget(
            name: "ChunkerBenchmark",
            dependencies: ["Core", "Embedding"],
            path: "Benchmarks/Chunker/Sources",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                "Postgres",
                "Settings",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/Support/Sources",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "QueueBenchmark",
            dependencies: [
                "BenchmarkSupport",
                "Postgres",
                "Jobs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/Queue/Sources",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "EmbeddingBenchmark",
            dependencies: ["Embedding"],
            path: "Benchmarks/Embedding/Sources",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "APIBenchmark",
            dependencies: [
                "BenchmarkSupport",
                "Settings",
                "Postgres",
                "Jobs",
                "Auth",
                "Core",
                "Embedding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Benchmarks/API/Sources",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "MemoryBenchmark",
            dependencies: [
                "BenchmarkSupport",
                "Auth",
                "Postgres",
                "Jobs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/Memories/Sources",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "UsageBenchmark",
            dependencies: [
                "BenchmarkSupport",
                "Auth",
                "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/Usage/Sources",
            swiftSettings: swiftSettings
        ),
    ]
}
