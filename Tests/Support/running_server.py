"""The real server, for the scripts that test it running: start `commscredits serve` on a free
port of loopback and call its API as a client would."""
import http.client
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request


class Unanswered(Exception):
    """The server went away (or was killed) before it answered."""


class Refused(Exception):
    """The server answered with an error status."""


_handed_out = set()


def free_port():
    """A port nobody listens on, and not one this process was given before (the system may hand
    a just-closed port out again)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def start_server(binary, database, log):
    """Starts a server on `database`, writing its log to `log`; returns its port and process once
    it is ready. Rate limits are lifted: the scripts are the only clients."""
    port = free_port()
    environment = dict(os.environ, LIMITS_REQUESTS_PER_SECOND="100000", LIMITS_BURST="100000", LOG_LEVEL="notice")
    process = subprocess.Popen([binary, "serve", "--database", database, "--port", str(port)], env=environment, stdout=log,
                               stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/health/ready" % port, timeout=1)
            return port, process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server on %s did not become ready in a minute" % database)


def call(port, token, method, path, body=None, content_type="application/json", key=None):
    """One API request with a bearer token; returns the JSON answer."""
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    request.add_header("Content-Type", content_type)
    if key:
        request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise Refused("%s %s answered %d: %s" % (method, path, error.code, error.read().decode())) from None
    except (OSError, ValueError, http.client.HTTPException) as error:  # refused, reset, or cut off mid-answer
        raise Unanswered("%s %s: %s" % (method, path, error)) from error
