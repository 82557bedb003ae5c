"""A real Argilla server on loopback, in its own virtual environment (``make argilla``).

The server pins pydantic and httpx versions that clash with the project's, so it gets a venv of its own
under ``.argilla/venv`` (gitignored; ``$WORKBENCH_ARGILLA_HOME`` moves it). ``noida-db`` emulates the
Elasticsearch and Redis it needs. :func:`start` runs noida, the server and its webhook worker as
detached processes and writes their pid files; :func:`stop` ends exactly those. The owner's API key is
made once per instance and kept, readable by its owner only, in ``owner.json``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import ArgillaError

PINS = ("argilla-server==2.8.0", "click<8.2", "noida-db==0.2.3")
DEFAULT_PORT = 6900
OWNER = "owner"
WORKSPACE = "workbench"
READY_TIMEOUT_S = 90.0
PROCESSES = ("noida", "server", "worker")


def home_dir(home: str | Path | None = None) -> Path:
    root = Path(__file__).resolve().parents[2]
    return Path(home or os.environ.get("WORKBENCH_ARGILLA_HOME") or root / ".argilla").resolve()


def venv_python(home: Path) -> Path:
    return home / "venv" / "bin" / "python"


def install(home: str | Path | None = None, *, echo=print) -> Path:
    """Create the server's venv with :data:`PINS` (once; a stamp file records the pins); return its python."""
    home = home_dir(home)
    python, stamp = venv_python(home), home / "venv" / ".installed"
    if stamp.exists() and stamp.read_text() == "\n".join(PINS):
        return python
    echo(f"setting up the Argilla server venv in {home / 'venv'} ({', '.join(PINS)})")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(home / "venv")], check=True)
    for args in (["--upgrade", "pip"], list(PINS)):
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise ArgillaError(f"pip install {' '.join(args)} failed in {home / 'venv'}: {done.stderr.strip()[-500:]}")
    noida_binary(home).chmod(0o755)
    stamp.write_text("\n".join(PINS))
    return python


def noida_binary(home: Path) -> Path:
    found = sorted((home / "venv" / "lib").glob("python*/site-packages/noida_db/noida-db"))
    if not found:
        raise ArgillaError(f"noida-db is not installed in {home / 'venv'}; run `make argilla` again")
    return found[0]


@dataclass
class LocalServer:
    url: str
    api_key: str
    workspace: str
    home: Path

    def env_lines(self) -> str:
        """The lines ``make argilla`` prints: the SDK's own variables, read by every ``argilla`` command."""
        return f"ARGILLA_API_URL={self.url}\nARGILLA_API_KEY={self.api_key}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie, killed but not reaped yet, does not count)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _state(instance: Path) -> dict:
    path = instance / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _owner_key(instance: Path) -> str:
    path = instance / "owner.json"
    if path.exists():
        return json.loads(path.read_text())["api_key"]
    key = "wb." + secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"username": OWNER, "api_key": key, "password": secrets.token_urlsafe(12)}, handle)
    return key


def _env(instance: Path, es_port: int, redis_port: int) -> dict[str, str]:
    return {**os.environ, "ARGILLA_HOME_PATH": str(instance / "home"),
            "ARGILLA_DATABASE_URL": f"sqlite+aiosqlite:///{instance / 'argilla.db'}?check_same_thread=False",
            "ARGILLA_SEARCH_ENGINE": "elasticsearch", "ARGILLA_ELASTICSEARCH": f"http://127.0.0.1:{es_port}",
            "ARGILLA_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "HF_HUB_OFFLINE": "1"}


def _spawn(name: str, cmd: list[str], instance: Path, env: dict[str, str]) -> int:
    log = open(instance / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it open
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                            cwd=instance, start_new_session=True)
    (instance / f"{name}.pid").write_text(str(proc.pid))
    return proc.pid


def _wait(what: str, ready, instance: Path, log: str, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            tail = (instance / log).read_text(errors="replace")[-800:] if (instance / log).exists() else ""
            raise ArgillaError(f"{what} did not start within {timeout:.0f} s; see {instance / log}:\n{tail}")
        time.sleep(0.3)


def instance_dir(home: str | Path | None = None, instance: str | Path | None = None) -> Path:
    """Where one server keeps its database, search data, logs, pid files and owner key."""
    return Path(instance).resolve() if instance else home_dir(home) / "server"


def running(home: str | Path | None = None, instance: str | Path | None = None) -> LocalServer | None:
    """The instance when all its processes are alive and its port answers."""
    home, instance = home_dir(home), instance_dir(home, instance)
    state = _state(instance)
    pids = [instance / f"{name}.pid" for name in PROCESSES]
    if not state or not all(p.exists() and alive(int(p.read_text())) for p in pids):
        return None
    if not _port_open(state["port"]):
        return None
    return LocalServer(url=f"http://127.0.0.1:{state['port']}", api_key=_owner_key(instance), workspace=WORKSPACE,
                       home=home)


def start(home: str | Path | None = None, *, instance: str | Path | None = None, port: int = DEFAULT_PORT,
          fresh: bool = False, echo=print) -> LocalServer:
    """Start (or find running) a local server; ``fresh`` wipes its database and search data together first.

    ``home`` holds the venv (:func:`install`); ``instance`` (default ``home/server``) the server's data.
    """
    home, instance = home_dir(home), instance_dir(home, instance)
    if fresh:
        stop(home, instance)
        shutil.rmtree(instance, ignore_errors=True)
    found = running(home, instance)
    if found is not None:
        return found
    stop(home, instance)  # leftovers of a half-dead instance
    python = install(home, echo=echo)
    (instance / "home").mkdir(parents=True, exist_ok=True)
    if _port_open(port):
        raise ArgillaError(f"port {port} on 127.0.0.1 is taken; pass --port to use another")
    es_port, redis_port = free_port(), free_port()
    env = _env(instance, es_port, redis_port)
    key = _owner_key(instance)
    _spawn("noida", [str(noida_binary(home)), "start", "--data-dir", str(instance / "noida"), "--host", "127.0.0.1",
                     "--only", "elasticsearch,redis", "--elasticsearch-port", str(es_port),
                     "--redis-port", str(redis_port)], instance, env)
    _wait("noida-db", lambda: _port_open(es_port) and _port_open(redis_port), instance, "noida.log")
    _first_time(python, instance, env, key)
    _spawn("server", [str(python), "-m", "argilla_server", "start", "--host", "127.0.0.1", "--port", str(port)],
           instance, env)
    _spawn("worker", [str(python), "-m", "argilla_server", "worker", "--num-workers", "1"], instance, env)
    (instance / "state.json").write_text(json.dumps({"port": port, "es_port": es_port, "redis_port": redis_port}))
    _wait("the Argilla server", lambda: _port_open(port), instance, "server.log")
    server = LocalServer(url=f"http://127.0.0.1:{port}", api_key=key, workspace=WORKSPACE, home=home)
    _wait("the Argilla API", lambda: _answers(server), instance, "server.log")
    return server


def _answers(server: LocalServer) -> bool:
    import httpx

    try:
        return httpx.get(server.url + "/api/v1/me", headers={"X-Argilla-Api-Key": server.api_key},
                         timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _first_time(python: Path, instance: Path, env: dict[str, str], key: str) -> None:
    """Migrate the server database and create the owner, once per instance."""
    stamp = instance / ".owner-created"
    if stamp.exists():
        return
    owner = json.loads((instance / "owner.json").read_text())
    for args in (["database", "migrate"],
                 ["database", "users", "create", "--first-name", "Workbench", "--username", OWNER, "--password",
                  owner["password"], "--role", "owner", "--api-key", key, "--workspace", WORKSPACE]):
        done = subprocess.run([str(python), "-m", "argilla_server", *args], env=env, cwd=instance,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise ArgillaError(f"argilla_server {args[0]} {args[1]} failed: {(done.stdout + done.stderr)[-600:]}")
    stamp.write_text("")


def stop(home: str | Path | None = None, instance: str | Path | None = None, *, timeout: float = 10.0) -> list[str]:
    """Stop the processes :func:`start` wrote pid files for (whole process groups); return their names."""
    instance = instance_dir(home, instance)
    stopped = []
    for name in reversed(PROCESSES):
        pid_file = instance / f"{name}.pid"
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text())
        if alive(pid):
            _signal_group(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while alive(pid) and time.monotonic() < deadline:
                _reap(pid)
                time.sleep(0.1)
            if alive(pid):
                _signal_group(pid, signal.SIGKILL)
            stopped.append(name)
        pid_file.unlink()
    return stopped


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # start_new_session made each child a group leader: its workers go too
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
