"""E-mail over SMTP: UTF-8 plain text in Japanese and English, the idempotency key as Message-ID and header.

One connection is opened per batch and reused for every message in it (STARTTLS, implicit TLS or plain;
AUTH when a user is configured). A 5xx answer is permanent (the address is refused: no retry); a 4xx
answer or a broken connection is temporary (retried with back-off).
"""

from __future__ import annotations

import smtplib
import ssl
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate
from types import TracebackType

from coordinator.notifications.render import Message
from coordinator.settings import Settings


class DeliveryError(Exception):
    """A delivery failed; `permanent` ones are not retried (the receiver refused for good)."""

    def __init__(self, message: str, *, permanent: bool = False, connection: bool = False) -> None:
        super().__init__(message[:480])
        self.permanent = permanent
        # The relay itself failed (unreachable, refused the login): the rest of the batch would fail too.
        self.connection = connection


def smtp_configured(settings: Settings) -> bool:
    """Whether e-mail can be sent (OUEN_SMTP_HOST is set)."""
    return bool(settings.smtp_host)


def message_id(key: str, settings: Settings) -> str:
    """The Message-ID of a notification: the same on every attempt, so receivers can drop a duplicate."""
    domain = settings.smtp_from.rpartition("@")[2] or "ouen.localhost"
    return f"<{key}@{domain}>"


def build_email(message: Message, *, to: str, key: str, url: str, event_type: str,
                settings: Settings) -> MIMEText:
    """The e-mail of one notification (subject and body in UTF-8; headers say what it is)."""
    # MIMEText (the compat32 API) builds a message about four times faster than EmailMessage; a national
    # drill sends thousands (bench/notify.py).
    mail = MIMEText(message.text(url), "plain", "utf-8")
    mail["Subject"] = Header(message.subject, "utf-8")
    mail["From"] = formataddr((str(Header(settings.smtp_from_name, "utf-8")), settings.smtp_from))
    mail["To"] = to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id(key, settings)
    mail["X-Ouen-Idempotency-Key"] = key
    mail["X-Ouen-Event"] = event_type
    if message.drill:
        mail["X-Ouen-Drill"] = "yes"
    # RFC 3834: automatic messages must not trigger vacation auto-replies.
    mail["Auto-Submitted"] = "auto-generated"
    return mail


class SmtpConnection:
    """One SMTP session for a batch of messages: `with SmtpConnection(settings) as smtp: smtp.send(mail)`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.smtp_ca_file is not None:
            context.load_verify_locations(cafile=str(self.settings.smtp_ca_file))
        return context

    def open(self) -> smtplib.SMTP:
        """Connect, secure and authenticate as configured; a DeliveryError if that fails."""
        s = self.settings
        try:
            if s.smtp_security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds,
                                                        context=self._tls())
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
                client.ehlo()
                if s.smtp_security == "starttls":
                    client.starttls(context=self._tls())
                    client.ehlo()
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password.get_secret_value())
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"SMTP authentication refused ({error.smtp_code})", connection=True) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"SMTP {s.smtp_host}:{s.smtp_port}: {type(error).__name__}: {error}",
                                connection=True) from None
        self._client = client
        return client

    def send(self, mail: MIMEText) -> None:
        """Send one message on the open session (opened on first use)."""
        client = self._client or self.open()
        try:
            # SMTP lines end in CRLF (RFC 5321 §2.3.8); smtplib leaves a bytes message as it is.
            data = mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))
            refused = client.sendmail(self.settings.smtp_from, [str(mail["To"])], data)
        except smtplib.SMTPRecipientsRefused as error:
            code = next(iter(error.recipients.values()))[0] if error.recipients else 0
            raise DeliveryError(f"recipient refused ({code})", permanent=500 <= code < 600) from None
        except smtplib.SMTPResponseException as error:
            if not 500 <= error.smtp_code < 600:
                self.close()
            raise DeliveryError(f"SMTP {error.smtp_code}: {error.smtp_error!r}"[:480],
                                permanent=500 <= error.smtp_code < 600) from None
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise DeliveryError(f"SMTP: {type(error).__name__}: {error}", connection=True) from None
        if refused:
            raise DeliveryError(f"recipient refused: {refused}", permanent=True)

    def close(self) -> None:
        """End the session (QUIT; closes the socket even if the server is gone)."""
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
