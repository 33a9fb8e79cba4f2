// swift-tools-version:6.2
import PackageDescription

// libFuzzer targets for every reader of outside input. Build and run them with `Fuzz/run`
// (`swift build -Xswiftc -sanitize=fuzzer,address`); each takes bytes and must never crash, and
// what it accepts must read back the same.
let fuzzer: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "commscredits-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "commscredits", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzRateDeck",
            dependencies: ["FuzzSupport", .product(name: "CreditsCore", package: "commscredits")],
            swiftSettings: fuzzer
        ),
        .executableTarget(
            name: "FuzzUserFile",
            dependencies: ["FuzzSupport", .product(name: "CreditsCore", package: "commscredits")],
            swiftSettings: fuzzer
        ),
        .executableTarget(
            name: "FuzzWebhookURL",
            dependencies: ["FuzzSupport", .product(name: "CreditsCore", package: "commscredits")],
            swiftSettings: fuzzer
        ),
        .executableTarget(
            name: "FuzzPhoneNumber",
            dependencies: ["FuzzSupport", .product(name: "CreditsCore", package: "commscredits")],
            swiftSettings: fuzzer
        ),
        .executableTarget(
            name: "FuzzCallJSON",
            dependencies: [
                "FuzzSupport", .product(name: "CreditsCore", package: "commscredits"),
                .product(name: "CreditsAPI", package: "commscredits"),
            ],
            swiftSettings: fuzzer
        ),
        .executableTarget(
            name: "FuzzUsageJSON",
            dependencies: [
                "FuzzSupport", .product(name: "CreditsCore", package: "commscredits"),
                .product(name: "CreditsAPI", package: "commscredits"),
            ],
            swiftSettings: fuzzer
        ),
    ]
)
