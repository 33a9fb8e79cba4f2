// swift-tools-version:6.2
import PackageDescription

// Swift 6 language mode (the default for this tools version) with strict concurrency;
// every warning is an error so that nothing questionable lands quietly.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "commscredits",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "commscredits", targets: ["commscredits"]),
        // For the fuzzers (Fuzz/): the rules and the API's readers of outside input.
        .library(name: "CreditsCore", targets: ["CreditsCore"]),
        .library(name: "CreditsAPI", targets: ["CreditsAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // Layer 1: the rules, pure. No I/O, no clock.
        .target(name: "CreditsCore", swiftSettings: strict),
        // Layer 2: the storage protocol and its implementations.
        .target(name: "CreditsStore", dependencies: ["CreditsCore"], swiftSettings: strict),
        .target(
            name: "CreditsStoreSQLite",
            dependencies: [
                "CreditsCore", "CreditsStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CreditsStorePostgres",
            dependencies: [
                "CreditsCore", "CreditsStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Layer 3: services that apply the rules over time, and the payment provider.
        .target(name: "Payments", dependencies: ["CreditsCore"], swiftSettings: strict),
        .target(
            name: "CreditsEngine",
            dependencies: [
                "CreditsCore", "CreditsStore", "Payments",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Layer 3: the notification outbox's delivery: email over SMTP (SwiftNIO) and webhooks.
        .target(
            name: "Notifications",
            dependencies: [
                "CreditsCore", "CreditsStore", "CreditsEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Layer 3: reports: the usage export written to files, the funding advisor.
        .target(
            name: "Reports",
            dependencies: [
                "CreditsCore", "CreditsStore",
                // Also brings zlib's module (CZlib), which the CSV export deflates with.
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        // Layer 4: the HTTP API.
        .target(
            name: "CreditsAPI",
            dependencies: [
                "CreditsCore", "CreditsStore", "CreditsEngine", "Notifications", "Reports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Resources/openapi.yaml")],
            swiftSettings: strict
        ),
        // Layer 4: Diameter credit control, a second door onto the call engine.
        .target(
            name: "CreditsDiameter",
            dependencies: [
                "CreditsCore", "CreditsEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Layer 4: the admin center's pages.
        .target(
            name: "AdminCenter",
            dependencies: [
                "CreditsCore", "CreditsStore", "CreditsEngine", "Notifications", "Reports", "CreditsAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Resources/templates"), .copy("Resources/admin.css")],
            swiftSettings: strict
        ),
        // Beside layer 5: the seeded simulation of the whole service in a world of faults.
        .target(
            name: "Simulation",
            dependencies: [
                "CreditsCore", "CreditsStore", "CreditsStoreSQLite", "CreditsStorePostgres", "CreditsEngine", "Payments", "Notifications",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Layer 5: the composition root shared by the server, the CLI and the tests.
        .target(
            name: "CreditsApp",
            dependencies: [
                "CreditsCore", "CreditsStore", "CreditsStoreSQLite", "CreditsStorePostgres", "CreditsEngine", "Payments", "CreditsAPI",
                "Notifications",
                "AdminCenter", "CreditsDiameter",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources/sample-rate-deck-usd.csv")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "commscredits",
            dependencies: [
                "CreditsApp", "CreditsCore", "CreditsStore", "CreditsStoreSQLite", "CreditsStorePostgres", "CreditsEngine", "Payments",
                "Notifications", "Reports",
                "Simulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strict
        ),
        // The conformance suite's PostgreSQL databases, one per test.
        .target(
            name: "PostgresTestSupport",
            dependencies: ["CreditsStorePostgres", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/PostgresTestSupport",
            swiftSettings: strict
        ),
        // The API tests' typed client, generated from openapi.yaml by Tests/APIClient/generate.
        .target(
            name: "APIClient",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Tests/APIClient/Generated",
            // Generated code: its imports of empty files warn.
            swiftSettings: [.unsafeFlags(["-suppress-warnings"])]
        ),
        .testTarget(name: "CreditsCoreTests", dependencies: ["CreditsCore"], swiftSettings: strict),
        .testTarget(
            name: "CreditsStoreTests",
            dependencies: [
                "CreditsCore", "CreditsStore", "CreditsStoreSQLite", "CreditsStorePostgres", "PostgresTestSupport", "Simulation",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CreditsEngineTests",
            dependencies: [
                "CreditsCore", "CreditsStore", "CreditsStoreSQLite", "CreditsStorePostgres", "PostgresTestSupport", "CreditsEngine",
                "Payments", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation"], swiftSettings: strict),
        .testTarget(name: "NotificationsTests", dependencies: ["Notifications", "CreditsCore"], swiftSettings: strict),
        .testTarget(
            name: "CreditsAppTests",
            dependencies: [
                "CreditsApp", "CreditsCore", "CreditsStore", "CreditsStoreSQLite", "CreditsStorePostgres", "PostgresTestSupport",
                "CreditsEngine", "Payments", "Notifications", "Reports", "CreditsAPI", "APIClient",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
    ]
)
