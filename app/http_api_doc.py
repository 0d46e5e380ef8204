"""docs/http-api.md, written from the app's own OpenAPI schema so the two cannot drift.

`python -m app.http_api_doc --write` regenerates the file; tests/api/test_http_api_doc.py
fails when the committed file differs from what the routes say today.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parent.parent / "docs" / "http-api.md"
METHODS = ("get", "post", "put", "patch", "delete")

HEADER = """\
# HTTP API

Generated from the service's OpenAPI schema by `python -m app.http_api_doc --write`; a test
fails when this file and the routes disagree, so edit the routes' docstrings and schemas, not
this file. JSON under `/api/v1`, `Authorization: Bearer TOKEN`. Errors are JSON
`{"detail": "..."}`; the status codes each route can answer are listed with it.
"""


def _type(schema: dict[str, Any]) -> str:
    """A short type name for a JSON schema node."""
    if "$ref" in schema:
        return f"[{schema['$ref'].rsplit('/', 1)[-1]}](#{schema['$ref'].rsplit('/', 1)[-1].lower()})"
    if "anyOf" in schema:
        return " or ".join(_type(option) for option in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if schema.get("format") == "binary":
        return "file"
    return schema.get("type", "any")


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def _fields(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", ()))
    rows = ["| field | type | required | description |", "| --- | --- | --- | --- |"]
    for name, field in schema.get("properties", {}).items():
        rows.append(f"| `{name}` | {_type(field)} | {'yes' if name in required else 'no'} "
                    f"| {_cell(field.get('description'))} |")
    return rows


def _operation(method: str, path: str, operation: dict[str, Any],
               schemas: dict[str, Any]) -> list[str]:
    lines = [f"### {method.upper()} `{path}`", "", _cell(operation.get("description")
                                                          or operation.get("summary")), ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type | required | description |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{p['name']}` | {p['in']} | {_type(p.get('schema', {}))} | "
                  f"{'yes' if p.get('required') else 'no'} | {_cell(p.get('description'))} |"
                  for p in parameters]
        lines.append("")
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        body = content.get("schema", {})
        if "$ref" in body:
            body = schemas[body["$ref"].rsplit("/", 1)[-1]]
        lines += [f"Request body (`{media}`):", ""] + _fields(body) + [""]
    lines += ["| status | meaning |", "| --- | --- |"]
    for status, response in operation.get("responses", {}).items():
        returned = ""
        for content in response.get("content", {}).values():
            if content.get("schema"):
                returned = f" ({_type(content['schema'])})"
        lines.append(f"| {status} | {_cell(response.get('description'))}{returned} |")
    return lines + [""]


def render(schema: dict[str, Any]) -> str:
    """The Markdown document for an OpenAPI schema."""
    schemas = schema.get("components", {}).get("schemas", {})
    lines = [HEADER, "## Routes", "", "| method | path | does |", "| --- | --- | --- |"]
    operations = [(method, path, operation) for path, item in schema["paths"].items()
                  for method, operation in item.items() if method in METHODS]
    lines += [f"| {method.upper()} | `{path}` | {_cell(operation.get('summary'))} |"
              for method, path, operation in operations]
    lines.append("")
    for method, path, operation in operations:
        lines += _operation(method, path, operation, schemas)
    lines += ["## Records", ""]
    for name, record in schemas.items():
        if name.startswith("Body_"):
            continue  # request bodies are shown with their route
        lines += [f"### {name}", "", _cell(record.get("description")), ""] + _fields(record) + [""]
    return "\n".join(lines).rstrip() + "\n"


def current() -> str:
    """The document the app's routes give today (documentation on, as outside production)."""
    from app.main import create_app
    from app.settings import Settings

    return render(create_app(Settings(environment="development"), sweep=False).openapi())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {DOC} instead of printing")
    args = parser.parse_args(argv)
    text = current()
    if args.write:
        DOC.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
