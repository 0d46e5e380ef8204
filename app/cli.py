"""The `autograder` command: one subcommand per module in app/commands.

Each command module exposes `add_arguments(parser)` and `run(args) -> int`, and is imported
only when its subcommand runs, so `autograder grade` never pays for FastAPI or Celery.
Exit status (see docs/contract.md): 0 done, 1 fault of the system (a client-only install asked to
grade or serve included), 2 unusable arguments or input.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

COMMANDS = {
    "grade": "grade files locally, in the sandbox, with the hidden tests",
    "serve": "serve the HTTP API (with an embedded Redis and worker when no broker is set)",
    "worker": "run a Celery worker that grades queued submissions",
    "users": "create users and print their API tokens",
    "submit": "upload mlp.py and gd.py to a server and (with --wait) print the result",
    "export": "build a Gradescope autograder bundle (export gradescope -o autograder.zip)",
}


CLIENT_COMMANDS = {"submit"}
"""Commands a client-only install (`pip install autograder`, httpx alone) can run."""
API_COMMANDS = {"serve", "users"}
"""Commands an install of the `api` extra alone can run (and `worker --deliveries`): the API's
Docker image has no torch (`serve` with a broker configured; without one it starts a worker,
which grades)."""
API_MODULES = ("fastapi", "uvicorn", "pydantic_settings", "celery", "redis", "sqlalchemy", "alembic")
"""Modules of the `api` extra (pyproject.toml), checked before an API command runs."""
SERVER_MODULES = ("numpy", "torch", "torchvision", "cv2", *API_MODULES)
"""Modules of the `server` extra (pyproject.toml) checked before any other command runs."""


class UsageError(Exception):
    """Unusable arguments or input files: exit 2 with a one-line reason."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        _command_module(name).add_arguments(sub)
    return parser


def _command_module(name: str):
    return importlib.import_module(f"app.commands.{name}")


def _modules_needed(args: argparse.Namespace) -> tuple[str, ...]:
    """What the command needs installed: a webhook delivery worker sends HTTP requests and
    grades nothing, so it runs from the API's image as `serve` does."""
    if args.command in CLIENT_COMMANDS:
        return ()
    if args.command in API_COMMANDS or (args.command == "worker" and args.deliveries):
        return API_MODULES
    return SERVER_MODULES


def missing_module(modules: tuple[str, ...]) -> str | None:
    """The first of `modules` that is not installed (looked up, not imported)."""
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # ValueError: in sys.modules without a spec
            found = False
        if not found:
            return name
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    missing = missing_module(_modules_needed(args))
    if missing:
        print(f"autograder {args.command}: this install has only the client (`autograder submit`); "
              f"`{args.command}` needs the server's parts ({missing} is not installed): "
              "pip install 'autograder[server]'", file=sys.stderr)
        return 1
    try:
        return _command_module(args.command).run(args)
    except UsageError as error:
        print(f"autograder {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`autograder grade ... | head`): nothing left to say to it.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    # `python -m app.cli` runs this file as __main__, a second copy of the module: use the
    # imported one so its UsageError is the one the commands raise (exit 2, not a traceback).
    from app.cli import main as imported_main

    sys.exit(imported_main())
