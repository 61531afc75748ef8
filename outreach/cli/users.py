"""Staff accounts for the dashboard: users add, remove, passwd, unlock, list."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from outreach.cli import main, open_database


def _password(ask: bool) -> str:
    if not ask:
        # The first line of a pipe (printf '%s\n' "$PASSWORD" | ...), with or without its
        # line end, a Windows one included.
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@main.group()
def users() -> None:
    """Staff accounts for the dashboard (viewer: metrics and exports; admin: also staff).

    Example:

        outreach users add ana --role admin
    """


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["viewer", "admin"]),
    default="viewer",
    show_default=True,
    help="What the account may see.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (scripts).")
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a staff account; the password is asked twice, or read from a pipe with
    --password-stdin (its first line).

    Example:

        outreach users add ana --role viewer

        printf '%s\\n' "$PASSWORD" | outreach users add ana --password-stdin
    """
    from outreach import staff

    try:
        staff.add(open_database(), name, _password(not password_stdin), role, datetime.now(UTC))
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: {role} account added")


@users.command("remove")
@click.argument("name")
def users_remove(name: str) -> None:
    """Remove a staff account.

    Example:

        outreach users remove ana
    """
    from outreach import staff

    try:
        staff.remove(open_database(), name, datetime.now(UTC))
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: removed")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (scripts).")
def users_passwd(name: str, password_stdin: bool) -> None:
    """Set a staff account's password.

    Example:

        outreach users passwd ana
    """
    from outreach import staff

    try:
        staff.set_password(open_database(), name, _password(not password_stdin), datetime.now(UTC))
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: password changed")


@users.command("unlock")
@click.argument("name")
def users_unlock(name: str) -> None:
    """Let NAME log in again at once, from every address, after failed logins slowed it
    down (a new password does this too).

    Example:

        outreach users unlock ana
    """
    from outreach import staff

    cleared = staff.unlock(open_database(), name, datetime.now(UTC))
    click.echo(f"{name}: unlocked ({cleared} address(es) had been slowed down)")


@users.command("list")
def users_list() -> None:
    """List staff accounts and their roles.

    Example:

        outreach users list
    """
    from outreach import staff

    for name, role, created in staff.listing(open_database()):
        click.echo(f"{name:<24} {role:<7} since {created[:10]}")
