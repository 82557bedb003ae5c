"""Several annotator processes labelling as fast as they can: no record served twice, every label stored once.

The workers are separate interpreters started with subprocess, independent of whatever this test
process has loaded (torch changes how multiprocessing pickles).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import add_texts
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[2]
RECORDS, WORKERS = 160, 4
WORKER = """
import json, sys
from workbench.queue import decide, next_item
from workbench.store import Store
db, annotator, out = sys.argv[1:4]
served = []
while True:
    with Store(db) as store:  # a store per call, as the UI opens one per rerun
        project = store.get_project("race")
        item = next_item(store, project, annotator)
        if item is None:
            break
        served.append(item.record.id)
        decide(store, project, annotator, item, "label", "pos")
open(out, "w").write(json.dumps(served))
"""


def test_concurrent_annotators_never_share_a_record(tmp_path):
    db = tmp_path / "race.db"
    with Store(db) as store:
        project = store.create_project("race", "classification", ["pos", "neg"])
        add_texts(store, project, [f"text {i}" for i in range(RECORDS)])
    outs = [tmp_path / f"ann{i}.json" for i in range(WORKERS)]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), f"ann{i}", str(out)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for i, out in enumerate(outs)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    served = [rid for out in outs for rid in json.loads(out.read_text())]
    assert len(served) == len(set(served)) == RECORDS, "a record was served to two annotators"
    with Store(db) as store:
        rows = store.query("SELECT COUNT(*) AS n, COALESCE(SUM(stale), 0) AS stale FROM annotations")[0]
        assert rows == {"n": RECORDS, "stale": 0}
        assert store.labelled_count(store.get_project("race")) == (RECORDS, RECORDS)
