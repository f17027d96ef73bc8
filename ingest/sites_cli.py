"""`hitstream sites …`: manage sites, vendor ids, domains and tokens in the sites file.

Edits apply to a running ingest without a restart (it re-reads the file when it changes).
Generated tokens are printed once, at creation; imported ones (`token-add --value`) are never printed.
The file keeps only their SHA-256.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from ingest import sites_admin as admin
from ingest.sites import SitesFile


def _path(ctx: click.Context) -> Path:
    path: Path = ctx.obj
    return path


def _edit(ctx: click.Context, change: Callable[[SitesFile], SitesFile]) -> None:
    path = _path(ctx)
    try:
        admin.save(path, change(admin.load(path)))
    except admin.SitesAdminError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
@click.option(
    "--file",
    "file_",
    type=click.Path(path_type=Path),
    default=None,
    help="Sites file (default: INGEST_SITES_FILE or <state dir>/sites.json).",
)
@click.pass_context
def sites(ctx: click.Context, file_: Path | None) -> None:
    """Sites, vendor ids, domains and API tokens (stored hashed); ingest reloads on change."""
    if file_ is None:
        from ingest.settings import get_settings

        file_ = get_settings().sites_path
    ctx.obj = file_


@sites.command("add")
@click.argument("site_id")
@click.option(
    "--domain", "domains", multiple=True, help="Hostname of the site (repeatable; www. is dropped)."
)
@click.option("--swetrix-pid", default=None, help="Swetrix project id (pid) the site's clients send.")
@click.option("--zta-site-id", default=None, help="Zero Trust Analytics siteId the site's clients send.")
@click.pass_context
def add(
    ctx: click.Context,
    site_id: str,
    domains: tuple[str, ...],
    swetrix_pid: str | None,
    zta_site_id: str | None,
) -> None:
    """Register a site."""
    _edit(ctx, lambda d: admin.add_site(d, site_id, list(domains), swetrix_pid, zta_site_id))
    click.echo(f"added site {site_id}")


@sites.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Show sites, their vendor ids and token handles (never token values)."""
    for s in admin.load(_path(ctx)).sites:
        state = "active" if s.active else "disabled"
        click.echo(
            f"{s.id}  [{state}]  domains={','.join(s.domains) or '-'}  "
            f"swetrix_pid={s.swetrix_pid or '-'}  zta_site_id={s.zta_site_id or '-'}"
        )
        for t in s.tokens:
            click.echo(f"    token {t.id}  {t.kind}  permissions={','.join(t.permissions) or '-'}")


@sites.command("disable")
@click.argument("site_id")
@click.pass_context
def disable(ctx: click.Context, site_id: str) -> None:
    """Refuse a site's hits (each vendor's error for a disabled or unknown site)."""
    _edit(ctx, lambda d: admin.set_active(d, site_id, False))
    click.echo(f"disabled {site_id}")


@sites.command("enable")
@click.argument("site_id")
@click.pass_context
def enable(ctx: click.Context, site_id: str) -> None:
    """Accept a disabled site's hits again."""
    _edit(ctx, lambda d: admin.set_active(d, site_id, True))
    click.echo(f"enabled {site_id}")


@sites.command("remove")
@click.argument("site_id")
@click.pass_context
def remove(ctx: click.Context, site_id: str) -> None:
    """Delete a site and its tokens."""
    _edit(ctx, lambda d: admin.remove_site(d, site_id))
    click.echo(f"removed {site_id}")


@sites.command("token-add")
@click.argument("site_id")
@click.option(
    "--kind",
    type=click.Choice(["supalytics", "hitkeep"]),
    required=True,
    help="supalytics: a sly_… API key; hitkeep: a Bearer/X-Api-Key token.",
)
@click.option(
    "--permission",
    "permissions",
    multiple=True,
    help="Permission to grant (repeatable). Default: site.manage_data for hitkeep.",
)
@click.option(
    "--value",
    default=None,
    metavar="TOKEN|-",
    help="Import this existing token instead of generating one; `-` reads it from stdin "
    "(keeps it out of shell history; prompts without echo on a terminal).",
)
@click.pass_context
def token_add(
    ctx: click.Context, site_id: str, kind: str, permissions: tuple[str, ...], value: str | None
) -> None:
    """Create a token (its value is printed once) or import one with --value; only its SHA-256 is stored.

    An imported value must be at least 16 printable characters without whitespace, start with sly_
    for supalytics, and not be stored already. It is never printed back.
    """
    if value == "-":
        value = _read_secret()
    path = _path(ctx)
    try:
        data, plain, token = admin.add_token(
            admin.load(path),
            site_id,
            kind,  # type: ignore[arg-type]
            permissions or None,
            value,
        )
        admin.save(path, data)
    except admin.SitesAdminError as exc:
        raise click.ClickException(str(exc)) from exc
    if value is not None:
        click.echo(f"token {token.id} for {site_id} ({kind}) imported; only its SHA-256 is stored")
    else:
        click.echo(f"token {token.id} for {site_id} ({kind}); shown once, store it now:\n{plain}")


def _read_secret() -> str:
    """The token from stdin: typed at a hidden prompt on a terminal, else everything piped in, less
    one final line break (anything else, such as a second line, is refused as whitespace)."""
    if sys.stdin.isatty():
        typed: str = click.prompt("Token", hide_input=True, err=True)
        return typed
    return sys.stdin.read().removesuffix("\n").removesuffix("\r")


@sites.command("token-revoke")
@click.argument("token_id")
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str) -> None:
    """Revoke a token by its handle (see `sites list`)."""
    _edit(ctx, lambda d: admin.revoke_token(d, token_id))
    click.echo(f"revoked {token_id}")
