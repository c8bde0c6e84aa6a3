"""Real object stores on loopback and helpers to put a local folder into a bucket.

- ``s3``: moto's standalone S3 server. Beam's S3 filesystem reaches it through the pipeline options
  ``--s3_endpoint_url`` and friends (what a user passes with ``--beam-arg``); dummy keys.
- ``gcs``: gcp-storage-emulator (in memory). Beam's GCS filesystem (google-cloud-storage) reaches it through the
  SDK's own ``STORAGE_EMULATOR_HOST``; ``--project`` goes through ``--beam-arg`` as a user passes it.
- ``store``: either of them (tests of the object-storage behaviour run once per store).

Nothing is patched; the settings are what a user sets, in pipeline options and in the SDKs' environment
variables, which worker processes (the embedded runner's, a Dask ``LocalCluster``'s) inherit. No network beyond
127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

REGION = "us-east-1"
PROJECT = "rt2data-test"


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the session (worker processes started meanwhile inherit them), then restore."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Store:
    """A running object store: its URL scheme, the Beam flags that reach it, and fixture helpers."""

    scheme: str
    beam_args: tuple[str, ...]
    missing_bucket: str
    """What the one-line error for a missing bucket says (the SDK's own word for it)."""

    def bucket(self, name: str) -> str:
        """Create bucket ``name``; returns its URL."""
        raise NotImplementedError

    def put(self, url: str, data: bytes) -> None:
        """Write one object."""
        raise NotImplementedError

    def objects(self, url: str) -> dict[str, bytes]:
        """``{name relative to url: bytes}`` of every object under ``url``."""
        raise NotImplementedError

    def upload(self, folder: Path, url: str) -> str:
        """Put every file under ``folder`` at ``url`` (same relative names); returns ``url``."""
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                self.put(f"{url.rstrip('/')}/{path.relative_to(folder).as_posix()}", path.read_bytes())
        return url

    def _split(self, url: str) -> tuple[str, str]:
        bucket, _, key = url[len(self.scheme) + 3:].partition("/")
        return bucket, key


class S3(Store):
    """moto's server: its endpoint, the Beam flags that reach it, a boto3 client for fixtures."""

    scheme = "s3"
    missing_bucket = "NoSuchBucket"

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

    def put(self, url: str, data: bytes) -> None:
        bucket, key = self._split(url)
        self.client.put_object(Bucket=bucket, Key=key, Body=data)

    def objects(self, url: str) -> dict[str, bytes]:
        bucket, prefix = self._split(url)
        prefix = prefix.strip("/") + "/"
        out = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                out[obj["Key"][len(prefix):]] = self.client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        return out


class GCS(Store):
    """gcp-storage-emulator: the Beam flags for it and a google-cloud-storage client for fixtures."""

    scheme = "gs"
    missing_bucket = "NotFound"
    beam_args = (f"--project={PROJECT}",)

    def __init__(self) -> None:
        from google.cloud import storage

        self.client = storage.Client(project=PROJECT)  # STORAGE_EMULATOR_HOST: anonymous, to the emulator

    def bucket(self, name: str) -> str:
        self.client.create_bucket(name)
        return f"gs://{name}"

    def put(self, url: str, data: bytes) -> None:
        bucket, key = self._split(url)
        self.client.bucket(bucket).blob(key).upload_from_string(data)

    def objects(self, url: str) -> dict[str, bytes]:
        bucket, prefix = self._split(url)
        prefix = prefix.strip("/") + "/"
        return {blob.name[len(prefix):]: blob.download_as_bytes()
                for blob in self.client.list_blobs(bucket, prefix=prefix)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3():
    """One moto S3 server for the session (port 0: the OS picks a free port)."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed (pip install -e '.[test]')")
    pytest.importorskip("boto3", reason="boto3 is not installed (pip install 'rt2data[aws]')")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request at INFO
    server.start()
    host, port = server.get_host_and_port()
    try:
        # boto3 refuses to sign without some keys; the SDK's own variables, as a user would set them.
        with environment(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION):
            yield S3(f"http://{host}:{port}")
    finally:
        server.stop()
        from rt2data import io

        io.set_options(None)


@pytest.fixture(scope="session")
def gcs(tmp_path_factory):
    """One in-memory GCS emulator for the session.

    Beam's GCS filesystem first looks for Application Default Credentials, retrying for about 23 s per process
    before it connects anonymously. ``GOOGLE_APPLICATION_CREDENTIALS`` names a dummy ``authorized_user`` file
    holding an access token that has not expired, so google-auth finds credentials at once and never refreshes
    them (no request leaves loopback); the emulator ignores the token. ``NO_GCE_CHECK`` stops google-auth probing
    for a GCE metadata server; ``GOOGLE_CLOUD_PROJECT`` keeps google-auth from warning that the dummy credentials
    name no project.
    """
    emulator = pytest.importorskip("gcp_storage_emulator.server",
                                   reason="gcp-storage-emulator is not installed (pip install -e '.[test]')")
    pytest.importorskip("google.cloud.storage", reason="google-cloud-storage is not installed "
                                                       "(pip install 'rt2data[gcp]')")
    credentials = tmp_path_factory.mktemp("gcs") / "application_default_credentials.json"
    credentials.write_text(json.dumps({
        "type": "authorized_user", "client_id": "rt2data-test", "client_secret": "rt2data-test",
        "refresh_token": "rt2data-test", "token": "rt2data-test", "expiry": "2999-01-01T00:00:00Z"}))
    logging.getLogger("gcp_storage_emulator").setLevel(logging.ERROR)  # it logs every request
    port = free_port()
    server = emulator.create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        with environment(STORAGE_EMULATOR_HOST=f"http://127.0.0.1:{port}", NO_GCE_CHECK="true",
                         GOOGLE_APPLICATION_CREDENTIALS=str(credentials), GOOGLE_CLOUD_PROJECT=PROJECT):
            yield GCS()
    finally:
        server.stop()
        from rt2data import io

        io.set_options(None)


@pytest.fixture(scope="session", params=["s3", "gs"])
def store(request) -> Store:
    """Each object store in turn (``s3``: moto; ``gs``: gcp-storage-emulator)."""
    return request.getfixturevalue("s3" if request.param == "s3" else "gcs")
