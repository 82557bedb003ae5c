"""DESIGN.md import rules: core and services stay light; layers point one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", ["workbench", "services"])
def test_importing_package_does_not_import_streamlit_or_torch(package):
    modules = [package]
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        if "ui" in parts or parts[-1] == "__main__":
            continue  # workbench.ui is the one place allowed to import streamlit
        modules.append(".".join(parts))
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in ('streamlit', 'torch', 'transformers', 'setfit') if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing {package} pulled in: {out.stdout.strip()}"


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer,forbidden", [
    ("workbench", {"pages", "services"}),
    ("services", {"pages", "streamlit"}),
])
def test_layers_point_one_way(layer, forbidden):
    offenders = []
    for path in (ROOT / layer).rglob("*.py"):
        rel = path.relative_to(ROOT)
        bad = _imports(path) & forbidden
        if layer == "workbench" and "ui" in rel.parts:
            bad -= {"services"}  # ui loaders may call services
        if layer == "workbench" and "cli" in rel.parts:
            # the CLI is a boundary like the UI: it may call services, but only
            # from inside its handlers, so `import workbench.cli` stays light
            bad = (bad - {"services"}) | (_imports(path, top_level_only=True) & forbidden)
        if bad:
            offenders.append(f"{rel}: {sorted(bad)}")
    assert not offenders, "layer rule broken:\n" + "\n".join(offenders)
