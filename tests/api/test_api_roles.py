"""Who may do what: students, TAs and CI tokens, each call allowed and forbidden."""

from __future__ import annotations

from api_helpers import upload

SOURCE = b"x = 1\n"


def test_no_token_and_unknown_token_are_401(api):
    for headers in ({}, {"Authorization": "Bearer ag_not-a-token"},
                    {"Authorization": "Basic YWxpY2U6eA=="}):
        response = api.get("/api/v1/submissions", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["detail"]


def test_student_reads_own_submission_but_not_anothers(api, users):
    own = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    assert api.get(f"/api/v1/submissions/{own}", headers=users.headers("alice")).status_code == 200
    other = api.get(f"/api/v1/submissions/{own}", headers=users.headers("bob"))
    assert other.status_code == 404
    assert other.json() == {"detail": f"no submission {own}"}


def test_missing_submission_is_404(api, users):
    response = api.get("/api/v1/submissions/999999", headers=users.headers("tess"))
    assert response.status_code == 404


def test_student_lists_only_own_submissions(api, users):
    upload(api, users["alice"], {"mlp": SOURCE})
    upload(api, users["bob"], {"mlp": SOURCE})
    upload(api, users["alice"], {"gd": SOURCE})
    listed = api.get("/api/v1/submissions", headers=users.headers("alice")).json()
    assert [s["user"] for s in listed] == ["alice", "alice"]
    assert [s["files"] for s in listed] == [["gd.py"], ["mlp.py"]]  # newest first
    forbidden = api.get("/api/v1/submissions?user=bob", headers=users.headers("alice"))
    assert forbidden.status_code == 403


def test_ta_lists_all_and_filters(api, users):
    upload(api, users["alice"], {"mlp": SOURCE})
    upload(api, users["bob"], {"mlp": SOURCE})
    everyone = api.get("/api/v1/submissions", headers=users.headers("tess")).json()
    assert sorted(s["user"] for s in everyone) == ["alice", "bob"]
    bobs = api.get("/api/v1/submissions?user=bob&assignment=hw1", headers=users.headers("tess"))
    assert [s["user"] for s in bobs.json()] == ["bob"]
    none = api.get("/api/v1/submissions?assignment=hw2", headers=users.headers("tess"))
    assert none.json() == []


def test_ta_reads_any_submission(api, users):
    submission = upload(api, users["bob"], {"mlp": SOURCE}).json()["id"]
    response = api.get(f"/api/v1/submissions/{submission}", headers=users.headers("tess"))
    assert response.status_code == 200 and response.json()["user"] == "bob"


def test_ta_cannot_submit(api, users):
    response = upload(api, users["tess"], {"mlp": SOURCE})
    assert response.status_code == 403
    assert "only students and CI tokens submit" in response.json()["detail"]


def test_student_cannot_submit_for_another(api, users):
    response = upload(api, users["alice"], {"mlp": SOURCE}, user="bob")
    assert response.status_code == 403
    assert "form field 'user' is for CI tokens" in response.json()["detail"]
    assert upload(api, users["alice"], {"mlp": SOURCE}, user="alice").status_code == 202


def test_ci_submits_for_a_rostered_student_and_reads_what_it_submitted(api, users):
    response = upload(api, users["robot"], {"mlp": SOURCE}, user="alice")
    assert response.status_code == 202 and response.json()["user"] == "alice"
    submission = response.json()["id"]
    assert api.get(f"/api/v1/submissions/{submission}",
                   headers=users.headers("robot")).status_code == 200
    assert api.get(f"/api/v1/submissions/{submission}",
                   headers=users.headers("alice")).status_code == 200
    listed = api.get("/api/v1/submissions", headers=users.headers("robot")).json()
    assert [s["id"] for s in listed] == [submission]


def test_ci_cannot_read_what_a_student_submitted_themself(api, users):
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    response = api.get(f"/api/v1/submissions/{submission}", headers=users.headers("robot"))
    assert response.status_code == 404


def test_ci_must_name_a_rostered_student(api, users):
    missing = upload(api, users["robot"], {"mlp": SOURCE})
    assert missing.status_code == 422 and "form field 'user'" in missing.json()["detail"]
    stranger = upload(api, users["robot"], {"mlp": SOURCE}, user="mallory")
    assert stranger.status_code == 422 and "mallory" in stranger.json()["detail"]
    not_a_student = upload(api, users["robot"], {"mlp": SOURCE}, user="tess")
    assert not_a_student.status_code == 422


def test_only_tas_regrade(api, users):
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    for name in ("alice", "robot"):
        response = api.post(f"/api/v1/submissions/{submission}/regrade",
                            headers=users.headers(name))
        assert response.status_code == 403
    response = api.post(f"/api/v1/submissions/{submission}/regrade", headers=users.headers("tess"))
    assert response.status_code == 202 and response.json()["status"] == "queued"
    missing = api.post("/api/v1/submissions/999999/regrade", headers=users.headers("tess"))
    assert missing.status_code == 404


def test_only_tas_read_scores(api, users):
    for name in ("alice", "robot"):
        response = api.get("/api/v1/assignments/hw1/scores", headers=users.headers(name))
        assert response.status_code == 403
    assert api.get("/api/v1/assignments/hw1/scores",
                   headers=users.headers("tess")).status_code == 200
    unknown = api.get("/api/v1/assignments/nope/scores", headers=users.headers("tess"))
    assert unknown.status_code == 404


def test_artifact_of_an_ungraded_or_foreign_submission_is_404(api, users):
    submission = upload(api, users["alice"], {"gd": SOURCE}).json()["id"]
    path = f"/api/v1/submissions/{submission}/artifacts/gd.png"
    assert api.get(path, headers=users.headers("alice")).status_code == 404
    assert api.get(path, headers=users.headers("bob")).status_code == 404


def test_healthz_and_metrics_need_no_token(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    metrics = api.get("/metrics")
    assert metrics.status_code == 200
    assert "autograder_queue_depth" in metrics.text
