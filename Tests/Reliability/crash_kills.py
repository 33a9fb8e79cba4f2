#!/usr/bin/env python3
"""Crash safety: the real server (release build) on a SQLite file is killed with SIGKILL at random
moments while eight clients upload usage records and place calls, then started again, twenty
times. Afterwards: every acknowledged record is present exactly once; an upload that was never
answered is all there or not there at all (a batch is one transaction); sending every
unanswered upload again brings each record in once; the balance is what was bought less what
the records charged; `commscredits backup` taken while the server serves restores to a ledger
that verifies; and `commscredits verify` finds the ledger and its journal in agreement.

Usage: Tests/Reliability/crash_kills.py [KILLS]  (default 20; a seed in CRASH_SEED replays the moments)
"""
import concurrent.futures
import datetime
import decimal
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests/Support"))
from running_server import Unanswered, call, start_server  # noqa: E402

BINARY = os.path.join(ROOT, ".build/release/commscredits")
DECK = os.path.join(ROOT, "Sources/CreditsApp/Resources/sample-rate-deck-usd.csv")
CLIENTS, BOUGHT = 8, 10_000_000
TENANT = "/v1/tenants/contoso"


def fail(message):
    print("crash-kills: " + message, file=sys.stderr)
    sys.exit(1)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Ledger:
    """What the clients were told, and what they sent without an answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acknowledged = []     # usage ids the server answered for
        self.unanswered = []       # upload batches (lists of records) without an answer

    def add(self, field, value):
        with self.lock:
            getattr(self, field).append(value)


def client(number, life, port, token, start, book, stop):
    sequence = 0
    while not stop.is_set():
        sequence += 1
        name = "k%d-c%d-%d" % (life, number, sequence)
        try:
            if sequence % 2:
                records = [{"usageId": "%s-%d" % (name, index), "callType": "user_out", "upn": "payg@contoso.com",
                            "callerNumber": "+14255550100", "calleeNumber": "+44207123%04d" % index,
                            "startTime": iso(start), "durationSeconds": 60 + index} for index in range(3)]
                try:
                    answer = call(port, token, "POST", TENANT + "/usage-records", {"records": records})
                except Unanswered:
                    book.add("unanswered", records)
                    raise
                for result in answer["results"]:
                    if result["status"] not in ("charged", "duplicate"):
                        fail("upload %s answered %s" % (name, result))
                    book.add("acknowledged", result["usageId"])
            else:
                # Dated by the clock: the service refuses a start or end minutes away from its own.
                call_began = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=95)
                started = call(port, token, "POST", TENANT + "/calls/%s/start" % name,
                               {"requestNumber": 1, "callType": "user_out", "upn": "payg@contoso.com", "callerNumber": "+14255550100",
                                "calleeNumber": "+12065550199", "startTime": iso(call_began)})
                if not started["allowed"]:
                    fail("call %s refused: %s" % (name, started))
                ended = call(port, token, "POST", TENANT + "/calls/%s/end" % name,
                             {"requestNumber": 2, "durationSeconds": 95, "endTime": iso(call_began + datetime.timedelta(seconds=95))})
                book.add("acknowledged", ended["usageId"])
        except Unanswered:
            return


def report(port, token, start):
    window = "from=%s&to=%s" % (iso(start - datetime.timedelta(days=1)), iso(start + datetime.timedelta(days=1)))
    path, rows, cursor = TENANT + "/reports/pstn?format=json&limit=1000&" + window, [], None
    while True:
        page = call(port, token, "GET", path + ("&after=%s" % cursor if cursor else ""))
        columns, rows, cursor = page["columns"], rows + page["rows"], page.get("next")
        if cursor is None:
            return [(row[columns.index("UsageId")], int(decimal.Decimal(row[columns.index("Charge")]) * 100)) for row in rows]


def main():
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    moments = random.Random(seed)
    if not os.path.exists(BINARY):
        subprocess.run(["swift", "build", "-c", "release", "--product", "commscredits"], cwd=ROOT, check=True)
    # On tmpfs when there is one: a SIGKILL leaves what was written to the kernel, on any file
    # system, and the run then waits for no disk.
    work = tempfile.mkdtemp(prefix="crash-kills-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    database = "sqlite:" + os.path.join(work, "credits.sqlite")
    log = open(os.path.join(work, "server.log"), "w")
    subprocess.run([BINARY, "migrate", "--database", database], check=True, capture_output=True)
    token = subprocess.run([BINARY, "tokens", "create", "--scopes", "operator", "--database", database],
                           capture_output=True, text=True, check=True).stdout.strip()
    server = None
    try:
        port, server = start_server(BINARY, database, log)
        api = lambda *arguments, **options: call(port, token, *arguments, **options)
        api("POST", "/v1/tenants", {"id": "contoso", "name": "Contoso", "country": "US", "currency": "USD",
                                    "channel": "webDirect", "commerceModel": "classic"})
        api("POST", TENANT + "/users", {"upn": "payg@contoso.com", "displayName": "Payg", "usageLocation": "US", "roles": []})
        with open(DECK, "rb") as deck:
            api("PUT", "/v1/rate-decks/USD", deck.read(), content_type="text/csv")
        api("POST", TENANT + "/credits/purchases", {"amountMinor": BOUGHT, "paymentMethod": {"type": "card", "token": "tok_visa"}}, key="buy")
        api("POST", TENANT + "/users/payg@contoso.com/licenses", {"add": ["MCOEV", "MCOPSTN_PAYG", "MCOPSTNPP"]})

        start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(minutes=5)
        book = Ledger()
        for life in range(kills):
            stop = threading.Event()
            with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
                clients = [pool.submit(client, number, life, port, token, start, book, stop) for number in range(CLIENTS)]
                time.sleep(moments.uniform(0.2, 1.5))
                server.send_signal(signal.SIGKILL)
                server.wait()
                stop.set()
                for finished in clients:
                    finished.result()  # a client's refusal or failed check fails the test
            port, server = start_server(BINARY, database, log)

        kept = report(port, token, start)
        ids = [usage for usage, _ in kept]
        if len(ids) != len(set(ids)):
            fail("a record is in the report twice")
        present = set(ids)
        missing = [usage for usage in book.acknowledged if usage not in present]
        if missing:
            fail("%d acknowledged records are missing, e.g. %s" % (len(missing), missing[:3]))
        halves = [batch for batch in book.unanswered if 0 < sum(r["usageId"] in present for r in batch) < len(batch)]
        if halves:
            fail("an unanswered upload was half applied: %s" % [r["usageId"] for r in halves[0]])
        landed = sum(all(r["usageId"] in present for r in batch) for batch in book.unanswered)
        for batch in book.unanswered:  # the platform sends again what it never heard back about
            answer = call(port, token, "POST", TENANT + "/usage-records", {"records": batch})
            if any(result["status"] not in ("charged", "duplicate") for result in answer["results"]):
                fail("a resent upload answered %s" % answer["results"])
        kept = report(port, token, start)
        ids = [usage for usage, _ in kept]
        expected = set(book.acknowledged) | {r["usageId"] for batch in book.unanswered for r in batch}
        if len(ids) != len(set(ids)) or not expected <= set(ids):
            fail("after the resends the report holds %d records, %d distinct, expected at least %d" % (len(ids), len(set(ids)), len(expected)))
        charged = sum(charge for _, charge in kept)
        credits = api("GET", TENANT + "/credits")
        if credits["balanceMinor"] != BOUGHT - charged:
            fail("balance %d, expected %d bought - %d charged" % (credits["balanceMinor"], BOUGHT, charged))
        # A backup while the server serves, restored and verified.
        backup, restored = os.path.join(work, "backup.sqlite"), "sqlite:" + os.path.join(work, "restored.sqlite")
        for command in (["backup", "--database", database, "--output", backup], ["restore", "--input", backup, "--database", restored]):
            done = subprocess.run([BINARY] + command, capture_output=True, text=True)
            if done.returncode != 0:
                fail(" ".join(command[:1]) + ": " + done.stdout + done.stderr)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        verified = subprocess.run([BINARY, "verify", "--database", database], capture_output=True, text=True)
        if verified.returncode != 0:
            fail("verify: " + verified.stdout + verified.stderr)
        print("crash-kills: %d kills in a row (seed %d); %d records acknowledged, %d uploads unanswered (%d had landed whole, "
              "none in part), %d records kept once each, balance %d; backup restored and verified; %s"
              % (kills, seed, len(book.acknowledged), len(book.unanswered), landed, len(ids), credits["balanceMinor"], verified.stdout.strip()))
    except BaseException:
        log.flush()
        print(open(os.path.join(work, "server.log")).read()[-4000:], file=sys.stderr)
        raise
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
