#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests: aiosmtpd, keeping every message it accepts.

Each message is written to the spool folder as NNNNN.json: the envelope (sender, recipients),
whether it came over TLS and authenticated, the raw message, and its parsed headers and
text and HTML parts. Prints "READY <port>" once listening; on SIGTERM or SIGINT stops listening and prints "STOPPED".

    smtp_sink.py --spool DIR [--port N] [--tls CERT KEY] [--auth USER:PASSWORD [--login-only]]
"""
import argparse
import email
import email.policy
import itertools
import json
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Spool:
    def __init__(self, folder):
        self.folder = folder
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if part.get_content_type() in ("text/plain", "text/html") and not part.is_multipart():
                parts[part.get_content_type()] = part.get_content()
        record = {
            "mailFrom": envelope.mail_from,
            "recipients": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "headers": {key: str(value) for key, value in message.items()},
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
            "raw": raw.decode("utf-8", "replace"),
        }
        with self.lock:
            path = os.path.join(self.folder, "%05d.json" % next(self.numbers))
        with open(path + ".partial", "w") as file:
            json.dump(record, file)
        os.replace(path + ".partial", path)
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spool", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--login-only", action="store_true", help="offer AUTH LOGIN but not PLAIN")
    arguments = parser.parse_args()
    os.makedirs(arguments.spool, exist_ok=True)

    options = {}
    if arguments.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*arguments.tls)
        options.update(tls_context=context, require_starttls=True)
    if arguments.auth:
        user, password = arguments.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)

        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(arguments.tls))
        if arguments.login_only:
            options.update(auth_exclude_mechanism=["PLAIN"])

    port = arguments.port or free_port()
    controller = Controller(Spool(arguments.spool), hostname="127.0.0.1", port=port, server_hostname="localhost", **options)
    controller.start()
    print("READY %d" % port, flush=True)
    stop = threading.Event()
    # A parent may have spawned this process with these signals blocked.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    print("STOPPED", flush=True)


if __name__ == "__main__":
    sys.exit(main())
