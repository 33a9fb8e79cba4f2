"""What the integration tests (Kamailio, Diameter) call with beside the demo: an operator token
once the server is up, and Northwind, a tenant whose 1.00 USD covers ten seconds of an expensive
line, with one Pay-As-You-Go caller."""
import subprocess
import time

from running_server import call

# Ten cents a second: the balance covers 10 s, then a call is cut or refused.
TEST_LINE = (b"prefix,destination,numberType,rateMicrosPerMinute,connectionFeeMicros,firstIncrementSeconds,nextIncrementSeconds,effectiveFrom\n"
             b"4420999,United Kingdom - Test line,fixed,6000000,0,1,1,2026-01-01\n")


def operator_token(binary, database, port):
    """A token made once the server has made the file, and the server ready."""
    for _ in range(600):
        try:
            token = create_token(binary, database, "--scopes", "operator", "--name", "test")
            call(port, token, "GET", "/health/ready")
            return token
        except Exception:
            time.sleep(0.1)
    raise RuntimeError("the server did not become ready in a minute")


def create_token(binary, database, *arguments):
    return subprocess.run([binary, "tokens", "create", "--database", database, *arguments], check=True, capture_output=True,
                          text=True).stdout.strip()


def add_northwind(port, token):
    """Northwind with 1.00 USD and pat@northwind.com (Pay-As-You-Go and credits) holding
    +12065550177 and sip:pat@northwind.com; the test line in the USD deck."""
    call(port, token, "PUT", "/v1/rate-decks/USD", body=TEST_LINE, content_type="text/csv")
    call(port, token, "POST", "/v1/tenants", {"id": "northwind", "name": "Northwind", "country": "US", "currency": "USD",
                                              "channel": "webDirect", "commerceModel": "classic"})
    call(port, token, "POST", "/v1/tenants/northwind/credits/purchases", {"amountMinor": 100, "paymentMethod": {"type": "card", "token": "tok_visa"}},
         key="northwind-1")
    add_user(port, token, "northwind", "pat@northwind.com", "+12065550177", ["MCOEV", "MCOPSTN_PAYG", "MCOPSTNPP"])


def add_user(port, token, tenant, upn, number, licenses):
    """A user in the US with `licenses`, holding `number` and the SIP address of their sign-in name."""
    call(port, token, "POST", "/v1/tenants/%s/users" % tenant, {"upn": upn, "displayName": upn, "usageLocation": "US", "roles": []})
    call(port, token, "POST", "/v1/tenants/%s/users/%s/licenses" % (tenant, upn), {"add": licenses})
    for identity in ("sip:" + upn, number):
        call(port, token, "PUT", "/v1/tenants/%s/numbers/%s" % (tenant, identity), {"upn": upn})
