"""The timetable: which sources are crawled when, read from TOML and checked
whole before anything is scheduled.

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

from crawler.params import ArgumentError, CrawlArgs
from crawler.sources import Source

DEFAULT_TIMETABLE = Path(__file__).with_name("timetable.toml")
_DEFAULTS = {"timezone", "nightly_window", "time_limit", "misfire_grace", "settings"}
_JOB_KEYS = {"name", "sources", "cron", "timezone", "time_limit", "args", "settings"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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
    if isinstance(value, (int, float)) and value > 0:
        return float(value)
    match = _DURATION.match(str(value))
    if not match or float(match[1]) <= 0:
        raise TimetableError(f"{where}: {value!r} is not a duration like '90m', '2h' or '30s'")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


def check_timezone(name: object, where: str) -> str:
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
    try:
        cron_trigger(str(expression), timezone)
    except (ValueError, TypeError) as exc:
        raise TimetableError(f"{where}: invalid cron {expression!r}: {exc}") from exc
    return str(expression)


def _check_args(args: object, where: str) -> dict[str, str]:
    if not isinstance(args, dict):
        raise TimetableError(f"{where}: args must be a table of spider arguments")
    args = {str(k): str(v) for k, v in args.items()}
    try:
        CrawlArgs.parse(args)
    except ArgumentError as exc:
        raise TimetableError(f"{where}: {exc}") from exc
    return args


def _check_settings(settings: object, where: str) -> dict[str, str]:
    if not isinstance(settings, dict) or not all(re.fullmatch(r"[A-Z][A-Z0-9_]*", str(k))
                                                 for k in settings):
        raise TimetableError(f"{where}: settings must be a table of Scrapy settings "
                             "(upper-case names)")
    return {str(k): str(v) for k, v in settings.items()}


def _window(value: object, where: str) -> tuple[int, int]:
    """The night window as minutes after midnight; it may cross midnight."""
    try:
        start, end = (datetime.strptime(str(v), "%H:%M") for v in value)  # type: ignore[union-attr]
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


def load_timetable(path: Path | None, registry: Mapping[str, Source]) -> Timetable:
    path = path or DEFAULT_TIMETABLE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TimetableError(f"no timetable at {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TimetableError(f"{path}: not valid TOML: {exc}") from exc
    defaults = data.get("defaults", {})
    unknown = set(defaults) - _DEFAULTS
    if unknown:
        raise TimetableError(f"{path} [defaults]: unknown key(s) {', '.join(sorted(unknown))}")
    timezone = check_timezone(defaults.get("timezone", "UTC"), f"{path} [defaults]")
    time_limit = parse_duration(defaults.get("time_limit", "2h"), f"{path} [defaults] time_limit")
    grace = parse_duration(defaults.get("misfire_grace", "12h"), f"{path} [defaults] misfire_grace")
    window = _window(defaults.get("nightly_window", ["01:00", "05:00"]), f"{path} [defaults]")
    settings = _check_settings(defaults.get("settings", {}), f"{path} [defaults]")

    jobs: list[Job] = []
    named: dict[str, str] = {}
    for n, entry in enumerate(data.get("job", []), start=1):
        where = f"{path} job {entry.get('name') or f'#{n}'}"
        unknown = set(entry) - _JOB_KEYS
        if unknown:
            raise TimetableError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if not entry.get("name"):
            raise TimetableError(f"{where}: a job needs a name")
        keys = entry.get("sources")
        if not keys or not isinstance(keys, list):
            raise TimetableError(f"{where}: sources must be a list of registry keys")
        for key in keys:
            if key not in registry:
                raise TimetableError(f"{where}: unknown source {key!r}; known: {', '.join(registry)}")
            if key in named:
                raise TimetableError(f"{where}: source {key!r} is already in job {named[key]}")
            named[key] = entry["name"]
        job_zone = check_timezone(entry.get("timezone", timezone), where)
        if "cron" not in entry:
            raise TimetableError(f"{where}: a job needs a cron expression")
        jobs.append(Job(
            id=f"job:{entry['name']}",
            sources=tuple(keys),
            cron=_check_cron(entry["cron"], job_zone, where),
            timezone=job_zone,
            time_limit=parse_duration(entry.get("time_limit", time_limit), f"{where} time_limit"),
            args=_check_args(entry.get("args", {}), where),
            settings={**settings, **_check_settings(entry.get("settings", {}), where)},
        ))
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
