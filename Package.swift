// swift-tools-version:6.0
// docker-server: a per-connection REST server for the Docker Engine API. No package
// dependencies: the toolchain (stdlib, Glibc) only.
import PackageDescription

let package = Package(
    name: "docker-server",
    products: [
        .executable(name: "docker-server", targets: ["docker-server"]),
    ],
    targets: [
        // Pure logic: parsing, routing, validation, policy, JSON. No syscalls.
        .target(name: "DockerServerCore"),
        // The only code that makes syscalls: stdin/stdout, the engine socket, files, processes.
        .target(name: "DockerServerIO", dependencies: ["DockerServerCore"]),
        // A release build is the shipped binary: a static executable (no dynamic loader, no
        // shared Swift runtime to map: the process starts per connection) and stripped (fewer
        // pages to fault in at each start). See docs/BENCHMARKS.md.
        .executableTarget(name: "docker-server", dependencies: ["DockerServerCore", "DockerServerIO"],
                          linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "-s"], .when(configuration: .release))]),
        // Recordings/: engine answers the handler tests read from disk.
        .testTarget(name: "DockerServerCoreTests", dependencies: ["DockerServerCore"], exclude: ["Recordings"]),
        .testTarget(name: "EndToEndTests", dependencies: ["DockerServerCore", "DockerServerIO"]),
    ]
)
