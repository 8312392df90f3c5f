"""RedisStore over TLS (``rediss://``) against a redis-server of the test's own with a TLS port.

The test makes a throwaway self-signed certificate (for 127.0.0.1) with ``cryptography`` and
starts ``redis-server --tls-port`` with no plain-text port; the store must verify the server
against that certificate (``ssl_cert_reqs=required&ssl_ca_certs=...`` in the URL query).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from hookreceiver import Admission, ClaimState, StoreUnavailable
from hookreceiver.stores.redis import RedisStore
from tests.conftest import HOW_TO_GET_REDIS, REDIS_SERVER
from tests.helpers import FakeClock, delivery, free_port

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hookreceiver test redis")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "redis.crt", directory / "redis.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    if not Path(REDIS_SERVER).exists():
        if os.environ.get("CI"):
            pytest.fail(f"redis-server is missing; {HOW_TO_GET_REDIS}")
        pytest.skip(f"redis-server is missing; {HOW_TO_GET_REDIS}")
    cert, key = self_signed(tmp_path)
    port = free_port()
    log = tmp_path / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                "0",
                "--tls-port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--tls-cert-file",
                str(cert),
                "--tls-key-file",
                str(key),
                "--tls-ca-cert-file",
                str(cert),
                "--tls-auth-clients",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 10
        while "Ready to accept connections" not in log.read_text(errors="replace"):
            assert process.poll() is None, f"redis-server refused TLS: {log.read_text()}"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield port, cert
    finally:
        process.kill()
        process.wait(10)


async def test_a_store_over_verified_tls_admits_and_runs(tls_redis: tuple[int, Path]) -> None:
    port, cert = tls_redis
    url = f"rediss://127.0.0.1:{port}/0?namespace=tls&ssl_cert_reqs=required&ssl_ca_certs={quote(str(cert))}"
    store = RedisStore.from_url(url, clock=FakeClock())
    try:
        assert await store.admit(delivery("over-tls")) is Admission.ACCEPTED
        assert await store.admit(delivery("over-tls")) is Admission.DUPLICATE
        [job] = await store.take("tls-worker", limit=1, wait=0.1)
        await store.complete(job)
        assert await store.state("/orders:over-tls") is ClaimState.DONE
    finally:
        await store.close()


async def test_plain_text_or_an_unknown_certificate_is_refused(
    tls_redis: tuple[int, Path],
    tmp_path: Path,
) -> None:
    port, _ = tls_redis
    other = tmp_path / "other"
    other.mkdir()
    stranger, _ = self_signed(other)  # a CA that did not sign the server's certificate
    for url in (
        f"redis://127.0.0.1:{port}/0",
        f"rediss://127.0.0.1:{port}/0?ssl_cert_reqs=required&ssl_ca_certs={stranger}",
    ):
        store = RedisStore.from_url(url, clock=FakeClock())
        try:
            with pytest.raises(StoreUnavailable):
                await store.admit(delivery("refused"))
        finally:
            await store.close()
