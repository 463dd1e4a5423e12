import Testing
@testable import DockerServerCore

let hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// MARK: - Image references

@Suite("ImageReference")
struct ImageReferenceTests {
    @Test(arguments: [
        ("redis", "redis", nil, nil, "latest"),
        ("redis:7", "redis", "7", nil, "7"),
        ("redis:7.2-alpine_X", "redis", "7.2-alpine_X", nil, "7.2-alpine_X"),
        ("library/redis:latest", "library/redis", "latest", nil, "latest"),
        ("127.0.0.1:5000/ds-test/busybox:1", "127.0.0.1:5000/ds-test/busybox", "1", nil, "1"),
        ("localhost:5000/a/b@sha256:" + hex64, "localhost:5000/a/b", nil, "sha256:" + hex64, "sha256:" + hex64),
        ("localhost:5000/a/b:v1@sha256:" + hex64, "localhost:5000/a/b", "v1", "sha256:" + hex64, "sha256:" + hex64),
        ("redis@sha256:" + hex64, "redis", nil, "sha256:" + hex64, "sha256:" + hex64),
        ("localhost/foo", "localhost/foo", nil, nil, "latest"),
        ("localhost:5000", "localhost", "5000", nil, "5000"),
        ("ghcr.io/owner/app:2024.01", "ghcr.io/owner/app", "2024.01", nil, "2024.01"),
        ("registry.example.com:443/a/b/c/d", "registry.example.com:443/a/b/c/d", nil, nil, "latest"),
        ("[::1]:5000/img:tag", "[::1]:5000/img", "tag", nil, "tag"),
        ("Registry.Example.com/img", "Registry.Example.com/img", nil, nil, "latest"),
        ("a__b/c--d/e.f/g_h", "a__b/c--d/e.f/g_h", nil, nil, "latest"),
        ("0/1", "0/1", nil, nil, "latest"),
    ] as [(String, String, String?, String?, String)])
    func valid(text: String, name: String, tag: String?, digest: String?, pullTag: String) throws {
        let image = try ImageReference(text)
        #expect(image.name == name)
        #expect(image.tag == tag)
        #expect(image.digest == digest)
        #expect(image.pullTag == pullTag)
        #expect(image.description == text)
    }

    @Test(arguments: [
        "", "Redis", "library/Redis", "redis:", ":7", "redis:-x", "redis:.x", "redis:a/b", "a;b", "a;touch /tmp/x", "a b",
        "a//b", "/a", "a/", "-a", "a-", "a..b", "a___b", "a._b", "redis@sha256:abc", "redis@sha256:" + hex64 + "x",
        "redis@SHA256:" + hex64, "redis@:" + hex64, "redis@" + hex64, "..", "../images/json", "./x", "localhost:0/a",
        "localhost:65536/a", "localhost:port/a", "-host.com/a", "host_x.com/a", "[::1/a", "[]/a", "é", "a/é",
        "redis:" + String(repeating: "t", count: 129), String(repeating: "a", count: 256), "a\u{0}b", "a?b", "a#b", "a%2Fb",
    ])
    func invalid(text: String) {
        let error = httpError { _ = try ImageReference(text) }
        #expect(error?.status == 400, "\(text)")
        #expect(error?.reason == .badImage)
        #expect(error?.message.hasPrefix("invalid image reference \"\(text)\": ") == true)
    }

    @Test func longestTagAccepted() throws {
        let tag = String(repeating: "t", count: 128)
        #expect(try ImageReference("redis:" + tag).tag == tag)
    }

    @Test func longestPathAccepted() throws {
        let name = String(repeating: "a", count: 255)
        #expect(try ImageReference(name).name == name)
    }

    @Test func pullRequestEncodesEveryPart() throws {
        let image = try ImageReference("127.0.0.1:5000/ds-test/busybox:1")
        #expect(EngineAPI.pull(image) == EngineRequest(.imageCreate, method: "POST", path: "/images/create?fromImage=127.0.0.1%3A5000%2Fds-test%2Fbusybox&tag=1"))
        let pinned = try ImageReference("localhost:5000/a/b@sha256:" + hex64)
        #expect(EngineAPI.pull(pinned).path == "/images/create?fromImage=localhost%3A5000%2Fa%2Fb&tag=sha256%3A" + hex64)
        #expect(EngineAPI.pull(try ImageReference("redis")).path == "/images/create?fromImage=redis&tag=latest")
    }
}

// MARK: - Container names

@Suite("ContainerReference")
struct ContainerReferenceTests {
    @Test(arguments: ["a", "abc", "p-redis", "a.b_c-d", "0abc", "A9", hex64, String(hex64.prefix(12)), String(repeating: "x", count: 255)])
    func valid(name: String) throws {
        #expect(ContainerReference.isValid(name))
        #expect(try ContainerReference.validate(name) == name)
    }

    @Test(arguments: ["", "a;touch /tmp/x", "_a", ".a", "-a", "a b", "a/b", "..", "a:b", "a\u{0}", "é", "a$b", "a\nb", String(repeating: "x", count: 256)])
    func invalid(name: String) {
        #expect(!ContainerReference.isValid(name))
        let error = httpError { _ = try ContainerReference.validate(name) }
        #expect(error?.status == 400)
        #expect(error?.reason == .badName)
    }

    @Test func messageNamesTheRule() {
        let error = httpError { _ = try ContainerReference.validate("a;touch /tmp/x", what: "container name") }
        #expect(error?.message == "invalid container name \"a;touch /tmp/x\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 255 characters, a leading / allowed)")
    }
}

// MARK: - Ports

@Suite("PortBinding")
struct PortBindingTests {
    @Test(arguments: [
        ("8080", "80", "", 8080, 80, "tcp"),
        ("8080/udp", "80", "", 8080, 80, "udp"),
        ("8080", "80/udp", "", 8080, 80, "udp"),
        ("8080/UDP", "80/udp", "", 8080, 80, "udp"),
        ("53/sctp", "53", "", 53, 53, "sctp"),
        ("127.0.0.1:8080", "80", "127.0.0.1", 8080, 80, "tcp"),
        ("0.0.0.0:1", "65535/tcp", "0.0.0.0", 1, 65535, "tcp"),
        ("[::1]:8080", "80", "::1", 8080, 80, "tcp"),
        ("[::]:8080/udp", "80", "::", 8080, 80, "udp"),
        ("[2001:db8::1]:443", "8443", "2001:db8::1", 443, 8443, "tcp"),
        ("[::ffff:10.0.0.1]:80", "80", "::ffff:10.0.0.1", 80, 80, "tcp"),
        ("[1:2:3:4:5:6:7:8]:80", "80", "1:2:3:4:5:6:7:8", 80, 80, "tcp"),
    ])
    func valid(key: String, value: String, ip: String, hostPort: Int, containerPort: Int, proto: String) throws {
        let port = try PortBinding(host: key, container: value)
        #expect(port.hostIP == ip)
        #expect(port.hostPort == hostPort)
        #expect(port.containerPort == containerPort)
        #expect(port.proto == proto)
        #expect(port.containerKey == "\(containerPort)/\(proto)")
    }

    @Test(arguments: [
        ("0", "80"), ("65536", "80"), ("abc", "80"), ("8080", "0"), ("8080", "65536"), ("8080", "abc"), ("", "80"), ("8080", ""),
        ("-1", "80"), ("+80", "80"), ("080000", "80"), ("8080/udp", "80/tcp"), ("8080/icmp", "80"), ("8080", "80/"),
        ("256.0.0.1:80", "80"), ("1.2.3:80", "80"), ("01.2.3.4:80", "80"), ("localhost:80", "80"), (":80", "80"),
        ("::1:8080", "80"), ("[::1]8080", "80"), ("[::1]", "80"), ("[zz::1]:80", "80"), ("[1::2::3]:80", "80"),
        ("[:::]:80", "80"), ("[1:::2]:80", "80"), ("[:1::2]:80", "80"), ("[1::2:]:80", "80"), ("[1.2.3.4::]:80", "80"),
        ("[1:2:3:4:5:6:7]:80", "80"), ("[1:2:3:4:5:6:7:8:9]:80", "80"), ("[12345::1]:80", "80"), ("[1.2.3.4]:80", "80"),
        ("1.2.3.4:80", "1.2.3.4:80"), ("8080;rm", "80"), ("８０", "80"),
    ])
    func invalid(key: String, value: String) {
        let error = httpError { _ = try PortBinding(host: key, container: value) }
        #expect(error?.status == 400, "\(key) -> \(value)")
        #expect(error?.reason == .badPort)
        #expect(error?.message.hasPrefix("invalid port mapping \"\(key)\" -> \"\(value)\": ") == true)
    }

    @Test(arguments: ["::", "::1", "1::", "1:2:3:4:5:6:7:8", "1::8", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "fe80::1:2", "ABCD::ef"])
    func validIPv6(text: String) {
        #expect(PortBinding.isIPv6(text))
    }

    @Test(arguments: ["", "1", ":", ":::", "1:::2", ":1::2", "1::2:", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "1::2::3",
                      "1.2.3.4::", "::1.2.3.4:5", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:1.2.3.4", "g::1", "12345::", "::256.1.1.1"])
    func invalidIPv6(text: String) {
        #expect(!PortBinding.isIPv6(text))
    }

    @Test(arguments: [("0.0.0.0", true), ("255.255.255.255", true), ("10.0.0.1", true), ("256.0.0.0", false), ("1.2.3", false),
                      ("1.2.3.4.5", false), ("01.2.3.4", false), ("1..3.4", false), ("a.b.c.d", false), ("", false)])
    func ipv4(text: String, valid: Bool) {
        #expect(PortBinding.isIPv4(text) == valid)
    }
}

// MARK: - Volumes

@Suite("VolumeBinding")
struct VolumeBindingTests {
    @Test(arguments: [
        ("/tmp/d", "/data", "/tmp/d", "/data", false, "/tmp/d:/data"),
        ("/tmp/d", "/data:ro", "/tmp/d", "/data", true, "/tmp/d:/data:ro"),
        ("/tmp/d", "/data:rw", "/tmp/d", "/data", false, "/tmp/d:/data"),
        ("/", "/host", "/", "/host", false, "/:/host"),
        ("my-vol", "/var/lib/x", "my-vol", "/var/lib/x", false, "my-vol:/var/lib/x"),
        ("/tmp/my dir", "/da ta:ro", "/tmp/my dir", "/da ta", true, "/tmp/my dir:/da ta:ro"),
    ])
    func valid(key: String, value: String, source: String, target: String, readOnly: Bool, bind: String) throws {
        let volume = try VolumeBinding(host: key, container: value)
        #expect(volume.source == source)
        #expect(volume.target == target)
        #expect(volume.readOnly == readOnly)
        #expect(volume.bind == bind)
    }

    @Test(arguments: [
        ("tmp/d", "/data"), ("./d", "/data"), ("a", "/data"), ("", "/data"), ("/tmp/d", "data"), ("/tmp/d", ""), ("/tmp/d", ":ro"),
        ("/tmp/d", "/data:ro:ro"), ("/tmp/d", "/data:z"), ("/a:b", "/data"), ("/a,b", "/data"), ("/tmp/d", "/da,ta"),
        ("/tmp/\u{0}", "/data"), ("/tmp/d", "/data\n"), ("-vol", "/data"), ("/tmp/d", "/data:RO"),
    ])
    func invalid(key: String, value: String) {
        let error = httpError { _ = try VolumeBinding(host: key, container: value) }
        #expect(error?.status == 400, "\(key) -> \(value)")
        #expect(error?.reason == .badVolume)
    }
}

// MARK: - Run and exec options

@Suite("RunOptions and ExecOptions")
struct RunOptionsTests {
    static func fields(_ form: String) throws -> RequestFields { try RequestFields(form: form) }

    @Test func minimal() throws {
        let options = try RunOptions(fields: Self.fields("image=redis"), defaultName: "0b7e6d9c-1c5a-4f51-9a0e-2f6c3a1d4e5f")
        #expect(options.image == (try ImageReference("redis")))
        #expect(options.name == "0b7e6d9c-1c5a-4f51-9a0e-2f6c3a1d4e5f")
        #expect(!options.remove)
        #expect(!options.detach)
        #expect(options.ports.isEmpty)
        #expect(options.volumes.isEmpty)
        #expect(options.argv == nil)
        #expect(serialized(options.createConfig) ==
            "{\"Image\":\"redis\",\"AttachStdin\":false,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":false,\"OpenStdin\":false,"
            + "\"StdinOnce\":false,\"ExposedPorts\":{},\"HostConfig\":{\"PortBindings\":{},\"Binds\":[],\"AutoRemove\":false}}")
    }

    @Test func everything() throws {
        let form = "name=p-redis&image=redis:7&remove=yes&detach=on&ports[1234]=6379&ports[127.0.0.1:1235]=6379"
            + "&ports[53/udp]=53&volumes[/tmp/data]=/data:ro&data=redis-server+--port+'6379'"
        let options = try RunOptions(fields: Self.fields(form), defaultName: "unused")
        #expect(options.name == "p-redis")
        #expect(options.remove)
        #expect(options.detach)
        #expect(options.argv == ["redis-server", "--port", "6379"])
        #expect(serialized(options.createConfig) ==
            "{\"Image\":\"redis:7\",\"Cmd\":[\"redis-server\",\"--port\",\"6379\"],\"AttachStdin\":false,\"AttachStdout\":false,"
            + "\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"ExposedPorts\":{\"6379/tcp\":{},\"53/udp\":{}},"
            + "\"HostConfig\":{\"PortBindings\":{\"6379/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"1234\"},{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"1235\"}],"
            + "\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"53\"}]},\"Binds\":[\"/tmp/data:/data:ro\"],\"AutoRemove\":true}}")
    }

    @Test func jsonBody() throws {
        let body = "{\"image\":\"busybox\",\"data\":[\"sh\",\"-c\",\"echo $((6*7))\"],\"ports\":{\"8080\":80}}"
        let options = try RunOptions(fields: RequestFields(body: bytes(body), contentType: "application/json"), defaultName: "n")
        #expect(options.argv == ["sh", "-c", "echo $((6*7))"])
        #expect(options.ports == [try PortBinding(host: "8080", container: "80")])
    }

    @Test(arguments: [
        ("name=x", "missing_image"), ("image=", "missing_image"), ("image[a]=b", "bad_field"), ("image=Redis", "bad_image"),
        ("image=redis&name=a;touch+/tmp/x", "bad_name"), ("image=redis&name=-x", "bad_name"), ("image=redis&remove=maybe", "bad_field"),
        ("image=redis&ports[0]=80", "bad_port"), ("image=redis&ports=80", "bad_field"), ("image=redis&volumes[rel]=/x:ro:ro", "bad_volume"),
        ("image=redis&data='unterminated", "bad_data"),
    ])
    func invalidRunsAre400(form: String, reason: String) throws {
        let error = httpError { _ = try RunOptions(fields: Self.fields(form), defaultName: "n") }
        #expect(error?.status == 400)
        #expect(error?.reason.rawValue == reason)
    }

    @Test func dockerRunSettingsInForm() throws {
        let form = "image=redis&env[A]=1&env[B]=x%3Dy&workdir=/srv&user=1000:1000&entrypoint=/bin/sh+-c&labels[app]=web"
            + "&labels[tier]=&restart=on-failure:2&memory=512m&cpus=1.5&network=host&hostname=db-1.local&init=true&read_only=yes"
        let options = try RunOptions(fields: Self.fields(form), defaultName: "n")
        #expect(options.environment == ["A=1", "B=x=y"])
        #expect(options.entrypoint == ["/bin/sh", "-c"])
        #expect(options.restart == RunSettings.RestartPolicy(name: "on-failure", maximumRetryCount: 2))
        #expect(options.memoryBytes == 512 << 20)
        #expect(options.nanoCPUs == 1_500_000_000)
        #expect(serialized(options.createConfig) ==
            "{\"Image\":\"redis\",\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Env\":[\"A=1\",\"B=x=y\"],\"WorkingDir\":\"/srv\",\"User\":\"1000:1000\","
            + "\"Hostname\":\"db-1.local\",\"Labels\":{\"app\":\"web\",\"tier\":\"\"},\"AttachStdin\":false,\"AttachStdout\":true,"
            + "\"AttachStderr\":true,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"ExposedPorts\":{},\"HostConfig\":{\"PortBindings\":{},"
            + "\"Binds\":[],\"AutoRemove\":false,\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":2},\"Memory\":536870912,"
            + "\"NanoCpus\":1500000000,\"NetworkMode\":\"host\",\"Init\":true,\"ReadonlyRootfs\":true}}")
    }

    @Test func dockerRunSettingsInJSON() throws {
        let body = "{\"image\":\"redis\",\"env\":[\"A=1\",\"EMPTY=\"],\"entrypoint\":[\"redis-server\"],\"labels\":{\"n\":3},"
            + "\"memory\":1073741824,\"cpus\":0.25,\"init\":false,\"read_only\":false,\"restart\":\"unless-stopped\"}"
        let options = try RunOptions(fields: RequestFields(body: bytes(body), contentType: "application/json"), defaultName: "n")
        #expect(options.environment == ["A=1", "EMPTY="])
        #expect(options.labels == [RequestFields.Pair(key: "n", value: "3")])
        #expect(options.memoryBytes == 1 << 30)
        #expect(options.nanoCPUs == 250_000_000)
        #expect(options.runsInit == false)
        #expect(!options.readOnly)
        #expect(options.restart?.name == "unless-stopped")
        // Not given: left to the image and the engine.
        let plain = try RunOptions(fields: Self.fields("image=redis"), defaultName: "n")
        #expect(plain.runsInit == nil && plain.restart == nil && plain.environment.isEmpty && plain.memoryBytes == nil)
    }

    @Test(arguments: [
        ("512", 512), ("512b", 512), ("1k", 1024), ("1K", 1024), ("1kb", 1024), ("1KiB", 1024), ("1.5g", 1_610_612_736),
        ("2m", 2 << 20), ("1t", 1 << 40), ("0", 0),
    ] as [(String, Int64)])
    func memoryAsDockerReadsIt(text: String, bytes: Int64) throws {
        #expect(try RunSettings.memoryBytes(text) == bytes)
    }

    @Test(arguments: [("1", 1_000_000_000), ("0.5", 500_000_000), ("2.000000001", 2_000_000_001), ("0.01", 10_000_000)] as [(String, Int64)])
    func cpusAsNanoCPUs(text: String, nanos: Int64) throws {
        #expect(try RunSettings.nanoCPUs(text) == nanos)
    }

    @Test(arguments: [
        "env=A=1", "env[]=NOEQUALS", "env[]==1", "env[A]=1&env[]=B=2", "env[]=A=1&env[]=A=2", "workdir=relative", "workdir=",
        "user=a:b:c", "user=-root", "user=a%20b", "user=", "entrypoint[k]=v", "labels=x", "labels[]=x", "restart=sometimes",
        "restart=on-failure:", "restart=on-failure:-1", "restart=on-failure:x", "restart=always&remove=true", "memory=", "memory=-1",
        "memory=12q", "memory=1.2.3", "memory=k", "memory=99999999999t", "cpus=0", "cpus=0.001", "cpus=0.009999999", "user=99999999999", "user=1:2147483648", "cpus=-1", "cpus=1.", "cpus=.5",
        "cpus=1.0000000001", "cpus=abc", "cpus=2000", "network=bad%20name", "network=container:", "network=container:-x",
        "hostname=-x", "hostname=a..b", "hostname=under_score", "hostname=" + String(repeating: "a", count: 65), "init=maybe",
        "read_only=2",
    ])
    func badSettingIs400NamingIt(field: String) throws {
        let error = httpError { _ = try RunOptions(fields: Self.fields("image=redis&" + field), defaultName: "n") }
        #expect(error?.status == 400)
        let name = String(field.prefix { $0 != "=" && $0 != "[" })
        #expect(error?.message.contains("\"\(name)\"") == true, "\(error?.message ?? "no error")")
    }

    @Test func emptyEntrypointClearsTheImagesAsDockerDoes() throws {
        for form in ["image=redis&entrypoint=", "image=redis&entrypoint[]="] {
            #expect(try RunOptions(fields: Self.fields(form), defaultName: "n").entrypoint == [""], "\(form)")
        }
        let json = try RunOptions(fields: RequestFields(body: bytes("{\"image\":\"redis\",\"entrypoint\":[]}"), contentType: "application/json"),
                                  defaultName: "n")
        #expect(json.entrypoint == [""])
        #expect(try RunOptions(fields: Self.fields("image=redis"), defaultName: "n").entrypoint == nil)
    }

    @Test func errorsNameTheFieldTheyAreAbout() throws {
        let quote = httpError { _ = try RunOptions(fields: Self.fields("image=redis&entrypoint=%27"), defaultName: "n") }
        #expect(quote?.message == "unterminated single quote in entrypoint")
        let array = httpError {
            _ = try RunOptions(fields: RequestFields(body: bytes("{\"image\":\"redis\",\"env\":[1]}"), contentType: "application/json"), defaultName: "n")
        }
        #expect(array?.message == "env array must hold only strings")
        let label = httpError { _ = try RunOptions(fields: Self.fields("image=redis&labels[a]=%00"), defaultName: "n") }
        #expect(label?.message.contains("the value of label a") == true)
    }

    @Test func closeMissesOfTheNewFields() throws {
        for (given, meant) in [("environment", "env"), ("e", "env"), ("w", "workdir"), ("readonly", "read_only"), ("label", "labels"),
                               ("memroy", "memory"), ("hostnme", "hostname"), ("m", "memory"), ("net", "network")] {
            let error = httpError { _ = try RunOptions(fields: Self.fields("image=redis&\(given)=1"), defaultName: "n") }
            #expect(error?.message.contains("did you mean \"\(meant)\"") == true, "\(given): \(error?.message ?? "no error")")
        }
    }

    @Test func missingImageMessage() throws {
        let error = httpError { _ = try RunOptions(fields: Self.fields("name=x"), defaultName: "n") }
        #expect(error?.message == "field \"image\" is required (e.g. image=redis:7)")
    }

    @Test func emptyNameUsesTheDefault() throws {
        #expect(try RunOptions(fields: Self.fields("image=redis&name="), defaultName: "dflt").name == "dflt")
    }

    @Test func exec() throws {
        let options = try ExecOptions(fields: Self.fields("data=sh+-c+'echo+$((6*7))'&tty=1"))
        #expect(options.argv == ["sh", "-c", "echo $((6*7))"])
        #expect(options.tty)
        #expect(!options.interactive)
        let json = try ExecOptions(fields: RequestFields(body: bytes("{\"data\":[\"ls\",\"-l\"],\"interactive\":true}"), contentType: "application/json"))
        #expect(json.argv == ["ls", "-l"])
        #expect(!json.tty)
        #expect(json.interactive)
    }

    @Test(arguments: ["", "tty=1", "data=", "data=+", "data=%22a", "data=x&tty=2"])
    func invalidExecsAre400(form: String) throws {
        #expect(httpStatus { _ = try ExecOptions(fields: Self.fields(form)) } == 400)
    }

    @Test func missingDataMessage() throws {
        let error = httpError { _ = try ExecOptions(fields: Self.fields("tty=1")) }
        #expect(error?.message == "field \"data\" (the command to execute) is required")
        #expect(error?.reason == .missingData)
    }
}

// MARK: - Logs options

@Suite("LogsOptions")
struct LogsOptionsTests {
    static let now = 1_800_000_000_250_000_000  // nanoseconds
    static func options(_ target: String, accept: String? = nil) throws -> LogsOptions {
        try LogsOptions(target: RequestTarget(target), accept: accept, nowNanoseconds: now)
    }

    @Test func defaults() throws {
        let options = try Self.options("/abc")
        #expect(options == LogsOptions())
        #expect(options.tail == nil && options.since == nil && !options.timestamps && !options.follow && !options.text)
    }

    @Test func everyQuery() throws {
        let options = try Self.options("/abc?tail=10&since=10m&timestamps=1&follow=yes&format=text")
        #expect(options.tail == "10")
        #expect(options.since == "1799999400")  // a duration: whole seconds, as the CLI sends
        #expect(options.timestamps)
        #expect(options.follow)
        #expect(options.text)
        #expect(EngineAPI.logs("abc", options: options).path == "/containers/abc/logs?stdout=1&stderr=1&tail=10&since=1799999400&timestamps=1&follow=1")
    }

    @Test(arguments: [("tail=all", "all"), ("tail=0", "0"), ("tail=123456789", "123456789")])
    func tail(query: String, expected: String) throws {
        #expect(try Self.options("/abc?\(query)").tail == expected)
    }

    @Test(arguments: ["tail=", "tail=-1", "tail=1234567890", "tail=ten", "tail=1.5", "tail=ALL", "since=yesterday", "since=10x",
                      "timestamps=maybe", "follow=2", "format=xml", "format=", "format=TEXT", "follow=1", "follow", "follow=true&format=json"])
    func invalidQueriesAre400(query: String) {
        let error = httpError { _ = try Self.options("/abc?\(query)") }
        #expect(error?.status == 400)
        #expect(error?.reason == (query.hasPrefix("since") ? .badTime : .badQuery))
    }

    @Test func followWithoutTextNamesTheWay() {
        let error = httpError { _ = try Self.options("/abc?follow=true") }
        #expect(error?.message == "follow=true streams text: ask for it with Accept: text/plain or format=text")
    }

    @Test func since() throws {
        #expect(try Self.options("/abc?since=2026-11-29T08:00:00%2B02:00").since == "1795932000.000000000")
        #expect(try Self.options("/abc?since=2026-11-29T08:00:00-05:30").since == "1795959000.000000000")
        #expect(try Self.options("/abc?since=1700000000.25").since == "1700000000.25")
        #expect(try Self.options("/abc?since=").since == nil)
        // In a query, an unescaped + is a space (form rules), so the offset must be sent as %2B.
        #expect(httpStatus { _ = try Self.options("/abc?since=2026-11-29T08:00:00+02:00") } == 400)
    }

    @Test(arguments: ["timestamps", "timestamps=", "timestamps=true", "timestamps=1", "timestamps=ON"])
    func flagsWithoutValueAreTrue(query: String) throws {
        #expect(try Self.options("/abc?\(query)").timestamps)
    }

    @Test(arguments: [
        ("text/plain", true), ("text/plain; charset=utf-8", true), ("TEXT/PLAIN", true), ("application/json", false),
        ("application/json, text/plain", false), ("text/plain;q=0.9, application/json", false), ("text/html, text/plain", true),
        ("*/*", false), ("", false), ("text/*", true), ("text/plain;q=0, */*", false),
        ("text/plain, */*;q=0.5", true), ("application/json;q=0.1, text/plain;q=0.2", true), ("*/*, text/plain", true),
        ("text/plain;charset=latin1, application/json;q=0.5", false), ("application/*;q=0.3, text/*;q=0.4", true),
    ])
    func acceptSelectsText(accept: String, text: Bool) throws {
        #expect(try Self.options("/abc", accept: accept).text == text)
    }

    /// RFC 9110 §12.5.1: an Accept field that accepts neither form of logs is answered 406.
    @Test(arguments: ["text/plain;q=0", "text/html", "application/xml, text/*;q=0", "*/*;q=0", "image/png;q=1"])
    func neitherJSONNorTextAcceptableIs406(accept: String) {
        let error = httpError { _ = try Self.options("/abc", accept: accept) }
        #expect(error?.status == 406)
        #expect(error?.reason == .notAcceptable)
    }

    @Test func followWithAcceptTextPlain() throws {
        let options = try Self.options("/abc?follow=1", accept: "text/plain")
        #expect(options.follow && options.text)
    }

    @Test func formatWinsOverAccept() throws {
        #expect(try Self.options("/abc?format=json", accept: "text/plain").text == false)
        #expect(try Self.options("/abc?format=text", accept: "application/json").text == true)
        #expect(httpStatus { _ = try Self.options("/abc?format=json&follow=1", accept: "text/plain") } == 400)
    }
}

// MARK: - Engine streams

@Suite("StreamDemuxer and OutputCollector")
struct StreamTests {
    static func frame(_ stream: UInt8, _ payload: String) -> [UInt8] {
        let p = bytes(payload)
        return [stream, 0, 0, 0, UInt8(p.count >> 24), UInt8((p.count >> 16) & 0xFF), UInt8((p.count >> 8) & 0xFF), UInt8(p.count & 0xFF)] + p
    }

    static let stream = frame(1, "hello ") + frame(2, "oops\n") + frame(1, "") + frame(1, "world\n") + frame(2, "é😀")

    static func collect(_ pieces: [[UInt8]]) -> (out: String, err: String, boundary: Bool) {
        var demuxer = StreamDemuxer()
        var out: [UInt8] = [], err: [UInt8] = []
        for piece in pieces {
            for (stream, payload) in demuxer.feed(piece) {
                if stream == .stderr { err += payload } else { out += payload }
            }
        }
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self), demuxer.isAtFrameBoundary)
    }

    @Test func wholeStream() {
        let result = Self.collect([Self.stream])
        #expect(result.out == "hello world\n")
        #expect(result.err == "oops\né😀")
        #expect(result.boundary)
    }

    @Test func framesSplitAtEveryPosition() {
        for cut in 0...Self.stream.count {
            let result = Self.collect([Array(Self.stream[0..<cut]), Array(Self.stream[cut...])])
            #expect(result.out == "hello world\n", "cut \(cut)")
            #expect(result.err == "oops\né😀", "cut \(cut)")
            #expect(result.boundary)
        }
    }

    @Test func byteByByte() {
        let result = Self.collect(Self.stream.map { [$0] })
        #expect(result.out == "hello world\n")
        #expect(result.err == "oops\né😀")
    }

    @Test func partialPayloadsComeOutAtOnce() {
        var demuxer = StreamDemuxer()
        let frame = Self.frame(2, "abcdef")
        let first = demuxer.feed(frame.prefix(11))
        #expect(first.count == 1)
        #expect(first.first?.0 == .stderr)
        #expect(first.first.map { Array($0.1) } == bytes("abc"))
        #expect(!demuxer.isAtFrameBoundary)
        let rest = demuxer.feed(frame.dropFirst(11))
        #expect(rest.map { Array($0.1) } == [bytes("def")])
        #expect(demuxer.isAtFrameBoundary)
    }

    @Test func partialHeaderIsNotABoundary() {
        var demuxer = StreamDemuxer()
        #expect(demuxer.feed([1, 0, 0]).isEmpty)
        #expect(!demuxer.isAtFrameBoundary)
    }

    @Test func largeFrameSizes() {
        var demuxer = StreamDemuxer()
        let payload = [UInt8](repeating: 0x61, count: 0x01_02_03)
        let header: [UInt8] = [1, 0, 0, 0, 0x00, 0x01, 0x02, 0x03]
        let out = demuxer.feed(header + payload + Self.frame(2, "x"))
        #expect(out.count == 2)
        #expect(out[0].1.count == 0x01_02_03)
        #expect(out[1].0 == .stderr)
    }

    @Test func stdinAndUnknownStreams() {
        var demuxer = StreamDemuxer()
        let out = demuxer.feed(Self.frame(0, "in") + Self.frame(7, "odd"))
        #expect(out.map(\.0) == [.stdin, .stdout])
    }

    static func text(_ builder: JSONStringBuilder) -> String { String(decoding: builder.escaped, as: UTF8.self) }

    static func json(_ collector: OutputCollector, _ members: [(String, JSON)] = []) -> String {
        var collector = collector
        return String(decoding: collector.jsonParts(members).joined(), as: UTF8.self)
    }

    @Test func collectorMultiplexed() {
        var collector = OutputCollector(multiplexed: true)
        for b in Self.stream { collector.feed([b]) }
        #expect(Self.text(collector.stdout) == "hello world\\n")
        #expect(Self.text(collector.stderr) == "oops\\né😀")
        #expect(!collector.truncated)
        #expect(Self.json(collector) == "{\"stdout\":\"hello world\\n\",\"stderr\":\"oops\\né😀\"}\n")
        #expect(Self.json(collector, [("id", .string("x")), ("exitCode", .int(3))])
            == "{\"id\":\"x\",\"exitCode\":3,\"stdout\":\"hello world\\n\",\"stderr\":\"oops\\né😀\"}\n")
    }

    @Test func collectorTTYIsAllStdout() {
        var collector = OutputCollector(multiplexed: false)
        collector.feed(Self.frame(2, "x"))
        #expect(Self.text(collector.stdout) == "\\u0002\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0001x")
        #expect(collector.stderr.escaped.isEmpty)
    }

    @Test func collectorReplacesInvalidUTF8() {
        var collector = OutputCollector(multiplexed: false)
        collector.feed([0x61, 0xFF, 0x62, 0xC3])
        #expect(Self.json(collector) == "{\"stdout\":\"a\u{FFFD}b\u{FFFD}\",\"stderr\":\"\"}\n")
    }

    @Test func collectorTruncatesAfterEscaping() throws {
        var collector = OutputCollector(multiplexed: false)
        collector.feed([UInt8](repeating: 0x61, count: Limits.maxOutputBytes - 1))
        #expect(!collector.truncated)
        collector.feed([0x62, 0x63])
        #expect(collector.truncated)
        #expect(collector.stdout.escaped.count == Limits.maxOutputBytes)
        #expect(collector.stdout.escaped.last == 0x62)
        #expect(Self.json(collector).hasSuffix("\",\"stderr\":\"\",\"truncated\":true}\n"))
        // NUL bytes escape to six bytes each: the cap counts what is sent.
        var nuls = OutputCollector(multiplexed: false)
        nuls.feed([UInt8](repeating: 0, count: Limits.maxOutputBytes))
        #expect(nuls.truncated)
        #expect(nuls.stdout.escaped.count == Limits.maxOutputBytes / 6 * 6)
        let parsed = try JSON.parse(Array(Self.json(nuls).utf8))
        #expect(parsed["stdout"]?.stringValue?.count == Limits.maxOutputBytes / 6)
    }
}

// MARK: - Engine API requests and errors

@Suite("EngineAPI")
struct EngineAPITests {
    @Test func paths() {
        #expect(EngineAPI.listContainers() == EngineRequest(.containerList, method: "GET", path: "/containers/json?all=1"))
        #expect(EngineAPI.inspect("abc") == EngineRequest(.containerInspect, method: "GET", path: "/containers/abc/json"))
        #expect(EngineAPI.start("abc") == EngineRequest(.containerStart, method: "POST", path: "/containers/abc/start"))
        #expect(EngineAPI.remove("abc", volumes: false) == EngineRequest(.containerDelete, method: "DELETE", path: "/containers/abc?force=1"))
        #expect(EngineAPI.remove("abc", volumes: true) == EngineRequest(.containerDelete, method: "DELETE", path: "/containers/abc?force=1&v=1"))
        #expect(EngineAPI.attach("abc") == EngineRequest(.containerAttach, method: "POST", path: "/containers/abc/attach?stream=1&stdout=1&stderr=1", hijack: true))
        #expect(EngineAPI.attach("abc", stdin: true).path == "/containers/abc/attach?stream=1&stdin=1&stdout=1&stderr=1")
        #expect(EngineAPI.wait("abc", untilRemoved: true).path == "/containers/abc/wait?condition=removed")
        #expect(EngineAPI.wait("abc", untilRemoved: false).path == "/containers/abc/wait?condition=next-exit")
        #expect(EngineAPI.execInspect("e1") == EngineRequest(.execInspect, method: "GET", path: "/exec/e1/json"))
        #expect(EngineAPI.logs("abc", options: LogsOptions()).path == "/containers/abc/logs?stdout=1&stderr=1")
    }

    @Test func everyPartIsEncoded() {
        // Even if an unvalidated value slipped through, it stays one path segment.
        #expect(EngineAPI.inspect("../images/json").path == "/containers/..%2Fimages%2Fjson/json")
        #expect(EngineAPI.remove("a?b#c", volumes: true).path == "/containers/a%3Fb%23c?force=1&v=1")
        #expect(EngineAPI.create(name: "a&b=c", config: .object([])).path == "/containers/create?name=a%26b%3Dc")
    }

    @Test func bodies() {
        let create = EngineAPI.create(name: "n", config: .object([("Image", .string("redis"))]))
        #expect(create.method == "POST")
        #expect(create.body == bytes("{\"Image\":\"redis\"}"))
        let exec = EngineAPI.execCreate("abc", argv: ["sh", "-c", "echo \"hi\""], tty: true, stdin: false)
        #expect(exec.path == "/containers/abc/exec")
        #expect(exec.body.map { String(decoding: $0, as: UTF8.self) } ==
            "{\"AttachStdin\":false,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":true,\"Cmd\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\"]}")
        let start = EngineAPI.execStart("e1", tty: false)
        #expect(start == EngineRequest(.execStart, method: "POST", path: "/exec/e1/start", body: bytes("{\"Detach\":false,\"Tty\":false}"), hijack: true))
    }

    @Test func engineMessage() {
        #expect(EngineResponse(status: 404, body: bytes("{\"message\":\"No such container: x\"}")).message == "No such container: x")
        #expect(EngineResponse(status: 500, body: bytes("  plain text \n")).message == "plain text")
        #expect(EngineResponse(status: 500, body: []).message == "engine answered 500")
    }

    /// The engine's statuses mean what the reference documents for the operation.
    @Test(arguments: [
        (EngineOperation.containerCreate, 400, "{\"message\":\"bad parameter\"}", 400, "engine_bad_request"),
        (.containerCreate, 404, "{\"message\":\"No such image: x:1\"}", 404, "image_not_found"),
        (.containerCreate, 409, "{\"message\":\"Conflict. The container name \\\"/x\\\" is already in use\"}", 409, "name_in_use"),
        (.containerCreate, 500, "{\"message\":\"boom\"}", 502, "engine_error"),
        (.containerInspect, 404, "{\"message\":\"No such container: x\"}", 404, "not_found"),
        (.containerExec, 409, "{\"message\":\"Container x is not running\"}", 409, "conflict"),
        (.execStart, 404, "{\"message\":\"No such exec instance: e\"}", 502, "engine_error"),
        (.execInspect, 404, "{\"message\":\"No such exec instance: e\"}", 502, "engine_error"),
        (.containerList, 400, "{\"message\":\"invalid filter\"}", 502, "engine_error"),
        (.containerWait, 400, "{\"message\":\"invalid condition\"}", 502, "engine_error"),
        (.containerDelete, 409, "{\"message\":\"removal of container x is already in progress\"}", 409, "conflict"),
        (.containerStart, 500, "{\"message\":\"driver failed: Bind for 0.0.0.0:80 failed: port is already allocated\"}", 409, "port_in_use"),
        (.containerStart, 500, "{\"message\":\"listen tcp4 0.0.0.0:80: bind: address already in use\"}", 409, "port_in_use"),
        (.containerStart, 500, "{\"message\":\"listen tcp4 192.0.2.1:80: bind: cannot assign requested address\"}", 400, "bad_host_address"),
        (.containerStart, 500, "{\"message\":\"unable to find user nosuchuser: no matching entries in passwd file\"}", 400, "bad_field"),
        (.containerStart, 500, "{\"message\":\"cannot join own network\"}", 400, "bad_field"),
        (.containerStart, 409, "{\"message\":\"cannot join network of a non running container: 3f2a\"}", 409, "conflict"),
        (.containerStart, 500, "{\"message\":\"invalid mount config\"}", 502, "engine_error"),
        (.containerStart, 503, "{\"message\":\"unavailable\"}", 502, "engine_error"),
        (.containerLogs, 401, "unauthorized", 502, "engine_error"),
    ])
    func errorMapping(operation: EngineOperation, status: Int, body: String, mapped: Int, reason: String) {
        let error = EngineErrors.map(EngineResponse(status: status, body: bytes(body)), operation: operation, context: "ctx")
        #expect(error.status == mapped)
        #expect(error.reason.rawValue == reason)
        #expect(error.message.hasPrefix("ctx: "))
    }

    @Test func everyDocumentedStatusIsMapped() {
        // Documented client errors keep a status of their own where they are the client's
        // doing; everything else is the engine's failure (502), never a 500 of ours.
        for operation in EngineOperation.allCases {
            for status in operation.documentedErrors {
                let error = EngineErrors.map(EngineResponse(status: status, body: []), operation: operation, context: "c")
                #expect([400, 404, 409, 502].contains(error.status), "\(operation) \(status) → \(error.status)")
            }
        }
    }

    @Test(arguments: [("1.41", "1.41"), ("1.56", "1.56"), ("1.99", "1.56"), ("2.0", "1.56")])
    func negotiatedVersion(engine: String, chosen: String) {
        let answer = JSON.object([("ApiVersion", .string(engine)), ("MinAPIVersion", .string("1.24"))])
        #expect(EngineAPI.negotiatedVersion(answer)?.description == chosen)
    }

    @Test func noVersionWhenTheEngineRefusesOursOrDoesNotSay() {
        #expect(EngineAPI.negotiatedVersion(.object([("ApiVersion", .string("1.70")), ("MinAPIVersion", .string("1.60"))])) == nil)
        #expect(EngineAPI.negotiatedVersion(.object([])) == nil)
        #expect(EngineAPI.negotiatedVersion(.object([("ApiVersion", .string("v1"))])) == nil)
        #expect(APIVersion("1.0411") == nil && APIVersion("1") == nil && APIVersion("1.x") == nil)
    }
}
