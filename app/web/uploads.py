"""The upload form's body: the API's checks, after dropping the empty part a browser sends
for a file input left empty (a student uploading gd.py alone still posts an empty `mlp`)."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile

from app.errors import BadRequest
from app.services.upload_checks import FILE_FIELDS, check_field_names, check_files


async def read_page_upload(request: Request) -> dict[str, bytes]:
    """{"mlp.py": content, ...}, or the API's error for the same files."""
    max_bytes = request.app.state.settings.upload_max_bytes
    form = await request.form(max_files=len(FILE_FIELDS) + 1, max_fields=10)
    parts = [(name, value) for name, value in form.multi_items() if not _left_empty(value)]
    check_field_names([name for name, _ in parts])
    uploads = {}
    for name, value in parts:
        if name not in FILE_FIELDS or not isinstance(value, UploadFile):
            raise BadRequest(f"form field {name!r}: this page uploads the files mlp.py "
                             "and gd.py only")
        uploads[name] = (value.filename, await value.read(max_bytes + 1))
    return check_files(uploads, max_bytes)


def _left_empty(value: UploadFile | str) -> bool:
    """An empty file input: a part with an empty file name and no bytes, which Starlette
    reads as an empty text field."""
    if isinstance(value, UploadFile):
        return not value.filename and not value.size
    return value == ""
