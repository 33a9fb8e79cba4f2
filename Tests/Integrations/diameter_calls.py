"""Diameter credit control for real: `commscredits serve --demo` with its Diameter server on,
and the independent pure-Python `python-diameter` package sending real CER, CCR, DWR and DPR
over TCP. Checks the answers (grants, Final-Unit-Indication, each result code, repeats), the
usage record a TERMINATION writes, the Re-Auth-Request the server sends when funds arrive during
a final grant, the protocol errors of bad input (unknown mandatory AVPs,
missing AVPs, wrong lengths, truncated and unframable messages), that the server survives
all of it, and prints CCR round trips per second with p50 and p99.

Usage: diameter_calls.py BINARY [--pairs N]   (N INITIAL+TERMINATION pairs for the figure; 500 by default)
"""
import argparse
import datetime
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

from diameter.message import Message
from diameter.message.avp import Avp
from diameter.message.avp.grouped import (ImsInformation, MultipleServicesCreditControl, RequestedServiceUnit, ServiceInformation,
                                          SubscriptionId, UsedServiceUnit)
from diameter.message.commands import (CapabilitiesExchangeRequest, CreditControlRequest, DeviceWatchdogRequest,
                                       DisconnectPeerRequest, ReAuthAnswer, ReAuthRequest)
from diameter.message.constants import (E_CC_REQUEST_TYPE_INITIAL_REQUEST, E_CC_REQUEST_TYPE_TERMINATION_REQUEST,
                                        E_CC_REQUEST_TYPE_UPDATE_REQUEST, E_SUBSCRIPTION_ID_TYPE_END_USER_E164,
                                        E_SUBSCRIPTION_ID_TYPE_END_USER_SIP_URI)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Support"))
from calling_tenants import add_northwind, operator_token  # noqa: E402
from running_server import call, free_port  # noqa: E402

PEER = "pbx.test.example"
E164, SIP = E_SUBSCRIPTION_ID_TYPE_END_USER_E164, E_SUBSCRIPTION_ID_TYPE_END_USER_SIP_URI


class Peer:
    """One TCP connection to the server, as a Diameter client."""

    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.next_id = 1

    def send(self, message):
        message.header.hop_by_hop_identifier = message.header.end_to_end_identifier = self.next_id
        self.next_id += 1
        self.socket.sendall(message.as_bytes())
        return self.receive(message.header.hop_by_hop_identifier)

    def send_raw(self, data):
        self.socket.sendall(data)
        return self.receive(None)

    def receive(self, hop_by_hop):
        header = self.read(20)
        if header is None:
            return None
        length = struct.unpack("!I", header[:4])[0] & 0xFFFFFF
        answer = Message.from_bytes(header + self.read(length - 20))
        assert hop_by_hop is None or answer.header.hop_by_hop_identifier == hop_by_hop, "the answer carries the request's hop-by-hop id"
        return answer

    def read(self, count):
        data = b""
        while len(data) < count:
            chunk = self.socket.recv(count - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def closed(self):
        """Whether the server closed the connection."""
        try:
            return self.socket.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False

    def capabilities(self, origin_host=PEER):
        request = CapabilitiesExchangeRequest()
        request.origin_host, request.origin_realm = origin_host.encode(), b"test.example"
        request.host_ip_address, request.vendor_id, request.product_name = "127.0.0.1", 0, "python-diameter"
        request.auth_application_id = 4
        return self.send(request)


def ccr(session, request_type, number, subscriber=None, callee=None, requested=None, used=None, started_ago=0):
    request = CreditControlRequest()
    request.header.application_id = 4
    request.session_id = session
    request.origin_host, request.origin_realm, request.destination_realm = PEER.encode(), b"test.example", b"commscredits"
    request.auth_application_id = 4
    request.service_context_id = "32260@3gpp.org"
    request.cc_request_type, request.cc_request_number = request_type, number
    request.event_timestamp = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=started_ago)
    if subscriber:
        request.subscription_id = [SubscriptionId(subscription_id_type=subscriber[0], subscription_id_data=subscriber[1])]
    if callee:
        request.service_information = ServiceInformation(ims_information=ImsInformation(called_party_address="tel:" + callee))
    units = MultipleServicesCreditControl()
    if requested is not None:
        units.requested_service_unit = RequestedServiceUnit(cc_time=requested)
    if used is not None:
        units.used_service_unit = [UsedServiceUnit(cc_time=used)]
    request.multiple_services_credit_control = [units]
    return request


def granted(answer):
    units = answer.multiple_services_credit_control[0]
    return units.granted_service_unit.cc_time, units.final_unit_indication


def main():
    arguments = argparse.ArgumentParser()
    arguments.add_argument("binary")
    arguments.add_argument("--pairs", type=int, default=500)
    options = arguments.parse_args()
    folder = tempfile.mkdtemp(prefix="diameter-")
    port, diameter_port = free_port(), free_port()
    database = "sqlite:" + os.path.join(folder, "credits.sqlite")
    environment = dict(os.environ, LIMITS_REQUESTS_PER_SECOND="100000", LIMITS_BURST="100000", LOG_LEVEL="notice",
                       DIAMETER_PORT=str(diameter_port), DIAMETER_PEERS=PEER)
    log = open(os.path.join(folder, "server.log"), "w")
    server = subprocess.Popen([options.binary, "serve", "--database", database, "--port", str(port), "--demo"], env=environment,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        token = operator_token(options.binary, database, port)
        add_northwind(port, token)
        check_calls(diameter_port, port, token)
        check_bad_input(diameter_port)
        assert server.poll() is None, "the server survived every bad message"
        measure(diameter_port, options.pairs)
        print("diameter: every answer as expected")
    except Exception:
        print(open(os.path.join(folder, "server.log")).read()[-4000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(timeout=20)


def check_calls(diameter_port, port, token):
    peer = Peer(diameter_port)
    assert peer.capabilities().result_code == 2001
    watchdog = DeviceWatchdogRequest()
    watchdog.origin_host, watchdog.origin_realm = PEER.encode(), b"test.example"
    assert peer.send(watchdog).result_code == 2001

    nestor = (SIP, "sip:nestor@contoso.com")
    # Dated two minutes ago, so that the 90 s it reports lie between its start and end.
    first_request = ccr("pbx;1;call", E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0, nestor, "+4930123456", requested=600, started_ago=120)
    first = peer.send(first_request)
    assert first.result_code == 2001 and granted(first) == (600, None), "INITIAL grants the quota: %s" % first.result_code
    first_request.header.is_retransmit = True
    assert granted(peer.send(first_request)) == (600, None), "a repeat gets the first answer"
    update = peer.send(ccr("pbx;1;call", E_CC_REQUEST_TYPE_UPDATE_REQUEST, 1, used=60, requested=600))
    assert update.result_code == 2001 and granted(update)[0] == 600
    assert peer.send(ccr("pbx;1;call", E_CC_REQUEST_TYPE_UPDATE_REQUEST, 1, used=60, requested=600)).result_code == 2001, "a repeated UPDATE"
    end = peer.send(ccr("pbx;1;call", E_CC_REQUEST_TYPE_TERMINATION_REQUEST, 2, used=30))
    assert end.result_code == 2001
    records = call(port, token, "GET", "/v1/tenants/contoso/usage-records?limit=1000")["records"]
    record = [r for r in records if r.get("callId") == "pbx;1;call"]
    assert len(record) == 1 and record[0]["durationSeconds"] == 90 and record[0]["upn"] == "nestor@contoso.com", \
        "one record of the seconds reported (60 + 30): %s" % record
    assert peer.send(ccr("pbx;1;call", E_CC_REQUEST_TYPE_UPDATE_REQUEST, 3, used=5)).result_code == 5002, "an ended session"
    assert peer.send(ccr("pbx;unknown", E_CC_REQUEST_TYPE_UPDATE_REQUEST, 1, used=5)).result_code == 5002, "an unknown session"

    by_number = peer.send(ccr("pbx;2;call", E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0, (E164, "14255550105"), "+4930123456", requested=60))
    assert by_number.result_code == 2001, "E.164 without '+': %s" % by_number
    expected = {
        "an unknown subscriber": (5030, (SIP, "sip:nobody@contoso.com"), "+4930123456"),
        "no calling plan": (4010, (SIP, "sip:lee@contoso.com"), "+4930123456"),
        "no rate for the number": (5031, nestor, "+99912345678"),
        "an emergency call": (4011, nestor, "112"),
    }
    for name, (code, subscriber, callee) in expected.items():
        answer = peer.send(ccr("pbx;%s" % name, E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0, subscriber, callee, requested=60))
        assert answer.result_code == code, "%s: %s, not %d" % (name, answer.result_code, code)
    last = peer.send(ccr("pbx;3;call", E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0, (E164, "+12065550177"), "+442099912345", requested=600))
    seconds, final = granted(last)
    assert last.result_code == 2001 and seconds == 10 and final is not None and final.final_unit_action == 0, \
        "the last grant the balance allows carries Final-Unit-Indication TERMINATE: %s" % last
    empty = peer.send(ccr("pbx;4;call", E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0, (E164, "+12065550177"), "+449090123456", requested=600))
    assert empty.result_code == 4012, "the balance is held by the other call: %s" % empty.result_code
    check_re_auth(peer, port, token)
    disconnect = DisconnectPeerRequest()
    disconnect.origin_host, disconnect.origin_realm, disconnect.disconnect_cause = PEER.encode(), b"test.example", 0
    assert peer.send(disconnect).result_code == 2001 and peer.closed(), "DPA, then the server closes"


def check_re_auth(peer, port, token):
    """Funds arrive while pbx;3;call runs on its final grant: the server sends a Re-Auth-Request
    for it within seconds, and the UPDATE that follows is granted what the new funds buy."""
    call(port, token, "POST", "/v1/tenants/northwind/credits/purchases", {"amountMinor": 10_00, "paymentMethod": {"type": "card", "token": "tok_visa"}},
         key="northwind-re-auth")
    asked = time.monotonic()
    rar = peer.receive(None)
    waited = time.monotonic() - asked
    assert isinstance(rar, ReAuthRequest) and rar.session_id == "pbx;3;call" and rar.auth_application_id == 4 \
        and rar.re_auth_request_type == 0 and rar.destination_host == PEER.encode(), "a Re-Auth-Request for the session: %s" % rar
    assert waited < 5, "within the check interval: %.1f s" % waited
    answer = ReAuthAnswer()
    answer.header.hop_by_hop_identifier, answer.header.end_to_end_identifier = rar.header.hop_by_hop_identifier, rar.header.end_to_end_identifier
    answer.session_id, answer.result_code = rar.session_id, 2002
    answer.origin_host, answer.origin_realm = PEER.encode(), b"test.example"
    peer.socket.sendall(answer.as_bytes())
    more = peer.send(ccr("pbx;3;call", E_CC_REQUEST_TYPE_UPDATE_REQUEST, 1, used=10, requested=600))
    seconds, final = granted(more)
    assert more.result_code == 2001 and seconds == 100 and final is not None, \
        "10.00 more buys 100 s at 10 cents a second, again the last the balance allows: %s" % (granted(more),)
    print("Re-Auth-Request %.1f s after the purchase; the UPDATE was granted %d s more" % (waited, seconds))


def check_bad_input(diameter_port):
    stranger = Peer(diameter_port)
    assert stranger.capabilities("stranger.example").result_code == 3010 and stranger.closed(), "an unknown peer is refused"
    early = Peer(diameter_port)
    assert early.send(ccr("pbx;early", E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0)).result_code == 3010, "nothing before the capabilities exchange"

    peer = Peer(diameter_port)
    assert peer.capabilities().result_code == 2001
    unknown = ccr("pbx;bad;1", E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0, (SIP, "sip:nestor@contoso.com"), "+4930123456")
    unknown.append_avp(Avp(code=99999, payload=b"x", flags=0x40))  # the M bit
    answer = peer.send(unknown)
    assert answer.result_code == 5001 and answer.failed_avp[0].additional_avps[0].code == 99999, "an unknown mandatory AVP, named"
    missing = without_avp(ccr("pbx;bad;2", E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0, (SIP, "sip:nestor@contoso.com"), "+4930123456").as_bytes(), 415)
    answer = peer.send_raw(missing)
    assert answer.result_code == 5005, "a missing CC-Request-Number: %s" % answer.result_code
    wrong_type = ccr("pbx;bad;3", 9, 0, (SIP, "sip:nestor@contoso.com"), "+4930123456")
    assert peer.send(wrong_type).result_code == 5004, "a CC-Request-Type that does not exist"
    other_application = ccr("pbx;bad;4", E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0, (SIP, "sip:nestor@contoso.com"), "+4930123456")
    other_application.header.application_id = 16777238
    answer = peer.send(other_application)
    assert answer.result_code == 3007 and answer.header.is_error, "another application is a protocol error"
    watchdog = DeviceWatchdogRequest()
    watchdog.origin_host, watchdog.origin_realm = PEER.encode(), b"test.example"
    unknown_command = bytearray(watchdog.as_bytes())
    unknown_command[5:8] = (999).to_bytes(3, "big")
    answer = peer.send_raw(bytes(unknown_command))
    assert answer.result_code == 3001 and answer.header.is_error, "an unknown command"
    # An AVP whose length runs past the message: 5014, and the connection goes on.
    good = ccr("pbx;bad;6", E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0).as_bytes()
    broken = bytearray(good)
    broken[20 + 5:20 + 8] = (4000).to_bytes(3, "big")  # the first AVP (Session-Id) claims 4,000 bytes
    assert peer.send_raw(bytes(broken)).result_code == 5014, "an AVP longer than its message"
    assert peer.send(watchdog).result_code == 2001, "the connection carries on after answered errors"

    # Messages that cannot be framed close the connection; the server carries on.
    for name, data in [("a length shorter than a header", struct.pack("!I", (1 << 24) | 12) + b"\0" * 8),
                       ("version 2", struct.pack("!I", (2 << 24) | 20) + b"\0" * 16),
                       ("a length beyond the largest message", struct.pack("!I", (1 << 24) | 0xFFFFFF) + b"\0" * 16)]:
        connection = Peer(diameter_port)
        assert connection.capabilities().result_code == 2001
        connection.socket.sendall(data)
        assert connection.closed(), "%s closes the connection" % name
    truncated = Peer(diameter_port)
    assert truncated.capabilities().result_code == 2001
    truncated.socket.sendall(good[:40])
    truncated.socket.close()
    garbage = socket.create_connection(("127.0.0.1", diameter_port))
    garbage.sendall(os.urandom(4096))
    garbage.close()
    after = Peer(diameter_port)
    assert after.capabilities().result_code == 2001, "the server answers after all of it"


def without_avp(message, code):
    """The message's bytes with its top-level AVPs of `code` left out."""
    kept, offset = b"", 20
    while offset < len(message):
        avp_code, flags_length = struct.unpack("!II", message[offset:offset + 8])
        length = flags_length & 0xFFFFFF
        padded = (length + 3) & ~3
        if avp_code != code:
            kept += message[offset:offset + padded]
        offset += padded
    return struct.pack("!I", (1 << 24) | (20 + len(kept))) + message[4:20] + kept


def measure(diameter_port, pairs):
    """INITIAL and TERMINATION pairs on one connection, one request at a time."""
    peer = Peer(diameter_port)
    assert peer.capabilities().result_code == 2001
    latencies = []
    started = time.perf_counter()
    for index in range(pairs):
        session = "pbx;bench;%d" % index
        for request in (ccr(session, E_CC_REQUEST_TYPE_INITIAL_REQUEST, 0, (SIP, "sip:nestor@contoso.com"), "+4930123456", requested=600),
                        ccr(session, E_CC_REQUEST_TYPE_TERMINATION_REQUEST, 1, used=30)):
            sent = time.perf_counter()
            assert peer.send(request).result_code == 2001
            latencies.append(time.perf_counter() - sent)
    elapsed = time.perf_counter() - started
    latencies.sort()
    print("Diameter: %d CCRs in %.2f s: %.0f round trips/s, p50 %.2f ms, p99 %.2f ms (one connection, python-diameter client)"
          % (len(latencies), elapsed, len(latencies) / elapsed, latencies[len(latencies) // 2] * 1000, latencies[int(len(latencies) * 0.99)] * 1000))


if __name__ == "__main__":
    main()
