"""`hitstream dashboard …`: run the dashboard, set its password, manage share links.

The password is never stored: `password` prints the scrypt hash for DASHBOARD_PASSWORD_HASH,
or with `--save` writes it to <state dir>/dashboard-password, which the dashboard reads when the
variable is unset. A share link's token is printed once, at creation; the file keeps its SHA-256.
"""

from __future__ import annotations

import sys

import click

from dashboard import share_links
from dashboard.settings import get_settings


@click.group(invoke_without_command=True)
@click.pass_context
def dashboard(ctx: click.Context) -> None:
    """Run the dashboard (DASHBOARD_HOST:DASHBOARD_PORT, default 127.0.0.1:8001).

    Bound to any address but loopback it refuses to start (exit status 2) unless a password hash
    is set or a share link exists."""
    if ctx.invoked_subcommand is not None:
        return
    from common import logs
    from dashboard.server import RefuseToStart, run

    settings = get_settings()
    logs.setup(settings.log_level, "dashboard")
    try:
        run(settings)
    except RefuseToStart as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@dashboard.command()
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--save", is_flag=True, help="Write the hash to <state dir>/dashboard-password.")
def password(from_stdin: bool, save: bool) -> None:
    """Hash a login password (asked twice) and print DASHBOARD_PASSWORD_HASH=<hash>."""
    from dashboard.credentials import hash_password

    if from_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        secret = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(secret) < 8:
        raise click.ClickException("use a password of at least 8 characters")
    hashed = hash_password(secret)
    if save:
        path = get_settings().password_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(hashed + "\n")
        path.chmod(0o600)
        click.echo(f"saved to {path} (used when DASHBOARD_PASSWORD_HASH is unset)")
    else:
        click.echo(f"DASHBOARD_PASSWORD_HASH={hashed}")


@dashboard.group()
def share() -> None:
    """Per-site read-only share links (revoking one ends its sessions at once)."""


@share.command("create")
@click.argument("site")
@click.option("--base-url", default=None, help="Public URL of the dashboard (default: its bind address).")
def share_create(site: str, base_url: str | None) -> None:
    """Create a link that shows only SITE; prints its URL once."""
    from dashboard.catalog import SiteCatalog

    settings = get_settings()
    if SiteCatalog(settings.sites_path).get(site) is None:
        raise click.ClickException(f"no site {site!r} in {settings.sites_path}")
    link, token = share_links.create(settings.share_links_path, site)
    base = (base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    click.echo(f"{base}/share/{token}")
    click.echo(f"(link id {link.id}; revoke with `hitstream dashboard share revoke {link.id}`)", err=True)


@share.command("list")
def share_list() -> None:
    """Show share links: id, site, creation time (never tokens)."""
    try:
        links = share_links.load(get_settings().share_links_path).links
    except share_links.ShareLinkError as exc:
        raise click.ClickException(str(exc)) from exc
    for link in links:
        click.echo(f"{link.id}  site={link.site}  created={link.created.isoformat()}")


@share.command("revoke")
@click.argument("link_id")
def share_revoke(link_id: str) -> None:
    """Delete a share link; a running dashboard refuses it (and its sessions) at once."""
    try:
        link = share_links.revoke(get_settings().share_links_path, link_id)
    except share_links.ShareLinkError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"revoked {link.id} (site {link.site})")
