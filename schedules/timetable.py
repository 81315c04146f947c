"""The timetable: which sources are crawled when, read from TOML and checked
whole before anything is scheduled.

Every problem of the file is reported at once, one line each: a field of
the wrong type, a cron that can never fire, a setting a job may not change
(``RESERVED_SETTINGS``) or that neither Scrapy nor demarche knows.

Sources the file does not name get a nightly job. Sources sharing a domain
share that job and run one after another, so two crawls of one site never
overlap; the jobs of different domains are spread evenly over the night
window, each at its own minute.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from scrapy.settings import BaseSettings, default_settings

import crawler.settings as project_defaults
from crawler.params import ArgumentError, CrawlArgs
from crawler.sources import Source

DEFAULT_TIMETABLE = Path(__file__).with_name("timetable.toml")
_DEFAULTS = {"timezone", "nightly_window", "time_limit", "misfire_grace", "settings"}
_JOB_KEYS = {"name", "sources", "cron", "timezone", "time_limit", "args", "settings"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# Settings a job may not give its crawls, and why: the scheduler sets them
# for every crawl, or they are defences a line of the timetable must not
# lift (whoever may edit the timetable may not thereby open the machine's
# network to a crawl, or crawl outside the archive and the ledger).
RESERVED_SETTINGS = {name: why for names, why in [
    (("DEMARCHE_ARCHIVE_URL",), "the scheduler's archive holds the job store and each run's "
     "ledger row; a crawl writing elsewhere would leave its run 'running' for ever"),
    (("DEMARCHE_RUN_ID",), "the scheduler opens each run's ledger row and sets it"),
    (("DEMARCHE_SOURCES",), "the timetable is checked against the scheduler's registry; "
     "another file could name other sites under the same keys"),
    (("DEMARCHE_ALLOW_PRIVATE_ADDRESSES", "DNS_RESOLVER", "TWISTED_DNS_RESOLVER"),
     "the guard against requests to this machine and its network is the scheduler's, "
     "set when it starts, never a job's"),
    (("DOWNLOADER_MIDDLEWARES", "DOWNLOADER_MIDDLEWARES_BASE", "DOWNLOAD_HANDLERS",
      "DOWNLOAD_HANDLERS_BASE", "SPIDER_MIDDLEWARES", "SPIDER_MIDDLEWARES_BASE",
      "SPIDER_LOADER_CLASS"),
     "they hold the offsite and address guards, robots.txt, the WARC record and the "
     "registry's spiders"),
    (("ITEM_PIPELINES", "ITEM_PIPELINES_BASE", "EXTENSIONS", "EXTENSIONS_BASE"),
     "they hold the archive and the run ledger"),
    (("TELNETCONSOLE_ENABLED",), "nobody should steer a crawl of ministry sites from an open port"),
] for name in names}


class TimetableError(ValueError):
    """A timetable entry that cannot be scheduled; the message names it."""


@dataclass(frozen=True)
class Job:
    id: str
    sources: tuple[str, ...]
    cron: str
    timezone: str
    time_limit: float  # seconds, per crawl
    args: Mapping[str, str] = field(default_factory=dict)
    # Scrapy settings for these crawls (`-s NAME=VALUE`), e.g. a slower
    # DOWNLOAD_DELAY for a fragile site.
    settings: Mapping[str, str] = field(default_factory=dict)

    def trigger(self) -> CronTrigger:
        return cron_trigger(self.cron, self.timezone)


@dataclass(frozen=True)
class Timetable:
    jobs: tuple[Job, ...]
    misfire_grace: int  # seconds
    path: Path

    def job(self, job_id: str) -> Job:
        return next(j for j in self.jobs if j.id == job_id)

    def job_of(self, source: str) -> Job:
        return next(j for j in self.jobs if source in j.sources)


def parse_duration(value: object, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = _DURATION.match(str(value))
    if not match or float(match[1]) <= 0:
        raise TimetableError(f"{where}: {value!r} is not a duration like '90m', '2h' or '30s'")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


def check_timezone(name: object, where: str) -> str:
    if not isinstance(name, str):
        raise TimetableError(f"{where}: timezone must be an IANA name like 'Europe/Moscow', "
                             f"not {name!r}")
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimetableError(f"{where}: unknown time zone {name!r}") from exc
    return str(name)


class WallClockTrigger(CronTrigger):
    """APScheduler's CronTrigger, made safe where clocks go back.

    When daylight saving time ends, an hour of wall-clock time repeats.
    APScheduler 3.11 then fires a "01:00" job twice, and after the second
    firing can return that same instant as the next fire time forever
    (agronholm/apscheduler#1021), which hangs the scheduler's loop. Like
    cron, this trigger fires a repeated wall-clock time once, and always
    moves forward.
    """

    def get_next_fire_time(self, previous_fire_time, now):  # type: ignore[no-untyped-def]
        fire = super().get_next_fire_time(previous_fire_time, now)
        if fire is None or previous_fire_time is None:
            return fire
        same_wall_time = fire.replace(tzinfo=None) == previous_fire_time.astimezone(
            fire.tzinfo).replace(tzinfo=None)
        # Compared in UTC: Python compares two times of one zone by their
        # wall-clock reading, blind to which of the repeated hours they are.
        fire_utc, previous_utc = fire.astimezone(UTC), previous_fire_time.astimezone(UTC)
        if fire_utc <= previous_utc or same_wall_time:
            restart = max(now.astimezone(UTC), previous_utc, fire_utc) + timedelta(seconds=1)
            fire = super().get_next_fire_time(None, restart)
        return fire


_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field in APScheduler's terms.

    In crontab 0 (and 7) is Sunday; APScheduler 3 counts 0 as Monday. Numbers
    and steps are turned into day names so "0 1 * * 0" runs on Sundays.
    """
    if not any(c.isdigit() for c in field):
        return field  # "*", names: the same in both
    days: list[int] = []
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            first, last = (int(x) for x in base.split("-"))
        else:
            first = last = int(base)
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last):
            raise ValueError(f"day of week {part!r} is outside 0-7")
        days.extend(range(first, last + 1, int(step) if step else 1))
    return ",".join(dict.fromkeys(_WEEKDAYS[d % 7] for d in days))


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """Five crontab fields, or six with seconds first (for tests and demos)."""
    fields = expression.split()
    if len(fields) == 5:
        minute, hour, day, month, weekday = fields
        return WallClockTrigger(minute=minute, hour=hour, day=day, month=month,
                                day_of_week=crontab_weekdays(weekday), timezone=timezone)
    if len(fields) == 6:
        second, minute, hour, day, month, weekday = fields
        return WallClockTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                                day_of_week=crontab_weekdays(weekday), timezone=timezone)
    raise ValueError(f"{len(fields)} fields; a cron expression has 5 (or 6 with seconds first)")


def _check_cron(expression: object, timezone: str, where: str) -> str:
    if not isinstance(expression, str):
        raise TimetableError(f"{where}: invalid cron {expression!r}: five fields in quotes, "
                             "like '15 3 * * *'")
    fields = expression.split()
    if len(fields) in (5, 6) and fields[-3] != "*" and fields[-1] != "*":
        # crontab fires when either field matches, APScheduler only when both do.
        raise TimetableError(f"{where}: invalid cron {expression!r}: it restricts both the day "
                             "of the month and the day of the week, which cron and APScheduler "
                             "read differently; restrict one")
    try:
        trigger = cron_trigger(expression, timezone)
    except (ValueError, TypeError) as exc:
        raise TimetableError(f"{where}: invalid cron {expression!r}: {exc}") from exc
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise TimetableError(f"{where}: cron {expression!r} can never fire (no such date)")
    return expression


def _scalar(value: object) -> bool:
    return isinstance(value, (str, int, float, bool))


def _check_args(args: object, where: str) -> dict[str, str]:
    if not isinstance(args, dict) or not all(_scalar(v) for v in args.values()):
        raise TimetableError(f"{where}: args must be a table of spider arguments, "
                             "each a string, number or true/false")
    args = {str(k): str(v) for k, v in args.items()}
    try:
        CrawlArgs.parse(args)
    except ArgumentError as exc:
        raise TimetableError(f"{where}: {exc}") from exc
    return args


def _check_settings(settings: object, where: str) -> dict[str, str]:
    if not isinstance(settings, dict) or not all(_scalar(v) for v in settings.values()):
        raise TimetableError(f"{where}: settings must be a table of Scrapy settings, "
                             "each a string, number or true/false")
    for name, value in settings.items():
        if name in RESERVED_SETTINGS:
            raise TimetableError(f"{where}: setting {name} cannot be set per job: "
                                 f"{RESERVED_SETTINGS[name]}")
        problem = _setting_problem(name, str(value))
        if problem:
            raise TimetableError(f"{where}: setting {name} {problem}")
    return {str(k): str(v) for k, v in settings.items()}


def _setting_problem(name: str, value: str) -> str | None:
    """Why ``-s NAME=VALUE`` would fail the crawl, judged by the type of the
    setting's default (demarche's, else Scrapy's), or None."""
    missing = object()
    default = getattr(project_defaults, name, getattr(default_settings, name, missing))
    if not name.isupper() or default is missing:
        return "is neither a Scrapy nor a demarche setting (a typo?)"
    probe = BaseSettings({name: value})
    read = {bool: probe.getbool, int: probe.getint, float: probe.getfloat,
            dict: probe.getdict}.get(type(default))
    try:
        if read is not None:
            read(name)
    except (ValueError, TypeError):
        return f"must be {type(default).__name__} like its default {default!r}, not {value!r}"
    return None


def _window(value: object, where: str) -> tuple[int, int]:
    """The night window as minutes after midnight; it may cross midnight."""
    try:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError(value)
        start, end = (datetime.strptime(v, "%H:%M") for v in value)
    except (TypeError, ValueError) as exc:
        raise TimetableError(f"{where}: nightly_window must be two times like ['01:00', '05:00']") from exc
    first, last = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    length = (last - first) % (24 * 60) or 24 * 60
    return first, length


def domain_of(source: Source) -> str:
    return source.domains[0].removeprefix("www.") if source.domains else source.key


def nightly_jobs(sources: list[Source], window: tuple[int, int], timezone: str,
                 time_limit: float, settings: Mapping[str, str]) -> list[Job]:
    groups: dict[str, list[str]] = {}
    for source in sources:
        groups.setdefault(domain_of(source), []).append(source.key)
    first, length = window
    jobs = []
    for i, (domain, keys) in enumerate(sorted(groups.items())):
        minute = (first + i * length // len(groups)) % (24 * 60)
        jobs.append(Job(
            id=f"nightly:{domain}",
            sources=tuple(keys),
            cron=f"{minute % 60} {minute // 60} * * *",
            timezone=timezone,
            time_limit=time_limit,
            settings=settings,
        ))
    return jobs


def _defaults(defaults: object, where: str) -> tuple[str, float, float, tuple[int, int], dict[str, str]]:
    if not isinstance(defaults, dict):
        raise TimetableError(f"{where}: [defaults] must be a table")
    unknown = set(defaults) - _DEFAULTS
    if unknown:
        raise TimetableError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    return (check_timezone(defaults.get("timezone", "UTC"), where),
            parse_duration(defaults.get("time_limit", "2h"), f"{where} time_limit"),
            parse_duration(defaults.get("misfire_grace", "12h"), f"{where} misfire_grace"),
            _window(defaults.get("nightly_window", ["01:00", "05:00"]), where),
            _check_settings(defaults.get("settings", {}), where))


def _job(entry: dict, where: str, registry: Mapping[str, Source], named: dict[str, str],
         timezone: str, time_limit: float, settings: Mapping[str, str]) -> Job:
    unknown = set(entry) - _JOB_KEYS
    if unknown:
        raise TimetableError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = entry.get("name")
    if not name or not isinstance(name, str):
        raise TimetableError(f"{where}: a job needs a name (text)")
    keys = entry.get("sources")
    if not keys or not isinstance(keys, list):
        raise TimetableError(f"{where}: sources must be a list of registry keys")
    for key in keys:
        if not isinstance(key, str) or key not in registry:
            raise TimetableError(f"{where}: unknown source {key!r}; known: {', '.join(registry)}")
        if key in named:
            raise TimetableError(f"{where}: source {key!r} is already in job {named[key]}")
    job_zone = check_timezone(entry.get("timezone", timezone), where)
    if "cron" not in entry:
        raise TimetableError(f"{where}: a job needs a cron expression")
    job = Job(
        id=f"job:{name}",
        sources=tuple(keys),
        cron=_check_cron(entry["cron"], job_zone, where),
        timezone=job_zone,
        time_limit=parse_duration(entry.get("time_limit", time_limit), f"{where} time_limit"),
        args=_check_args(entry.get("args", {}), where),
        settings={**settings, **_check_settings(entry.get("settings", {}), where)},
    )
    named.update(dict.fromkeys(keys, name))
    return job


def load_timetable(path: Path | None, registry: Mapping[str, Source]) -> Timetable:
    """The timetable at ``path`` (default schedules/timetable.toml), checked
    against ``registry``; ``TimetableError`` lists every problem, one a line."""
    path = path or DEFAULT_TIMETABLE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TimetableError(f"no timetable at {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TimetableError(f"{path}: not valid TOML: {exc}") from exc
    problems = [f"{path}: unknown table {key!r} (the timetable has [defaults] and [[job]])"
                for key in data if key not in ("defaults", "job")]
    try:
        timezone, time_limit, grace, window, settings = _defaults(data.get("defaults", {}),
                                                                  f"{path} [defaults]")
    except TimetableError as exc:
        problems.append(str(exc))
        # (The jobs are still checked, against the built-in defaults.)
        timezone, time_limit, grace, window, settings = "UTC", 7200.0, 43200.0, (60, 240), {}
    entries = data.get("job", [])
    if not isinstance(entries, list):
        entries = [entries]
    jobs: list[Job] = []
    named: dict[str, str] = {}
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"{path} job #{n}: a job must be a [[job]] table")
            continue
        label = entry.get("name")
        where = f"{path} job {label if label and isinstance(label, str) else f'#{n}'}"
        try:
            job = _job(entry, where, registry, named, timezone, time_limit, settings)
        except TimetableError as exc:
            problems.append(str(exc))
            continue
        if any(j.id == job.id for j in jobs):
            # Both would be stored under one id, the second replacing the first.
            problems.append(f"{where}: another job has the name {label!r}")
        jobs.append(job)
    if problems:
        raise TimetableError("\n".join(problems))
    rest = [s for key, s in registry.items() if key not in named]
    jobs.extend(nightly_jobs(rest, window, timezone, time_limit, settings))
    return Timetable(tuple(jobs), int(grace), path)


def next_runs(timetable: Timetable, now: datetime, count: int = 1) -> dict[str, list[datetime]]:
    """The next fire times of every job after ``now`` (an aware datetime)."""
    result = {}
    for job in timetable.jobs:
        trigger, times, previous = job.trigger(), [], None
        moment = now
        for _ in range(count):
            fire = trigger.get_next_fire_time(previous, moment)
            if fire is None:
                break
            times.append(fire)
            previous, moment = fire, fire + timedelta(microseconds=1)
        result[job.id] = times
    return result
