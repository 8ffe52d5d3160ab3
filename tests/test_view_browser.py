"""``pkosim view`` in a real browser: the command is started on a free local port (a subprocess, stopped at the end)
and headless Chromium drives the page (tests/browser.py). What the page shows is checked against a replay of the
same scenarios and seed in this process (test_view_replay.py checks that replay against the model)."""

from __future__ import annotations

import csv
import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from browser import MISSING, chromium
from pkosim.view.replay import Replay
from sim.scenario import load_scenario
from view_fixtures import ROOT, SEED, write_quarter_scenarios

pytestmark = [pytest.mark.slow, pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]

START_SECONDS = 90     # the server prints its address once it listens (a loaded CI machine is slow to import)
WAIT_MS = 30_000       # the page's answer to a click


@dataclass
class Server:
    """``pkosim view ARGS --port 0`` in a subprocess, and what it printed."""

    process: subprocess.Popen
    lines: queue.Queue = field(default_factory=queue.Queue)
    output: list[str] = field(default_factory=list)
    url: str = ""

    @classmethod
    def start(cls, *args: str) -> "Server":
        process = subprocess.Popen([sys.executable, "-m", "pkosim.cli", "view", *args, "--port", "0"], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        server = cls(process)
        threading.Thread(target=server._read, daemon=True).start()
        return server

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_until_serving(self) -> "Server":
        deadline = time.monotonic() + START_SECONDS
        while not self.url and time.monotonic() < deadline and self.process.poll() is None:
            try:
                found = re.search(r"serving (http://\S+)", self.lines.get(timeout=0.5))
            except queue.Empty:
                continue
            self.url = found.group(1) if found else ""
        assert self.url, f"pkosim view did not start: {''.join(self.output)}"
        return self

    @property
    def port(self) -> int:
        return int(self.url.rstrip("/").rsplit(":", 1)[1])

    def stop(self) -> int:
        """SIGTERM (as Ctrl-C would), then kill if it does not stop; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_quarter_scenarios(tmp_path_factory.mktemp("view_browser"))


@pytest.fixture(scope="module")
def replay(files):
    """The pair in this process: what the browser should show."""
    pair = Replay([load_scenario(path) for path in files], seed=SEED)
    pair.ensure(pair.n_days - 1)
    return pair


@pytest.fixture(scope="module")
def browser():
    with chromium() as context:
        yield context


@pytest.fixture(scope="module")
def servers(files):
    """One run and the pair, started side by side (each takes seconds to import and build its models)."""
    started = {"single": Server.start(str(files[0]), "--seed", str(SEED)),
               "paired": Server.start(str(files[0]), "--compare", str(files[1]), "--seed", str(SEED))}
    try:
        yield {name: server.wait_until_serving() for name, server in started.items()}
    finally:
        for server in started.values():
            server.stop()


class Page:
    """A tab on the view, recording console errors and what the websocket brought."""

    def __init__(self, context, url: str):
        self.errors: list[str] = []
        self.received: list[int] = []
        self.page = context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("websocket", lambda ws: ws.on("framereceived", lambda data: self.received.append(len(data))))
        self.page.goto(url)
        self.page.wait_for_selector("circle.pk-camp", timeout=60_000)

    def day(self) -> int:
        return int(self.page.get_attribute(".pk-map", "data-day"))

    def wait_for_day(self, day: int) -> None:
        """Until every map and the page's own date show ``day``."""
        self.page.wait_for_function(
            f"[...document.querySelectorAll('.pk-map')].every(m => m.dataset.day === '{day}')"
            " && document.querySelector('.pk-date').innerText === document.querySelector('.pk-map-date').textContent"
            f" && document.querySelector('.pk-clock').dataset.day === '{day}'", timeout=WAIT_MS)

    def step(self) -> int:
        day = self.day()
        self.page.click(".pk-step")
        self.wait_for_day(day + 1)
        return day + 1

    def convoys(self) -> dict[str, tuple[float, float]]:
        return {c.get_attribute("data-convoy"): (float(c.get_attribute("data-x")), float(c.get_attribute("data-y")))
                for c in self.page.query_selector_all(".pk-map >> nth=0 >> rect.pk-convoy")}

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def page(browser, servers):
    tab = Page(browser, servers["single"].url)
    yield tab
    tab.close()


def test_the_page_loads_without_console_errors(page):
    page.page.wait_for_selector(".pk-chart", timeout=WAIT_MS)
    assert page.errors == []


def test_the_map_draws_every_open_camp_where_camps_csv_puts_it(page):
    projection = json.loads(page.page.get_attribute("svg.pk-svg", "data-projection"))
    drawn = {c.get_attribute("data-camp"): (float(c.get_attribute("cx")), float(c.get_attribute("cy")))
             for c in page.page.query_selector_all("circle.pk-camp")}
    with open(ROOT / "sim" / "theatres" / "mali" / "camps.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["opened"] <= "2014-01-01" <= row["closed"]]
    expected = {row["camp"]: ((float(row["lon"]) - projection["lon0"]) * projection["kx"],
                              (projection["lat0"] - float(row["lat"])) * projection["ky"]) for row in rows}
    assert sorted(drawn) == sorted(expected)
    for name, (x, y) in expected.items():
        assert drawn[name] == pytest.approx((x, y), abs=0.05), name


def test_stepping_advances_the_date_by_a_day_and_moves_a_convoy(page, replay):
    first = date.fromisoformat(page.page.inner_text(".pk-date"))
    moving = next(d for d in range(replay.n_days - 1) for c in replay.frame(d).convoys
                  if any(n["id"] == c["id"] and (n["x"], n["y"]) != (c["x"], c["y"]) for n in replay.frame(d + 1).convoys))
    for _ in range(moving):
        page.step()
    before = page.convoys()
    page.step()
    after = page.convoys()
    assert date.fromisoformat(page.page.inner_text(".pk-date")) == first + timedelta(days=moving + 1)
    assert any(after.get(number) not in (None, where) for number, where in before.items())
    assert page.errors == []


def test_a_step_sends_only_what_changed_not_the_map_again(page, replay):
    page.step()
    page.page.wait_for_timeout(500)
    page.received.clear()
    page.step()
    page.page.wait_for_timeout(500)
    assert 0 < sum(page.received) < len(json.dumps(replay.runs[0].layer))


def test_clicking_an_incident_shows_its_details(page, replay):
    day, incident = next((d, i) for d in range(replay.n_days) for i in replay.frame(d).incidents
                         if " from " in i["evacuation"])
    for _ in range(day):
        page.step()
    page.page.click(f".pk-map >> nth=0 >> circle.pk-incident[data-incident='{incident['id']}']")
    details = page.page.wait_for_selector(".pk-details", timeout=WAIT_MS).inner_text()
    assert incident["date"] in details
    assert incident["place"] in details
    assert incident["contingent"] in details
    assert f"{incident['killed']} killed, {incident['wounded']} wounded" in details
    assert f"{incident['time_to_surgery_minutes']} min" in details
    assert f"by air: {incident['evacuation']}" in details
    assert page.errors == []


def test_compare_shows_two_maps_whose_difference_in_deaths_changes_after_an_incident(browser, servers, replay):
    first_difference = next(d for d in range(replay.n_days) if replay.deaths_difference(d) != 0)
    tab = Page(browser, servers["paired"].url)
    try:
        titles = [t.inner_text() for t in tab.page.query_selector_all(".pk-map-title")]
        counter = tab.page.query_selector(".pk-diff")
        assert titles == ["quarter", "deadlier"]
        assert counter.get_attribute("data-value") == "0"
        tab.page.click(".pk-speed >> text=3 days")
        tab.page.click(".pk-play")
        tab.page.wait_for_function("document.querySelector('.pk-diff').dataset.value !== '0'", timeout=WAIT_MS)
        tab.page.click(".pk-play")
        tab.page.wait_for_timeout(300)
        shown = tab.day()
        tab.wait_for_day(shown)
        assert shown >= first_difference
        assert counter.get_attribute("data-value") == str(replay.deaths_difference(shown))
        assert tab.errors == []
    finally:
        tab.close()


def test_the_server_stops_cleanly_on_sigterm(servers):
    """Last in this file: it stops the server the other tests used."""
    server = servers["single"]
    assert server.stop() == 0
    assert "pkosim view: stopped" in "".join(server.output)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
