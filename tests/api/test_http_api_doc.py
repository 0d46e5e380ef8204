"""The interface documents in docs/ say what the routes do today: docs/http-api.md is generated
from the OpenAPI schema, and docs/contract.md's route table names every route and no other."""

from __future__ import annotations

import re

from app.http_api_doc import DOC, METHODS, current

CONTRACT = DOC.parent / "contract.md"
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", re.MULTILINE)


def test_http_api_doc_is_what_the_routes_generate():
    assert DOC.read_text() == current(), \
        "docs/http-api.md is stale: run .venv/bin/python -m app.http_api_doc --write"


def test_the_contract_lists_every_route_and_no_other():
    from app.main import create_app
    from app.settings import Settings

    schema = create_app(Settings(environment="development"), sweep=False).openapi()
    routes = {(method.upper(), path) for path, item in schema["paths"].items()
              for method in item if method in METHODS}
    listed = set(ROW.findall(CONTRACT.read_text()))
    assert listed == routes, {"missing from docs/contract.md": sorted(routes - listed),
                              "listed but not served": sorted(listed - routes)}
