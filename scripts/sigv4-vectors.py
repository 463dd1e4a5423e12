#!/usr/bin/env python3
"""Signature Version 4 test vectors from botocore (the AWS SDK for Python's signer), for the
cross-check in Tests/EndToEndTests/S3SignatureTests.swift.

Usage: scripts/sigv4-vectors.py SEED COUNT OUT.json

Each vector is an S3 request given by its parts *before* encoding (bucket, object key,
query parameters, extra header fields, body, credentials, time); botocore encodes the key
as its S3 client does (quote, safe "/~"), signs, and the vector keeps the Authorization
value. docker-server builds and signs the same request from the same parts with its own
code, so both the encoding and the signing are compared. Keys, query values and header
values carry odd characters on purpose: spaces, +, =, &, %, unicode, runs of spaces.
"""
import base64, datetime, hashlib, json, random, sys
from urllib.parse import quote
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ODD = "abcXYZ019 -_.~!*'()+=&$@,;:/?#[]%\"<>^`{|}\\ éü€漢😀\t"


def text(rng, lo, hi, alphabet=ODD):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def vector(rng):
    secret = text(rng, 20, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+")
    access = "AKIA" + text(rng, 12, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    token = rng.choice([None, text(rng, 20, 60, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=")])
    region = rng.choice(["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1"])
    bucket = rng.choice(["examplebucket", "ds-test", "my.bucket.name", "b-1"])
    virtual = "." not in bucket and rng.random() < 0.5
    host = f"{bucket}.s3.{region}.amazonaws.com" if virtual else rng.choice([f"s3.{region}.amazonaws.com", "127.0.0.1:9000", "[::1]:4566", "minio.local"])
    key = rng.choice([None, text(rng, 1, 40), "tmp/docker-server/ds-127000000001" + str(rng.randint(10000, 99999)) + ".json"])
    method = rng.choice(["GET", "PUT", "DELETE", "HEAD", "POST"])
    query = {}
    for _ in range(rng.randint(0, 4)):
        query[text(rng, 1, 12)] = text(rng, 0, 20)
    if key is None and rng.random() < 0.5:
        query.update({"list-type": "2", "prefix": text(rng, 0, 20)})
        if rng.random() < 0.5:
            query["continuation-token"] = text(rng, 10, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=")
    headers = []
    if rng.random() < 0.3:
        headers.append(["Range", f"bytes={rng.randint(0, 9)}-{rng.randint(10, 99)}"])
    if rng.random() < 0.3:
        headers.append(["Content-Type", rng.choice(["application/json", "text/plain; charset=utf-8"])])
    if rng.random() < 0.3:
        headers.append(["x-amz-meta-note", "  " + text(rng, 1, 10, "ab  c") + "   x  "])
    body = b"" if rng.random() < 0.4 else text(rng, 1, 200).encode()
    unix = rng.randint(0, 4102444800)

    path = ("" if virtual else "/" + bucket) + ("/" + quote(key, safe="/~") if key is not None else ("/" if virtual else ""))
    request = AWSRequest(method=method, url=f"https://{host}{path}", params=query, data=body)
    for name, value in headers:
        request.headers[name] = value
    request.headers["Host"] = host
    amz_date = datetime.datetime.fromtimestamp(unix, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    request.context["timestamp"] = amz_date
    request.headers["X-Amz-Date"] = amz_date
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    if token:
        request.headers["X-Amz-Security-Token"] = token
    auth = S3SigV4Auth(Credentials(access, secret, token), "s3", region)
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
    authorization = f"AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={auth.signed_headers(auth.headers_to_sign(request))}, Signature={signature}"
    return {"access_key": access, "secret_key": secret, "session_token": token, "region": region, "unix": unix,
            "method": method, "host": host, "bucket": None if virtual else bucket, "key": key,
            "query": [[k, v] for k, v in query.items()], "headers": headers,
            "body_base64": base64.b64encode(body).decode(), "amz_date": amz_date, "authorization": authorization}


def main():
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    vectors = [vector(rng) for _ in range(count)]
    with open(out, "w") as f:
        json.dump({"seed": seed, "vectors": vectors}, f, ensure_ascii=False, indent=0)
    print(f"{out}: {count} vectors from botocore (seed {seed})")


if __name__ == "__main__":
    main()
