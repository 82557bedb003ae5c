"""Project management: rename, archive, duplicate the settings, and delete after an automatic backup.

The backup is a zip a person can read and re-import: ``records.jsonl`` (every record: id, text, reference
label, current human label, status, metadata; ``import`` takes it as it is), ``annotations.jsonl``
(the whole decision history), ``comments.jsonl`` and ``project.json`` (schema, guidelines, settings).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

from workbench.config import models_dir_for
from workbench.errors import ValidationError
from workbench.io.bundle import file_stem
from workbench.store import Project
from workbench.store.base import now

BATCH = 2000


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def backup_bytes(store, project: Project) -> bytes:
    """The whole project as a zip (see the module docstring), built from the store alone."""
    refs = store.reference_labels(project.id)
    records, shown_id = [], {}
    for rec in store.iter_records(project.id, batch=BATCH):
        shown_id[rec.id] = rec.external_id or rec.uid
        records.append({"id": shown_id[rec.id], "text": rec.text, "label": refs.get(rec.id),
                        "human_label": rec.label, "status": rec.status, "split": rec.split, **{
                            f"meta_{k}" if k in ("id", "text", "label") else k: v for k, v in rec.meta.items()}})
    # the history and the comments in one query each, not one per record
    annotations = [{"record": shown_id[a.record_id], "annotator": a.annotator, "kind": a.kind, "value": a.value,
                    "created_at": a.created_at, "source": a.source, "stale": a.stale, "id": a.id,
                    "target_id": a.target_id} for a in store.project_history(project)]
    comments = [{"record": shown_id[c["record_id"]], **{k: v for k, v in c.items() if k != "record_id"}}
                for c in store.project_comments(project)]
    meta = {"name": project.name, "task": project.task, "labels": project.labels, "guidelines": project.guidelines,
            "settings": project.settings.to_dict(), "created_at": project.created_at, "backed_up_at": now()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.json", json.dumps(meta, indent=2, ensure_ascii=False))
        zf.writestr("records.jsonl", _jsonl(records))
        zf.writestr("annotations.jsonl", _jsonl(annotations))
        zf.writestr("comments.jsonl", _jsonl(comments))
    return buffer.getvalue()


def backup_dir_for(db: str | Path) -> Path:
    """Where deletion backups of a database go: ``<db>.backups`` beside it."""
    db = Path(db)
    return db.with_name(db.name + ".backups")


def delete_project(store, project: Project, confirm: str) -> Path:
    """Back the project up (:func:`backup_bytes`) and then delete it; return the backup's path.

    Parameters
    ----------
    confirm : the project's name typed again; anything else refuses and deletes nothing.
    """
    if confirm.strip() != project.name:
        raise ValidationError(f"to delete project {project.name!r}, type its name exactly to confirm")
    folder = backup_dir_for(store.path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{file_stem(project.name)}-{now()[:19].replace(':', '')}.zip"
    partial = path.with_suffix(".zip.part")
    partial.write_bytes(backup_bytes(store, project))
    partial.replace(path)  # the backup is whole before anything is deleted
    store.delete_project(project)
    shutil.rmtree(models_dir_for(store.path) / str(project.id), ignore_errors=True)
    return path


def duplicate_settings(store, project: Project, new_name: str) -> Project:
    """A new, empty project with this one's task, labels, guidelines and settings."""
    return store.create_project(new_name, project.task, project.labels, project.guidelines, project.settings)
