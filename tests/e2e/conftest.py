"""Real-browser fixtures: a `streamlit run app.py` server on a free port and headless Debian Chromium.

Chromium is never downloaded: Playwright drives ``/usr/bin/chromium`` (``make browser``
installs it). Without it the e2e tests are skipped with that reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT = 45.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit not healthy after {timeout:.0f}s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def e2e_env(tmp_path):
    """Environment for the app under test: a DB and data dir inside ``tmp_path``, offline."""
    data = tmp_path / "data"
    data.mkdir()
    env = {
        **os.environ,
        "WORKBENCH_DB": str(tmp_path / "e2e.db"),
        "WORKBENCH_DATA": str(data),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    return env


@pytest.fixture
def start_app(tmp_path, e2e_env):
    """Return a function that starts ``streamlit run app.py`` and gives its base URL.

    The caller seeds the database first (the app opens it when a page runs).
    The server is stopped when the test ends; its log is kept in ``tmp_path``.
    """
    procs: list[subprocess.Popen] = []

    def start() -> str:
        port = _free_port()
        log = tmp_path / "streamlit.log"
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--server.runOnSave", "false", "--global.developmentMode", "false",
        ]
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=e2e_env, stdout=out, stderr=subprocess.STDOUT)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, log, SERVER_START_TIMEOUT)
        return url

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def browser_page(tmp_path):
    """A Playwright page in a fresh headless Chromium profile (Debian's binary, no download)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium (`make browser`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(20_000)
        page = context.pages[0] if context.pages else context.new_page()
        try:
            yield page
        finally:
            context.close()
