"""The reading room as a Datasette plugin: its routes, its Jinja filters.

Registered by ``reading.browse.serve`` (``pm.register``), configured by the
metadata's ``plugins`` block (:data:`NAME`: the archive's file, the WARC
folder, each source's ``quiet_after``), rendered with the templates of
``reading/templates`` (Datasette's ``template_dir``). The pages read the
archive through a read-only SQLAlchemy engine in a worker thread: the
same queries as the command line, off Datasette's event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from reading.room import archived as archived_module
from reading.room.charts import stacked_timeline, trend_chart
from reading.room.countries import country_name
from reading.room.facets import FACETS, LABELS, search_page
from reading.room.home import home_page
from reading.room.profiles import country_page, source_page, speaker_page
from reading.room.statement import statement_page
from reading.snippets import MARK
from storage.engine import make_engine

NAME = "demarche-room"
T = TypeVar("T")


@cache
def _engine(archive: str) -> Engine:
    return make_engine(f"sqlite:///{archive}", read_only=True)


def _config(datasette: Any) -> dict[str, Any]:
    return datasette.plugin_config(NAME) or {}


async def _read(datasette: Any, gather: Callable[[Session], T]) -> T:
    engine = _engine(_config(datasette)["archive"])

    def run() -> T:
        with Session(engine) as session:
            return gather(session)

    return await asyncio.to_thread(run)


async def _page(datasette: Any, request: Any, template: str, **context: Any) -> Response:
    html = await datasette.render_template(f"room/{template}", context, request=request)
    return Response.html(html)


async def home(datasette: Any, request: Any) -> Response:
    page = await _read(datasette, home_page)
    chart = stacked_timeline(page.per_day, "Statements per source")
    return await _page(datasette, request, "home.html", page=page, chart=chart,
                       database=Path(_config(datasette)["archive"]).stem)


async def statement(datasette: Any, request: Any) -> Response:
    article_id = int(request.url_vars["id"])
    permalink = datasette.absolute_url(request, f"/statement/{article_id}")
    page = await _read(datasette, lambda s: statement_page(s, article_id, permalink))
    if page is None:
        raise NotFound(f"no statement {article_id} in this archive")
    return await _page(datasette, request, "statement.html", page=page,
                       citation=page.citation)


async def cite(datasette: Any, request: Any) -> Response:
    article_id = int(request.url_vars["id"])
    permalink = datasette.absolute_url(request, f"/statement/{article_id}")
    page = await _read(datasette, lambda s: statement_page(s, article_id, permalink))
    if page is None:
        raise NotFound(f"no statement {article_id} in this archive")
    fmt = request.url_vars["format"]
    if fmt == "json":
        return Response(page.citation.csl_json(), content_type="application/vnd.citationstyles"
                        ".csl+json; charset=utf-8")
    if fmt == "bib":
        return Response(page.citation.bibtex(), content_type="application/x-bibtex; "
                        "charset=utf-8")
    return Response.text(page.citation.text())


def _archived_of(session: Session, article_id: int, folder: Path) -> Any:
    from storage.models import Article

    article = session.get(Article, article_id)
    if article is None:
        return None
    try:
        return archived_module.archived_copy(article, folder)
    except archived_module.NoArchivedCopy as exc:
        return exc


async def archived(datasette: Any, request: Any) -> Response:
    article_id = int(request.url_vars["id"])
    folder = Path(_config(datasette)["warc"])
    copy = await _read(datasette, lambda s: _archived_of(s, article_id, folder))
    if copy is None:
        raise NotFound(f"no statement {article_id} in this archive")
    headers = {"Content-Security-Policy": archived_module.POLICY,
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    if isinstance(copy, archived_module.NoArchivedCopy):
        return Response.text(f"No archived copy of statement {article_id}: {copy}",
                             status=404, headers=headers)
    if copy.html is None:
        return Response.text(f"The archived response of statement {article_id} is "
                             f"{copy.content_type} ({copy.size} bytes), not a web page.",
                             headers=headers)
    return Response.html(copy.html, headers=headers)


async def speaker(datasette: Any, request: Any) -> Response:
    # Datasette spells a name's space and slash "~20", "~2F" (tilde encoding).
    name = tilde_decode(request.url_vars["name"])
    page = await _read(datasette, lambda s: speaker_page(s, name))
    if page is None:
        raise NotFound(f"no speaker called {name!r} in this archive")
    chart = stacked_timeline(page.per_day, f"Statements of {name} by type")
    return await _page(datasette, request, "speaker.html", page=page, chart=chart)


async def source(datasette: Any, request: Any) -> Response:
    key = tilde_decode(request.url_vars["key"])
    quiet = _config(datasette).get("quiet_after", {})
    now = datetime.now(UTC)
    page = await _read(datasette, lambda s: source_page(s, key, quiet, now))
    if page is None:
        raise NotFound(f"no source {key!r} in this archive")
    chart = stacked_timeline(page.per_day, f"Statements of {page.source.name}")
    return await _page(datasette, request, "source.html", page=page, chart=chart)


async def country(datasette: Any, request: Any) -> Response:
    code = request.url_vars["code"].upper()
    page = await _read(datasette, lambda s: country_page(s, code))
    if page is None:
        raise NotFound(f"no statement names the country {code}")
    chart = stacked_timeline(page.per_day, f"Statements naming {page.name}, by source")
    return await _page(datasette, request, "country.html", page=page, chart=chart)


async def search(datasette: Any, request: Any) -> Response:
    query = request.args.get("q", "")
    chosen = {name: request.args.get(name, "") for name in FACETS}
    page = await _read(datasette, lambda s: search_page(s, query, chosen))
    chart = trend_chart(page.trend, query) if page.trend else None
    return await _page(datasette, request, "search.html", page=page, chart=chart,
                       facet_labels=LABELS)


@hookimpl
def extra_template_vars(datasette: Any) -> dict[str, Any]:
    # The database page (tables, SQL, canned queries) the header links to.
    archive = _config(datasette).get("archive")
    return {"room_database": Path(archive).stem if archive else ""}


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    # Plugin routes come before Datasette's own: "/" is the room's home,
    # and Datasette's index of databases gives way; /archive (tables, SQL,
    # canned queries) is untouched.
    return [
        (r"^/$", home),
        (r"^/statement/(?P<id>\d+)$", statement),
        (r"^/statement/(?P<id>\d+)/archived$", archived),
        (r"^/statement/(?P<id>\d+)/cite\.(?P<format>json|bib|txt)$", cite),
        (r"^/speaker/(?P<name>[^/]+)$", speaker),
        (r"^/source/(?P<key>[^/]+)$", source),
        (r"^/country/(?P<code>[A-Za-z]{2})$", country),
        (r"^/search$", search),
    ]


def _day(moment: datetime | None) -> str:
    return moment.strftime("%-d %B %Y") if moment else "undated"


def _moment(moment: datetime | None) -> str:
    return moment.strftime("%-d %B %Y, %H:%M UTC") if moment else "undated"


def _delay(delay: timedelta | None) -> str:
    if delay is None:
        return ""
    minutes = int(abs(delay).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours)
    said = " ".join(parts + [f"{minutes} min"] * bool(minutes or not parts))
    return f"{said} {'earlier' if delay < timedelta(0) else 'later'}"


def _query_string(params: dict[str, str]) -> str:
    return urlencode({k: v for k, v in params.items() if v})


def _snippet(text: str) -> Markup:
    # reading/snippets.py marks matches **like this**; escaped first.
    parts = str(escape(text)).split(MARK)
    return Markup("".join(f"<mark>{p}</mark>" if n % 2 else p for n, p in enumerate(parts)))


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["urlencode_nonempty"] = _query_string
    env.filters["tilde"] = tilde_encode
    env.filters["snippet"] = _snippet
    env.filters["day"] = _day
    env.filters["moment"] = _moment
    env.filters["delay"] = _delay
    env.filters["country_name"] = country_name
    env.filters["tojson_pretty"] = lambda value: json.dumps(value, ensure_ascii=False, indent=2)
