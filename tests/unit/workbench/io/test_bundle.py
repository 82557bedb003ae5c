"""The Export page's bundle: counts before writing, the file or zip read back, the card inside the zip."""

from __future__ import annotations

import io
import json
import zipfile

from workbench.io import import_file
from workbench.io.bundle import export_bundle, preview_counts


def test_preview_counts_match_the_export_and_write_nothing(store, clf_project, tmp_path):
    project, ids = clf_project
    store.annotate(project, ids[0], "alice", "label", "neg")
    preview = preview_counts(store, project, "curated")
    assert preview.rows == 4 and preview.per_label == {"pos": 1, "neg": 2, "neutral": 1}
    calls = []
    bundle = export_bundle(store, project, format="jsonl", source="curated", progress=lambda f, m: calls.append((f, m)))
    assert bundle.file_name == "reviews.jsonl" and bundle.report.per_label == preview.per_label
    rows = [json.loads(line) for line in bundle.data.decode().splitlines()]
    assert [r["label"] for r in rows] == ["neg", "neg", "neutral", "pos"]
    assert calls[-1] == (1.0, "Writing row 4 of 4")
    with zipfile.ZipFile(io.BytesIO(bundle.zip_data)) as zf:
        assert sorted(zf.namelist()) == ["reviews/README.md", "reviews/data.jsonl"]
        assert zf.read("reviews/README.md").decode() == bundle.card
    # the download round-trips through import
    path = tmp_path / bundle.file_name
    path.write_bytes(bundle.data)
    report = import_file(store, "copy", str(path), task="classification", labels=project.labels)
    copy = store.get_project("copy")
    assert report.inserted == 4
    assert sorted(store.reference_labels(copy.id).values()) == ["neg", "neg", "neutral", "pos"]


def test_split_and_hf_exports_are_zips(store, clf_project):
    project, _ = clf_project
    split = export_bundle(store, project, format="csv", source="reference", split=0.5, seed=1)
    assert split.file_name == "reviews-csv.zip" and split.data == split.zip_data
    with zipfile.ZipFile(io.BytesIO(split.data)) as zf:
        assert sorted(zf.namelist()) == ["reviews/README.md", "reviews/test.csv", "reviews/train.csv"]
    assert sum(split.report.per_split.values()) == 4
    hf = export_bundle(store, project, format="hf", source="reference")
    with zipfile.ZipFile(io.BytesIO(hf.data)) as zf:
        assert "reviews/dataset_dict.json" in zf.namelist()
