"""`autograder users add NAME --role ROLE` and `autograder users import FILE.csv`: create
users and print their API tokens (shown this once; only a hash is kept)."""

from __future__ import annotations

import argparse

from app.db.enums import Role


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create one user and print its token")
    add.add_argument("name")
    add.add_argument("--role", choices=list(Role), required=True)
    roster = actions.add_parser(
        "import", help="create the students of a roster CSV (a `name` column, or names in "
                       "the first column) and print `name,token` lines")
    roster.add_argument("file")


def run(args: argparse.Namespace) -> int:
    import sys

    from app.cli import UsageError
    from app.clock import utc_now
    from app.db.engine import make_engine, make_session_factory
    from app.db.migrate import upgrade_to_head
    from app.errors import BadRequest
    from app.services.users import create_user, import_students
    from app.settings import get_settings

    names = read_roster(args.file) if args.action == "import" else None
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    sessions = make_session_factory(make_engine(settings.database_url))
    try:
        with sessions.begin() as session:
            if args.action == "add":
                _user, token = create_user(session, args.name, args.role, utc_now())
                print(token)
                return 0
            created, skipped = import_students(session, names, utc_now())
    except BadRequest as error:
        raise UsageError(error.detail) from None
    print("name,token")
    for name, token in created:
        print(f"{name},{token}")
    for name in skipped:
        print(f"skipped {name}: exists already (its token is unchanged)", file=sys.stderr)
    return 0


def read_roster(path: str) -> list[str]:
    """Student names from a CSV: the `name` column if the header has one, else the first."""
    import csv

    from app.cli import UsageError

    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = [row for row in csv.reader(file) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"cannot read roster {path}: {error}") from None
    if not rows:
        raise UsageError(f"roster {path} has no rows")
    header = [cell.strip().lower() for cell in rows[0]]
    column = header.index("name") if "name" in header else 0
    body = rows[1:] if "name" in header else rows
    names = [row[column].strip() for row in body if len(row) > column and row[column].strip()]
    if len(set(names)) != len(names):
        raise UsageError(f"roster {path} names a student twice")
    return names
