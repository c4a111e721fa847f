"""The monitor's pages in a real headless Chromium (Debian's ``chromium`` + ``chromium-driver``).

The browser must be there: in CI (``CI=true``) a missing browser fails these tests instead of
skipping them; ``.ci/run`` installs it. Screenshots go to each test's tmp folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.durable.apps import linear_application
from tests.ui.conftest import Metalus, Server, finished_run, fork_application, start_running, wait_for

CHROMIUM = os.environ.get("METALUS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("METALUS_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")


def _browser_or_skip() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p) and not os.path.exists(p)]
    if missing:
        reason = f"headless Chromium is not installed ({', '.join(missing)}): apt-get install chromium chromium-driver"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium driven by Selenium through Debian's chromedriver."""
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}",
                     "--window-size=1400,1100"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def until(driver: Any, script: str, what: str, timeout: float = 30.0) -> Any:
    """Wait until the JavaScript expression ``script`` is truthy in the page."""
    return wait_for(lambda: driver.execute_script("return " + script), what, timeout=timeout)


def test_runs_page_lists_runs_and_filters_by_status(
    sqlite_metalus: Metalus, serve: Callable[..., Server], browser: Any, tmp_path: Path
) -> None:
    assert finished_run(sqlite_metalus, fork_application(), "listed").returncode == 0
    failing = linear_application("ui_fail", "A", "B", fail_step="B")
    assert finished_run(sqlite_metalus, failing, "failed-one", "--failFlag", "true").returncode == 1
    server = serve(sqlite_metalus)
    browser.get(server.base + "/")
    until(browser, "document.querySelectorAll('#runs tbody tr').length === 2", "two runs listed")
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#runs tbody tr')].map(r => [r.dataset.run, r.cells[2].innerText])")
    assert rows == [["failed-one", "FAILED"], ["listed", "COMPLETE"]]
    shot(browser, tmp_path, "runs")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "status-filter")).select_by_visible_text("COMPLETE")
    until(browser, "document.querySelectorAll('#runs tbody tr').length === 1", "the filtered list")
    assert browser.execute_script("return document.querySelector('#runs tbody tr').dataset.run") == "listed"
    assert "status=COMPLETE" in browser.current_url


def test_run_page_draws_one_node_per_execution_and_follows_the_store(
    metalus: Metalus, serve: Callable[..., Server], browser: Any, tmp_path: Path
) -> None:
    assert finished_run(metalus, fork_application(), "drawn").returncode == 0
    failing = linear_application("ui_fail", "A", "B", "C", fail_step="B")
    assert finished_run(metalus, failing, "errs", "--failFlag", "true").returncode == 1
    server = serve(metalus)
    browser.get(server.base + "/runs/drawn")
    until(browser, "document.querySelectorAll('#graph g.execution').length > 0", "the graph")
    nodes = browser.execute_script("return [...document.querySelectorAll('#graph g.execution')].map(g => g.dataset.id)")
    assert sorted(nodes) == ["FORK", "JOIN", "LATE", "ROOT"]  # the fork drawn once
    until(browser, "document.querySelector('#graph g[data-id=FORK]').dataset.status === 'COMPLETE'", "colours")
    assert "3 complete" in browser.execute_script("return document.querySelector('#graph g[data-id=FORK]').textContent")
    until(browser, "document.querySelectorAll('#events tbody tr').length > 0", "the events")
    assert browser.execute_script("return document.querySelectorAll('#steps tbody tr').length") == 7  # R1, R2, F1 x3, J1, L1
    assert browser.execute_script("return document.querySelectorAll('#timeline .tl-bar').length") > 6
    shot(browser, tmp_path, "run-complete")

    # A status change recorded in the store by someone else shows in the open page.
    store = metalus.store()
    store.record_execution(run_id="drawn", execution_key="LATE", execution_id="LATE", status="ERROR",
                           reason="changed behind the page's back")
    until(browser, "document.querySelector('#graph g[data-id=LATE]').dataset.status === 'ERROR'",
          "the page to show the new status", timeout=5)
    # (the page polls every 0.5 s: the wait above has a generous safety limit, not a timing check)

    browser.get(server.base + "/runs/errs")
    until(browser, "document.querySelectorAll('#events tbody tr').length > 5 && "
                   "document.querySelector('#run-status').textContent === 'FAILED'", "the failed run's events")
    total = browser.execute_script("return document.querySelectorAll('#events tbody tr').length")
    browser.find_element("id", "errors-only").click()
    visible = browser.execute_script(
        "return [...document.querySelectorAll('#events tbody tr')].filter(r => r.offsetParent !== null)"
        ".map(r => r.dataset.kind)")
    assert 0 < len(visible) < total
    assert "step_exception" in visible and "step_started" not in visible
    error_cell = browser.execute_script("return document.querySelector('#steps tr[data-step=\"E.P.B\"]').innerText")
    assert "failing on purpose" in error_cell
    shot(browser, tmp_path, "run-errors-only")


def test_kill_button_kills_a_running_run(
    metalus: Metalus, serve: Callable[..., Server], browser: Any, tmp_path: Path
) -> None:
    server = serve(metalus)
    proc = start_running(metalus, linear_application("ui_kill", *[f"S{i}" for i in range(60)]), "to-kill",
                         "--sleepMs", "250")
    try:
        browser.get(server.base + "/runs/to-kill")
        until(browser, "document.querySelector('#run-status').textContent === 'RUNNING' && "
                       "!document.getElementById('kill').disabled", "the running run")
        until(browser, "document.querySelectorAll('#graph g.execution[data-status=RUNNING]').length === 1",
              "the running execution")
        shot(browser, tmp_path, "run-running")
        browser.find_element("id", "kill").click()
        browser.switch_to.alert.accept()
        assert proc.wait(timeout=60) == 4
        until(browser, "document.querySelector('#run-status').textContent === 'KILLED'", "the page to show KILLED")
        record = metalus.store().get_run(run_id="to-kill")
        assert record is not None and str(record.status) == "KILLED"
        shot(browser, tmp_path, "run-killed")
    finally:
        if proc.poll() is None:
            proc.kill()
