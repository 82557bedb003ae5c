"""Accounts: hashing, validation, roles and membership, sign-in with rate limits, sessions."""

from __future__ import annotations

import pytest

from workbench import accounts
from workbench.accounts.sessions import MAX_FAILURES, WINDOW_S
from workbench.accounts.users import check_serving, is_loopback, resolve_annotator
from workbench.errors import AuthError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError

PASSWORD = "s3cret-enough"


def test_the_first_account_turns_on_login_mode_and_the_hash_is_salted_argon2(store):
    assert not store.has_accounts()
    accounts.add_user(store, "alice", PASSWORD, "annotator")
    accounts.add_user(store, "bob", PASSWORD, "annotator")
    assert store.has_accounts()
    hashes = [r["password_hash"] for r in store.query("SELECT password_hash FROM users ORDER BY id")]
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salts
    raw = (store.path).read_bytes()
    assert PASSWORD.encode() not in raw


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "-lead", "schema", "local", "a,b"])
def test_bad_user_names_are_refused(store, name):
    with pytest.raises(ValidationError):
        accounts.add_user(store, name, PASSWORD, "annotator")


def test_bad_passwords_roles_and_duplicates_are_refused_and_nothing_is_written(store):
    with pytest.raises(ValidationError, match="8 to 1024"):
        accounts.add_user(store, "alice", "short", "annotator")
    with pytest.raises(ValidationError, match="role"):
        accounts.add_user(store, "alice", PASSWORD, "king")
    with pytest.raises(NotFoundError):
        accounts.add_user(store, "alice", PASSWORD, "annotator", projects=["nope"])
    assert not store.has_accounts()
    accounts.add_user(store, "alice", PASSWORD, "annotator")
    with pytest.raises(ConflictError):
        accounts.add_user(store, "ALICE", PASSWORD, "admin")


def test_login_session_logout_and_password_change(store):
    accounts.add_user(store, "alice", PASSWORD, "reviewer", display_name="Alice A.")
    user, token = accounts.login(store, "Alice", PASSWORD, "10.0.0.1")
    assert (user.username, user.role, user.display_name) == ("alice", "reviewer", "Alice A.")
    assert accounts.user_for_token(store, token) == user
    assert token not in str(store.query("SELECT * FROM sessions"))  # only its digest is stored
    accounts.logout(store, token)
    assert accounts.user_for_token(store, token) is None
    _, token = accounts.login(store, "alice", PASSWORD, "10.0.0.1")
    accounts.set_password(store, "alice", "another-pass-1")
    assert accounts.user_for_token(store, token) is None  # a new password ends sessions
    with pytest.raises(AuthError):
        accounts.login(store, "alice", PASSWORD, "10.0.0.1")
    accounts.login(store, "alice", "another-pass-1", "10.0.0.1")


def test_sessions_expire(store, monkeypatch):
    monkeypatch.setenv("WORKBENCH_SESSION_HOURS", "1")
    accounts.add_user(store, "alice", PASSWORD, "annotator")
    _, token = accounts.login(store, "alice", PASSWORD, "c", at=1000.0)
    assert accounts.user_for_token(store, token, at=1000.0 + 3599) is not None
    assert accounts.user_for_token(store, token, at=1000.0 + 3601) is None
    monkeypatch.setenv("WORKBENCH_SESSION_HOURS", "soon")
    with pytest.raises(ValidationError, match="WORKBENCH_SESSION_HOURS"):
        accounts.login(store, "alice", PASSWORD, "c")


def test_failed_logins_are_rate_limited_per_user_and_per_client(store, caplog):
    accounts.add_user(store, "alice", PASSWORD, "annotator")
    accounts.add_user(store, "bob", PASSWORD, "annotator")
    t = 5000.0
    for i in range(MAX_FAILURES):
        with pytest.raises(AuthError, match="wrong user name or password"):
            accounts.login(store, "alice", "wrong", f"client-{i}", at=t + i)
    with pytest.raises(AuthError, match="too many"):  # the right password, but the user is locked for a while
        accounts.login(store, "alice", PASSWORD, "fresh-client", at=t + 10)
    accounts.login(store, "alice", PASSWORD, "fresh-client", at=t + WINDOW_S + 5)  # the window passed
    for i in range(MAX_FAILURES):  # one client guessing many names
        with pytest.raises(AuthError):
            accounts.login(store, f"nobody{i}", "wrong", "attacker", at=t + 100 + i)
    with pytest.raises(AuthError, match="too many"):
        accounts.login(store, "bob", PASSWORD, "attacker", at=t + 110)
    assert any("failed sign-in" in r.message for r in caplog.records)


def test_disabled_accounts_cannot_sign_in_and_the_last_admin_stays(store):
    accounts.add_user(store, "root", PASSWORD, "admin")
    accounts.add_user(store, "alice", PASSWORD, "annotator")
    _, token = accounts.login(store, "alice", PASSWORD, "c")
    accounts.disable_user(store, "alice")
    assert accounts.user_for_token(store, token) is None
    with pytest.raises(AuthError):
        accounts.login(store, "alice", PASSWORD, "c2")
    with pytest.raises(ValidationError, match="last active admin"):
        accounts.disable_user(store, "root")
    accounts.disable_user(store, "alice", disabled=False)
    accounts.login(store, "alice", PASSWORD, "c3")


def test_roles_and_membership(store):
    one = store.create_project("one", "classification", ["a", "b"])
    two = store.create_project("two", "classification", ["a", "b"])
    admin = accounts.add_user(store, "root", PASSWORD, "admin")
    rev = accounts.add_user(store, "rita", PASSWORD, "reviewer", projects=["two"])
    ann = accounts.add_user(store, "alice", PASSWORD, "annotator", projects=["one"])
    assert [p.name for p in accounts.visible_projects(store, admin)] == ["one", "two"]
    assert [p.name for p in accounts.visible_projects(store, ann)] == ["one"]
    accounts.require(store, ann, "annotate", one)
    with pytest.raises(PermissionDeniedError, match="not a member"):
        accounts.require(store, ann, "annotate", two)
    for action in ("import", "schema", "export", "review", "train", "users", "settings"):
        with pytest.raises(PermissionDeniedError, match="may not"):
            accounts.require(store, ann, action, one)
    accounts.require(store, rev, "review", two)
    accounts.require(store, rev, "export", two)
    with pytest.raises(PermissionDeniedError):
        accounts.require(store, rev, "import", two)
    accounts.require(store, admin, "users")
    assert accounts.add_member(store, "two", "alice") and not accounts.add_member(store, "two", "alice")
    assert [p.name for p in accounts.visible_projects(store, ann)] == ["one", "two"]
    assert accounts.remove_member(store, "one", "alice")
    with pytest.raises(PermissionDeniedError):
        resolve_annotator(store, "alice", one)
    assert resolve_annotator(store, "ALICE", two).username == "alice"
    with pytest.raises(PermissionDeniedError, match="not an enabled account"):
        resolve_annotator(store, "mallory", two)


def test_local_mode_only_on_loopback(store):
    assert resolve_annotator(store, "anyone").local  # no accounts: any name acts as local admin
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback("192.168.1.5")
    check_serving(store, "127.0.0.1")
    with pytest.raises(PermissionDeniedError, match="user add NAME --role admin"):
        check_serving(store, "0.0.0.0")
    accounts.add_user(store, "root", PASSWORD, "admin")
    check_serving(store, "0.0.0.0")
