"""The web pages with the real app, PostgreSQL and Redis: sign-in and its cookie, CSRF on
every form, the headers of a page, uploads with the API's messages, and who sees which page
(a student never sees another student's anything)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from api_helpers import upload
from app.course import load_course_rules
from app.web.routing import CONTENT_SECURITY_POLICY
from web_helpers import csrf_of, mlp_report, sign_in, store_report, upload_action

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SOURCE = b"x = 1\n"
RULES = load_course_rules("hw1")
BIAS_MISTAKE = "grads['dJdb1'] is averaged over the batch"


def files(**named: bytes | tuple[str, bytes]) -> dict:
    """Multipart files by field: bytes go as `<field>.py`, (name, bytes) under that name."""
    parts = {}
    for field, value in named.items():
        name, content = value if isinstance(value, tuple) else (f"{field}.py", value)
        parts[field] = (name, content, "text/x-python")
    return parts


def page_upload(client, **named):
    action = upload_action(client.get("/").text)
    return client.post(action, files=files(**named), follow_redirects=False)


def test_start_page_is_the_sign_in_form_with_a_strict_policy(api):
    response = api.get("/")
    assert response.status_code == 200
    assert 'name="token"' in response.text and '<label for="token">' in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "<script>" not in response.text and "style=" not in response.text


def test_an_unknown_path_is_a_page_for_a_browser_and_json_for_a_client(api):
    page = api.get("/no/such/page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no page at /no/such/page." in page.text
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for path, accept in (("/no/such/page", "application/json"), ("/api/v1/nothing", "text/html")):
        answer = api.get(path, headers={"Accept": accept})
        assert answer.status_code == 404 and answer.json() == {"detail": "Not Found"}


def test_sign_in_sets_an_http_only_strict_session_cookie(api, users):
    form = api.get("/signin")
    response = api.post("/signin", data={"token": users["alice"], "csrf_token": csrf_of(form.text)},
                        follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ag_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the next test for HTTPS
    assert "My submissions" in api.get("/").text


def test_session_cookie_is_secure_over_https(make_client, users):
    client = make_client()
    client.base_url = client.base_url.copy_with(scheme="https")
    form = client.get("/signin")
    response = client.post("/signin", data={"token": users["alice"],
                                            "csrf_token": csrf_of(form.text)},
                           follow_redirects=False)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ag_session="))
    assert "Secure" in cookie


def test_session_cookie_is_secure_behind_a_tls_proxy(make_client, users):
    # The proxy speaks HTTP to the API; the students' address says HTTPS.
    client = make_client(public_url="https://grader.example.edu")
    form = client.get("/signin")
    assert form.headers["set-cookie"].startswith("ag_signin_csrf=")
    assert "Secure" in form.headers["set-cookie"]
    # ...so a client on plain HTTP does not send it back, as a browser would not: no session.
    response = client.post("/signin", data={"token": users["alice"],
                                            "csrf_token": csrf_of(form.text)},
                           follow_redirects=False)
    assert response.status_code == 403 and "ag_session" not in response.headers.get("set-cookie", "")


def test_unknown_token_and_missing_csrf_are_refused(api, users):
    form = api.get("/signin")
    wrong = api.post("/signin", data={"token": "ag_nope", "csrf_token": csrf_of(form.text)})
    assert wrong.status_code == 401 and "not known here" in wrong.text
    forged = api.post("/signin", data={"token": users["alice"], "csrf_token": "forged"})
    assert forged.status_code == 403 and "did not come from this site" in forged.text
    assert "ag_session" not in api.cookies


def test_sign_out_ends_the_session_even_for_a_copied_cookie(api, users):
    csrf = sign_in(api, users["alice"])
    copied = api.cookies["ag_session"]
    assert api.post("/signout", data={"csrf_token": "wrong"}).status_code == 403
    response = api.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    api.cookies.set("ag_session", copied)
    assert 'name="token"' in api.get("/").text  # the sign-in form again
    assert api.get("/class/hw1", follow_redirects=False).headers["location"] == "/"


def test_every_form_post_needs_the_sessions_csrf_value(api, users, make_client):
    sign_in(api, users["alice"])
    own = page_upload(api, mlp=SOURCE).headers["location"].rsplit("/", 1)[1]
    assert api.post("/upload?csrf_token=wrong", files=files(mlp=SOURCE)).status_code == 403
    assert api.post("/upload", files=files(mlp=SOURCE)).status_code == 403
    ta = make_client()
    sign_in(ta, users["tess"])
    assert ta.post(f"/submissions/{own}/regrade", data={}).status_code == 403
    assert ta.post("/class/hw1/regrade", data={"csrf_token": "x"}).status_code == 403


def test_student_uploads_and_follows_a_submission(api, users):
    sign_in(api, users["alice"])
    response = page_upload(api, gd=SOURCE)  # the empty mlp picker is not an upload
    assert response.status_code == 303
    page = api.get(response.headers["location"])
    assert page.status_code == 200 and "queued" in page.text and "gd.py" in page.text
    assert "number 1 in the queue" in page.text
    live = api.get(response.headers["location"] + "/live", headers={"Accept": "application/json"})
    assert live.json()["status"] == "queued" and live.json()["final"] is False
    assert "updates by itself" in live.json()["status_html"]


@pytest.mark.parametrize("named, status, words", [
    ({"mlp": ("mlp.zip", b"PK\x03\x04rest")}, 415, "upload the Python source file mlp.py"),
    ({"mlp": ("gd.py", SOURCE)}, 422, "it takes mlp.py"),
    ({"mlp": b"x" * (256 * 1024 + 1)}, 413, "larger than the limit of 256 KB"),
    ({"mlp": b"\xff\xfe"}, 415, "not UTF-8"),
])
def test_upload_errors_are_the_apis(api, users, named, status, words):
    sign_in(api, users["alice"])
    response = page_upload(api, **named)
    assert response.status_code == status and words in response.text
    as_json = api.post(upload_action(api.get("/").text), files=files(**named),
                       headers={"Accept": "application/json"})
    assert as_json.status_code == status and words in as_json.json()["detail"]


def test_upload_with_no_file_chosen_is_refused(api, users):
    sign_in(api, users["alice"])
    empty_pickers = {"mlp": ("", b"", "application/octet-stream"),
                     "gd": ("", b"", "application/octet-stream")}
    response = api.post(upload_action(api.get("/").text), files=empty_pickers)
    assert response.status_code == 422 and "no file: send mlp.py" in response.text
    one_chosen = {"mlp": ("", b"", "application/octet-stream"),
                  "gd": ("gd.py", SOURCE, "text/x-python")}
    response = api.post(upload_action(api.get("/").text), files=one_chosen,
                        follow_redirects=False)
    assert response.status_code == 303  # the form without its script, gd.py alone


def test_upload_past_the_last_day_is_refused(make_client, users):
    client = make_client(clock=lambda: RULES.last_day + timedelta(seconds=1))
    sign_in(client, users["alice"])
    response = page_upload(client, mlp=SOURCE)
    assert response.status_code == 403 and "uploads are closed" in response.text


def test_too_many_uploads_say_when_to_try_again(make_client, users):
    now = RULES.deadline - timedelta(days=1)
    client = make_client(clock=lambda: now)
    sign_in(client, users["alice"])
    for _ in range(RULES.submissions_per_hour):
        assert page_upload(client, mlp=SOURCE).status_code == 303
    refused = page_upload(client, mlp=SOURCE)
    assert refused.status_code == 429 and "try again in 3600 s" in refused.text
    assert f"upload again at {(now + timedelta(hours=1)).strftime('%H:%M')} UTC" in refused.text
    as_json = client.post(upload_action(client.get("/").text), files=files(mlp=SOURCE),
                          headers={"Accept": "application/json"})
    assert as_json.status_code == 429 and as_json.headers["retry-after"] == "3600"


def test_report_page_groups_layers_and_shows_penalty_seed_and_image(make_client, users, sessions):
    client = make_client(clock=lambda: RULES.deadline + timedelta(hours=1))
    sign_in(client, users["alice"])
    submission = int(page_upload(client, mlp=SOURCE).headers["location"].rsplit("/", 1)[1])
    store_report(sessions, submission, mlp_report(BIAS_MISTAKE, seed=4242))
    page = client.get(f"/submissions/{submission}").text
    assert page.index(">linear<") < page.index(">relu<") < page.index(">bce_loss<")
    assert BIAS_MISTAKE.replace("'", "&#39;") in page
    assert "✗ failed" in page and "✓ passed" in page
    assert "Seed 4242" in page and "1 day late: 10% off" in page
    assert "Staff detail" not in page and "hidden config" not in page
    image = client.get(f"/submissions/{submission}/images/gd.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline")
    assert image.headers["content-security-policy"].startswith("default-src 'none'")
    live = client.get(f"/submissions/{submission}/live", headers={"Accept": "application/json"})
    assert live.json()["final"] is True and "Seed 4242" in live.json()["report_html"]
    history = client.get("/").text
    assert "★ counts" in history and f"#{submission}" in history


def test_student_text_in_a_report_is_escaped(api, users, sessions):
    # Feedback quotes the student's own exception messages: they must stay text.
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    store_report(sessions, submission, mlp_report(hostile))
    sign_in(api, users["alice"])
    for html in (api.get(f"/submissions/{submission}").text,
                 api.get(f"/submissions/{submission}/live",
                         headers={"Accept": "application/json"}).json()["report_html"]):
        assert hostile not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_submission_that_counts_follows_the_course_rule(api, users, sessions,
                                                             assignment_with):
    latest_only = assignment_with(only_latest_counts="true")
    ids = {}
    for assignment in ("hw1", latest_only):
        for mistake in (None, BIAS_MISTAKE):  # a full score first, then a lower one
            submission = upload(api, users["alice"], {"mlp": SOURCE},
                                assignment=assignment).json()["id"]
            store_report(sessions, submission, mlp_report(mistake))
            ids[assignment, mistake] = submission
    sign_in(api, users["alice"])
    rows = {int(number): row for number, row in
            re.findall(r'<a href="/submissions/(\d+)">#\d+</a>(.*?)</tr>', api.get("/").text,
                       flags=re.S)}
    counted = sorted(number for number, row in rows.items() if "★ counts" in row)
    assert counted == sorted([ids["hw1", None], ids[latest_only, BIAS_MISTAKE]])


def test_a_student_never_sees_another_students_anything(make_client, users, sessions):
    alice, bob = make_client(), make_client()
    sign_in(alice, users["alice"])
    sign_in(bob, users["bob"])
    submission = int(page_upload(alice, mlp=SOURCE).headers["location"].rsplit("/", 1)[1])
    store_report(sessions, submission, mlp_report(BIAS_MISTAKE))
    for path in [f"/submissions/{submission}", f"/submissions/{submission}/images/gd.png"]:
        response = bob.get(path)
        assert response.status_code == 404 and f"no submission {submission}" in response.text
    live = bob.get(f"/submissions/{submission}/live", headers={"Accept": "application/json"})
    assert live.status_code == 404 and live.json() == {"detail": f"no submission {submission}"}
    assert f"#{submission}" not in bob.get("/").text
    for path in ["/class/hw1", "/class/hw1/scores.csv"]:
        response = bob.get(path)
        assert response.status_code == 403 and "only TAs" in response.text
    csrf = csrf_of(bob.get("/").text)
    refused = bob.post(f"/submissions/{submission}/regrade", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "only TAs regrade" in refused.text
    refused = bob.post("/class/hw1/regrade", data={"csrf_token": csrf})
    assert refused.status_code == 403


def test_pages_without_a_session_send_the_browser_to_sign_in(api, users):
    upload(api, users["alice"], {"mlp": SOURCE})
    for path in ["/class/hw1", "/class/hw1/scores.csv", "/submissions/1", "/submissions/1/live",
                 "/submissions/1/images/gd.png"]:
        response = api.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/", path
    live = api.get("/submissions/1/live", headers={"Accept": "application/json"})
    assert live.status_code == 401
    bearer = api.get("/class/hw1", headers=users.headers("tess"), follow_redirects=False)
    assert bearer.status_code == 303  # pages take the session cookie, not a bearer token


def test_ci_token_has_no_pages(api, users):
    by_student = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    by_robot = upload(api, users["robot"], {"mlp": SOURCE}, user="alice").json()["id"]
    sign_in(api, users["robot"])
    page = api.get("/").text
    assert "No pages for this token" in page and "Upload" not in page
    assert api.get("/class/hw1").status_code == 403
    # As in the API: a CI token reads what it submitted, nothing else.
    assert api.get(f"/submissions/{by_robot}").status_code == 200
    assert api.get(f"/submissions/{by_student}").status_code == 404


def test_a_ta_cannot_upload_from_the_page(make_client, users):
    ta = make_client()
    csrf = sign_in(ta, users["tess"])
    response = ta.post(f"/upload?csrf_token={csrf}", files=files(mlp=SOURCE))
    assert response.status_code == 403 and "only students and CI tokens submit" in response.text


def test_ta_sees_the_class_any_submission_and_regrades(make_client, users, sessions):
    alice, bob, ta = make_client(), make_client(), make_client()
    sign_in(alice, users["alice"])
    sign_in(bob, users["bob"])
    first = int(page_upload(alice, mlp=SOURCE).headers["location"].rsplit("/", 1)[1])
    second = int(page_upload(bob, mlp=SOURCE).headers["location"].rsplit("/", 1)[1])
    store_report(sessions, first, mlp_report(BIAS_MISTAKE))
    store_report(sessions, second, mlp_report(BIAS_MISTAKE))
    csrf = sign_in(ta, users["tess"])
    overview = ta.get("/class/hw1").text
    named = "grads[&#39;dJdb1&#39;] is averaged over the batch: <strong>2 students</strong>"
    assert named in overview
    assert overview.count('class="cell s-failed"') == 2
    assert overview.count('<rect class="hist"') == 10  # the histogram's ten ranges
    assert "grading slot" in overview
    assert "0-0: " not in overview and ": 2 students</title>" in overview
    assert "alice" in ta.get("/class/hw1?find=ali").text
    assert "2 of 2 students shown" in ta.get("/class/hw1?status=graded").text
    assert "0 of 2 students shown" in ta.get("/class/hw1?status=none").text
    missing = ta.get("/class/hw9")
    assert missing.status_code == 404 and "no assignment named &#39;hw9&#39;" in missing.text
    assert ">bob<" not in ta.get("/class/hw1?find=ali").text
    staff_page = ta.get(f"/submissions/{first}").text
    assert "by alice" in staff_page and "hidden config" in staff_page
    assert "regrade requested" not in staff_page and "accepted" in staff_page
    csv = ta.get("/class/hw1/scores.csv")
    assert csv.headers["content-type"].startswith("text/csv") and "alice" in csv.text
    regraded = ta.post(f"/submissions/{first}/regrade", data={"csrf_token": csrf},
                       follow_redirects=False)
    assert regraded.status_code == 303
    assert "queued" in ta.get(f"/submissions/{first}").text
    everyone = ta.post("/class/hw1/regrade", data={"csrf_token": csrf})
    assert everyone.status_code == 200 and "2 submissions queued for regrading" in everyone.text


def test_static_files_are_served_and_nothing_else(api):
    assert api.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert api.get("/static/live.js").status_code == 200
    assert api.get("/static/..%2fauth.py").status_code in (404, 422)
    assert api.get("/static/missing.js").status_code == 404
