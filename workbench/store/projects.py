"""Projects: create, look up, settings and per-project counts."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.config import ProjectSettings
from workbench.errors import ConflictError, NotFoundError, ValidationError
from workbench.store.base import dumps, loads, now
from workbench.types import check_labels, check_task

MAX_NAME_LEN = 100


@dataclass
class Project:
    """A labelling project. ``labels`` is the ordered schema (probability column order)."""

    id: int
    name: str
    task: str
    labels: list[str]
    guidelines: str = ""
    settings: ProjectSettings = field(default_factory=ProjectSettings)
    active_model_version: int | None = None
    created_at: str = ""
    #: when the project was archived (hidden from the sidebar and queues, kept whole); None = in use
    archived_at: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Project:
        return cls(
            id=row["id"], name=row["name"], task=row["task"], labels=loads(row["labels"]),
            guidelines=row["guidelines"], settings=ProjectSettings.from_dict(loads(row["settings"])),
            active_model_version=row["active_model_version"], created_at=row["created_at"],
            archived_at=row.get("archived_at"),
        )


def check_project_name(name: str) -> str:
    if not isinstance(name, str):
        raise ValidationError(f"project name must be text, got {type(name).__name__}")
    name = name.strip()
    if not name:
        raise ValidationError("project name must not be empty")
    bad = next((i for i, ch in enumerate(name) if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")), None)
    if bad is not None:
        raise ValidationError(f"project name must be one line of visible text; character {bad + 1} is "
                              f"U+{ord(name[bad]):04X} ({unicodedata.name(name[bad], 'a control character')})")
    if len(name) > MAX_NAME_LEN:
        raise ValidationError(f"project name is longer than {MAX_NAME_LEN} characters")
    return name


class ProjectsMixin:
    def create_project(
        self, name: str, task: str, labels: Sequence[str], guidelines: str = "",
        settings: ProjectSettings | None = None,
    ) -> Project:
        """Create a project; raise :class:`ConflictError` if the name is taken."""
        name = check_project_name(name)
        check_task(task)
        labels = check_labels(labels)
        settings = settings or ProjectSettings.for_task(task)
        with self.atomic():
            if self.scalar("SELECT 1 FROM projects WHERE name = ?", (name,)):
                raise ConflictError(f"a project named {name!r} already exists; pick another name")
            self.execute(
                "INSERT INTO projects (name, task, labels, guidelines, settings, created_at) VALUES (?,?,?,?,?,?)",
                (name, task, dumps(labels), guidelines or "", dumps(settings.to_dict()), now()),
            )
        return self.get_project(name)

    def get_project(self, name_or_id: str | int) -> Project:
        """Look a project up by name (or integer id)."""
        if isinstance(name_or_id, int):
            row = self.one("SELECT * FROM projects WHERE id = ?", (name_or_id,))
        else:
            row = self.one("SELECT * FROM projects WHERE name = ?", (name_or_id,))
        if row is None:
            names = [r["name"] for r in self.query("SELECT name FROM projects ORDER BY name")]
            hint = f"existing projects: {', '.join(names)}" if names else "there are no projects yet"
            raise NotFoundError(f"no project named {name_or_id!r}; {hint}")
        return Project.from_row(row)

    def find_project(self, name: str) -> Project | None:
        try:
            return self.get_project(name)
        except NotFoundError:
            return None

    def list_projects(self) -> list[Project]:
        return [Project.from_row(r) for r in self.query("SELECT * FROM projects ORDER BY id")]

    def rename_project(self, project: Project, new_name: str) -> Project:
        """Give a project another (free) name; everything else stays."""
        name = check_project_name(new_name)
        with self.atomic():
            if self.scalar("SELECT 1 FROM projects WHERE name = ? AND id <> ?", (name, project.id)):
                raise ConflictError(f"a project named {name!r} already exists; pick another name")
            self.execute("UPDATE projects SET name = ? WHERE id = ?", (name, project.id))
        return self.get_project(project.id)

    def set_archived(self, project: Project, archived: bool) -> Project:
        """Archive (hide from the sidebar and the queues, keep every row) or bring a project back."""
        with self.atomic():
            self.execute("UPDATE projects SET archived_at = ? WHERE id = ?", (now() if archived else None, project.id))
        return self.get_project(project.id)

    def delete_project(self, project: Project) -> None:
        """Delete a project and every row that belongs to it (records, annotations, models, audits, jobs...)."""
        with self.atomic():
            self.execute("DELETE FROM projects WHERE id = ?", (project.id,))

    def update_project(
        self, project: Project, *, guidelines: str | None = None, settings: ProjectSettings | None = None,
        labels: Sequence[str] | None = None,
    ) -> Project:
        """Change guidelines, settings or the label list (schema edits that rewrite
        annotations live in :mod:`workbench.schema`)."""
        with self.atomic():
            if guidelines is not None:
                self.execute("UPDATE projects SET guidelines = ? WHERE id = ?", (guidelines, project.id))
            if settings is not None:
                self.execute("UPDATE projects SET settings = ? WHERE id = ?", (dumps(settings.to_dict()), project.id))
            if labels is not None:
                self.execute("UPDATE projects SET labels = ? WHERE id = ?", (dumps(check_labels(labels)), project.id))
        return self.get_project(project.id)

    def project_counts(self, project: Project) -> dict[str, int]:
        """Record and annotation counts of one project (indexed, no per-label scan).

        Returns
        -------
        dict
            ``records``, ``annotated`` (records with a current human label),
            ``skipped``, ``excluded``, ``reference`` (records with a reference
            label) and ``annotations`` (rows).
        """
        pid = project.id
        counts = self.one(
            "SELECT COUNT(*) AS records,"
            " COALESCE(SUM(status = 'labelled'), 0) AS annotated,"
            " COALESCE(SUM(status = 'skipped'), 0) AS skipped,"
            " COALESCE(SUM(excluded), 0) AS excluded"
            " FROM records WHERE project_id = ?", (pid,),
        )
        counts["reference"] = self.scalar("SELECT COUNT(*) FROM reference_labels WHERE project_id = ?", (pid,))
        counts["annotations"] = self.scalar("SELECT COUNT(*) FROM annotations WHERE project_id = ?", (pid,))
        return counts

    def project_stats(self, project: Project) -> dict[str, Any]:
        """:meth:`project_counts` plus ``per_label`` (current human labels per label
        name, schema order) and ``reference_per_label``; these scan every label."""
        stats: dict[str, Any] = self.project_counts(project)
        stats["per_label"] = self._label_counts(project, "SELECT label AS value FROM records WHERE project_id = ? AND status = 'labelled'")
        stats["reference_per_label"] = self._label_counts(project, "SELECT value FROM reference_labels WHERE project_id = ?")
        return stats

    def _label_counts(self, project: Project, sql: str) -> dict[str, int]:
        per = {label: 0 for label in project.labels}
        if project.task == "classification":
            grouped = f"SELECT value, COUNT(*) AS n FROM ({sql}) GROUP BY value"
            for row in self.query(grouped, (project.id,)):
                name = loads(row["value"])
                per[name] = per.get(name, 0) + row["n"]
            return per
        # multilabel lists and NER span lists: count every label occurrence
        items = f"SELECT je.value AS v FROM ({sql}) AS t, json_each(t.value) AS je"
        if project.task == "ner":
            items = f"SELECT json_extract(je.value, '$.label') AS v FROM ({sql}) AS t, json_each(t.value) AS je"
        for row in self.query(f"SELECT v, COUNT(*) AS n FROM ({items}) GROUP BY v", (project.id,)):
            per[row["v"]] = per.get(row["v"], 0) + row["n"]
        return per
