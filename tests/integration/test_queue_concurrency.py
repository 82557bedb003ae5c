"""Several annotator processes labelling as fast as they can: no record served twice, every label stored once."""

from __future__ import annotations

import multiprocessing

from tests.conftest import add_texts
from workbench.queue import decide, next_item
from workbench.store import Store

RECORDS, WORKERS = 160, 4


def _annotate_until_empty(db_path: str, annotator: str, out) -> None:
    served = []
    while True:
        with Store(db_path) as store:  # a store per call, as the UI opens one per rerun
            project = store.get_project("race")
            item = next_item(store, project, annotator)
            if item is None:
                break
            served.append(item.record.id)
            decide(store, project, annotator, item, "label", "pos")
    out.put((annotator, served))


def test_concurrent_annotators_never_share_a_record(tmp_path):
    db = tmp_path / "race.db"
    with Store(db) as store:
        project = store.create_project("race", "classification", ["pos", "neg"])
        add_texts(store, project, [f"text {i}" for i in range(RECORDS)])
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_annotate_until_empty, args=(str(db), f"ann{i}", out)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    served = [rid for ids in results.values() for rid in ids]
    assert len(served) == len(set(served)) == RECORDS, "a record was served to two annotators"
    with Store(db) as store:
        rows = store.query("SELECT COUNT(*) AS n, COALESCE(SUM(stale), 0) AS stale FROM annotations")[0]
        assert rows == {"n": RECORDS, "stale": 0}
        assert store.labelled_count(store.get_project("race")) == (RECORDS, RECORDS)
