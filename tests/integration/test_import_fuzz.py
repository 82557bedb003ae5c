"""Property-based import fuzzing (bounded, seeded): any file either imports or fails with the project's own
error, and a failed import writes nothing."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import WorkbenchError
from workbench.io import import_file
from workbench.store import Store

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=12)
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _import(suffix: str, content: bytes, task: str, labels: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(content)
        with Store(Path(tmp) / "fuzz.db") as store:
            try:
                import_file(store, "fuzz", path, task=task, labels=labels)
            except WorkbenchError:
                project = store.find_project("fuzz")
                assert project is None or store.count_records(project.id) == 0, "a failed import wrote rows"


@FUZZ
@given(rows=st.lists(st.dictionaries(st.sampled_from(["text", "label", "labels", "spans", "id", "split", "meta"]),
                                     JSON_VALUES, max_size=6), min_size=1, max_size=5),
       task=st.sampled_from(["classification", "multilabel", "ner"]))
def test_jsonl_rows_of_any_json(rows, task):
    _import(".jsonl", "".join(json.dumps(r) + "\n" for r in rows).encode(), task, ["a", "b"])


@FUZZ
@given(content=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".conll", ".parquet"]))
def test_arbitrary_bytes_in_every_format(content, suffix):
    _import(suffix, content, "ner" if suffix == ".conll" else "classification", ["a", "b"])


@FUZZ
@given(text=st.text(min_size=1, max_size=30),
       spans=st.lists(st.fixed_dictionaries({"start": JSON_SCALARS, "end": JSON_SCALARS, "label": JSON_SCALARS}),
                      max_size=3))
def test_span_lists_of_any_shape(text, spans):
    _import(".jsonl", (json.dumps({"text": text, "spans": spans}) + "\n").encode(), "ner", ["a", "b"])
