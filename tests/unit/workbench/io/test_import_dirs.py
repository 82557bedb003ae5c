"""Server-path confinement: resolved paths inside data/ or $WORKBENCH_IMPORT_DIRS only."""

from __future__ import annotations

import pytest

from workbench import config
from workbench.errors import ValidationError
from workbench.io.import_dirs import confine_to_import_dirs, import_dirs


def test_data_folder_and_configured_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_IMPORT_DIRS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert import_dirs() == [config.DATA_DIR.resolve(), (tmp_path / "a").resolve(), (tmp_path / "b").resolve()]
    assert confine_to_import_dirs(tmp_path / "b" / "x.csv") == (tmp_path / "b" / "x.csv").resolve()
    assert confine_to_import_dirs("samples/rotten_tomatoes.csv") == (config.DATA_DIR / "samples/rotten_tomatoes.csv").resolve()


@pytest.mark.parametrize("path", ["/etc/passwd", "../../etc/passwd", "samples/../../Makefile"])
def test_escapes_are_refused(path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_IMPORT_DIRS", raising=False)
    with pytest.raises(ValidationError, match="inside the import folders"):
        confine_to_import_dirs(path)
