"""`streamlit run app.py` serves: the health endpoint answers and the page loads."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (localhost only)
        return response.status, response.read().decode("utf-8", "replace")


def test_streamlit_serves_the_app(tmp_path):
    port = _free_port()
    env = {**os.environ, "WORKBENCH_DB": str(tmp_path / "served.db"), "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],  # no --server.address: the default must be loopback
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, health = time.time() + 60, None
        while time.time() < deadline and health is None:
            try:
                health = _get(f"http://127.0.0.1:{port}/_stcore/health")
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.3)
        assert health == (200, "ok")
        listening = {c.laddr.ip for c in psutil.Process(server.pid).net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN}
        assert listening and listening <= {"127.0.0.1", "::1"}, listening
        status, html = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and "<div id=\"root\">" in html
    finally:
        server.terminate()
        server.wait(timeout=20)
