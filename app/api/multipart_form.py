"""Reading a multipart upload into checked files (the request body's OpenAPI description
lives here too, since the form is parsed by hand to refuse unknown fields)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from app.course import assignment_exists
from app.errors import BadRequest, UnsupportedUpload, UploadTooLarge, Unprocessable
from app.services.upload_checks import FILE_FIELDS, check_field_names, check_files
from app.settings import Settings

# Room for the multipart framing and the small form fields around two files.
_FORM_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Upload:
    """A checked upload: the files by the names the grader knows, and the form fields."""

    files: dict[str, bytes]
    assignment: str
    user: str | None
    callback_url: str | None
    """A webhook told when the grade is stored (checked by the service, not here)."""


def request_max_bytes(settings: Settings) -> int:
    """The largest request body read, of any request: an upload of every file at its limit."""
    return len(FILE_FIELDS) * settings.upload_max_bytes + _FORM_OVERHEAD_BYTES


def too_large_detail(settings: Settings) -> str:
    return f"the upload is larger than the limit of {settings.upload_max_kb} KB per file"


async def read_upload(request: Request) -> Upload:
    settings = request.app.state.settings
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedUpload("send the files as multipart/form-data "
                                "(curl -F mlp=@mlp.py -F gd=@gd.py)")
    # Refused before a byte of the body is read; a chunked body, which announces no length,
    # is stopped at the same limit as it arrives (app/api/request_body.py).
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > request_max_bytes(settings):
        raise UploadTooLarge(too_large_detail(settings))
    form = await request.form(max_files=len(FILE_FIELDS) + 1, max_fields=10)
    check_field_names([key for key, _ in form.multi_items()])
    uploads = {}
    for field in FILE_FIELDS:
        value = form.get(field)
        if value is None:
            continue
        if not isinstance(value, UploadFile):
            raise BadRequest(f"form field {field!r} must be a file upload "
                             f"(curl -F {field}=@{FILE_FIELDS[field]})")
        uploads[field] = (value.filename, await value.read(settings.upload_max_bytes + 1))
    files = check_files(uploads, settings.upload_max_bytes)
    assignment = _text_field(form, "assignment") or "hw1"
    if not assignment_exists(assignment):
        raise Unprocessable(f"no assignment named {assignment!r}")
    return Upload(files, assignment, _text_field(form, "user") or None,
                  _text_field(form, "callback_url") or None)


def _text_field(form, name: str) -> str | None:
    value = form.get(name)
    if isinstance(value, UploadFile):
        raise BadRequest(f"form field {name!r} must be text, not a file")
    return value


UploadDep = Annotated[Upload, Depends(read_upload)]

_FILE = {"type": "string", "format": "binary"}
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object",
    "properties": {
        "mlp": {**_FILE, "description": "mlp.py, UTF-8 Python source, at most 256 KB"},
        "gd": {**_FILE, "description": "gd.py, UTF-8 Python source, at most 256 KB"},
        "assignment": {"type": "string", "default": "hw1"},
        "user": {"type": "string", "description": "CI tokens only: the student it is for"},
        "callback_url": {"type": "string", "description":
                         "told when the grade is stored (a signed POST); its host must be one "
                         "the course allows"},
    },
}}}}}
