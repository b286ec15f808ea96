"""Mastodon.py (a real third-party client library) uploads an image with a description and a
focal point and posts it, on each media storage backend: the local directory (the default) and
S3-compatible object storage (a moto server started here, `moto[server]` from requirements.txt).
Every entity is checked against the Mastodon API schema."""

import io
import struct
import subprocess
import sys
import time
import zlib

import pytest
import requests
from mastodon import Mastodon

from conftest import free_port


def png(width: int, height: int) -> bytes:
    """A real RGB PNG, written by hand (a gradient), so the test needs no imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + bytes(v for x in range(width) for v in (x % 256, y % 256, 120))
                    for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def s3():
    """A moto S3 server with the bucket `kith-media`; yields its endpoint."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                requests.get(endpoint, timeout=1)
                break
            except requests.ConnectionError:
                assert time.time() < deadline, "moto_server did not start"
                time.sleep(0.2)
        assert requests.put(f"{endpoint}/kith-media", timeout=10).status_code == 200
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def stored_keys(endpoint: str) -> list:
    listing = requests.get(f"{endpoint}/kith-media?list-type=2", timeout=10).text
    return [part.split("</Key>")[0] for part in listing.split("<Key>")[1:]]


@pytest.mark.parametrize("storage", ["local", "s3"])
def test_mastodon_py_posts_an_image_with_a_description(kith_factory, conformance, storage, request):
    env = {}
    if storage == "s3":
        endpoint = request.getfixturevalue("s3")
        env = {"KITH_MEDIA_STORAGE": "s3", "KITH_S3_ENDPOINT": endpoint, "KITH_S3_BUCKET": "kith-media",
               "KITH_S3_REGION": "us-east-1", "KITH_S3_ACCESS_KEY_ID": "test",
               "KITH_S3_SECRET_ACCESS_KEY": "test"}
    kith = kith_factory(users=["ana"], env=env)
    token = kith.cli("admin", "token", "ana", "--scopes", "read write")
    api = Mastodon(access_token=token, api_base_url=kith.base, version_check_mode="none", request_timeout=30)
    conformance(requests.get(f"{kith.base}/api/v2/instance", timeout=10).json(), "Instance")

    media = api.media_post(io.BytesIO(png(900, 300)), mime_type="image/png", description="A gradient",
                           focus=(0.25, -0.5), file_name="gradient.png")
    raw = requests.get(f"{kith.base}/api/v1/media/{media.id}", headers={"Authorization": f"Bearer {token}"},
                       timeout=10).json()
    conformance(raw, "MediaAttachment")
    assert media.type == "image"
    assert media.description == "A gradient"
    assert media.meta.original.width == 900 and media.meta.original.height == 300
    assert media.meta.small.width == 640
    assert media.meta.focus.x == 0.25 and media.meta.focus.y == -0.5
    assert media.blurhash

    status = api.status_post("An image from Mastodon.py", media_ids=[media.id])
    raw = requests.get(f"{kith.base}/api/v1/statuses/{status.id}", timeout=10).json()
    conformance(raw, "Status")
    attached = raw["media_attachments"]
    assert [m["id"] for m in attached] == [str(media.id)]
    assert attached[0]["description"] == "A gradient"

    served = requests.get(attached[0]["url"], timeout=10)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.content.startswith(b"\x89PNG")

    local_files = list((kith.workdir / "data" / "media").rglob("*.*"))
    if storage == "s3":
        keys = stored_keys(env["KITH_S3_ENDPOINT"])
        assert len(keys) == 2 and all(k.startswith("media/") for k in keys), keys
        assert local_files == []
    else:
        assert len(local_files) == 2, local_files
