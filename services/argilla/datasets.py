"""Find, create and check the Argilla dataset a project is linked to."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from services.argilla import mapping
from workbench.errors import ArgillaError


@dataclass
class DatasetInfo:
    """What a push needs to know about the linked dataset."""

    id: str
    name: str
    question_id: str
    #: dimension of the ``embedding`` vector field, None when the dataset has none
    vector_dim: int | None
    #: metadata property names the dataset declares
    metadata: set[str] = field(default_factory=set)


def workspace_id(client, name: str, *, create: bool) -> str | None:
    """The id of workspace ``name`` (created when ``create`` and the key is an owner's)."""
    for ws in client.request("GET", "/api/v1/me/workspaces")["items"]:
        if ws["name"] == name:
            return ws["id"]
    if not create:
        return None
    return client.request("POST", "/api/v1/workspaces", json={"name": name})["id"]


def find_dataset(client, workspace: str, name: str) -> dict | None:
    ws_id = workspace_id(client, workspace, create=False)
    if ws_id is None:
        return None
    return next((d for d in client.request("GET", "/api/v1/me/datasets")["items"]
                 if d["name"] == name and d["workspace_id"] == ws_id), None)


def describe(client, dataset: dict, project) -> DatasetInfo:
    """Check the dataset fits ``project`` (raising :class:`ArgillaError` otherwise) and describe it."""
    did = dataset["id"]
    questions = client.request("GET", f"/api/v1/datasets/{did}/questions")["items"]
    fields = client.request("GET", f"/api/v1/datasets/{did}/fields")["items"]
    question_id = mapping.check_schema(project, dataset["name"], questions, fields)
    vectors = client.request("GET", f"/api/v1/datasets/{did}/vectors-settings")["items"]
    dim = next((v["dimensions"] for v in vectors if v["name"] == mapping.VECTOR), None)
    meta = client.request("GET", f"/api/v1/me/datasets/{did}/metadata-properties")["items"]
    return DatasetInfo(id=did, name=dataset["name"], question_id=question_id, vector_dim=dim,
                       metadata={m["name"] for m in meta})


def ensure_dataset(client, project, workspace: str, name: str, metadata: dict[str, str],
                   vector_dim: int | None) -> DatasetInfo:
    """The linked dataset, created with :func:`mapping.settings_for` when missing; metadata properties
    the project gained since are added. A dataset that does not fit raises before anything is sent."""
    dataset = find_dataset(client, workspace, name)
    if dataset is None:
        workspace_id(client, workspace, create=True)
        _create(client, project, workspace, name, metadata, vector_dim)
        dataset = find_dataset(client, workspace, name)
        if dataset is None:
            raise ArgillaError(f"Argilla dataset {name!r} was created but is not listed on {client.url}")
    info = describe(client, dataset, project)
    if vector_dim and info.vector_dim not in (None, vector_dim):
        raise ArgillaError(f"Argilla dataset {name!r} holds {info.vector_dim}-dimensional vectors but the project's "
                           f"encoder gives {vector_dim}; push with --no-vectors or link another dataset name")
    for prop, kind in metadata.items():
        if prop not in info.metadata:
            client.request("POST", f"/api/v1/datasets/{info.id}/metadata-properties",
                           json={"name": prop, "title": prop, "settings": {"type": kind}, "visible_for_annotators": True})
            info.metadata.add(prop)
    if vector_dim and info.vector_dim is None:
        client.request("POST", f"/api/v1/datasets/{info.id}/vectors-settings",
                       json={"name": mapping.VECTOR, "title": mapping.VECTOR, "dimensions": vector_dim})
        info.vector_dim = vector_dim
    return info


def _create(client, project, workspace: str, name: str, metadata: dict[str, str], vector_dim: int | None) -> None:
    import argilla as rg

    previous = rg.Argilla._default_client
    try:
        # the SDK client makes itself the process-wide default, which Settings() picks up: restored below
        sdk = client.sdk()
        settings = mapping.settings_for(project, metadata, vector_dim)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rg.Dataset(name=name, workspace=workspace, settings=settings, client=sdk).create()
    except ArgillaError:
        raise
    except Exception as exc:  # the SDK's own errors: report them as ours, with the server named
        raise ArgillaError(f"could not create Argilla dataset {name!r} on {client.url}: {exc}") from exc
    finally:
        rg.Argilla._default_client = previous
