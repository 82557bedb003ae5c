"""A real Argilla server for the tests that need one (marked ``argilla``), started once per test run.

The venv comes from ``make argilla-venv`` (or is made here on first use); the server's data lives in a
temporary folder and every process it started is stopped when the run ends.
"""

from __future__ import annotations

import httpx
import pytest

from services.argilla import server as local

PASSWORD = "annotator-pass-1"


@pytest.fixture(scope="session")
def argilla_server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("argilla-instance")
    found = local.start(instance=instance, port=local.free_port(), echo=lambda _m: None)
    try:
        yield found
    finally:
        local.stop(instance=instance)


class ArgillaPeople:
    """Annotator accounts on the test server and their own REST clients (bearer tokens)."""

    def __init__(self, server):
        self.server = server
        self.owner = httpx.Client(base_url=server.url, headers={"X-Argilla-Api-Key": server.api_key}, timeout=30)
        self.clients: dict[str, httpx.Client] = {}

    def add(self, username: str) -> httpx.Client:
        if username in self.clients:
            return self.clients[username]
        user = self.owner.post("/api/v1/users", json={"username": username, "password": PASSWORD,
                                                     "first_name": username, "role": "annotator"})
        assert user.status_code == 201, user.text
        ws = next(w for w in self.owner.get("/api/v1/me/workspaces").json()["items"] if w["name"] == local.WORKSPACE)
        added = self.owner.post(f"/api/v1/workspaces/{ws['id']}/users", json={"user_id": user.json()["id"]})
        assert added.status_code == 201, added.text
        token = httpx.post(self.server.url + "/api/v1/token", data={"username": username, "password": PASSWORD})
        assert token.status_code == 201, token.text
        client = httpx.Client(base_url=self.server.url, timeout=30,
                              headers={"Authorization": "Bearer " + token.json()["access_token"]})
        self.clients[username] = client
        return client

    def dataset_id(self, name: str) -> str:
        return next(d["id"] for d in self.owner.get("/api/v1/me/datasets").json()["items"] if d["name"] == name)

    def records(self, dataset: str, include=("responses", "suggestions")) -> dict[str, dict]:
        """external id -> record (with responses and suggestions) of a dataset."""
        page = self.owner.post(f"/api/v1/datasets/{self.dataset_id(dataset)}/records/search",
                               params={"limit": 1000, "include": list(include)}, json={})
        assert page.status_code == 200, page.text
        return {it["record"]["external_id"]: it["record"] for it in page.json()["items"]}

    def respond(self, username: str, dataset: str, external_id: str, value, status: str = "submitted") -> dict:
        record = self.records(dataset, include=())[str(external_id)]
        values = {} if value is None else {"label": {"value": value}}
        resp = self.add(username).post(f"/api/v1/records/{record['id']}/responses",
                                       json={"values": values, "status": status})
        assert resp.status_code == 201, resp.text
        return resp.json()


@pytest.fixture(scope="session")
def argilla_people(argilla_server):
    people = ArgillaPeople(argilla_server)
    yield people
    for client in people.clients.values():
        client.close()
    people.owner.close()


@pytest.fixture
def argilla_env(argilla_server, monkeypatch):
    """ARGILLA_API_URL / ARGILLA_API_KEY set as `make argilla` prints them."""
    monkeypatch.setenv("ARGILLA_API_URL", argilla_server.url)
    monkeypatch.setenv("ARGILLA_API_KEY", argilla_server.api_key)
    return argilla_server
