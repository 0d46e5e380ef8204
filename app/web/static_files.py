"""The pages' stylesheet and scripts, shipped inside the package (no CDN, no build step)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from app.errors import NotFound

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).parent / "static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@router.get("/static/{name}")
def read_static(name: Annotated[str, PathParam(max_length=40, pattern=r"^[a-z0-9-]+\.(css|js)$")]):
    """A file of app/web/static by its bare name (the pattern keeps it in that folder)."""
    path = STATIC / name
    if not path.is_file():
        raise NotFound(f"no static file {name!r}")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix],
                        headers={"Cache-Control": "public, max-age=3600"})
