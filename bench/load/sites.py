"""The generator's sites, written in the sites-file format ingest reads."""

from __future__ import annotations

from pathlib import Path

from bench.load.model import SiteSpec
from ingest.sites import Site, SitesFile, Token, hash_token


def write_sites(path: Path, specs: list[SiteSpec]) -> None:
    sites = tuple(
        Site(
            id=s.site_id,
            domains=(s.host,),
            swetrix_pid=s.swetrix_pid,
            zta_site_id=s.zta_site_id,
            tokens=(
                Token(id=f"sly{s.index}", kind="supalytics", sha256=hash_token(s.supalytics_key)),
                Token(
                    id=f"hk{s.index}",
                    kind="hitkeep",
                    sha256=hash_token(s.hitkeep_token),
                    permissions=("site.manage_data",),
                ),
            ),
        )
        for s in specs
    )
    path.write_text(SitesFile(sites=sites).model_dump_json(indent=1))
