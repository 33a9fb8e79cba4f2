#!/usr/bin/env python3
"""Two servers, one PostgreSQL database: the real server (release build) runs twice on one
database and 64 clients charge one tenant through both at once. Each client, eight times:
uploads a batch of four usage records to one server and sends the same batch again to the other
(a retry, which must come back as duplicates), then starts a call on one server and ends it on
the other. Afterwards: every record is kept exactly once, the balance is what was bought and
recharged less the sum of the records, each fall below the auto-recharge trigger started exactly
one recharge, and the ledger verifies against its journal.

Usage: Tests/Scaling/two_instances.py postgres://USER@HOST:PORT/DATABASE  (an empty database)
"""
import concurrent.futures
import datetime
import decimal
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests/Support"))
from running_server import call, start_server  # noqa: E402

BINARY = os.path.join(ROOT, ".build/release/commscredits")
DECK = os.path.join(ROOT, "Sources/CreditsApp/Resources/sample-rate-deck-usd.csv")
CLIENTS, ROUNDS, RECORDS_PER_BATCH = 64, 8, 4
BOUGHT, TRIGGER, RECHARGE = 3000, 2000, 3000


def fail(message):
    print("two-instances: " + message, file=sys.stderr)
    sys.exit(1)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def client(number, ports, token, start):
    """One client's rounds; returns the usage ids it was answered for."""
    here, there = ports[number % 2], ports[(number + 1) % 2]
    kept = []
    for round in range(ROUNDS):
        records = [{"usageId": "c%d-r%d-%d" % (number, round, index), "callType": "user_out", "upn": "payg@northwind.com",
                    "callerNumber": "+14255550100", "calleeNumber": "+12065550%03d" % (index + 100),
                    "startTime": iso(start), "durationSeconds": 120} for index in range(RECORDS_PER_BATCH)]
        first = call(here, token, "POST", "/v1/tenants/northwind/usage-records", {"records": records})
        again = call(there, token, "POST", "/v1/tenants/northwind/usage-records", {"records": records})
        if [r["status"] for r in first["results"]] != ["charged"] * RECORDS_PER_BATCH:
            fail("client %d round %d: first upload answered %s" % (number, round, first["results"]))
        if [r["status"] for r in again["results"]] != ["duplicate"] * RECORDS_PER_BATCH:
            fail("client %d round %d: the retry answered %s" % (number, round, again["results"]))
        kept += [r["usageId"] for r in records]
        session = "call-%d-%d" % (number, round)
        # Dated by the clock: the service refuses a start or end minutes away from its own.
        call_began = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=120)
        started = call(here, token, "POST", "/v1/tenants/northwind/calls/%s/start" % session,
                       {"requestNumber": 1, "callType": "user_out", "upn": "payg@northwind.com", "callerNumber": "+14255550100",
                        "calleeNumber": "+12065550199", "startTime": iso(call_began)})
        if not started["allowed"]:
            fail("call %s refused: %s" % (session, started))
        ended = call(there, token, "POST", "/v1/tenants/northwind/calls/%s/end" % session,
                     {"requestNumber": 2, "durationSeconds": 120, "endTime": iso(call_began + datetime.timedelta(seconds=120))})
        kept.append(ended["usageId"])
    return kept


def all_pages(port, token, path, field, cursor_parameter, next_field="next"):
    items, cursor = [], None
    while True:
        separator = "&" if "?" in path else "?"
        page = call(port, token, "GET", path + ("%s%s=%s" % (separator, cursor_parameter, cursor) if cursor is not None else ""))
        items += page[field]
        cursor = page.get(next_field)
        if cursor is None:
            return items


def main():
    database = sys.argv[1]
    if not os.path.exists(BINARY):
        subprocess.run(["swift", "build", "-c", "release", "--product", "commscredits"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="two-instances-")
    log = open(os.path.join(work, "servers.log"), "w")
    subprocess.run([BINARY, "migrate", "--database", database], check=True, capture_output=True)
    token = subprocess.run([BINARY, "tokens", "create", "--scopes", "operator", "--database", database],
                           capture_output=True, text=True, check=True).stdout.strip()
    servers = []
    try:
        servers = [start_server(BINARY, database, log), start_server(BINARY, database, log)]
        ports = [port for port, _ in servers]
        api = lambda *arguments, **options: call(ports[0], token, *arguments, **options)
        api("POST", "/v1/tenants", {"id": "northwind", "name": "Northwind", "country": "US", "currency": "USD",
                                    "channel": "webDirect", "commerceModel": "classic"})
        api("POST", "/v1/tenants/northwind/users", {"upn": "payg@northwind.com", "displayName": "Payg", "usageLocation": "US", "roles": []})
        with open(DECK, "rb") as deck:
            api("PUT", "/v1/rate-decks/USD", deck.read(), content_type="text/csv")
        api("POST", "/v1/tenants/northwind/credits/purchases",
            {"amountMinor": BOUGHT, "paymentMethod": {"type": "card", "token": "tok_visa"},
             "autoRecharge": {"enabled": True, "rechargeAmountMinor": RECHARGE, "triggerAmountMinor": TRIGGER}}, key="buy")
        api("POST", "/v1/tenants/northwind/users/payg@northwind.com/licenses", {"add": ["MCOEV", "MCOPSTN_PAYG", "MCOPSTNPP"]})

        start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(minutes=5)
        began = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            kept = [usage for ids in pool.map(lambda n: client(n, ports, token, start), range(CLIENTS)) for usage in ids]
        elapsed = time.time() - began

        recharges = []
        for _ in range(120):
            recharges = api("GET", "/v1/tenants/northwind/credits/recharges")["recharges"]
            if all(r["state"] != "pending" for r in recharges):
                break
            time.sleep(0.5)
        window = "from=%s&to=%s" % (iso(start - datetime.timedelta(days=1)), iso(start + datetime.timedelta(days=1)))
        report = "/v1/tenants/northwind/reports/pstn?format=json&limit=1000&" + window
        columns = call(ports[1], token, "GET", report)["columns"]
        records = all_pages(ports[1], token, report, "rows", "after")
        usage_ids = [row[columns.index("UsageId")] for row in records]
        expected = CLIENTS * ROUNDS * (RECORDS_PER_BATCH + 1)
        if len(kept) != expected or len(set(kept)) != expected:
            fail("expected %d distinct usage ids answered, got %d (%d distinct)" % (expected, len(kept), len(set(kept))))
        if sorted(usage_ids) != sorted(kept):
            fail("the report holds %d records, %d distinct; expected exactly the %d answered" % (len(usage_ids), len(set(usage_ids)), expected))
        charged = sum(int(decimal.Decimal(row[columns.index("Charge")]) * 100) for row in records)

        if any(r["state"] != "succeeded" for r in recharges):
            fail("every recharge should have succeeded: %s" % recharges)
        credits = api("GET", "/v1/tenants/northwind/credits")
        if credits["heldMinor"] != 0:
            fail("money is still held after every call ended: %s" % credits)
        if credits["balanceMinor"] != BOUGHT + RECHARGE * len(recharges) - charged:
            fail("balance %d, expected %d bought + %d recharged - %d charged"
                 % (credits["balanceMinor"], BOUGHT, RECHARGE * len(recharges), charged))

        journal = list(reversed(all_pages(ports[0], token, "/v1/tenants/northwind/credits/transactions?limit=500", "transactions", "before")))
        crossings, previous = 0, None
        for transaction in journal:
            balance = transaction["balanceAfterMinor"]
            if previous is not None and previous >= TRIGGER > balance:
                crossings += 1
            previous = balance
        if crossings < 2 or len(recharges) != crossings:
            fail("%d recharges for %d falls below the trigger (expected one each, and at least two)" % (len(recharges), crossings))
        verified = subprocess.run([BINARY, "verify", "--database", database], capture_output=True, text=True)
        if verified.returncode != 0:
            fail("verify: " + verified.stdout + verified.stderr)
        for _, process in servers:
            process.send_signal(signal.SIGTERM)
            if process.wait(timeout=30) != 0:
                fail("a server did not stop cleanly")
        print("two-instances: %d clients through 2 servers, %d requests in %.1f s; %d records kept once each, %d charged, "
              "%d falls below the trigger and %d recharges, balance %d, ledger verified."
              % (CLIENTS, CLIENTS * ROUNDS * 4, elapsed, len(records), charged, crossings, len(recharges), credits["balanceMinor"]))
    except BaseException:
        log.flush()
        print(open(os.path.join(work, "servers.log")).read()[-4000:], file=sys.stderr)
        raise
    finally:
        for _, process in servers:
            if process.poll() is None:
                process.kill()
                process.wait()


if __name__ == "__main__":
    main()
