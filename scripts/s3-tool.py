#!/usr/bin/env python3
"""Small S3 client for tests, using botocore only (no boto3).

Credentials, endpoint and region come from the standard environment variables
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (or AWS_DEFAULT_REGION,
default us-east-1) and AWS_ENDPOINT_URL (optional; path-style addressing is
used when it is set).  With scripts/s3-server.sh:

    set -a; . STATE_DIR/env; set +a

Usage:
    s3-tool.py create-bucket BUCKET
    s3-tool.py put BUCKET KEY FILE|-        body from FILE, or stdin for -
    s3-tool.py get BUCKET KEY               body to stdout
    s3-tool.py delete BUCKET KEY
    s3-tool.py list BUCKET PREFIX           every key under PREFIX, one per line
    s3-tool.py count BUCKET PREFIX          number of keys under PREFIX
    s3-tool.py put-many BUCKET PREFIX N     N objects PREFIXds-<20-digit index>.json, body {}
    s3-tool.py delete-prefix BUCKET PREFIX  delete every key under PREFIX, print how many

On an S3 error the error code and message go to stderr and the exit status is 1.
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

WORKERS = 32


def client():
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    config = Config(
        max_pool_connections=WORKERS,
        retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": "path"} if endpoint else None,
    )
    return botocore.session.get_session().create_client(
        "s3", region_name=region, endpoint_url=endpoint, config=config)


def keys(s3, bucket, prefix):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield obj["Key"]


def main(argv):
    cmd, args = (argv[0], argv[1:]) if argv else ("", [])
    arity = {"create-bucket": 1, "put": 3, "get": 2, "delete": 2, "list": 2,
             "count": 2, "put-many": 3, "delete-prefix": 2}
    if arity.get(cmd) != len(args):
        sys.stderr.write(__doc__)
        return 2
    s3 = client()

    if cmd == "create-bucket":
        region = s3.meta.region_name
        extra = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=args[0], **extra)
    elif cmd == "put":
        bucket, key, src = args
        if src == "-":
            body = sys.stdin.buffer.read()
        else:
            with open(src, "rb") as f:
                body = f.read()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    elif cmd == "get":
        body = s3.get_object(Bucket=args[0], Key=args[1])["Body"]
        for chunk in iter(lambda: body.read(1 << 16), b""):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    elif cmd == "delete":
        s3.delete_object(Bucket=args[0], Key=args[1])
    elif cmd == "list":
        for key in keys(s3, *args):
            print(key)
    elif cmd == "count":
        print(sum(1 for _ in keys(s3, *args)))
    elif cmd == "put-many":
        bucket, prefix, n = args[0], args[1], int(args[2])

        def put(i):
            s3.put_object(Bucket=bucket, Key=f"{prefix}ds-{i:020d}.json", Body=b"{}")

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(put, range(n)))  # list() re-raises the first error
    elif cmd == "delete-prefix":
        bucket, prefix = args
        deleted = 0
        while True:  # list again after each batch: paging while deleting is fragile
            batch = [{"Key": k} for k, _ in zip(keys(s3, bucket, prefix), range(1000))]
            if not batch:
                break
            resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            if resp.get("Errors"):
                e = resp["Errors"][0]
                print(f"{e.get('Code')}: {e.get('Message')} (key {e.get('Key')})", file=sys.stderr)
                return 1
            deleted += len(batch)
        print(deleted)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ClientError as e:
        err = e.response.get("Error", {})
        code = err.get("Code") or e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        print(f"{code}: {err.get('Message') or e}", file=sys.stderr)
        sys.exit(1)
    except (BotoCoreError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
