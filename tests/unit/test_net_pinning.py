"""Pinned connections (harken.net.pinned_transport): TLS is still verified against the host name."""

from __future__ import annotations

import asyncio
import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from harken import net


def _certificate(tmp: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` (and nothing else), as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = self.headers.get("Host", "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert_file, key_file = _certificate(tmp_path, "pinned.example")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], cert_file
    server.shutdown()
    server.server_close()


def _get(url: str, cert_file: Path) -> httpx.Response:
    async def go() -> httpx.Response:
        verify = ssl.create_default_context(cafile=str(cert_file))
        async with httpx.AsyncClient(
            transport=net.pinned_transport(verify=verify), trust_env=False
        ) as client:
            return await client.get(url)

    return asyncio.run(go())


def test_a_pinned_https_connection_verifies_the_certificate_of_the_host_name(
    https_server: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert_file = https_server
    monkeypatch.setattr(net, "resolve", lambda host: ["127.0.0.1"])
    monkeypatch.setattr(net, "_is_public", lambda ip: True)  # pretend loopback is public here
    # Dialled by address, verified by name: the certificate names pinned.example only.
    response = _get(f"https://pinned.example:{port}/", cert_file)
    assert response.status_code == 200 and response.text == f"pinned.example:{port}"
    # Another name on the same address fails verification, as it must.
    monkeypatch.setattr(net, "resolve", lambda host: ["127.0.0.1"])
    with pytest.raises(httpx.ConnectError, match=r"certificate|hostname|match"):
        _get(f"https://other.example:{port}/", cert_file)


def test_a_pinned_connection_refuses_a_private_address(https_server: tuple[int, Path]) -> None:
    port, cert_file = https_server
    with pytest.raises(net.UnsafeURL, match=r"127\.0\.0\.1"):
        _get(f"https://127.0.0.1:{port}/", cert_file)
