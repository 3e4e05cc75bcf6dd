"""The portal in a real browser: Debian's Chromium, headless, driven by Selenium through
its chromedriver, against ``arrears portal``'s server on the local runtime. A borrower opens
the link from the SMS they were sent, passes the knowledge check, promises to pay and sees
the promise on the page; axe-core finds no WCAG 2.1 AA violation on any page on the way."""

from __future__ import annotations

import queue
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from arrears import constants as c
from arrears.handlers import _shell
from arrears.local.portal_server import make_server
from arrears.local.runtime import LocalRuntime

from tests.workflow.escalation_support import START, Outbox, case
from tests.workflow.portal_support import BIRTH_YEAR, open_case

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = Path("/tmp/portal-shots")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RuntimeThread:
    """The local runtime and the portal's server on one thread of their own (the runtime's
    executions are greenlets bound to the thread that made them); the test hands it jobs."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self._env, self._port = env, port
        self._jobs: queue.Queue[tuple[Callable[[LocalRuntime], Any], Future[Any]]] = queue.Queue()
        self._stop = threading.Event()
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._thread.start()
        self._ready.result(timeout=60)

    def _main(self) -> None:
        try:
            with LocalRuntime(start=START, seed=7, extra_env=self._env) as rt:
                server = make_server(rt, "127.0.0.1", self._port)
                server.timeout = 0.02
                self._ready.set_result(None)
                try:
                    while not self._stop.is_set():
                        server.handle_request()
                        while not self._jobs.empty():
                            job, done = self._jobs.get()
                            try:
                                done.set_result(job(rt))
                            except BaseException as error:  # handed back to the test
                                done.set_exception(error)
                finally:
                    server.server_close()
        except BaseException as error:
            if not self._ready.done():
                self._ready.set_exception(error)
            raise

    def run(self, job: Callable[[LocalRuntime], Any]) -> Any:
        done: Future[Any] = Future()
        self._jobs.put((job, done))
        return done.result(timeout=120)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[RuntimeThread, Outbox, str]]:
    for needed in (CHROMIUM, CHROMEDRIVER, AXE):
        assert Path(needed).exists(), f"{needed} is missing: run `make pytest` (installs it)"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    box = Outbox()

    def deps() -> Any:
        real = _shell.aws_deps()
        box.clock = real.clock
        return replace(real, messenger=box, letters=box)

    env = {c.ENV_PORTAL_URL: base, c.ENV_PORTAL_SIGNING_SECRET: "browser-test"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_shell, "default_deps", deps)
        runtime = RuntimeThread(env, port)
        try:
            yield runtime, box, base
        finally:
            runtime.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="portal-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=412,2400",  # a phone's width; tall enough for the whole page
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', help: String(e)}]));",
        WCAG_21_AA,
    )
    return violations


def _summary(violations: list[dict[str, Any]]) -> list[str]:
    return [f"{v['id']}: {v.get('help', '')}" for v in violations]


def submit(driver: Any, button: Any) -> None:
    """Click a form's button and wait for the next page (no JavaScript: a full load)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")

    def replaced(d: Any) -> bool:
        try:
            old.is_enabled()  # raises once the old page's document is gone
        except WebDriverException:  # stale, or detached mid-navigation
            return bool(d.execute_script("return document.readyState") == "complete")
        return False

    button.click()
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(replaced)


def sms_link(runtime: RuntimeThread, box: Outbox, base: str, account: str, **borrower: str) -> str:
    def opened(rt: LocalRuntime) -> str:
        open_case(rt, account, **borrower)
        rt.advance(timedelta(hours=1))
        return f"{account}#1"

    runtime.run(opened)
    sms = [m for m in box.to(account) if m["channel"] == "sms"][-1]["body"]
    link = re.search(re.escape(base) + r"/c/[A-Za-z0-9_-]+", sms)
    assert link, "the SMS carries no portal link"
    return link.group(0)


def test_a_borrower_opens_the_sms_link_passes_the_check_and_promises(served, browser) -> None:
    from selenium.webdriver.common.by import By

    runtime, box, base = served
    link = sms_link(runtime, box, base, "browser-en", locale="en-US")

    browser.get(link)
    assert "Confirm it is you" in browser.page_source
    assert "1,250.00" not in browser.page_source  # nothing but the creditor's name yet
    assert axe_violations(browser) == [], _summary(axe_violations(browser))
    browser.find_element(By.ID, "answer").send_keys(BIRTH_YEAR)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))

    assert browser.find_element(By.ID, "total").text.endswith("1,250.00")
    assert axe_violations(browser) == [], _summary(axe_violations(browser))
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "portal-case-en.png"))

    promised = runtime.run(lambda rt: (rt.now + timedelta(days=10)).date())
    date_input = browser.find_element(By.ID, "promise_date")
    browser.execute_script("arguments[0].value = arguments[1];", date_input, promised.isoformat())
    amount = browser.find_element(By.ID, "promise_amount")
    amount.clear()
    amount.send_keys("600.00")
    submit(browser, date_input.find_element(By.XPATH, "ancestor::form//button"))

    done = browser.find_element(By.ID, "done").text
    assert "Your promise is recorded" in done
    status = browser.find_element(By.ID, "status-1").text
    assert "you promised to pay" in status and "600.00" in status
    assert promised.strftime("%B") in status
    assert axe_violations(browser) == [], _summary(axe_violations(browser))
    browser.save_screenshot(str(SHOTS / "portal-promised-en.png"))
    status_now = runtime.run(lambda _rt: case("browser-en#1").status.value)
    assert status_now == "PROMISED"

    # a date outside the window (the browser's own check switched off, as an old browser
    # would not have it): a clear page, nothing changed
    far = runtime.run(lambda rt: (rt.now + timedelta(days=90)).date())
    date_input = browser.find_element(By.ID, "promise_date")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].form.noValidate = true;",
        date_input,
        far.isoformat(),
    )
    submit(browser, date_input.find_element(By.XPATH, "ancestor::form//button"))
    assert "The date must be between" in browser.page_source
    assert "Nothing was changed" in browser.page_source
    assert axe_violations(browser) == [], _summary(axe_violations(browser))
    assert runtime.run(lambda _rt: case("browser-en#1").status.value) == "PROMISED"

    browser.get(f"{base}/c/{'A' * 22}")  # the one not-found page
    assert "Link not available" in browser.page_source
    assert axe_violations(browser) == [], _summary(axe_violations(browser))


def test_the_chinese_pages_pass_axe_too(served, browser) -> None:
    from selenium.webdriver.common.by import By

    runtime, box, base = served
    browser.get(sms_link(runtime, box, base, "browser-zh"))
    browser.find_element(By.ID, "answer").send_keys("1900")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "剩余次数：4" in browser.page_source
    assert axe_violations(browser) == [], _summary(axe_violations(browser))
    browser.find_element(By.ID, "answer").send_keys(BIRTH_YEAR)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh"
    assert axe_violations(browser) == [], _summary(axe_violations(browser))
    browser.save_screenshot(str(SHOTS / "portal-case-zh.png"))


@pytest.mark.parametrize(("locale", "lang"), [("es-MX", "es"), ("pt-BR", "pt"), ("id-ID", "id")])
def test_the_pages_in_the_other_languages_pass_axe(served, browser, locale: str, lang: str) -> None:
    from selenium.webdriver.common.by import By

    # given a borrower writing in another language the templates support
    runtime, box, base = served
    browser.get(sms_link(runtime, box, base, f"browser-{lang}", locale=locale))
    # then the check page and, once passed, the case page are in that language and pass axe
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert axe_violations(browser) == [], _summary(axe_violations(browser))
    browser.find_element(By.ID, "answer").send_keys(BIRTH_YEAR)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "1.250,00" in browser.page_source or "1,250.00" in browser.page_source
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert axe_violations(browser) == [], _summary(axe_violations(browser))
