#!/usr/bin/env python3
"""The admin center in a real browser: headless Chromium driven by Selenium against the real
server (release build) with the demo organization, as an administrator would use it. Saves a
screenshot of each page as it goes (1,366 px wide, and 390 px for the narrow layout), and checks
each page: one h1, a label for every input, and no serious or critical violation that axe-core
finds (labels, contrast, landmarks, names).

Usage: Tests/Browser/admin_center.py [screenshot folder]   (default .build/admin-screenshots)
"""
import csv
import html.parser
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

from axe_core_python.selenium import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from running_server import call  # noqa: E402


def cents(money):
    """'$12.43' as 1243."""
    return round(float(money.lstrip("$").replace(",", "")) * 100)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.join(ROOT, ".build/release/commscredits")
PASSWORD = "contoso-demo-password"
SUPPORT_URL = "https://support.example.net/new-ticket"
NARROW_PAGES = ["/admin/billing/credits", "/admin/billing/purchase-services", "/admin/billing/purchase-services/communications-credits",
                "/admin/billing/checkout/communications-credits", "/admin/billing/payment-methods", "/admin/billing/invoices", "/admin/users",
                "/admin/users/alex@contoso.com", "/admin/reports/pstn-usage?range=28", "/admin/rates", "/admin/rates?q=%2B4420", "/admin/notifications",
                "/admin/billing/spend-controls"]


class PageCheck(html.parser.HTMLParser):
    """Counts h1 elements and finds inputs that no label names."""

    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.labelled = set()
        self.inputs = []

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "h1":
            self.h1 += 1
        elif tag == "label" and attributes.get("for"):
            self.labelled.add(attributes["for"])
        elif tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit", "button"):
            self.inputs.append(attributes)

    def problems(self):
        found = [] if self.h1 == 1 else ["%d h1 elements" % self.h1]
        for field in self.inputs:
            if not field.get("aria-label") and field.get("id") not in self.labelled:
                found.append("an input without a label: %s" % field)
        return found


class Browser:
    def __init__(self, base, folder):
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,1000"]:
            options.add_argument(argument)
        self.downloads = tempfile.mkdtemp(prefix="admin-downloads-")
        options.add_experimental_option("prefs", {"download.default_directory": self.downloads, "download.prompt_for_download": False})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.implicitly_wait(5)
        self.base = base
        self.folder = folder
        self.shots = 0

    def open(self, path):
        self.driver.get(self.base + path)

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def texts(self, selector):
        return [element.text for element in self.driver.find_elements(By.CSS_SELECTOR, selector)]

    def page(self, name):
        """Checks the page as served and saves its screenshot."""
        check = PageCheck()
        check.feed(self.driver.page_source)
        problems = check.problems()
        assert not problems, "%s: %s" % (name, problems)
        violations = [violation for violation in Axe().run(self.driver)["violations"] if violation["impact"] in ("serious", "critical")]
        assert not violations, "%s: %s" % (name, [(violation["id"], violation["help"], [node["target"] for node in violation["nodes"]][:3])
                                                   for violation in violations])
        self.shots += 1
        self.driver.save_screenshot(os.path.join(self.folder, "%02d-%s.png" % (self.shots, name)))

    def sign_in(self, upn, password=PASSWORD):
        self.open("/admin/sign-in")
        self.find("#upn").clear()
        self.find("#upn").send_keys(upn)
        self.find("#password").send_keys(password)
        self.go("form.stack button[type=submit]")
        self.wait_until(lambda driver: "/admin/sign-in" not in driver.current_url or driver.find_elements(By.CSS_SELECTOR, ".banner.bad"))

    def sign_out(self):
        """Waits for the signed-out page, so that the next navigation does not cut the sign-out short."""
        self.go("header form button")
        self.wait_until(lambda driver: "signedOut" in driver.current_url)

    def go(self, selector):
        """Clicks what leads to another page and waits until that page has replaced this one."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.find(selector).click()

        def replaced(driver):
            try:
                page.is_enabled()
                return False
            except WebDriverException:  # stale, or (Chromium's words) no longer in the document
                return True
        self.wait_until(replaced)

    def wait_until(self, condition):
        WebDriverWait(self.driver, 10).until(condition)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    folder = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/admin-screenshots"))
    os.makedirs(folder, exist_ok=True)
    if not os.path.exists(BINARY):
        subprocess.run(["swift", "build", "-c", "release", "--product", "commscredits"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="admin-center-")
    port = free_port()
    log = open(os.path.join(work, "server.log"), "w")
    environment = dict(os.environ, COOKIES_SECURE="false", AUTH_PASSWORD_COST="4", SUPPORT_URL=SUPPORT_URL)
    database = "sqlite:" + os.path.join(work, "demo.sqlite")
    server = subprocess.Popen([BINARY, "serve", "--demo", "--port", str(port), "--database", database],
                              env=environment, stdout=log, stderr=subprocess.STDOUT)
    browser = None
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/health/ready" % port, timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        add_tenants_that_may_not_buy(database, work, environment)
        add_unlicensed_user(database, work, environment)
        browser = Browser("http://127.0.0.1:%d" % port, folder)
        run(browser)
        velocity_alarm(browser, port, database, environment)
        # Contoso moves to NCE with auto-recharge still on: the page says what holds billing back.
        subprocess.run([BINARY, "tenants", "update", "--tenant", "contoso", "--commerce-model", "nce", "--database", database],
                       check=True, env=environment, capture_output=True)
        post_usage_banner(browser)
        post_usage_billing_active(browser, port, database, environment)
        print("admin-center: every page drawn, checked and photographed in %s (%d screenshots)" % (folder, browser.shots))
    except BaseException:
        log.flush()
        print(open(os.path.join(work, "server.log")).read()[-3000:], file=sys.stderr)
        raise
    finally:
        if browser:
            browser.driver.quit()
        server.terminate()
        server.wait(timeout=30)


def add_tenants_that_may_not_buy(database, work, environment):
    """A CSP tenant, and a Volume Licensing tenant in Germany whose only agreement bills to France."""
    tenants = [("fourthcoffee", ["--channel", "csp"]), ("adatum", ["--channel", "volumeLicensing", "--agreement", "EA-7:FR"]),
               ("woodgrove", ["--channel", "volumeLicensing", "--agreement", "EA-1:US", "--agreement", "EA-2:US", "--agreement", "EA-3:MX"])]
    for tenant, options in tenants:
        country = "DE" if tenant == "adatum" else "US"
        subprocess.run([BINARY, "tenants", "create", "--tenant", tenant, "--name", tenant.capitalize(), "--country", country,
                        "--currency", "USD", "--database", database] + options, check=True, env=environment, capture_output=True)
        users = os.path.join(work, tenant + ".csv")
        with open(users, "w") as file:
            file.write("upn,displayName,usageLocation,roles,licenses\nadmin@%s.example,Admin,%s,globalAdministrator,\n" % (tenant, country))
        subprocess.run([BINARY, "users", "import", "--tenant", tenant, "--csv", users, "--database", database], check=True, env=environment,
                       capture_output=True)
        subprocess.run([BINARY, "users", "password", "--tenant", tenant, "--upn", "admin@%s.example" % tenant, "--database", database],
                       input=PASSWORD, text=True, check=True, env=environment, capture_output=True)


def add_unlicensed_user(database, work, environment):
    """Pat Taylor joins Contoso with no license at all: Communications Credits lacks its prerequisite."""
    users = os.path.join(work, "pat.csv")
    with open(users, "w") as file:
        file.write("upn,displayName,usageLocation,roles,licenses\npat@contoso.com,Pat Taylor,US,,\n")
    subprocess.run([BINARY, "users", "import", "--tenant", "contoso", "--csv", users, "--database", database], check=True, env=environment,
                   capture_output=True)


def assign_licenses(browser):
    """Users > Active users: a license for several users at once, then one user's licenses."""
    browser.go("nav a[href='/admin/users']")
    assert browser.find("h1").text == "Active users"
    assert "Pat Taylor" in browser.find("main table").text
    browser.page("active-users")

    def select(*names):
        for name in names:
            browser.find("input[aria-label='Select %s']" % name).click()

    select("Pat Taylor", "Adele Vance")
    browser.driver.find_element(By.CSS_SELECTOR, "#sku option[value='MCOPSTNPP']").click()
    browser.go("button[value=assign]")
    refusal = browser.find(".banner.bad").text
    assert "Nothing was changed" in refusal and "pat@contoso.com" in refusal and "Audio Conferencing" in refusal, refusal
    adele_row = [row for row in browser.texts("main table tbody tr") if "Adele Vance" in row][0]
    assert "Communications Credits" not in adele_row, "all or nothing: %s" % adele_row
    browser.page("bulk-assign-refused")

    select("Pat Taylor", "Adele Vance")
    browser.driver.find_element(By.CSS_SELECTOR, "#sku option[value='MCOMEETADD']").click()
    browser.go("button[value=assign]")
    assert "Audio Conferencing assigned to 2 users" in browser.find(".banner.ok").text, browser.find(".banner.ok").text
    browser.page("bulk-assign-done")

    # One by one: Pat's Licenses and apps. Dropping Audio Conferencing while adding
    # Communications Credits is refused beside the toggle; keeping it is saved.
    browser.go("a[href='/admin/users/pat@contoso.com']")
    assert browser.find("h1").text == "Pat Taylor"
    browser.find("#sku-MCOMEETADD").click()
    browser.find("#sku-MCOPSTNPP").click()
    browser.go("form.stack button[type=submit]")
    beside = browser.find("#refusal-MCOPSTNPP").text
    assert "Audio Conferencing" in beside, beside
    assert browser.find("#sku-MCOPSTNPP").get_attribute("aria-describedby") == "refusal-MCOPSTNPP"
    browser.page("user-licenses-refused")
    browser.find("#sku-MCOMEETADD").click()
    browser.go("form.stack button[type=submit]")
    assert "saved" in browser.find(".banner.ok").text
    assert browser.find("#sku-MCOPSTNPP").is_selected() and browser.find("#sku-MCOMEETADD").is_selected()
    browser.page("user-licenses-saved")


def numbers_masked(browser):
    """The page shows German and French numbers masked, as the export does (the last 3 and 4
    digits): never the demo's numbers in full. Returns whether a masked one was on the page."""
    source = browser.driver.page_source
    assert "+4930123456" not in source and "+33612345678" not in source, "a German or French number in full"
    return "+4930123***" in source or "+3361234****" in source


def usage_report(browser):
    """Analytics & reports > Usage reports > PSTN and SMS usage: ranges and paging."""
    browser.go("nav a[href='/admin/reports/pstn-usage']")
    assert browser.find("h1").text == "PSTN and SMS usage"
    browser.page("usage-7-days")
    browser.driver.find_element(By.CSS_SELECTOR, "#range option[value='28']").click()
    browser.go("form.stack button")
    browser.wait_until(lambda driver: "range=28" in driver.current_url)
    first = browser.texts("main table:not(#refusals) tbody tr")
    assert len(first) >= 1 and "No calls" not in first[0], first
    assert browser.find("#refused-calls-summary").text.endswith("refused."), "the refused calls of the range"
    browser.page("usage-28-days")
    browser.driver.find_element(By.CSS_SELECTOR, "#range option[value='custom']").click()
    browser.driver.execute_script("document.getElementById('from').value = '2026-01-01'; document.getElementById('to').value = '2026-12-31'")
    browser.go("form.stack button")
    browser.wait_until(lambda driver: "from=2026-01-01" in driver.current_url)
    rows = browser.texts("main table:not(#refusals) tbody tr")
    assert len(rows) == 50, "a full page of the demo's 90 days: %d" % len(rows)
    masked = numbers_masked(browser)
    browser.go("a[rel=next]")
    browser.wait_until(lambda driver: "after=" in driver.current_url)
    masked |= numbers_masked(browser)
    assert masked, "the demo's calls to Germany and France are on these pages, masked"
    more = browser.texts("main table:not(#refusals) tbody tr")
    assert more and more[0] != rows[0] and more[0] >= rows[-1], "the next page follows on"
    browser.page("usage-next-page")

    # Export: the same range as a zip holding the CSV with the report's 25 columns, and its parameters.
    browser.find("a.button[href*='/export']").click()
    browser.wait_until(lambda driver: any(name.endswith(".zip") for name in os.listdir(browser.downloads)))
    path = os.path.join(browser.downloads, [name for name in os.listdir(browser.downloads) if name.endswith(".zip")][0])
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["parameters.json", "pstn-usage.csv"], archive.namelist()
        rows = list(csv.reader(io.StringIO(archive.read("pstn-usage.csv").decode("utf-8"), newline="")))
        parameters = json.loads(archive.read("parameters.json"))
    assert len(rows[0]) == 25 and rows[0][0] == "UsageId" and rows[0][-1] == "Administrative Units", rows[0]
    assert parameters["records"] == len(rows) - 1 > 50 and parameters["from"].startswith("2026-01-01"), parameters
    browser.find("a.button[href*='format=xlsx']").click()
    browser.wait_until(lambda driver: any(name.endswith(".xlsx") for name in os.listdir(browser.downloads)))
    workbook = os.path.join(browser.downloads, [name for name in os.listdir(browser.downloads) if name.endswith(".xlsx")][0])
    with zipfile.ZipFile(workbook) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert sheet.count("<row ") == len(rows), "the workbook holds the same rows as the CSV"
    browser.driver.find_element(By.CSS_SELECTOR, "#range option[value='custom']").click()
    browser.driver.execute_script("document.getElementById('from').value = '2026-12-31'; document.getElementById('to').value = '2026-01-01'")
    browser.go("form.stack button")
    assert "From date on or before the To date" in browser.find(".banner.bad").text
    browser.page("usage-refused")


def buy_credits(browser):
    """Billing > Purchase services: find the add-on, read its details, buy with auto-recharge."""
    browser.go("nav a[href='/admin/billing/purchase-services']")
    browser.find("#q").send_keys("communications credits")
    browser.go("form[role=search] button")
    assert browser.texts(".product h3") == ["Communications Credits"]
    browser.page("purchase-services")
    browser.find("#q").clear()
    browser.find("#q").send_keys("printer paper")
    browser.go("form[role=search] button")
    assert not browser.texts(".product h3") and "No product matches" in browser.find("main").text
    browser.open("/admin/billing/purchase-services")
    browser.go(".product a")
    assert browser.find("h1").text == "Communications Credits"
    browser.page("product-details")
    browser.go("a.button")
    assert browser.find("h1").text.startswith("Checkout")
    assert "4242 4242 4242 4242" in browser.find("main").text, "the demo says which card pays"
    browser.find("#amount").send_keys("50")
    new_card(browser, "4000 0000 0000 0002")
    browser.page("checkout")
    browser.go("form.stack button[type=submit]")
    assert "declined" in browser.find("#card-error").text, "the card's refusal beside the card: %s" % browser.find("#card-error").text
    assert "correct the fields" in browser.find(".banner.bad").text
    assert browser.find("#amount").get_attribute("value") == "50", "what was entered stays"
    browser.page("checkout-declined")
    # An amount beyond the bounds is said beside its field, in the form's words, not the API's.
    browser.find("#amount").clear()
    browser.find("#amount").send_keys("100001")
    browser.go("form.stack button[type=submit]")
    error = browser.find("#amount-error").text
    assert "between $1.00 and $100,000.00" in error and "Minor" not in error, error
    assert browser.find("#amount").get_attribute("aria-invalid") == "true"
    browser.page("checkout-amount-refused")
    browser.find("#amount").clear()
    browser.find("#amount").send_keys("50")
    new_card(browser, "4242 4242 4242 4242")
    if not browser.find("#autoRecharge").is_selected():
        browser.find("#autoRecharge").click()
    browser.find("#rechargeAmount").clear()
    browser.find("#rechargeAmount").send_keys("100")
    browser.find("#triggerAmount").clear()
    browser.find("#triggerAmount").send_keys("20")
    browser.go("form.stack button[type=submit]")
    assert "Order placed" in browser.find(".banner.ok").text
    lots = browser.texts("main table tbody tr")
    assert lots[0].split()[-5:] == ["$50.00", "$0.00", "$0.00", "$50.00", "Active"], "the new lot, newest first: %s" % lots[0]
    browser.page("credits-after-purchase")


def payment_methods(browser):
    """Billing > Payment methods: the card on file, the sandbox's test cards, a new card typed as
    on the card (refused field by field when wrong), kept as its brand, last four and expiry only."""
    browser.go("nav a[href='/admin/billing/payment-methods']")
    assert browser.find("h1").text == "Payment methods"
    assert browser.find("#payment-on-file").text.startswith("Visa ending 4242"), browser.find("#payment-on-file").text
    assert "4242 4242 4242 4242" in browser.find("#test-cards").text
    browser.page("payment-methods")
    for number, expiry, field, words in [("4242 4242 4242 4241", "11/31", "#number-error", "as printed on the card"),
                                         ("4000 0000 0000 0077", "11/31", "#number-error", "does not accept this card"),
                                         ("5555 5555 5555 4444", "01/20", "#expiry-error", "expired")]:
        browser.find("#cardNumber").send_keys(number)
        browser.find("#cardExpiry").clear()
        browser.find("#cardExpiry").send_keys(expiry)
        browser.find("#securityCode").send_keys("123")
        browser.go("form[action$='/payment-methods/card'] button")
        assert words in browser.find(field).text, (number, browser.find(field).text)
        assert browser.find("#cardNumber").get_attribute("value") == "", "the number never comes back to the page"
        assert number.replace(" ", "") not in browser.driver.page_source
    browser.page("payment-methods-refused")
    browser.find("#cardNumber").send_keys("5555 5555 5555 4444")
    browser.find("#cardExpiry").clear()
    browser.find("#cardExpiry").send_keys("11/31")
    browser.find("#securityCode").send_keys("123")
    browser.go("form[action$='/payment-methods/card'] button")
    assert "saved" in browser.find(".banner.ok").text
    assert browser.find("#payment-on-file").text == "Mastercard ending 4444, expires 11/2031", browser.find("#payment-on-file").text
    browser.page("payment-methods-saved")


def save_card(browser, number):
    browser.open("/admin/billing/payment-methods")
    browser.find("#cardNumber").send_keys(number)
    browser.find("#cardExpiry").send_keys("12/30")
    browser.find("#securityCode").send_keys("123")
    browser.go("form[action$='/payment-methods/card'] button")
    assert "saved" in browser.find(".banner.ok").text


def save_auto_recharge(browser, recharge, trigger):
    browser.open("/admin/billing/credits")
    browser.find("details summary").click()
    for field, value in [("#rechargeAmount", recharge), ("#triggerAmount", trigger)]:
        browser.find(field).clear()
        browser.find(field).send_keys(value)
    if not browser.find("#enabled").is_selected():
        browser.find("#enabled").click()
    browser.go("details form button[type=submit]")


def failed_recharge(browser):
    """A trigger above the balance recharges at once: the page says so, with the amount, before
    it does. With a card that is declined, the recharge fails; the page shows it in the recharge
    history, and a banner says what to do while the balance stays below the trigger."""
    save_card(browser, "4000 0000 0000 0002")
    browser.open("/admin/billing/credits")
    before = browser.find("#auto-recharge-status").text
    save_auto_recharge(browser, "10", "99999")
    confirmation = browser.find("#recharge-confirmation").text
    assert "charges $10.00" in confirmation and "at once" in confirmation, confirmation
    browser.page("auto-recharge-confirm")
    browser.go("#recharge-confirmation a")
    assert browser.find("#auto-recharge-status").text == before, "nothing saved without the confirmation"
    save_auto_recharge(browser, "10", "99999")
    browser.go("#recharge-confirmation button")
    assert "saved" in browser.find(".banner.ok").text
    for _ in range(40):
        browser.open("/admin/billing/credits")
        banners = " ".join(browser.texts(".banner.bad"))
        if "did not go through" in banners:
            break
        time.sleep(0.25)
    assert "the card was declined" in banners and "Payment methods" in banners, banners
    latest = browser.texts("#recharges + .table-wrap tbody tr")[0]
    assert "Failed: the card was declined" in latest and "Visa ending 0002" in latest, latest
    browser.page("credits-recharge-failed")
    save_auto_recharge(browser, "150", "25.50")
    assert "saved" in browser.find(".banner.ok").text, "a lower trigger saves without asking"
    save_card(browser, "4242 4242 4242 4242")


def new_card(browser, number, expiry="12/30"):
    """Chooses A new card at checkout and types it in as on the card."""
    browser.find("#pay-card").click()
    browser.find("#cardNumber").send_keys(number)
    browser.find("#cardExpiry").clear()
    browser.find("#cardExpiry").send_keys(expiry)
    browser.find("#securityCode").send_keys("123")


def buy_with_an_agreement(browser):
    """A Volume Licensing tenant pays with one of its agreements and a PO number; an agreement
    billed in another country is not offered."""
    browser.sign_in("admin@woodgrove.example")
    browser.open("/admin/billing/checkout/communications-credits")
    offered = [option.get_attribute("value") for option in browser.driver.find_elements(By.CSS_SELECTOR, "#agreement option")]
    assert offered == ["EA-1", "EA-2"], offered
    browser.find("#amount").send_keys("1000")
    browser.find("#pay-agreement").click()
    browser.driver.find_element(By.CSS_SELECTOR, "#agreement option[value='EA-2']").click()
    browser.find("#purchaseOrder").send_keys("PO-4711")
    assert not browser.find("#autoRecharge").is_selected(), "auto-recharge is not ticked with empty amounts: adding funds alone just works"
    browser.page("checkout-agreement")
    browser.go("form.stack button[type=submit]")
    assert "Order placed" in browser.find(".banner.ok").text
    invoices = [row for row in browser.texts("main table tbody tr") if row.startswith("CC-")]
    assert invoices and "$1,000.00" in invoices[0], invoices
    browser.go("main table a[href*='/credits/invoices/']")
    invoice = browser.find("body").text
    assert "EA-2" in invoice and "PO-4711" in invoice, invoice
    browser.driver.back()
    browser.sign_out()


def post_usage_banner(browser):
    browser.sign_in("megan@contoso.com")
    banners = browser.texts(".banner.warn")
    assert any("billed under NCE (New Commerce Experience)" in banner and "Auto-recharge is still on" in banner for banner in banners), banners
    assert browser.find(".banner.warn a[href='#billing-settings']").text == "Turn auto-recharge off"
    note = browser.find("#funding-advice + p").text
    assert "does not buy credits here" in note, "no funding advice for a tenant that may not buy: %s" % note
    assert not browser.driver.find_elements(By.CSS_SELECTOR, ".advice"), "no recommended amounts"
    browser.page("credits-nce-auto-recharge-on")


def post_usage_billing_active(browser, port, database, environment):
    """Contoso, now NCE, turns auto-recharge off and a week-long call uses its balance up: its
    calls go on, billed after use, and the page says so instead of asking for funds."""
    token = subprocess.run([BINARY, "tokens", "create", "--scopes", "operator", "--database", database], check=True, env=environment,
                           capture_output=True, text=True).stdout.strip()
    api = lambda *arguments: call(port, token, *arguments)  # noqa: E731

    api("PUT", "/v1/tenants/contoso/credits/auto-recharge", {"enabled": False, "rechargeAmountMinor": 10000, "triggerAmountMinor": 2000})
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))
    for record in range(20):
        if api("GET", "/v1/tenants/contoso/credits", None)["balanceMinor"] <= 0:
            break
        results = api("POST", "/v1/tenants/contoso/usage-records", {"records": [{
            "usageId": "browser-used-up-%d" % record, "callType": "user_out", "upn": "alex@contoso.com", "callerNumber": "+14255550101",
            "calleeNumber": "+447700900123", "startTime": start, "durationSeconds": 604800}]})["results"]
        assert results[0]["status"] == "charged", results
    else:
        raise AssertionError("the balance was not used up")
    browser.open("/admin/billing/credits")
    banners = " ".join(browser.texts(".banner"))
    assert "Calls go on" in banners and "billed after use" in banners and "refused" not in banners, banners
    browser.page("credits-nce-post-usage-active")


def refusals_before_any_form(browser):
    """Tenants that may not buy are told why, with the remedy, before any form."""
    for upn, code_words in [("admin@fourthcoffee.example", "Cloud Solution Provider"), ("admin@adatum.example", "in Germany but Enterprise Agreement")]:
        browser.sign_in(upn)
        browser.open("/admin/billing/purchase-services/communications-credits")
        assert code_words in browser.find(".banner.bad").text, browser.find(".banner.bad").text
        assert not browser.driver.find_elements(By.CSS_SELECTOR, "a.button")
        browser.page("refused-" + upn.split("@")[1].split(".")[0])
        browser.open("/admin/billing/checkout/communications-credits")
        assert code_words in browser.find(".banner.bad").text and not browser.driver.find_elements(By.CSS_SELECTOR, "#amount")
        if "Germany" in code_words:
            assert "bills to France" in browser.find(".banner.bad").text
            assert browser.find(".banner.bad a").get_attribute("href") == SUPPORT_URL, "the support ticket is a link"
        browser.sign_out()


def rates_page(browser):
    """Rates: this month's pools with their use, a number looked up, a country's rates, a page at a time."""
    browser.go("nav a[href='/admin/rates']")
    assert browser.find("h1").text == "Rates"
    pools = browser.texts("#pools tbody tr")
    assert any(row.startswith("Domestic Calling Plan, United States") and "3,000 minutes" in row for row in pools), pools
    assert any(row.startswith("Audio Conferencing dial-out") and "44 Zone A" in row for row in pools), pools
    assert any("1 unit" in row and "international minute 5" in row for row in pools), "MCOPSTN2 counts units: %s" % pools
    used = [cell.text for cell in browser.driver.find_elements(By.CSS_SELECTOR, "#pools tbody td:nth-of-type(3)")]
    assert any(not text.startswith("0 ") for text in used), "this month's calls used a pool: %s" % used
    rows = browser.texts("#rate-table tbody tr")
    assert len(rows) == 50 and browser.find("a[rel=next]"), "the deck a page at a time"
    browser.page("rates")
    browser.go("a[rel=next]")
    assert browser.texts("#rate-table tbody tr")[0] != rows[0], "the next page"
    browser.find("#q").clear()
    browser.find("#q").send_keys("+44 20 7946 0000")
    browser.go("form[role=search] button")
    match = browser.find("#match").text
    assert "United Kingdom" in match and "a minute" in match and "1 minute: $" in match, match
    browser.page("rates-number")
    browser.find("#q").clear()
    browser.find("#q").send_keys("Germany")
    browser.go("form[role=search] button")
    german = browser.texts("#rate-table tbody tr")
    assert german and all("Germany" in row for row in german), german
    assert any("Per 1 s" in row for row in german), "per-second billing in Germany: %s" % german
    browser.find("#q").clear()
    browser.find("#q").send_keys("+999 1")
    browser.go("form[role=search] button")
    assert "no rate" in browser.find(".banner.bad").text, browser.find(".banner.bad").text
    browser.find("#q").clear()
    browser.find("#q").send_keys("Atlantis")
    browser.go("form[role=search] button")
    assert "No destination or country matches" in browser.find(".banner.bad").text
    browser.page("rates-nothing-found")


def invoices_and_transactions(browser):
    """Billing > Invoices lists every invoice a page at a time; the product page pages its
    transactions and draws the balance with axes."""
    browser.go("nav a[href='/admin/billing/invoices']")
    rows = browser.texts("main table tbody tr")
    assert len(rows) >= 4 and all(row.startswith("CC-") and "Visa ending 4242" in row for row in rows), rows
    browser.page("invoices")
    browser.go("nav a[href='/admin/billing/credits']")
    labels = [element.text for element in browser.driver.find_elements(By.CSS_SELECTOR, "svg.chart text")]
    assert any(label.startswith("$") for label in labels) and "Spent a day" in labels, labels
    assert sum(1 for label in labels if label.split()[-1].isdigit() and len(label.split()) == 3) >= 3, "dates along the bottom: %s" % labels
    lots = browser.texts("main table tbody tr")
    assert any("Expired" in row and "forfeited" in row for row in lots), "the expired lot says what was forfeited: %s" % lots
    first = browser.texts("#transactions + .table-wrap tbody tr")
    assert len(first) == 20, first
    browser.go("a[href*='transactionsBefore']")
    older = browser.texts("#transactions + .table-wrap tbody tr")
    assert older and older[0] != first[0], "older transactions"
    browser.driver.execute_script("document.getElementById('transactions').scrollIntoView()")
    browser.page("credits-older-transactions")
    browser.go("a[href='/admin/billing/credits#transactions']")


def spend_controls(browser):
    """Billing > Spend controls: destination rules saved and said in a sentence, a refusal that
    changes nothing, a user's own rules added and removed, and each change in the trail."""
    browser.go("nav a[href='/admin/billing/spend-controls']")
    assert browser.find("h1").text == "Spend controls"
    assert browser.find("#tenant-rules-summary").text == "Every destination is allowed."
    browser.page("spend-controls")
    browser.find("#tenant-premium").click()
    browser.find("#tenant-sharedCost").click()
    browser.find("#destinations").send_keys("CU\n+882")
    browser.go("form[action^='/admin/billing/spend-controls/destinations'] button[type=submit]")
    assert "The tenant's rules are saved." in browser.find(".banner.ok").text
    summary = browser.find("#tenant-rules-summary").text
    assert summary == "Blocks premium and shared-cost numbers; blocks calls to Cuba (CU) and numbers starting +882.", summary
    assert browser.find("#tenant-premium").is_selected() and browser.find("#destinations").get_attribute("value") == "CU\n+882"
    browser.page("spend-controls-saved")

    browser.find("#destinations").send_keys("\nAtlantis")
    browser.go("form[action^='/admin/billing/spend-controls/destinations'] button[type=submit]")
    assert "'Atlantis' is neither a country" in browser.find("#tenant-rules-error").text, browser.find("#tenant-rules-error").text
    assert browser.find("#tenant-rules-summary").text == summary, "nothing was saved"
    browser.page("spend-controls-refused")

    browser.open("/admin/billing/spend-controls")
    browser.find("#upn").send_keys("alex@contoso.com")
    browser.find("#user-allow").click()
    browser.find("#user-destinations").send_keys("US")
    browser.go("form[action^='/admin/billing/spend-controls/user-destinations'] button[type=submit]")
    users = browser.texts("#user-rules tbody tr")
    assert len(users) == 1 and users[0].startswith("alex@contoso.com Allows calls only to United States (US)."), users
    changes = browser.texts("#control-changes tbody tr")
    assert len(changes) == 2 and "megan@contoso.com Destination rules of alex@contoso.com blocks nothing allows only US" in changes[0], changes
    browser.page("spend-controls-user")
    browser.open("/admin/users/alex@contoso.com")
    facts = browser.find("#user-facts").text
    assert facts.endswith("administrative units Americas, Sales"), facts
    rules = browser.find("#user-destination-rules").text
    assert rules.startswith("The tenant's rules: Blocks premium") and rules.endswith("Their own rules apply as well: Allows calls only to United States (US)."), rules
    browser.open("/admin/billing/spend-controls")
    browser.go("#user-rules button")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#user-rules"), "the user's rules were taken away"
    assert len(browser.texts("#control-changes tbody tr")) == 3

    # A monthly spend limit: a refusal said beside the form, then saved, shown with what is
    # left here and on the user's page, then taken away.
    browser.find("#limit-upn").send_keys("alex@contoso.com")
    browser.find("#limit-amount").send_keys("lots")
    browser.go("form[action^='/admin/billing/spend-controls/spend-limit'] button[type=submit]")
    assert "'lots' is not an amount in USD" in browser.find("#spend-limit-error").text, browser.find("#spend-limit-error").text
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#spend-limits"), "nothing was saved"
    browser.find("#limit-amount").clear()
    browser.find("#limit-amount").send_keys("12.50")
    browser.go("form[action^='/admin/billing/spend-controls/spend-limit'] button[type=submit]")
    assert "The spend limit is saved." in browser.find(".banner.ok").text
    # The limit starts from what Alex spent on credits this month so far: the demo's calls up to
    # now, so the figures depend on the day; they add up whatever it is.
    limits = browser.texts("#spend-limits tbody tr")
    assert len(limits) == 1 and limits[0].startswith("alex@contoso.com $12.50 $"), limits
    _, _, spent, held, left = limits[0].split()[:5]
    assert held == "$0.00" and cents(spent) + cents(left) == 1250, limits
    browser.driver.execute_script("document.getElementById('spend-limits').scrollIntoView()")
    browser.page("spend-controls-limit")
    browser.open("/admin/users/alex@contoso.com")
    limit = browser.find("#user-spend-limit").text
    assert limit.startswith(f"Monthly spend limit $12.50: {spent} spent and $0.00 held in") and limit.endswith(f"; {left} left."), limit
    browser.open("/admin/billing/spend-controls")
    browser.go("#spend-limits button")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#spend-limits"), "the limit was taken away"
    latest = browser.texts("#control-changes tbody tr")[0]
    assert "Spend limit of alex@contoso.com $12.50 a month no limit" in latest, latest

    # A unit's monthly limit: a bad name refused beside the form; a limit of nothing saved,
    # shown as reached here, on the product page and on the page of a user in the unit; removed.
    browser.find("#unit-name").send_keys("Sales;EMEA")
    browser.find("#unit-amount").send_keys("0")
    browser.go("form[action^='/admin/billing/spend-controls/unit-spend-limit'] button[type=submit]")
    assert "without ';'" in browser.find("#unit-limit-error").text, browser.find("#unit-limit-error").text
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#unit-limits"), "nothing was saved"
    browser.find("#unit-name").clear()
    browser.find("#unit-name").send_keys("Sales")
    browser.go("form[action^='/admin/billing/spend-controls/unit-spend-limit'] button[type=submit]")
    assert "The administrative unit's spend limit is saved." in browser.find(".banner.ok").text
    units = browser.texts("#unit-limits tbody tr")
    # Spent: what the unit's users spent on credits this month so far (it depends on the day).
    assert len(units) == 1 and units[0].startswith("Sales (limit reached) $0.00 $"), units
    assert units[0].split()[5:7] == ["$0.00", "$0.00"], units
    browser.driver.execute_script("document.getElementById('unit-limits').scrollIntoView()")
    browser.page("spend-controls-unit-limit")
    browser.open("/admin/billing/credits")
    assert any("administrative unit Sales is reached" in text for text in browser.texts(".banner.warn")), browser.texts(".banner.warn")
    browser.open("/admin/users/alex@contoso.com")
    limit = browser.find("#user-spend-limit").text
    assert limit.endswith("Their unit Sales has a monthly limit of $0.00, shared by its users: $0.00 left."), limit
    browser.open("/admin/billing/spend-controls")
    browser.go("#unit-limits button")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#unit-limits"), "the unit's limit was taken away"
    latest = browser.texts("#control-changes tbody tr")[0]
    assert "Spend limit of administrative unit Sales $0.00 a month no limit" in latest, latest

    # The monthly cap on auto-recharge: a refusal, a cap of nothing that pauses auto-recharge
    # (the product page says so), then no cap again.
    browser.find("#cap-amount").send_keys("lots")
    browser.go("form[action^='/admin/billing/spend-controls/recharge-cap'] button[type=submit]")
    assert "'lots' is not an amount in USD" in browser.find("#recharge-cap-error").text
    assert browser.find("#recharge-cap-status").text.startswith("No cap"), "nothing was saved"
    browser.find("#cap-amount").clear()
    browser.find("#cap-amount").send_keys("0")
    browser.go("form[action^='/admin/billing/spend-controls/recharge-cap'] button[type=submit]")
    status = browser.find("#recharge-cap-status").text
    assert status.startswith("At most $0.00 is recharged automatically in a calendar month") and "paused" in status, status
    browser.driver.execute_script("document.getElementById('recharge-cap-status').scrollIntoView()")
    browser.page("spend-controls-recharge-cap")
    browser.open("/admin/billing/credits")
    assert any(text.startswith("Auto-recharge is paused until") for text in browser.texts(".banner.warn")), browser.texts(".banner.warn")
    browser.open("/admin/billing/spend-controls")
    browser.go("#remove-recharge-cap")
    assert browser.find("#recharge-cap-status").text.startswith("No cap")

    # Many users at once from a pasted CSV: a bad line names itself and nothing changes; then it is saved.
    browser.find("#controls-csv").send_keys("upn,monthlyLimit,blockedNumberTypes,mode,destinations\nalex@contoso.com,5.00,premium,,\nnobody@contoso.com,1.00,,,\n")
    browser.go("form[action^='/admin/billing/spend-controls/import'] button[type=submit]")
    errors = browser.texts("#import-errors .banner.bad")
    assert len(errors) == 1 and errors[0].startswith("Line 3:") and "nobody@contoso.com" in errors[0], errors
    assert "alex@contoso.com" in browser.find("#controls-csv").get_attribute("value"), "the pasted text is kept"
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#spend-limits"), "nothing was saved"
    browser.page("spend-controls-import-refused")
    browser.find("#controls-csv").clear()
    browser.find("#controls-csv").send_keys("upn,monthlyLimit,blockedNumberTypes,mode,destinations\nalex@contoso.com,5.00,premium,allowListedOnly,US;CA\n")
    browser.go("form[action^='/admin/billing/spend-controls/import'] button[type=submit]")
    assert "The users' controls are saved." in browser.find(".banner.ok").text
    assert browser.texts("#spend-limits tbody tr")[0].startswith("alex@contoso.com $5.00"), browser.texts("#spend-limits tbody tr")
    assert browser.texts("#user-rules tbody tr")[0].startswith("alex@contoso.com Blocks premium numbers; allows calls only to United States (US) and Canada (CA)."), browser.texts("#user-rules tbody tr")
    # Taken away again, so that the pages after these see the organization as it was.
    browser.go("#spend-limits button")
    browser.go("#user-rules button")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#spend-limits, #user-rules")


def velocity_alarm(browser, port, database, environment):
    """Billing > Spend controls > Velocity alarm: a refusal beside the form, an amount saved; an
    international call past it is refused and suspends such calls; the product page says so
    and resumes them; then the alarm is turned off again."""
    browser.sign_in("megan@contoso.com")
    browser.open("/admin/billing/spend-controls#velocity-alarm")
    assert browser.find("#velocity-status").text.startswith("Off"), browser.find("#velocity-status").text
    browser.find("#velocity-multiple").send_keys("1")
    browser.go("form[action^='/admin/billing/spend-controls/velocity-alarm'] button[type=submit]")
    assert "2 to 100" in browser.find("#velocity-error").text, browser.find("#velocity-error").text
    assert browser.find("#velocity-status").text.startswith("Off"), "nothing was saved"
    browser.find("#velocity-multiple").clear()
    browser.find("#velocity-amount").send_keys("0.01")
    browser.go("form[action^='/admin/billing/spend-controls/velocity-alarm'] button[type=submit]")
    assert "The velocity alarm is saved." in browser.find(".banner.ok").text
    status = browser.find("#velocity-status").text
    assert status.startswith("On:") and status.endswith("more than $0.01."), status
    browser.driver.execute_script("document.getElementById('velocity-alarm').scrollIntoView()")
    browser.page("spend-controls-velocity-alarm")

    token = subprocess.run([BINARY, "tokens", "create", "--tenant", "contoso", "--scopes", "calls", "--database", database], check=True,
                           env=environment, capture_output=True, text=True).stdout.strip()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    answer = call(port, token, "POST", "/v1/tenants/contoso/calls/browser-velocity-1/start", {
        "requestNumber": 1, "callType": "user_out", "upn": "alex@contoso.com", "callerNumber": "+14255550101",
        "calleeNumber": "+447700900123", "startTime": now})
    assert answer["allowed"] is False and answer["reason"] == "velocitySuspended", answer
    browser.open("/admin/billing/credits")
    suspension = browser.find("#velocity-suspension").text
    assert "international and premium calls paid from the credits are suspended" in suspension and "more than $0.01" in suspension, suspension
    browser.page("credits-velocity-suspended")
    browser.go("#resume-calls")
    assert browser.find("#resumed").text.startswith("International and premium calls are resumed")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#velocity-suspension")
    browser.open("/admin/billing/spend-controls#velocity-alarm")
    trail = browser.texts("#control-changes tbody tr")
    assert "resumed" in trail[0] and any(" velocity alarm International and premium calls" in row for row in trail), trail
    browser.go("#remove-velocity-alarm")
    assert browser.find("#velocity-status").text.startswith("Off")
    browser.sign_out()


def run(browser):
    # Signing in: a page asked for without a session leads to the sign-in page; a wrong
    # password is refused plainly.
    browser.open("/admin/billing/credits")
    assert browser.driver.current_url.endswith("/admin/sign-in"), browser.driver.current_url
    browser.page("sign-in")
    browser.sign_in("megan@contoso.com", "not-the-password")
    assert "the password is wrong" in browser.find(".banner.bad").text, browser.find(".banner.bad").text
    browser.page("sign-in-refused")

    # Billing > Your products > Communications Credits, as the Global Administrator, signed in
    # with the keyboard alone: type, Tab, type, Enter.
    browser.open("/admin/sign-in")
    browser.find("#upn").clear()
    browser.find("#upn").send_keys("megan@contoso.com")
    browser.driver.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.driver.switch_to.active_element.get_attribute("id") == "password", "Tab leads to the password"
    browser.driver.switch_to.active_element.send_keys(PASSWORD + Keys.ENTER)
    browser.wait_until(lambda driver: driver.current_url.endswith("/admin/billing/credits"))
    assert browser.find("h1").text == "Communications Credits"
    figures = browser.texts(".figures dd")
    assert len(figures) == 3 and all(text.startswith("$") for text in figures), figures
    assert any("expire on" in text for text in browser.texts(".banner.warn")), "the lot expiring within 30 days"
    assert browser.find("svg.chart polyline").get_attribute("points").count(",") == 90, "one point a day for 90 days"
    assert len(browser.texts("table")[0].splitlines()) >= 4, "the lots"
    browser.page("credits")

    # Edit auto recharge settings: the checkbox, the two amounts, Save.
    browser.find("details summary").click()
    browser.find("#rechargeAmount").clear()
    browser.find("#rechargeAmount").send_keys("150")
    browser.find("#triggerAmount").clear()
    browser.find("#triggerAmount").send_keys("25.50")
    browser.page("auto-recharge-editing")
    browser.go("details form button[type=submit]")
    assert "saved" in browser.find(".banner.ok").text
    assert browser.find("#rechargeAmount").get_attribute("value") == "150.00"
    assert browser.find("#triggerAmount").get_attribute("value") == "25.50"
    assert browser.find("#enabled").is_selected()
    status = browser.find("#auto-recharge-status").text
    assert status == "Auto-recharge is on: $150.00 when the balance falls below $25.50.", "the settings in a sentence, outside the form: " + status
    browser.page("auto-recharge-saved")

    # A refusal: an amount that is not one, said beside the form, nothing saved.
    browser.find("#rechargeAmount").clear()
    browser.find("#rechargeAmount").send_keys("lots")
    browser.go("details form button[type=submit]")
    assert "must be an amount in USD" in browser.find(".banner.bad").text, browser.find(".banner.bad").text
    assert "$150.00" in browser.find("#auto-recharge-status").text, "the status says what is saved, not what was typed"
    browser.page("auto-recharge-refused")
    browser.open("/admin/billing/credits")
    assert browser.find("#rechargeAmount").get_attribute("value") == "150.00", "the refused change left the settings as they were"

    # Funding advice from the demo's usage: each figure with the sentence it comes from, and
    # one button that saves the two recommended amounts as the auto-recharge settings.
    advice = dict(zip(browser.texts(".advice dt"), browser.texts(".advice dd")))
    assert list(advice) == ["Daily spend", "The balance lasts", "Recommended trigger", "Recommended recharge", "Forecast to be forfeited"], advice
    assert "95 % of days" in advice["Daily spend"] and "a day lasts" in advice["The balance lasts"], advice
    trigger = browser.find(".advice div:nth-child(3) strong").text
    recharge = browser.find(".advice div:nth-child(4) strong").text
    browser.driver.execute_script("document.getElementById('funding-advice').scrollIntoView()")
    browser.page("funding-advice")
    browser.go("form[action='/admin/billing/credits/auto-recharge'] > button")
    assert "saved" in browser.find(".banner.ok").text
    assert "$" + browser.find("#triggerAmount").get_attribute("value") == trigger.replace(",", ""), (trigger, browser.find("#triggerAmount").get_attribute("value"))
    assert "$" + browser.find("#rechargeAmount").get_attribute("value") == recharge.replace(",", "")

    buy_credits(browser)
    payment_methods(browser)
    assign_licenses(browser)
    usage_report(browser)
    rates_page(browser)
    invoices_and_transactions(browser)
    spend_controls(browser)

    # Notifications: what was sent, to whom, and what became of it.
    browser.go("nav a[href='/admin/notifications']")
    assert browser.find("h1").text == "Notifications"
    rows = browser.texts("main table tbody tr")
    assert any("megan@contoso.com" in row and "in the local mailbox" in row for row in rows), rows
    assert "Global Administrator" in browser.find("#notified-roles").get_attribute("textContent")
    assert "megan@contoso.com" in browser.find("#notified-people").text
    browser.page("notifications")
    # No mail relay in the demo: each email is kept, and reads as it would have been sent.
    browser.go("main table a[href^='/admin/notifications/mailbox/']")
    assert "The balance is now $" in browser.find("#mail-text").text, browser.find("#mail-text").text
    assert browser.find(".figures dd").text.endswith("@contoso.com"), "the recipient"
    browser.page("notification-in-mailbox")
    browser.open("/admin/notifications/mailbox/999999")
    assert "no such message" in browser.find("main").text, browser.find("main").text

    failed_recharge(browser)

    # On a narrow screen every page still fits: no sideways scrolling of the page itself (a
    # wide table scrolls in its own box).
    browser.driver.set_window_size(390, 844)
    for path in NARROW_PAGES:
        browser.open(path)
        overflow = browser.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, "%s scrolls sideways by %dpx" % (path, overflow)
        browser.page("narrow-" + path.strip("/").replace("/", "-").split("?")[0])
    browser.driver.set_window_size(1366, 1000)

    # Sign out.
    browser.sign_out()
    assert "signed out" in browser.find(".banner.ok").text
    browser.page("signed-out")
    browser.open("/admin/billing/credits")
    assert browser.driver.current_url.endswith("/admin/sign-in"), "the session ended"

    # The Billing Administrator edits auto-recharge too; a Teams Communications Administrator
    # sees the settings but no form.
    browser.sign_in("alex@contoso.com")
    assert browser.driver.find_elements(By.CSS_SELECTOR, "#rechargeAmount")
    browser.sign_out()
    browser.sign_in("adele@contoso.com")
    browser.page("credits-as-teams-administrator")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "#rechargeAmount"), "no form for a role that cannot buy"
    browser.open("/admin/billing/purchase-services/communications-credits")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "a.button"), "no Buy button for a role that cannot buy"
    assert "Billing or Global Administrator can buy" in browser.find("main").text
    browser.open("/admin/billing/payment-methods")
    assert browser.find("#payment-on-file").text.startswith("Visa ending 4242") and not browser.driver.find_elements(By.CSS_SELECTOR, "#cardNumber")
    browser.open("/admin/billing/spend-controls")
    assert browser.find("#tenant-rules-summary").text.startswith("Blocks premium") and not browser.driver.find_elements(By.CSS_SELECTOR, "#destinations")
    assert "Billing or Global Administrator can change them" in browser.find("main").text
    browser.sign_out()
    buy_with_an_agreement(browser)
    refusals_before_any_form(browser)


if __name__ == "__main__":
    main()
