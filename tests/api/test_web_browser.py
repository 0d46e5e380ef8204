"""The pages in a real headless Chromium (Debian's chromium, driven by Playwright), against
`autograder serve`'s app on a port, a real worker and PostgreSQL: a student signs in with
the keyboard, uploads the reference files with the picker and a buggy mlp.py by dropping it,
watches each report appear without a reload and opens the gd image; a TA reads the heatmap
and the named mistakes and regrades. Each page's screenshot goes to docs/screenshots/."""

from __future__ import annotations

import shutil

import pytest

from tests.support.paths import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sandbox,
              pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
GRADE_TIMEOUT_MS = 240_000
BUGGY_MLP = REPO_ROOT / "tests" / "realistic" / "mlp" / "b15_mean_in_backward.py"
"""Divides every gradient by the batch size in backward(): named mistakes in three items."""


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run (starting one costs about a second)."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """A fresh browser context (its own cookies) per person; CSP violations are collected."""
    contexts = []

    def open_(base_url: str, width: int = 1200):
        context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.csp_violations = []
        page.on("console", lambda message: "Content Security Policy" in message.text
                and page.csp_violations.append(f"{page.url}: {message.text}"))
        return page

    yield open_
    for context in contexts:
        context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in_with_keyboard(page, token: str) -> None:
    page.goto("/")
    assert page.evaluate("document.activeElement.id") == "token"  # focus starts in the field
    page.keyboard.type(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def wait_for_report(page) -> None:
    """The report arrives by the page's own polling: the marker set before survives."""
    page.wait_for_selector("#report .total", timeout=GRADE_TIMEOUT_MS)
    assert page.evaluate("window.stillTheSamePage") is True, "the page was reloaded"


def drop_file(page, selector: str, name: str, text: str) -> None:
    data = page.evaluate_handle("""([name, text]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], name, {type: "text/x-python"}));
        return transfer; }""", [name, text])
    page.dispatch_event(selector, "drop", {"dataTransfer": data})


def test_student_and_ta_in_a_browser(serve, grading_worker, users, open_page):
    base_url = serve(queue_name="grading")
    student = open_page(base_url)
    student.goto("/")
    shoot(student, "01-sign-in")
    sign_in_with_keyboard(student, users["alice"])
    assert student.get_by_role("heading", name="Homework 1").is_visible()

    # The reference files with the file pickers: every item passes, gd.png inline.
    student.set_input_files("#mlp", str(REPO_ROOT / "reference" / "mlp.py"))
    student.set_input_files("#gd", str(REPO_ROOT / "reference" / "gd.py"))
    student.get_by_role("button", name="Submit for grading").click()
    student.wait_for_url("**/submissions/*")
    student.evaluate("window.stillTheSamePage = true")
    shoot(student, "02-submission-waiting")
    wait_for_report(student)
    report_text = student.locator("#report").inner_text()
    assert student.locator(".badge.s-failed").count() == 0, report_text
    assert student.locator(".item .badge.s-passed").count() == 16, report_text
    shoot(student, "03-report-reference")
    image = student.locator(".gd-image img")
    image.scroll_into_view_if_needed()
    assert student.evaluate("document.querySelector('.gd-image img').naturalWidth") > 200
    with student.expect_navigation():
        image.click()  # opens the image itself
    assert student.evaluate("document.contentType") == "image/png"
    shoot(student, "04-gd-image")

    # A buggy mlp.py dropped on the form: named mistakes appear, again without a reload.
    student.goto("/")
    drop_file(student, "#drop", "mlp.py", BUGGY_MLP.read_text())
    assert "mlp.py" in student.locator("#chosen").inner_text()
    student.get_by_role("button", name="Submit for grading").click()
    student.wait_for_url("**/submissions/*")
    student.evaluate("window.stillTheSamePage = true")
    wait_for_report(student)
    failed = student.locator(".item:has(.badge.s-failed)")
    assert failed.count() == 3
    assert "divided by the batch size" in failed.first.inner_text()
    shoot(student, "05-report-buggy")
    buggy_url = student.url

    # Wrong file, dropped: refused in place with the API's words.
    student.goto("/")
    drop_file(student, "#drop", "notes.txt", "hello")
    assert "Only mlp.py and gd.py" in student.locator("#upload-error").inner_text()
    student.set_input_files("#mlp", {"name": "mlp.zip", "mimeType": "application/zip",
                                     "buffer": b"PK\x03\x04zip"})
    student.get_by_role("button", name="Submit for grading").click()
    student.wait_for_selector("#upload-error:has-text('upload the Python source file')")
    assert student.get_by_text("★ counts").count() == 1
    shoot(student, "06-student-history")

    # A phone's width: the report reads without scrolling sideways.
    phone = open_page(base_url, width=375)
    sign_in_with_keyboard(phone, users["alice"])
    phone.goto(buggy_url)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(phone, "07-report-phone")

    # The TA: heatmap, the named mistakes, the staff view, a regrade followed live.
    ta = open_page(base_url, width=1400)
    sign_in_with_keyboard(ta, users["tess"])
    ta.wait_for_url("**/class/hw1")
    assert ta.locator("td.cell.s-failed").count() == 3
    mistakes = ta.locator("table.items").inner_text()
    assert "every gradient is divided by the batch size in backward()" in mistakes
    shoot(ta, "08-ta-class")
    ta.locator("table.roster").get_by_role("link", name="✓ graded").click()
    assert "by alice" in ta.locator("h1").inner_text()
    assert ta.locator("details.staff").count() > 0
    ta.evaluate("window.stillTheSamePage = true")
    ta.get_by_role("button", name="Regrade this submission").click()
    ta.wait_for_selector("#live .badge.s-queued, #live .badge.s-running")
    ta.evaluate("window.stillTheSamePage = true")
    wait_for_report(ta)
    staff_detail = ta.locator(".item:has(.badge.s-failed) details.staff").first
    staff_detail.locator("summary").click()
    assert "seed" in staff_detail.inner_text()
    shoot(ta, "09-ta-staff-view")

    for page in (student, phone, ta):
        assert page.csp_violations == []
