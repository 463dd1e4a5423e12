import Foundation
import Testing
import DockerServerCore
@testable import DockerServerIO

/// Signature Version 4 (docs/DESIGN.md "Cluster on S3") against AWS's published examples and
/// against botocore's signer, with libcrypto's SHA-256 as the product uses it.
struct S3SignatureTests {
    static let crypto = try! LibCrypto(for: "tests")
    /// "Signature Calculations for the Authorization Header: Transferring Payload in a Single
    /// Chunk" (Amazon S3 API Reference): credentials, time, region and bucket of its examples.
    static let example = SigV4(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                               sessionToken: nil, region: "us-east-1")
    static let exampleTime: Int64 = 1_369_353_600  // 20130524T000000Z
    static let emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static func signature(_ request: S3Request) -> String {
        var signed = request
        example.sign(&signed, unixSeconds: exampleTime, hashing: crypto)
        let authorization = signed.headers.first { $0.0 == "Authorization" }!.1
        return String(authorization.split(separator: "=").last!)
    }

    @Test func awsGetObjectExample() {
        let request = S3Request(method: "GET", path: "/test.txt",
                                headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")])
        #expect(Self.signature(request) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        var signed = request
        Self.example.sign(&signed, unixSeconds: Self.exampleTime, hashing: Self.crypto)
        #expect(signed.headers.contains { $0 == ("X-Amz-Date", "20130524T000000Z") })
        #expect(signed.headers.contains { $0 == ("X-Amz-Content-SHA256", Self.emptySHA) })
        #expect(signed.headers.last!.1.hasPrefix(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature="))
    }

    @Test func awsPutObjectExample() {
        let request = S3Request(method: "PUT", path: "/" + SigV4.uriEncode("test$file.text", encodeSlash: false),
                                headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                                          ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                                body: Array("Welcome to Amazon S3.".utf8))
        #expect(request.path == "/test%24file.text")
        #expect(Self.signature(request) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func awsBucketLifecycleAndListExamples() {
        let lifecycle = S3Request(method: "GET", path: "/", query: [("lifecycle", "")], headers: [("Host", "examplebucket.s3.amazonaws.com")])
        #expect(Self.signature(lifecycle) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        let list = S3Request(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [("Host", "examplebucket.s3.amazonaws.com")])
        #expect(list.target == "/?max-keys=2&prefix=J")
        #expect(Self.signature(list) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    /// The vectors of `scripts/sigv4-vectors.py`: the committed set, or the one the test
    /// command generates with a new seed each run (`DS_SIGV4_VECTORS`).
    @Test func agreesWithBotocore() throws {
        let path = ProcessInfo.processInfo.environment["DS_SIGV4_VECTORS"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Vectors/sigv4-botocore.json").path
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let vectors = try #require(root["vectors"] as? [[String: Any]])
        #expect(vectors.count >= 300)
        var failures = 0
        for vector in vectors {
            let signer = SigV4(accessKeyID: vector["access_key"] as! String, secretAccessKey: vector["secret_key"] as! String,
                               sessionToken: vector["session_token"] as? String, region: vector["region"] as! String)
            let bucket = (vector["bucket"] as? String).map { "/" + $0 } ?? ""
            let key = vector["key"] as? String
            let path = bucket + (key.map { "/" + SigV4.uriEncode($0, encodeSlash: false) } ?? (bucket.isEmpty ? "/" : ""))
            let query = (vector["query"] as! [[String]]).map { ($0[0], $0[1]) }
            let headers = [("Host", vector["host"] as! String)] + (vector["headers"] as! [[String]]).map { ($0[0], $0[1]) }
            var request = S3Request(method: vector["method"] as! String, path: path, query: query, headers: headers,
                                    body: Array(Data(base64Encoded: vector["body_base64"] as! String)!))
            signer.sign(&request, unixSeconds: Int64(vector["unix"] as! Int), hashing: Self.crypto)
            let authorization = request.headers.first { $0.0 == "Authorization" }?.1
            let date = request.headers.first { $0.0 == "X-Amz-Date" }?.1
            if authorization != vector["authorization"] as? String || date != vector["amz_date"] as? String {
                failures += 1
                if failures <= 3 { Issue.record("differs from botocore: \(vector)\nours: \(authorization ?? "none")") }
            }
        }
        #expect(failures == 0, "\(failures) of \(vectors.count) requests signed differently from botocore (seed \(root["seed"] ?? "?"))")
    }
}
