"""Where the Argilla server is, and one HTTP client that turns every failure into a clear :class:`ArgillaError`.

Settings come, first found wins, from explicit arguments (``--url`` / ``--api-key``), the SDK's own
environment variables ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY``, and the settings file the Argilla page
saves beside the database (``<db>.argilla.json``, readable by its owner only). The key is never
printed in full (:func:`masked`).

The sync uses the REST API directly for records and responses: the SDK's record objects drop
response ids and timestamps, which the incremental pull needs. The SDK builds and checks dataset
settings (:mod:`services.argilla.mapping`).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from workbench.config import ConfigMixin
from workbench.errors import ArgillaError, ValidationError

#: connecting gives up after this many seconds (an unreachable server fails fast)
CONNECT_TIMEOUT_S = 5.0
#: a request (a 500-record upsert, a 1000-record search page) may take this long
READ_TIMEOUT_S = 120.0
DEFAULT_WORKSPACE = "workbench"
#: roles whose key may search every record and create datasets (annotator keys get 403 on search)
SYNC_ROLES = ("owner", "admin")


@dataclass
class ArgillaSettings(ConfigMixin):
    """Where the server is and which key and workspace the sync uses."""

    url: str = ""
    api_key: str = ""
    workspace: str = DEFAULT_WORKSPACE

    def __post_init__(self) -> None:
        self.url = (self.url or "").strip().rstrip("/")
        self.api_key = (self.api_key or "").strip()
        self.workspace = (self.workspace or "").strip() or DEFAULT_WORKSPACE

    def check(self) -> ArgillaSettings:
        if not self.url:
            raise ValidationError("no Argilla server set: pass --url, set ARGILLA_API_URL, or save one on the Argilla "
                                  "page (`make argilla` starts a local server and prints both lines)")
        parsed = urlparse(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValidationError(f"Argilla URL {self.url!r} must look like http://host:port")
        if not self.api_key:
            raise ValidationError(f"no API key for the Argilla server at {self.url}: pass --api-key, set "
                                  "ARGILLA_API_KEY, or save one on the Argilla page")
        return self


def masked(key: str) -> str:
    """A key as it may be shown: its first 4 and last 2 characters."""
    return "" if not key else (key[:4] + "…" + key[-2:] if len(key) > 8 else "…")


def settings_file(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".argilla.json")


def saved_settings(db_path: str | Path) -> ArgillaSettings:
    """The settings file's contents (empty settings when there is none)."""
    path = settings_file(db_path)
    if not path.exists():
        return ArgillaSettings()
    try:
        return ArgillaSettings.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{path}: not a valid Argilla settings file ({exc}); delete it and save the "
                              "connection again") from exc


def save_settings(db_path: str | Path, settings: ArgillaSettings) -> Path:
    """Write the settings file (mode 600, replaced atomically)."""
    settings.check()
    path = settings_file(db_path)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(settings.to_dict(), handle)
    os.replace(tmp, path)
    return path


def resolve_settings(db_path: str | Path | None = None, *, url: str | None = None, api_key: str | None = None,
                     workspace: str | None = None) -> ArgillaSettings:
    """Arguments, then ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY``, then the settings file; checked."""
    saved = saved_settings(db_path) if db_path is not None else ArgillaSettings()
    return ArgillaSettings(
        url=url or os.environ.get("ARGILLA_API_URL") or saved.url,
        api_key=api_key or os.environ.get("ARGILLA_API_KEY") or saved.api_key,
        workspace=workspace or saved.workspace,
    ).check()


class ArgillaClient:
    """REST calls with the sync key; every failure is an :class:`ArgillaError` naming the URL.

    A 5xx answer is retried once on a fresh connection: after a 500 the server resets the next request
    on the same kept-alive connection.
    """

    def __init__(self, settings: ArgillaSettings):
        import httpx

        self.settings = settings.check()
        self.url = self.settings.url
        self._httpx = httpx
        self._http = self._new_http()

    def _new_http(self):
        return self._httpx.Client(
            base_url=self.url, headers={"X-Argilla-Api-Key": self.settings.api_key},
            timeout=self._httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ArgillaClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201), **kwargs: Any) -> Any:
        """One call; returns the decoded JSON body (None when empty)."""
        httpx = self._httpx
        for attempt in (1, 2):
            try:
                resp = self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise ArgillaError(f"cannot reach the Argilla server at {self.url} ({type(exc).__name__}); is it "
                                   "running? `make argilla` starts a local one; check --url / ARGILLA_API_URL") from exc
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt == 1:
                    self._reconnect()
                    continue
                raise ArgillaError(f"the Argilla server at {self.url} dropped the connection ({exc})") from exc
            except httpx.TimeoutException as exc:
                raise ArgillaError(f"the Argilla server at {self.url} did not answer {method} {path} within "
                                   f"{READ_TIMEOUT_S:.0f} s") from exc
            if resp.status_code >= 500 and attempt == 1:
                self._reconnect()
                time.sleep(0.2)
                continue
            return self._decode(resp, method, path, ok)
        raise AssertionError("unreachable")

    def _reconnect(self) -> None:
        self._http.close()
        self._http = self._new_http()

    def _decode(self, resp, method: str, path: str, ok: tuple[int, ...]) -> Any:
        if resp.status_code == 401:
            raise ArgillaError(f"the Argilla server at {self.url} refused the API key {masked(self.settings.api_key)}; "
                               "use an owner or admin key (--api-key / ARGILLA_API_KEY)")
        if resp.status_code == 403:
            raise ArgillaError(f"the Argilla key {masked(self.settings.api_key)} may not {method} {path} on "
                               f"{self.url}; the sync needs an owner or admin key")
        if resp.status_code not in ok:
            raise ArgillaError(f"the Argilla server at {self.url} answered {resp.status_code} to {method} {path}: "
                               f"{_detail(resp)}")
        return resp.json() if resp.content else None

    def me(self) -> dict[str, Any]:
        """The key's user; raises unless it may sync (owner or admin)."""
        me = self.request("GET", "/api/v1/me")
        if me.get("role") not in SYNC_ROLES:
            raise ArgillaError(f"the Argilla user {me.get('username')!r} is an {me.get('role')}; the sync needs an "
                               f"owner or admin key on {self.url}")
        return me

    def sdk(self):
        """The ``argilla`` SDK client on the same server and key (for dataset settings)."""
        import argilla as rg

        return rg.Argilla(api_url=self.url, api_key=self.settings.api_key, timeout=int(READ_TIMEOUT_S), retries=1)


def _detail(resp) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return json.dumps(detail, ensure_ascii=False)[:300]


def checked(settings: ArgillaSettings) -> ArgillaClient:
    """A client that was checked: the server answers, the key is accepted and is an owner's or admin's."""
    client = ArgillaClient(settings)
    try:
        client.me()
    except BaseException:
        client.close()
        raise
    return client


def connect(db_path: str | Path | None = None, **overrides: Any) -> ArgillaClient:
    """A checked client for the resolved settings (:func:`resolve_settings`)."""
    return checked(resolve_settings(db_path, **overrides))
