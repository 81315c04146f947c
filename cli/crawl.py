"""``demarche crawl``: crawl sources now, in this process."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from cli.options import add_archive, add_command, settings_of
from cli.output import print_outcomes
from crawler.params import ArgumentError


def _spider_args(pairs: Sequence[str]) -> dict[str, str]:
    args = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ArgumentError(f"-a takes NAME=VALUE, got {pair!r}")
        args[name.strip()] = value
    return args


def cmd_crawl(opts: argparse.Namespace) -> int:
    from crawler.runner import run_crawls
    from crawler.sources import registry_of

    overrides: dict[str, object] = {}
    if opts.replay:
        overrides["DEMARCHE_REPLAY"] = opts.replay
    settings = settings_of(opts, overrides)  # --archive reaches the pipelines
    keys = list(opts.sources)
    if opts.all:
        keys = list(registry_of(settings))
    if not keys:
        raise ArgumentError("name at least one source, or --all (see `demarche sources`)")
    outcomes = run_crawls(keys, _spider_args(opts.arg), settings)
    print_outcomes(outcomes)
    return 0 if all(o.status == "finished" for o in outcomes) else 1


def register(sub) -> None:  # type: ignore[no-untyped-def]
    crawl = add_command(
        sub, "crawl", help="crawl sources now, in this process",
        description="Crawl the named sources now, in this process, into the archive, and "
        "print what each run found (pages, new, changed, unchanged, errors).",
        examples=["demarche crawl mid_ru_en -a since=2024-01-01 -a max_articles=50",
                  "demarche crawl --all --archive sqlite:///data/archive.db"])
    crawl.add_argument("sources", nargs="*", metavar="KEY", help="source keys (demarche sources)")
    crawl.add_argument("--all", action="store_true", help="crawl every registered source")
    crawl.add_argument("-a", dest="arg", action="append", default=[], metavar="NAME=VALUE",
                       help="spider argument: since=YYYY-MM-DD, max_articles=N, max_pages=N")
    crawl.add_argument("--replay", action="append", default=[], metavar="WARC",
                       help="answer requests from this WARC file instead of the network")
    add_archive(crawl)
    crawl.set_defaults(func=cmd_crawl)
