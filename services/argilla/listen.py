"""A webhook listener: Argilla calls it on every response event and the workbench pulls at once.

:class:`Listener` serves one loopback endpoint, registers it as an Argilla webhook for
``response.created`` / ``response.updated`` / ``response.deleted``, checks each call's signature
(Standard Webhooks, the secret Argilla returned) and applies the responses the events for the linked
dataset carry (:func:`services.argilla.pull.apply_events`: nothing is read back, so the time does not
grow with the dataset). Events that arrive while one batch is applied are applied next. A full pull
runs at start and every ``every`` seconds, so a lost call costs at most that long. The webhook is
removed again when the listener closes.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.argilla.connection import ArgillaClient, ArgillaSettings
from services.argilla.pull import PullReport, apply_events, pull
from workbench.errors import WorkbenchError

EVENTS = ("response.created", "response.updated", "response.deleted")
PATH = "/argilla-webhook"
log = logging.getLogger("workbench.argilla")


class Listener:
    """Pull ``project_name`` whenever Argilla reports a response on its dataset (see the module docstring)."""

    def __init__(self, db_path, project_name: str, settings: ArgillaSettings, *, host: str = "127.0.0.1",
                 port: int = 0, every: float = 60.0, on_pull: Callable[[PullReport], None] | None = None):
        self.db_path, self.project_name, self.settings = db_path, project_name, settings
        self.every, self.on_pull = every, on_pull
        self._dirty, self._stop = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        #: events since the last pull; None = read everything from the server (start, fallback)
        self._pending: list[dict[str, Any]] | None = None
        self._server = ThreadingHTTPServer((host, port), self._handler())
        # closing must never wait for a webhook call still being read
        self._server.daemon_threads, self._server.block_on_close = True, False
        self._thread = threading.Thread(target=self._server.serve_forever, name="argilla-webhook", daemon=True)
        self.webhook_id: str | None = None
        self._verify = None
        self.dataset_id: str | None = None
        self.events = 0

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def _handler(self):
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    event = listener._verify(body, {k.lower(): v for k, v in self.headers.items()})
                except Exception:  # a bad signature, or a call that is not from our webhook
                    self.send_response(401)
                    self.end_headers()
                    return
                self.send_response(204)
                self.end_headers()
                listener._event(event)

            def log_message(self, *args):  # quiet: one line per event would flood the terminal
                pass

        return Handler

    def _event(self, event: dict[str, Any]) -> None:
        record = (event.get("data") or {}).get("record") or {}
        dataset = (record.get("dataset") or {}).get("id")
        if event.get("type") not in EVENTS or (dataset is not None and dataset != self.dataset_id):
            return
        complete = record.get("id") and isinstance((event.get("data") or {}).get("user"), dict)
        with self._lock:
            self.events += 1
            if self._pending is not None and complete:
                self._pending.append(event)
            else:
                self._pending = None  # an event without its response: read everything
        self._dirty.set()

    def _take(self) -> list[dict[str, Any]] | None:
        """The events to apply now (None = read everything) and a fresh list for the events that follow."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def start(self) -> Listener:
        """Serve the endpoint and register it with Argilla (a webhook per listener, removed by :meth:`close`)."""
        from standardwebhooks.webhooks import Webhook

        from services.argilla.pull import linked_dataset
        from workbench.store import Store

        self._thread.start()
        with Store(self.db_path) as store, ArgillaClient(self.settings) as client:
            client.me()
            self.dataset_id = linked_dataset(store, store.get_project(self.project_name), client)["id"]
            hook = client.request("POST", "/api/v1/webhooks", json={
                "url": self.url, "events": list(EVENTS), "description": f"workbench pull of {self.project_name}"})
        self.webhook_id = hook["id"]
        self._verify = Webhook(hook["secret"]).verify
        self._dirty.set()  # catch up on what happened before the listener started
        return self

    def run(self) -> None:
        """Pull on every event (or every ``every`` seconds) until :meth:`stop`."""
        from services.argilla.sync import retrain_if_due
        from workbench.store import Store

        while not self._stop.is_set():
            woken = self._dirty.wait(self.every)
            if self._stop.is_set():
                break
            self._dirty.clear()
            events = self._take() if woken else None  # a timeout is the fallback: read everything
            try:
                with Store(self.db_path) as store:
                    project = store.get_project(self.project_name)
                    if events is not None:  # the events carry the responses: nothing to ask the server
                        report = apply_events(store, project, events)
                    else:
                        with ArgillaClient(self.settings) as client:
                            report = pull(store, project, client)
                    if report.added or report.retracted:
                        retrain_if_due(store, store.get_project(project.id))
            except WorkbenchError as exc:
                log.warning("pull of %s failed: %s", self.project_name, exc)
                continue
            if self.on_pull is not None:
                self.on_pull(report)

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()

    def close(self) -> None:
        """Stop, remove the webhook from Argilla and close the endpoint."""
        self.stop()
        if self.webhook_id is not None:
            try:
                with ArgillaClient(self.settings) as client:
                    client.request("DELETE", f"/api/v1/webhooks/{self.webhook_id}")
            except WorkbenchError as exc:
                log.warning("could not remove Argilla webhook %s: %s", self.webhook_id, exc)
            self.webhook_id = None
        self._server.shutdown()
        self._server.server_close()


def describe(report: PullReport) -> str:
    return json.dumps({k: v for k, v in report.to_dict().items() if v not in (0, [], None)})
