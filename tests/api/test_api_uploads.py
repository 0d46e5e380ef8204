"""Bad uploads are refused before anything is stored or queued, each with its status and a
detail a student can act on."""

from __future__ import annotations

import io
import zipfile

import pytest

from api_helpers import upload

GOOD = b"import numpy as np\n\nclass Linear:\n    pass\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mlp.py", GOOD)
    return buffer.getvalue()


def count_submissions(api, users) -> int:
    return len(api.get("/api/v1/submissions", headers=users.headers("tess")).json())


@pytest.mark.parametrize("files, status, words", [
    ({"mlp": b""}, 422, "mlp.py is empty"),
    ({"gd": b"  \n\n"}, 422, "gd.py is empty"),
    ({"mlp": b"\x7fELF\x02\x01\x01\x00\x00\x00"}, 415, "binary"),
    ({"mlp": b"x" * (256 * 1024 + 1)}, 413, "256 KB"),
    ({"mlp": "print('caf\u00e9')\n".encode("latin-1")}, 415, "not UTF-8"),
    ({"mlp": _zip()}, 415, "zip archive"),
], ids=["empty", "blank", "binary", "too-large", "latin-1", "zip"])
def test_bad_file_is_refused_with_a_clear_detail(api, users, files, status, words):
    response = upload(api, users["alice"], files)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert count_submissions(api, users) == 0


def test_a_file_of_exactly_the_limit_is_accepted(api, users):
    source = b"#" * (256 * 1024 - 1) + b"\n"
    assert upload(api, users["alice"], {"mlp": source}).status_code == 202


def test_utf8_source_with_a_bom_and_accents_is_accepted(api, users):
    source = "\ufeff# caf\u00e9 \u2014 ok\nx = 1\n".encode("utf-8")
    response = upload(api, users["alice"], {"gd": source})
    assert response.status_code == 202
    assert response.json()["files"] == ["gd.py"]


def test_wrong_field_name_is_refused(api, users):
    response = api.post("/api/v1/submissions", headers=users.headers("alice"),
                        files={"mlp.py": ("mlp.py", GOOD, "text/x-python")})
    assert response.status_code == 400
    assert "unknown form field 'mlp.py'" in response.json()["detail"]


def test_file_under_the_other_files_name_is_refused(api, users):
    response = api.post("/api/v1/submissions", headers=users.headers("alice"),
                        files={"mlp": ("gd.py", GOOD, "text/x-python")})
    assert response.status_code == 422
    assert "it takes mlp.py" in response.json()["detail"]


def test_non_python_file_name_is_refused(api, users):
    response = api.post("/api/v1/submissions", headers=users.headers("alice"),
                        files={"mlp": ("mlp.ipynb", GOOD, "application/json")})
    assert response.status_code == 415
    assert "mlp.ipynb" in response.json()["detail"]


def test_no_file_is_refused(api, users):
    response = api.post("/api/v1/submissions", headers=users.headers("alice"),
                        files={"assignment": (None, "hw1")})
    assert response.status_code == 422
    assert "no file" in response.json()["detail"]


def test_a_text_value_in_a_file_field_is_refused(api, users):
    response = api.post("/api/v1/submissions", headers=users.headers("alice"),
                        files={"mlp": (None, "print(1)")})
    assert response.status_code == 400
    assert "must be a file upload" in response.json()["detail"]


def test_json_instead_of_multipart_is_refused(api, users):
    response = api.post("/api/v1/submissions", headers=users.headers("alice"),
                        json={"mlp": "print(1)"})
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]


def test_a_field_sent_twice_is_refused(api, users):
    response = api.post("/api/v1/submissions", headers=users.headers("alice"),
                        files=[("mlp", ("mlp.py", GOOD, "text/x-python")),
                               ("mlp", ("mlp.py", GOOD, "text/x-python"))])
    assert response.status_code == 400
    assert "more than once" in response.json()["detail"]


def test_unknown_assignment_is_refused(api, users):
    response = upload(api, users["alice"], {"mlp": GOOD}, assignment="hw9")
    assert response.status_code == 422
    assert "no assignment named 'hw9'" in response.json()["detail"]


def test_accepted_upload_is_stored_as_queued(api, users):
    response = upload(api, users["alice"], {"mlp": GOOD, "gd": GOOD})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["user"] == "alice"
    assert body["files"] == ["gd.py", "mlp.py"] and body["report"] is None
    read = api.get(f"/api/v1/submissions/{body['id']}", headers=users.headers("alice"))
    assert read.json()["status"] == "queued"


def test_a_request_larger_than_every_file_allowed_is_refused_before_parsing(api, users):
    big = b"#" * (300 * 1024)
    response = api.post("/api/v1/submissions", headers=users.headers("alice"),
                        files={"mlp": ("mlp.py", big), "gd": ("gd.py", big)})
    assert response.status_code == 413
    assert "the upload is larger than the limit of 256 KB per file" == response.json()["detail"]


def test_a_file_in_a_text_field_is_refused(api, users):
    response = api.post("/api/v1/submissions", headers=users.headers("alice"),
                        files={"mlp": ("mlp.py", GOOD), "assignment": ("hw1.txt", b"hw1")})
    assert response.status_code == 400
    assert "'assignment' must be text" in response.json()["detail"]


def test_malformed_multipart_is_400(api, users):
    response = api.post("/api/v1/submissions", content=b"--x\r\nnot a part",
                        headers=users.headers("alice")
                        | {"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid multipart data."}


@pytest.mark.parametrize("path", ["/api/v1/submissions?limit=0",
                                  "/api/v1/submissions?user=a%00b",
                                  "/api/v1/submissions/0",
                                  "/api/v1/submissions/99999999999",
                                  "/api/v1/assignments/hw1/scores?format=xls"])
def test_invalid_parameters_are_422_with_one_detail_string(api, users, path):
    response = api.get(path, headers=users.headers("tess"))
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
