"""``python -m workbench argilla ...`` against the real server; bad input exits 2 with one clear line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from services.argilla import server as local
from tests.conftest import add_texts
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.argilla, pytest.mark.slow]


def _cli(db, *args, env=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "workbench", "--db", str(db), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.db"
    with Store(path) as s:
        p = s.create_project(f"cli-{uuid.uuid4().hex[:6]}", "classification", ["a", "b"])
        add_texts(s, p, ["first text", "second text", "third text"])
    return path


def _name(db) -> str:
    with Store(db) as s:
        return s.list_projects()[0].name


def _env(server) -> dict[str, str]:
    return {"ARGILLA_API_URL": server.url, "ARGILLA_API_KEY": server.api_key}


def test_link_push_pull_status_from_a_shell(db, argilla_server, argilla_people):
    name, env = _name(db), _env(argilla_server)
    assert _cli(db, "argilla", "link", name, env=env).returncode == 0
    pushed = _cli(db, "argilla", "push", name, "--no-vectors", "--json", env=env)
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout)["pushed"] == 3
    with Store(db) as s:
        first = s.list_projects()[0]
        rid = s.pushed_ids(first)[0]
    argilla_people.respond("ann1", name, str(rid), "b")
    pulled = _cli(db, "argilla", "pull", name, env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert "1 labels" in pulled.stdout
    status = json.loads(_cli(db, "argilla", "status", name, "--json", env=env).stdout)
    assert status["counts"] == {"pushed": 3, "responded": 1, "pending": 2, "responses": 1}
    assert status["server"]["key"] != argilla_server.api_key and status["server"]["progress"]["total"] == 3
    text = _cli(db, "argilla", "status", name, env=env).stdout
    assert "pushed 3, responded 1, pending 2" in text and argilla_server.api_key not in text


@pytest.mark.parametrize("args, message", [
    (["argilla", "push", "nope"], "no project named 'nope'"),
    (["argilla", "push", "{name}"], "is not linked to Argilla"),
    (["argilla", "link", "{name}", "--url", "not a url"], "must look like http://host:port"),
    (["argilla", "link", "{name}", "--api-key", "bad-key-0000"], "refused the API key"),
])
def test_bad_input_exits_2_with_one_line(db, argilla_server, args, message):
    args = [a.replace("{name}", _name(db)) for a in args]
    done = _cli(db, *args, env=_env(argilla_server))
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_unreachable_server_fails_within_5_s_naming_the_url(db):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    done = _cli(db, "argilla", "link", _name(db), env={"ARGILLA_API_URL": url, "ARGILLA_API_KEY": "k" * 12})
    assert done.returncode == 2 and f"cannot reach the Argilla server at {url}" in done.stderr


def test_serve_prints_the_sdk_variables_and_stop_ends_exactly_its_processes(db, tmp_path, argilla_server):
    data, port = tmp_path / "argilla-data", local.free_port()
    served = _cli(db, "argilla", "serve", "--data", str(data), "--port", str(port), timeout=300)
    assert served.returncode == 0, served.stderr
    lines = dict(line.split("=", 1) for line in served.stdout.strip().splitlines())
    assert lines["ARGILLA_API_URL"] == f"http://127.0.0.1:{port}" and lines["ARGILLA_API_KEY"].startswith("wb.")
    pids = {name: int((data / f"{name}.pid").read_text()) for name in local.PROCESSES}
    again = _cli(db, "argilla", "serve", "--data", str(data), "--port", str(port))
    assert again.stdout == served.stdout  # already running: the same server and key
    stopped = _cli(db, "argilla", "stop", "--data", str(data))
    assert stopped.returncode == 0 and "stopped worker, server, noida" in stopped.stdout
    assert not any(local.alive(pid) for pid in pids.values())
    assert local.running(instance=data) is None
    assert _answers(argilla_server)  # the test run's own server was not touched


def _answers(server) -> bool:
    import httpx

    return httpx.get(server.url + "/api/v1/me", headers={"X-Argilla-Api-Key": server.api_key}).status_code == 200


def test_listen_pulls_each_response_as_it_arrives_until_ctrl_c(db, argilla_server, argilla_people):
    import signal
    import time

    name, env = _name(db), _env(argilla_server)
    assert _cli(db, "argilla", "link", name, env=env).returncode == 0
    assert _cli(db, "argilla", "push", name, "--no-vectors", env=env).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "--db", str(db), "argilla", "listen", name],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})
    try:
        assert "listening on http://127.0.0.1:" in proc.stdout.readline()
        with Store(db) as s:
            rid = s.pushed_ids(s.list_projects()[0])[1]
        argilla_people.respond("ann2", name, str(rid), "a")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Store(db) as s:
                if s.get_record(rid).label == "a":
                    break
            time.sleep(0.1)
        with Store(db) as s:
            assert s.get_record(rid).label == "a"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "the webhook was removed" in out
