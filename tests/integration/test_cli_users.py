"""``python -m workbench user|member|check-serving``: accounts from a shell; bad input exits 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workbench.store import Store

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def _cli(db, *args, stdin: str = ""):
    return subprocess.run([sys.executable, "-m", "workbench", "--db", str(db), *args], input=stdin, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.db"
    with Store(path) as s:
        s.create_project("p", "classification", ["a", "b"])
    return path


def test_user_lifecycle(db):
    done = _cli(db, "user", "add", "alice", "--role", "annotator", "--projects", "p", "--password-stdin",
                stdin="pass-word-1\n")
    assert done.returncode == 0 and "sign-in is now required" in done.stdout
    listed = json.loads(_cli(db, "user", "list", "--json").stdout)
    assert listed == [{"username": "alice", "display_name": "alice", "role": "annotator", "disabled": False,
                       "projects": ["p"], "created_at": listed[0]["created_at"]}]
    assert _cli(db, "member", "remove", "p", "alice").returncode == 0
    assert _cli(db, "member", "add", "p", "alice").returncode == 0
    assert _cli(db, "user", "passwd", "alice", "--password-stdin", stdin="new-pass-22\n").returncode == 0
    assert _cli(db, "user", "disable", "alice").returncode == 0
    assert json.loads(_cli(db, "user", "list", "--json").stdout)[0]["disabled"] is True
    with Store(db) as s:
        hashed = s.one("SELECT password_hash FROM users")["password_hash"]
    assert "new-pass-22" not in hashed and hashed.startswith("$argon2id$")


@pytest.mark.parametrize("args,stdin,needle", [
    (("user", "add", "bad name", "--role", "admin", "--password-stdin"), "pass-word-1\n", "not valid"),
    (("user", "add", "bob", "--role", "king"), "", "invalid choice"),
    (("user", "add", "bob", "--role", "admin", "--password-stdin"), "short\n", "8 to 1024"),
    (("user", "add", "bob", "--role", "admin", "--password-stdin"), "", "no password"),
    (("user", "add", "bob", "--role", "admin", "--projects", "nope", "--password-stdin"), "pass-word-1\n", "nope"),
    (("user", "add", "bob", "--role", "admin"), "", "--password-stdin"),  # no terminal to prompt on
    (("user", "disable", "zed"), "", "no user named 'zed'"),
    (("user", "passwd", "zed", "--password-stdin"), "pass-word-1\n", "no user named 'zed'"),
    (("member", "add", "nope", "zed"), "", "no project named 'nope'"),
    (("check-serving", "0.0.0.0"), "", "user add NAME --role admin"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(db, args, stdin, needle):
    done = _cli(db, *args, stdin=stdin)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and needle in done.stderr, done.stderr
    with Store(db) as s:
        assert not s.has_accounts()


def test_check_serving_passes_on_loopback_or_with_accounts(db):
    assert _cli(db, "check-serving", "127.0.0.1").returncode == 0
    _cli(db, "user", "add", "root", "--role", "admin", "--password-stdin", stdin="pass-word-1\n")
    assert _cli(db, "check-serving", "0.0.0.0").returncode == 0
