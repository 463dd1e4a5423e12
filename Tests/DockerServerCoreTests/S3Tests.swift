import Testing
@testable import DockerServerCore

/// The pure parts of the S3 store (docs/API.md "Cluster on S3"): addressing, listings and
/// errors, settings from the AWS variables and shared files.
struct S3Tests {
    @Test func awsAddressingIsVirtualHostedUnlessTheBucketHasDots() throws {
        let plain = try S3Location(bucket: "ds-test", folder: "/tmp/docker-server", region: "eu-west-3", endpointURL: nil)
        #expect(plain.https && plain.port == 443)
        #expect(plain.host == "ds-test.s3.eu-west-3.amazonaws.com" && plain.authority == plain.host)
        #expect(plain.prefix == "tmp/docker-server/")
        #expect(plain.request("GET", object: "ds-127000000001001717.json").path == "/tmp/docker-server/ds-127000000001001717.json")
        #expect(plain.listRequest(continuationToken: nil).target == "/?list-type=2&prefix=tmp%2Fdocker-server%2Fds-")
        let dotted = try S3Location(bucket: "my.ds.bucket", folder: "cluster/", region: "us-east-1", endpointURL: nil)
        #expect(dotted.host == "s3.us-east-1.amazonaws.com")
        #expect(dotted.request("DELETE", object: "ds-1.json").path == "/my.ds.bucket/cluster/ds-1.json")
        #expect(dotted.listRequest(continuationToken: "1a/b+c=").target == "/my.ds.bucket?continuation-token=1a%2Fb%2Bc%3D&list-type=2&prefix=cluster%2Fds-")
    }

    @Test func customEndpointsArePathStyle() throws {
        let moto = try S3Location(bucket: "ds-test", folder: "/", region: "us-east-1", endpointURL: "http://127.0.0.1:5000/")
        #expect(!moto.https && moto.host == "127.0.0.1" && moto.port == 5000 && moto.authority == "127.0.0.1:5000")
        #expect(moto.prefix == "")
        #expect(moto.request("PUT", object: "ds-1.json", body: [1]).path == "/ds-test/ds-1.json")
        #expect(moto.request("PUT", object: "ds-1.json").headers.contains { $0 == ("Content-Type", "application/json") })
        #expect(moto.listRequest(continuationToken: nil).path == "/ds-test")
        let v6 = try S3Location(bucket: "ds-test", folder: "x", region: "us-east-1", endpointURL: "https://[::1]")
        #expect(v6.https && v6.host == "::1" && v6.port == 443 && v6.authority == "[::1]" && v6.prefix == "x/")
        let named = try S3Location(bucket: "ds-test", folder: "x", region: "us-east-1", endpointURL: "HTTPS://minio.example:9000")
        #expect(named.host == "minio.example" && named.port == 9000 && named.endpoint == "https://minio.example:9000")
        for bad in ["ftp://x", "http://", "http://host/path", "http://host:0", "http://host:99999", "http://user@host", "https://[::1", "http://host:x",
                    "http://::1", "http://127.0.0.1:+1", "http://ho st:1", "http://[zz]:1", "http://host\r\nX: 1"] {
            #expect(throws: ConfigError.self, "\(bad)") { try S3Location(bucket: "ds-test", folder: "x", region: "us-east-1", endpointURL: bad) }
        }
        #expect(throws: ConfigError.self) { try S3Location(bucket: "ds-test", folder: "x", region: "eu west", endpointURL: nil) }
        // The region is signed and sent with custom endpoints too.
        #expect(throws: ConfigError.self) { try S3Location(bucket: "ds-test", folder: "x", region: "us-east-1\r\nX: 1", endpointURL: "http://h:1") }
    }

    @Test func bucketNames() {
        for good in ["abc", "ds-test", "my.bucket.1", String(repeating: "a", count: 63)] { #expect(S3Location.isBucketName(good), "\(good)") }
        for bad in ["ab", "Abc", "-abc", "abc-", "a..b", "a_b", "a b", String(repeating: "a", count: 64), "ds/test",
                    "192.168.1.1", "a.-b", "a-.b", "xn--abc", "sthree-x", "bucket-s3alias", "bucket--ol-s3"] {
            #expect(!S3Location.isBucketName(bad), "\(bad)")
        }
    }

    @Test func listingsPageAndUnescape() throws {
        let page = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>ds-test</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>
        <MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>p/ds-1.json</Key><Size>10</Size></Contents>
        <Contents><Key>p/a&amp;b&#x20;&lt;c&#62;</Key></Contents><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>
        """
        let listing = try S3XML.listing(Array(page.utf8))
        #expect(listing.keys == ["p/ds-1.json", "p/a&b <c>"])
        #expect(listing.truncated && listing.nextToken == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        let last = try S3XML.listing(Array("<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>".utf8))
        // Cut short: refused, not read as a shorter listing.
        #expect(throws: StoreError.self) { try S3XML.listing(Array("<ListBucketResult><Contents><Key>p/ds-1.json</Key></Contents>".utf8)) }
        #expect(last.keys.isEmpty && !last.truncated && last.nextToken == nil)
        #expect(throws: StoreError.self) { try S3XML.listing(Array("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>".utf8)) }
        #expect(throws: StoreError.self) { try S3XML.listing(Array("<html>proxy error</html>".utf8)) }
    }

    /// A hostile body of a megabyte of unclosed openings is read in linear time (it took
    /// minutes when each opening searched the rest of the body).
    @Test func hostileListingIsLinear() throws {
        let body = Array("<ListBucketResult>".utf8) + Array(repeating: Array("<Contents ".utf8), count: 100_000).flatMap { $0 }
        #expect(throws: StoreError.self) { try S3XML.listing(body) }
        #expect(S3XML.elements("Contents", in: body[...]).isEmpty)
    }

    @Test func errorDocuments() {
        let body = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message><StringToSign>x</StringToSign></Error>"
        #expect(S3XML.error(Array(body.utf8))! == ("SignatureDoesNotMatch", "The request signature we calculated does not match"))
        #expect(S3XML.error(Array("<Error><Code>NoSuchBucket</Code></Error>".utf8))! == ("NoSuchBucket", ""))
        #expect(S3XML.error(Array("Service Unavailable".utf8)) == nil)
        #expect(S3XML.unescape(Array("&unknown; &amp &#xZZ; &#128512;".utf8)[...]) == "&unknown; &amp &#xZZ; 😀")
    }

    @Test func amzDates() {
        #expect(SigV4.amzDate(0) == "19700101T000000Z")
        #expect(SigV4.amzDate(1_369_353_600) == "20130524T000000Z")
        #expect(SigV4.amzDate(951_825_599) == "20000229T115959Z")
        #expect(SigV4.amzDate(4_102_444_799) == "20991231T235959Z")
    }

    static let none: AWSSettings.SharedFile = ("/home/u/.aws/credentials", nil)
    static let noConfig: AWSSettings.SharedFile = ("/home/u/.aws/config", nil)

    @Test func environmentComesFirst() throws {
        let files: AWSSettings.SharedFile = ("/c", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n")
        let settings = try AWSSettings.resolve(environment: ["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "tok",
                                                             "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_S3": "http://b:2"],
                                               credentialsFile: files, configFile: Self.noConfig, secretCredential: nil)
        #expect(settings == AWSSettings(accessKeyID: "ENVKEY", secretAccessKey: "envsecret", sessionToken: "tok", region: "eu-west-1",
                                        endpointURL: "http://b:2", source: "environment"))
        let region = try AWSSettings.resolve(environment: ["AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-west-1"],
                                             credentialsFile: Self.none, configFile: Self.noConfig, secretCredential: nil)
        #expect(region.region == "ap-south-1" && region.endpointURL == nil)
    }

    @Test func systemdCredentialSuppliesTheSecret() throws {
        let settings = try AWSSettings.resolve(environment: ["AWS_ACCESS_KEY_ID": "K"], credentialsFile: Self.none, configFile: Self.noConfig,
                                               secretCredential: "fromcredential")
        #expect(settings.secretAccessKey == "fromcredential" && settings.region == "us-east-1")
        #expect(throws: ConfigError.self) {
            try AWSSettings.resolve(environment: ["AWS_ACCESS_KEY_ID": "K"], credentialsFile: Self.none, configFile: Self.noConfig, secretCredential: nil)
        }
    }

    @Test func profilesInTheSharedFiles() throws {
        let credentials: AWSSettings.SharedFile = ("/c", """
        # comment
        [default]
        aws_access_key_id=DEFKEY
        aws_secret_access_key=defsecret
        [ops]
        aws_access_key_id = OPSKEY
        aws_secret_access_key = ops/secret+x=
        aws_session_token = optoken
        """)
        let config: AWSSettings.SharedFile = ("/f", """
        [default]
        region = eu-central-1
        [profile ops]
        region = us-west-2
        endpoint_url = https://s3.internal:8443
        s3 =
          addressing_style = path
        """)
        let ops = try AWSSettings.resolve(environment: ["AWS_PROFILE": "ops"], credentialsFile: credentials, configFile: config, secretCredential: nil)
        #expect(ops == AWSSettings(accessKeyID: "OPSKEY", secretAccessKey: "ops/secret+x=", sessionToken: "optoken", region: "us-west-2",
                                   endpointURL: "https://s3.internal:8443", source: "profile ops in /c"))
        let plain = try AWSSettings.resolve(environment: ["HOME": "/h"], credentialsFile: credentials, configFile: config, secretCredential: nil)
        #expect(plain.accessKeyID == "DEFKEY" && plain.region == "eu-central-1" && plain.endpointURL == nil)
        let keysInConfig: AWSSettings.SharedFile = ("/f", "[profile default]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfg\n")
        #expect(try AWSSettings.resolve(environment: [:], credentialsFile: Self.none, configFile: keysInConfig, secretCredential: nil).accessKeyID == "CFGKEY")
    }

    @Test func unknownProfileIsNamed() {
        let credentials: AWSSettings.SharedFile = ("/c", "[default]\naws_access_key_id=K\naws_secret_access_key=s\n")
        #expect(throws: ConfigError("AWS_PROFILE=nope: no such profile in /c or /home/u/.aws/config")) {
            try AWSSettings.resolve(environment: ["AWS_PROFILE": "nope"], credentialsFile: credentials, configFile: Self.noConfig, secretCredential: nil)
        }
    }

    @Test func valuesThatWouldBreakAHeaderAreRefused() {
        let cases: [[String: String]] = [
            ["AWS_ACCESS_KEY_ID": "AKIA\r\nX-Evil: 1", "AWS_SECRET_ACCESS_KEY": "s"],
            ["AWS_ACCESS_KEY_ID": "AKIA/x", "AWS_SECRET_ACCESS_KEY": "s"],
            ["AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "tok\r\nX-Evil-Token: 1"],
        ]
        for environment in cases {
            #expect(throws: ConfigError.self, "\(environment)") {
                try AWSSettings.resolve(environment: environment, credentialsFile: Self.none, configFile: Self.noConfig, secretCredential: nil)
            }
        }
        #expect(throws: ConfigError("the AWS secret access key from environment is empty")) {
            try AWSSettings.resolve(environment: ["AWS_ACCESS_KEY_ID": "K"], credentialsFile: Self.none, configFile: Self.noConfig, secretCredential: "")
        }
    }

    @Test func missingCredentialsNeverShowASecret() {
        let cases: [([String: String], AWSSettings.SharedFile)] = [
            ([:], Self.none),
            (["AWS_PROFILE": "nope"], ("/c", "[default]\naws_access_key_id=K\naws_secret_access_key=topsecret\n")),
            ([:], ("/c", "[default]\naws_access_key_id=K\n")),
            (["AWS_ACCESS_KEY_ID": "K", "AWS_SESSION_TOKEN": "topsecret"], Self.none),
        ]
        for (environment, file) in cases {
            do {
                _ = try AWSSettings.resolve(environment: environment, credentialsFile: file, configFile: Self.noConfig, secretCredential: nil)
                Issue.record("accepted \(environment)")
            } catch {
                #expect(!error.message.contains("topsecret"))
                #expect(error.message.contains("AWS") || error.message.contains("profile"))
            }
        }
    }

    @Test func s3OptionNeedsClusterAndABucketName() throws {
        #expect(throws: ConfigError("--s3: the S3 store holds cluster mode's entries; give --cluster too (or DS_CLUSTER=1)")) {
            try Config.parse(arguments: ["--s3", "ds-test"], environment: [:])
        }
        #expect(throws: ConfigError.self) { try Config.parse(arguments: ["--cluster", "--s3", "Bad_Bucket"], environment: [:]) }
        guard case .serve(let config) = try Config.parse(arguments: ["--cluster"], environment: ["DS_S3": "ds-test"]) else {
            Issue.record("not a serve command")
            return
        }
        #expect(config.s3Bucket == "ds-test")
        #expect(try Config.parse(arguments: ["nodes", "--cluster"], environment: [:]) == .nodes(try Self.clusterConfig()))
        #expect(throws: ConfigError.self) { try Config.parse(arguments: ["nodes"], environment: [:]) }
    }

    static func clusterConfig() throws -> Config {
        var config = Config()
        config.cluster = true
        return config
    }
}
