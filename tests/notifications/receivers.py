"""Real receivers for the notification tests and the benchmark: an SMTP server (aiosmtpd, in-process, on a
loopback socket, optionally with STARTTLS or implicit TLS and AUTH) and an HTTP webhook receiver that
verifies ouen's HMAC signature and drops duplicates by idempotency key, as docs/notifications.md tells
receivers to. No tests of their own."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from coordinator.notifications.webhook import KEY_HEADER, SIGNATURE_HEADER, verify


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files); the certificate is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ouen test relay")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "relay.pem", directory / "relay.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Received:
    """One message as the SMTP server received it (parsed when first read: parsing is slow)."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    _message: EmailMessage | None = None

    @property
    def message(self) -> EmailMessage:
        """The parsed message."""
        if self._message is None:
            self._message = message_from_bytes(self.raw, policy=policy.default)  # type: ignore[assignment]
        return self._message  # type: ignore[return-value]

    @property
    def key(self) -> str:
        """Its idempotency key header (read from the raw header, without parsing the message)."""
        found = _KEY.search(self.raw)
        return found.group(1).decode() if found else ""


_KEY = re.compile(rb"^X-Ouen-Idempotency-Key: *(\S+)", re.MULTILINE | re.IGNORECASE)


@dataclass
class SmtpReceiver:
    """An aiosmtpd server on 127.0.0.1: every message kept; a hook may refuse or act on one."""

    port: int
    messages: list[Received] = field(default_factory=list)
    # Called with each message before it is accepted; return an SMTP reply ("550 …") to refuse it.
    on_message: Callable[[Received], str | None] | None = None
    controller: Controller | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = Received(envelope.mail_from, list(envelope.rcpt_tos),
                            bytes(envelope.original_content or envelope.content))
        if self.on_message is not None:
            reply = self.on_message(received)
            if reply:
                return reply
        with self.lock:
            self.messages.append(received)
        return "250 OK"

    def unique(self) -> dict[str, Received]:
        """The messages after dropping duplicates by Message-ID (what a receiver keeps)."""
        with self.lock:
            return {str(m.message["Message-ID"]): m for m in self.messages}

    def stop(self) -> None:
        """Stop the server."""
        if self.controller is not None:
            self.controller.stop()


def start_smtp(port: int, *, security: str = "none", cert: tuple[Path, Path] | None = None,
               login: tuple[str, str] | None = None) -> SmtpReceiver:
    """Start an SMTP receiver: security none | starttls | ssl; AUTH required when `login` is given."""
    receiver = SmtpReceiver(port)
    options: dict[str, Any] = {}
    context = None
    if cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    if security == "starttls":
        options.update(tls_context=context, require_starttls=True)
    if login is not None:
        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
            return AuthResult(success=ok, handled=False)
        # With implicit TLS aiosmtpd does not know the session is encrypted, so it must not insist on STARTTLS.
        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=security == "starttls")
    if security == "ssl":
        options.update(ssl_context=context, server_hostname="127.0.0.1")
    controller = Controller(receiver, hostname="127.0.0.1", port=port, **options)
    controller.start()
    receiver.controller = controller
    return receiver


@dataclass
class Delivery:
    """One webhook POST as received: its headers, body, whether the signature was valid."""

    headers: dict[str, str]
    body: bytes
    signed_ok: bool

    @property
    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that verifies X-Ouen-Signature and drops duplicate keys.

    `secrets` maps a path to its webhook's secret; `fail_next` answers that many POSTs with 500 first.
    """

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.kept: dict[str, Delivery] = {}  # by idempotency key: what a receiver acts on
        self.secrets: dict[str, str] = {}
        self.fail_next = 0
        self.status_for_failures = 500
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                secret = receiver.secrets.get(self.path)
                signed = bool(secret) and verify(secret or "", body, headers.get(SIGNATURE_HEADER.lower(), ""))
                with receiver.lock:
                    delivery = Delivery(headers, body, signed)
                    receiver.deliveries.append(delivery)
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        status = receiver.status_for_failures
                    elif secret and not signed:
                        status = 401
                    else:
                        receiver.kept.setdefault(headers.get(KEY_HEADER.lower(), ""), delivery)
                        status = 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        """The URL of one of its paths."""
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()
