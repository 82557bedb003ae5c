"""``python -m workbench explore``: the cluster table from a shell; bad input exits 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import add_texts
from tests.unit.services.explore.test_explore import TOPICS, planted
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _cli(db, *args):
    return subprocess.run([sys.executable, "-m", "workbench", "--db", str(db), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_explore_builds_once_prints_clusters_and_queues_representatives(tmp_path):
    db = tmp_path / "x.db"
    with Store(db) as s:
        project = s.create_project("topics", "classification", list(TOPICS))
        add_texts(s, project, planted()[0])
    first = _cli(db, "explore", "topics", "--json", "--queue-representatives")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert sum(c["size"] for c in out["clusters"]) == 90 and out["queued"] >= 3
    words = {w for c in out["clusters"] for w in c["keywords"]}
    assert all(words & set(vocab) for vocab in TOPICS.values())
    table = _cli(db, "explore", "topics")
    assert table.returncode == 0 and "keywords" in table.stdout.splitlines()[0]
    assert "[" not in table.stderr  # the map was up to date: no progress line, nothing recomputed
    with Store(db) as s:
        assert s.latest_map(s.get_project("topics"))["id"] == out["map"]["id"]


def test_unknown_project_exits_2(tmp_path):
    done = _cli(tmp_path / "y.db", "explore", "nope")
    assert done.returncode == 2 and "no project named 'nope'" in done.stderr and "Traceback" not in done.stderr
