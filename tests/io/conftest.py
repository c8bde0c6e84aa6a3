"""A real S3 server on loopback (moto's standalone server) and helpers to put a local folder into a bucket.

Beam's S3 filesystem reaches it through the pipeline options ``--s3_endpoint_url`` and friends (what a user passes
with ``--beam-arg``); nothing is patched. Dummy keys, no network beyond 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

REGION = "us-east-1"


class S3:
    """A running moto server: its endpoint, the Beam flags that reach it, a boto3 client for fixtures."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.beam_args = (f"--s3_endpoint_url={endpoint}", f"--s3_region_name={REGION}",
                          "--s3_access_key_id=testing", "--s3_secret_access_key=testing")
        import boto3

        self.client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                                   aws_access_key_id="testing", aws_secret_access_key="testing")

    def bucket(self, name: str) -> str:
        self.client.create_bucket(Bucket=name)
        return f"s3://{name}"

    def upload(self, folder: Path, url: str) -> str:
        """Put every file under ``folder`` at ``url`` (same relative names); returns ``url``."""
        bucket, _, prefix = url[len("s3://"):].partition("/")
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                key = "/".join(p for p in (prefix.strip("/"), path.relative_to(folder).as_posix()) if p)
                self.client.upload_file(str(path), bucket, key)
        return url

    def objects(self, url: str) -> dict[str, bytes]:
        """``{name relative to url: bytes}`` of every object under ``url``."""
        bucket, _, prefix = url[len("s3://"):].partition("/")
        prefix = prefix.strip("/") + "/"
        out = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                out[obj["Key"][len(prefix):]] = self.client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        return out


@pytest.fixture(scope="session")
def s3():
    """One moto S3 server for the session (port 0: the OS picks a free port)."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed (pip install -e '.[test]')")
    pytest.importorskip("boto3", reason="boto3 is not installed (pip install 'rt2data[aws]')")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request at INFO
    server.start()
    host, port = server.get_host_and_port()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    # boto3 refuses to sign without some keys; the SDK's own variables, as a user would set them.
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    try:
        yield S3(f"http://{host}:{port}")
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        from rt2data import io

        io.set_options(None)
