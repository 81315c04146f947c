"""The reading room in headless Chromium: each page type drawn from the
real `demarche browse`, its DOM checked as the browser built it, a
screenshot taken; keyboard navigation driven with real key presses over
the DevTools protocol (``--remote-debugging-pipe``: JSON messages on file
descriptors 3 and 4, no extra library); the colours' contrast computed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from reading.report import CHROMIUM_FLAGS, chromium_command
from reading.screenshots import PAGES, page_paths

# The same room as the page tests: the demo plus a statement with every
# section (a module-scoped fixture: its own archive and server here).
from tests.test_reading_room import Room, room  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CSS = Path(__file__).resolve().parents[1] / "reading" / "templates" / "room" / "room.css"


@pytest.fixture(scope="module")
def chromium() -> str:
    # As the PostgreSQL tests do: missing in CI is a failure, never a skip.
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run .ci/chromium (make test does)")
    return CHROMIUM


def dump_dom(chromium: str, url: str, profile: Path) -> lxml.html.HtmlElement:
    out = subprocess.run(chromium_command(chromium, profile, "--dump-dom", url),
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return lxml.html.document_fromstring(out)


@pytest.mark.parametrize("kind", [*PAGES, "home"])
def test_each_page_type_in_chromium(chromium: str, room: Room, kind: str,  # noqa: F811
                                    tmp_path: Path):
    path = {**page_paths(room.ids["statement"]), "home": "/"}[kind]
    doc = dump_dom(chromium, room.url(path), tmp_path / "profile")
    # The page the browser built: its landmark, its heading, its own parts.
    assert doc.get_element_by_id("main") is not None and doc.find(".//h1") is not None
    parts = {
        "statement": ["#text mark.quote", "#speakers a", "#countries a", "#versions ins",
                      "#takedown", "#syndication tbody tr", "#cite-bib", ".translation"],
        "speaker": ["#speaker-chart svg", "#statements li a", "#quotes li"],
        "source": ["#source-chart svg", "#health-state", "#newest li a"],
        "country": ["#country-chart svg", "#by-source tbody tr", "#statements li a"],
        "search": ["#trend-chart svg", "#facets ul[data-facet=speaker] a", "#results li a"],
        "home": ["#timeline-chart svg", "#home-q", "#sources a", "#speakers a", "#newest li a"],
    }[kind]
    for selector in parts:
        assert doc.cssselect(selector), (kind, selector)
    png = tmp_path / f"{kind}.png"
    subprocess.run(chromium_command(chromium, tmp_path / "shot", f"--screenshot={png}",
                                    "--window-size=1280,1600", room.url(path)),
                   capture_output=True, timeout=120, check=True)
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (1280, 1600)
        # A blank or error page has a handful of colours; text, marks and
        # charts have hundreds.
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 200, len(colours or [])


class DevTools:
    """Chromium driven over ``--remote-debugging-pipe``: commands as
    NUL-terminated JSON on its fd 3, answers and events on its fd 4."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()

        def wire() -> None:  # in the child: the pipes at 3 and 4
            high_in, high_out = os.dup(to_browser), os.dup(from_browser)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        flags = [f for f in CHROMIUM_FLAGS if f != "--headless"]
        self.process = subprocess.Popen(
            [chromium, "--headless", *flags, f"--user-data-dir={profile}",
             "--remote-debugging-pipe", "--window-size=1280,900", "about:blank"],
            preexec_fn=wire, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._id = 0
        self.session = ""

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._read, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        for _ in range(600):
            if self.js("document.readyState") == "complete":
                return
            self.send("Runtime.evaluate", expression="new Promise(r => setTimeout(r, 50))",
                      awaitPromise=True)
        raise RuntimeError(f"{url} did not load")

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def press(self, key: str, code: int, modifiers: int = 0) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode=code, modifiers=modifiers)
        if key == "Enter":
            self.send("Input.dispatchKeyEvent", type="char", text="\r")

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except RuntimeError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)


# Describes the focused element the same way for the list of all.
_DESCRIBE = ("(e => e ? (e.id || e.tagName + ':' + (e.getAttribute('href') || e.name || "
             "e.textContent.trim().slice(0, 40))) : null)")
_INTERACTIVE = ("a[href], button, input:not([type=hidden]), textarea, select, summary")


def test_keyboard_reaches_everything_in_order(chromium: str, room: Room):  # noqa: F811
    with tempfile.TemporaryDirectory(prefix="demarche-devtools-") as profile:
        browser = DevTools(chromium, Path(profile))
        try:
            browser.open(room.url(f"/statement/{room.ids['statement']}"))
            # Every interactive element, in document order; none taken out
            # of the tab order, none without a name a screen reader reads.
            expected = browser.js(
                f"[...document.querySelectorAll('{_INTERACTIVE}')].map({_DESCRIBE})")
            unnamed = browser.js(
                f"[...document.querySelectorAll('{_INTERACTIVE}')].filter(e => !("
                "e.textContent.trim() || e.getAttribute('aria-label') || "
                "(e.id && document.querySelector('label[for=\"' + e.id + '\"]')))).map("
                f"{_DESCRIBE})")
            assert len(expected) > 20 and unnamed == []
            assert browser.js("document.querySelectorAll('[tabindex^=\"-\"]:not(main)')"
                              ".length") == 0
            reached = []
            for _ in range(len(expected)):
                browser.press("Tab", 9)
                reached.append(browser.js(f"{_DESCRIBE}(document.activeElement)"))
            # Tab visits each of them once, in the order they are read.
            assert reached == expected
            # The first stop is the skip link; it is visible when focused and
            # Enter on it moves the focus to the main content.
            browser.open(room.url(f"/statement/{room.ids['statement']}"))
            browser.press("Tab", 9)
            assert browser.js("document.activeElement.className") == "skip"
            assert browser.js("document.activeElement.getBoundingClientRect().left") >= 0
            assert browser.js("getComputedStyle(document.activeElement).outlineStyle") == "solid"
            browser.press("Enter", 13)
            assert browser.js("document.activeElement.id") == "main"
        finally:
            browser.close()


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_of_the_colours():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54  # WCAG's own example
    css = CSS.read_text()
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = re.search(r"contrast:(.*?)\*/", css, re.DOTALL).group(1).split()
    assert len(pairs) >= 10
    for pair in pairs:
        text, background = pair.split("/")
        ratio = contrast(colours[text], colours[background])
        # WCAG 2.1 AA for body text.
        assert ratio >= 4.5, (pair, round(ratio, 2))
    # The charts' own colours, on the white page.
    from reading.room.charts import BAR, LINE

    assert contrast(BAR, "#ffffff") >= 4.5 and contrast(LINE, "#ffffff") >= 4.5
