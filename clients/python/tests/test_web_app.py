"""The web app in headless Chromium (Debian's, driven by Selenium through Debian's matching
chromedriver): an approver logs in through the form, sees a pending approval appear live while
the pipeline runs, approves it, and the pipeline's retried regeneration is allowed; a writer
sees no approve button and its post is refused; forms without the session's CSRF token are
refused; logging out ends the session; search finds a deliverable's story."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest

from genledger import Client, PolicyDenied

selenium = pytest.importorskip("selenium", reason="make test installs selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[3] / ".build" / "artifacts" / "pages"


@pytest.fixture
def browser():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not Path(driver_path).exists():
        pytest.fail("no chromedriver: make test installs Debian's chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver, url: str, token: str, landing: str = "/pages/approvals") -> None:
    driver.get(url + landing)
    WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.NAME, "token")))
    assert driver.current_url.startswith(url + "/pages/login"), driver.current_url
    driver.find_element(By.NAME, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.startswith(url + landing))
    assert token not in driver.current_url


def open_at_the_cap(client: Client, deliverable: str) -> str:
    """A delivery deliverable with one take, asked for regenerations up to the cap (5 attempts)."""
    client.deliverable_opened(deliverable=deliverable, category="key-visual", stage="delivery", modality="text-to-image",
                              platforms=[{"platform": "web", "aspect_ratio": "1:1"}])
    if not client.events(stream="template/tpl-web", limit=1):
        client.template_versioned(template="tpl-web", version=1, body_digest="0" * 64)
    with client.generation(deliverable, template="tpl-web", template_version=1, seed=3,
                           parameters={"aspect_ratio": "1:1", "megapixels": 4}) as take:
        take.completed(f"{deliverable}-A1", data=b"first take")
    for _ in range(4):
        client.request_regeneration(deliverable, prior_asset=f"{deliverable}-A1", reason="client notes")
    return f"{deliverable}-A1"


def test_an_approver_approves_a_live_denial_and_the_pipeline_proceeds(server, browser) -> None:
    pipeline = Client(server.url, server.tokens["writer"])
    prior = open_at_the_cap(pipeline, "D-WEB-1")

    log_in(browser, server.url, server.tokens["approver"])
    cookie = browser.get_cookie("genledger_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/pages"
    assert server.tokens["approver"] not in cookie["value"]
    assert browser.find_element(By.ID, "inbox-empty")

    # The pipeline meets the cap while the approver watches: the card appears without a reload.
    with pytest.raises(PolicyDenied) as denied:
        pipeline.request_regeneration("D-WEB-1", prior_asset=prior, reason="one more pass on the logo")
    assert denied.value.rule == "regeneration-cap"
    card = WebDriverWait(browser, 15).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, '.approval[data-deliverable="D-WEB-1"]')))
    assert card.get_attribute("data-denied-seq") == str(denied.value.denied_seq)
    assert "regeneration-cap" in card.text and "attempts so far: 5" in card.text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "approvals-inbox.png"))

    card.find_element(By.NAME, "reason").send_keys("launch asset; CD signed off")
    card.find_element(By.CSS_SELECTOR, "button.approve").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "inbox-empty")))

    granted = pipeline.events(stream="deliverable/D-WEB-1", type="policy.override_granted")
    assert len(granted) == 1
    assert granted[0].payload["approver"] == "approver:lena" and granted[0].payload["extra_attempts"] == 1
    assert granted[0].payload["gate"]["approval"]["proven_by"] == "token:approver:lena"
    # The pipeline's retry is now allowed.
    allowed = pipeline.request_regeneration("D-WEB-1", prior_asset=prior, reason="one more pass on the logo")
    assert allowed["attempt"] == 6


def test_a_decline_is_recorded_with_its_reason(server, browser) -> None:
    pipeline = Client(server.url, server.tokens["writer"])
    prior = open_at_the_cap(pipeline, "D-WEB-2")
    with pytest.raises(PolicyDenied):
        pipeline.request_regeneration("D-WEB-2", prior_asset=prior, reason="again")
    log_in(browser, server.url, server.tokens["approver"])
    card = browser.find_element(By.CSS_SELECTOR, '.approval[data-deliverable="D-WEB-2"]')
    card.find_element(By.NAME, "reason").send_keys("re-brief instead")
    card.find_element(By.CSS_SELECTOR, "button.decline").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "inbox-empty")))
    [declined] = pipeline.events(stream="deliverable/D-WEB-2", type="policy.override_declined")
    assert declined.payload["reason"] == "re-brief instead" and declined.payload["approver"] == "approver:lena"
    assert declined.payload["gate"]["outcome"] != "violated"
    # Declined is still denied.
    with pytest.raises(PolicyDenied):
        pipeline.request_regeneration("D-WEB-2", prior_asset=prior, reason="again")


def test_a_writer_sees_no_buttons_and_its_post_is_refused(server, browser) -> None:
    pipeline = Client(server.url, server.tokens["writer"])
    prior = open_at_the_cap(pipeline, "D-WEB-3")
    with pytest.raises(PolicyDenied) as denied:
        pipeline.request_regeneration("D-WEB-3", prior_asset=prior, reason="again")
    log_in(browser, server.url, server.tokens["writer"])
    card = browser.find_element(By.CSS_SELECTOR, '.approval[data-deliverable="D-WEB-3"]')
    assert card.find_elements(By.CSS_SELECTOR, "button.approve") == []
    # The writer's browser posts the form anyway, with its own valid session and CSRF token.
    csrf = browser.find_element(By.CSS_SELECTOR, 'nav input[name="csrf"]').get_attribute("value")
    status = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const body = new URLSearchParams({csrf: arguments[0], denied_seq: arguments[1], deliverable: 'D-WEB-3',
                                          rule: 'regeneration-cap', reason: 'let me', decision: 'approve', extra_attempts: '5'});
        fetch('/pages/approvals/decide', {method: 'POST', body, redirect: 'manual'}).then(r => done(r.status));
    """, csrf, str(denied.value.denied_seq))
    assert status == 403
    assert pipeline.events(stream="deliverable/D-WEB-3", type="policy.override_granted") == []


def test_forms_need_the_session_csrf_token_and_logout_ends_the_session(server, browser) -> None:
    pipeline = Client(server.url, server.tokens["writer"])
    prior = open_at_the_cap(pipeline, "D-WEB-4")
    with pytest.raises(PolicyDenied) as denied:
        pipeline.request_regeneration("D-WEB-4", prior_asset=prior, reason="again")
    log_in(browser, server.url, server.tokens["approver"])
    session = {"genledger_session": browser.get_cookie("genledger_session")["value"]}
    form = {"denied_seq": str(denied.value.denied_seq), "deliverable": "D-WEB-4", "rule": "regeneration-cap",
            "reason": "forged", "decision": "approve"}
    for csrf in (None, "0" * 64):
        body = {**form, **({"csrf": csrf} if csrf else {})}
        answer = httpx.post(f"{server.url}/pages/approvals/decide", data=body, cookies=session)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf"
    assert pipeline.events(stream="deliverable/D-WEB-4", type="policy.override_granted") == []

    browser.find_element(By.CSS_SELECTOR, "nav form[action=\"/pages/logout\"] button").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.NAME, "token")))
    assert browser.get_cookie("genledger_session") is None
    # The old session id no longer works, even replayed by hand.
    answer = httpx.get(f"{server.url}/pages/approvals", cookies=session, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/pages/login")
    # A wrong token is refused at the login form.
    browser.find_element(By.NAME, "token").send_keys("glt_" + "1" * 64)
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    # The answer is a new page: wait for it (reading at once may still see the form just left).
    error = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "login-error")))
    assert "not valid" in error.text


def test_search_finds_a_deliverable_and_its_story(server, browser) -> None:
    pipeline = Client(server.url, server.tokens["writer"])
    open_at_the_cap(pipeline, "D-WEB-5")
    log_in(browser, server.url, server.tokens["auditor"], landing="/pages")
    box = browser.find_element(By.CSS_SELECTOR, 'nav input[name="q"]')
    box.send_keys("D-WEB-5")
    box.submit()
    WebDriverWait(browser, 10).until(lambda d: "/pages/deliverables/D-WEB-5" in d.current_url)
    story = [row.find_elements(By.TAG_NAME, "td")[2].text for row in browser.find_elements(By.CSS_SELECTOR, "tr.event")]
    assert story[:3] == ["deliverable.opened", "routing.decided", "generation.requested"]
    assert story.count("regeneration.requested") == 4
    assert browser.find_elements(By.LINK_TEXT, "explain D-WEB-5-A1")
    browser.save_screenshot(str(ARTIFACTS / "deliverable-story.png"))
    # The events browser, newest first, filtered by type; and a search that finds nothing says so.
    browser.get(f"{server.url}/pages/events?type=regeneration.requested")
    seqs = [int(row.find_elements(By.TAG_NAME, "td")[0].text) for row in browser.find_elements(By.CSS_SELECTOR, "tr.event")]
    assert len(seqs) >= 4 and seqs == sorted(seqs, reverse=True)
    browser.get(f"{server.url}/pages/search?q=no-such-thing")
    assert "Nothing in the ledger is called" in browser.find_element(By.ID, "no-match").text
