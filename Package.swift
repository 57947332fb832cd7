// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // Exclusivity is checked statically; the dynamic checks cost ~2% on the request path (perf).
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),

]

let package = Package(
    name: "Tidegate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tidegate", targets: ["tidegate"]),
        .executable(name: "spop-codec-bench", targets: ["spop-codec-bench"]),
        .executable(name: "tidegate-spoa", targets: ["tidegate-spoa"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: [
        // HAProxy-style configuration: lexer, sections, keyword parsing, typed model, file:line errors.
        .target(name: "TidegateConfig", swiftSettings: swiftSettings),
        // HTTP/1.1 wire codec: message heads kept as received bytes plus an index, body framing.
        .target(
            name: "TidegateHTTP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // Model and data-plane logic independent of sockets: samples, ACLs, log formats, balancing.
        .target(
            name: "TidegateCore",
            dependencies: [
                "TidegateConfig", "TidegateHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The runtime API (HAProxy's stats socket): command-line syntax, the per-connection session state machine,
        // the command table and HAProxy's commands over the model, the listeners.
        .target(
            name: "TidegateRuntime",
            dependencies: [
                "TidegateConfig", "TidegateCore", "TidegateHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // NIO listeners, stream forwarding, server pools, rule evaluation, logging sinks.
        .target(
            name: "TidegateProxy",
            dependencies: [
                "TidegateConfig", "TidegateHTTP", "TidegateCore", "TidegateLuaAPI", "TidegateRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Debian's Lua 5.4 (headers and link) through pkg-config.
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        // The only C of the Lua engine: macro wrappers, limit allocator, trampolines, count hook. Only C may longjmp.
        .target(name: "CTidegateLua", dependencies: ["CLua"]),
        // The Lua engine core: states, values, coroutines, limits.
        .target(name: "TidegateLua", dependencies: ["CTidegateLua"], swiftSettings: swiftSettings),
        // HAProxy's Lua API on top of the engine: script loading, registrations, the scheduler that runs coroutines
        // on the event loops, and the TXN/HTTP/Applet/Socket/Map... bindings.
        .target(
            name: "TidegateLuaAPI",
            dependencies: [
                "TidegateLua", "TidegateCore", "TidegateHTTP", "TidegateConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // HAProxy's SPOP (SPOE offload protocol) as a pure codec: varints, typed data, frames, HELLO negotiation,
        // and the per-connection protocol state machine. No sockets.
        .target(
            name: "SPOP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // Debian's CPython 3 (python3-dev: headers, and libpython through pkg-config `python3-embed`).
        .systemLibrary(name: "CPython3", pkgConfig: "python3-embed", providers: [.apt(["python3-dev"])]),
        // The only C of the agent's Python engine: wrappers for object macros and the `spoa` module definition.
        .target(name: "CTidegatePython", dependencies: ["CPython3"]),
        // The offload agent: SPOP server on NIO (one connection handler per HAProxy connection driving the SPOP state
        // machine), worker event loops each with its own script interpreters, handler dispatch, counters, shutdown.
        .target(
            name: "TidegateSPOA",
            dependencies: [
                "SPOP", "TidegateLua", "TidegateCore", "CTidegatePython",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // `tidegate-spoa -p <port> -n <workers> -d -f <file>...`: argument parsing and wiring only.
        .executableTarget(
            name: "tidegate-spoa",
            dependencies: [
                "TidegateSPOA",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Codec micro-benchmark: decode a NOTIFY and encode an ACK in a loop (bench/spop-codec-bench.sh).
        .executableTarget(
            name: "spop-codec-bench",
            dependencies: ["SPOP", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tidegate",
            dependencies: [
                "TidegateProxy", "TidegateConfig", "TidegateCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TidegateConfigTests", dependencies: ["TidegateConfig"], swiftSettings: swiftSettings),
        // Shared by the test targets only: the seeded generator of the fuzz and robustness tests.
        .target(name: "TestRandom", path: "Tests/TestRandom", swiftSettings: swiftSettings),
        .testTarget(
            name: "TidegateHTTPTests",
            dependencies: ["TidegateHTTP", "TestRandom", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TidegateCoreTests",
            dependencies: ["TidegateCore", "TidegateConfig", "TidegateHTTP"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SPOPTests",
            dependencies: ["SPOP", "TestRandom", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TidegateSPOATests",
            dependencies: [
                "TidegateSPOA", "SPOP", "TidegateLua",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TidegateLuaTests", dependencies: ["TidegateLua"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TidegateRuntimeTests",
            dependencies: [
                "TidegateRuntime", "TidegateCore", "TidegateConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TidegateLuaAPITests",
            dependencies: [
                "TidegateLuaAPI", "TidegateLua", "TidegateCore", "TidegateHTTP", "TidegateConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["SPOA/Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
