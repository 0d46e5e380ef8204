"""Checks on uploaded files, made before anything is stored or queued."""

from __future__ import annotations

from collections.abc import Mapping

from app.errors import BadRequest, UnsupportedUpload, UploadTooLarge, Unprocessable

FILE_FIELDS = {"mlp": "mlp.py", "gd": "gd.py"}
"""Multipart field -> the file name it holds and the grader knows it by."""
FORM_FIELDS = {"assignment", "user", "callback_url"}

# Leading bytes of formats students upload by mistake instead of the .py file.
_ARCHIVES = {b"PK\x03\x04": "a zip archive", b"PK\x05\x06": "an empty zip archive",
             b"\x1f\x8b": "a gzip archive", b"7z\xbc\xaf": "a 7z archive",
             b"Rar!": "a rar archive", b"%PDF": "a PDF", b"\x89PNG": "a PNG image",
             b"{\n \"cells\"": "a Jupyter notebook"}


def check_field_names(names: list[str]) -> None:
    """Refuses unknown and repeated multipart fields (400), and a request with no file (422)."""
    for name in names:
        if name not in FILE_FIELDS and name not in FORM_FIELDS:
            raise BadRequest(f"unknown form field {name!r}: send the files as fields "
                             "'mlp' (mlp.py) and 'gd' (gd.py)")
        if names.count(name) > 1:
            raise BadRequest(f"form field {name!r} was sent more than once")
    if not any(name in FILE_FIELDS for name in names):
        raise Unprocessable("no file: send mlp.py as field 'mlp' and/or gd.py as field 'gd'")


def check_file(field: str, filename: str | None, content: bytes, max_bytes: int) -> bytes:
    """The content of a usable Python source file, or the reason it is not one."""
    expected = FILE_FIELDS[field]
    if filename and not filename.endswith(".py"):
        raise UnsupportedUpload(f"field {field!r} holds {filename!r}: upload the Python "
                                f"source file {expected} itself")
    if filename and filename in FILE_FIELDS.values() and filename != expected:
        raise Unprocessable(f"field {field!r} holds {filename!r}: it takes {expected}")
    if len(content) > max_bytes:
        raise UploadTooLarge(f"{expected} is larger than the limit of "
                             f"{max_bytes // 1024} KB per file")
    if not content.strip():
        raise Unprocessable(f"{expected} is empty")
    for magic, what in _ARCHIVES.items():
        if content.startswith(magic):
            raise UnsupportedUpload(f"{expected} is {what}, not Python source: upload "
                                    f"{expected} itself")
    if b"\x00" in content:
        raise UnsupportedUpload(f"{expected} holds binary data (NUL bytes), not Python source")
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnsupportedUpload(f"{expected} is not UTF-8 text (byte {error.start} cannot be "
                                "decoded): save it as UTF-8") from None
    return content


def check_files(uploads: Mapping[str, tuple[str | None, bytes]],
                max_bytes: int) -> dict[str, bytes]:
    """{field: (filename, content)} -> {"mlp.py": content, ...}, every file checked."""
    return {FILE_FIELDS[field]: check_file(field, filename, content, max_bytes)
            for field, (filename, content) in uploads.items()}
