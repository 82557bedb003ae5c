"""ARCHITECTURE.md's rules, enforced: layers import only downward, heavy imports stay lazy,
SQL lives in the store, files and functions stay small.

Layers, top to bottom: interfaces (``app.py``, ``pages/``, ``workbench/api/``,
``workbench/__main__.py``) > ``services/`` > core (the rest of ``workbench/``).
``benchmarks/`` sits outside the product: it may import any layer, none imports it.
Every import counts, function-level and relative ones included.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
INTERFACE_PARTS = (("workbench", "api"), ("workbench", "__main__.py"))


def _sources(*tops: str) -> list[Path]:
    out = []
    for top in tops:
        path = ROOT / top
        out += [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
    return out


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere (relative imports resolved to absolute names)."""
    package = _module(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names |= {f"{module}.{a.name}" for a in node.names}
    return names


def _is_interface(path: Path) -> bool:
    rel = path.relative_to(ROOT).parts
    return any(rel[:len(p)] == p for p in INTERFACE_PARTS)


def _hits(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imported_modules(path) if any(m == f or m.startswith(f + ".") for f in forbidden))


LAYERS = {
    "core": (lambda p: p.is_relative_to(ROOT / "workbench") and not _is_interface(p),
             ("services", "pages", "streamlit", "benchmarks", "workbench.api", "app")),
    "services": (lambda p: p.is_relative_to(ROOT / "services"),
                 ("pages", "streamlit", "benchmarks", "workbench.api", "app")),
    "cli and API facade": (_is_interface, ("pages", "streamlit", "benchmarks", "app")),
    "pages": (lambda p: p.is_relative_to(ROOT / "pages") or p.name == "app.py", ("benchmarks",)),
}


@pytest.mark.parametrize("layer", list(LAYERS))
def test_layers_import_only_downward(layer):
    belongs, forbidden = LAYERS[layer]
    offenders = [f"{p.relative_to(ROOT)}: {', '.join(_hits(p, forbidden))}"
                 for p in _sources("workbench", "services", "pages", "app.py") if belongs(p) and _hits(p, forbidden)]
    assert not offenders, f"{layer} imports a layer above it:\n" + "\n".join(offenders)


def test_the_layer_rule_sees_function_level_and_relative_imports(tmp_path):
    bad = ROOT / "workbench" / "_layer_probe.py"
    bad.write_text("def f():\n    from services import training\n    from .api import cli\n", encoding="utf-8")
    try:
        assert _hits(bad, LAYERS["core"][1]) == ["services", "services.training", "workbench.api", "workbench.api.cli"]
    finally:
        bad.unlink()


@pytest.mark.parametrize("package", ["workbench", "services"])
def test_importing_a_package_never_imports_streamlit_or_torch(package):
    modules = [_module(p) for p in _sources(package) if p.name != "__main__.py"]
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in ('streamlit', 'torch', 'transformers', 'setfit') if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing {package} pulled in: {out.stdout.strip()}"


_SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                  r"CREATE\s+(TABLE|INDEX|VIRTUAL|TRIGGER)|ATTACH\s+DATABASE|PRAGMA\s)")
_DB_CALLS = {"execute", "executemany", "executescript"}


def sql_outside_store(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
            found.append(f"line {node.lineno}: SQL string {node.value[:40]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _DB_CALLS:
            found.append(f"line {node.lineno}: .{node.func.attr}(")
    return found


def test_no_sql_outside_the_store():
    offenders = [f"{p.relative_to(ROOT)} {hit}" for p in _sources("workbench", "services", "pages", "app.py",
                                                                     "benchmarks")
                 if not p.is_relative_to(ROOT / "workbench" / "store") for hit in sql_outside_store(p)]
    assert not offenders, "SQL belongs in workbench/store:\n" + "\n".join(offenders)


MAX_FILE_LINES, MAX_FUNCTION_LINES = 400, 60


def test_files_and_functions_stay_small():
    offenders = []
    for p in _sources("workbench", "services", "pages", "app.py", "benchmarks"):
        src = p.read_text(encoding="utf-8")
        if src.count("\n") > MAX_FILE_LINES and p.name != "migrations.py":
            offenders.append(f"{p.relative_to(ROOT)}: {src.count(chr(10))} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and p.name != "migrations.py":
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    offenders.append(f"{p.relative_to(ROOT)}:{node.lineno} {node.name}() {length} lines")
    assert not offenders, "split these:\n" + "\n".join(offenders)


_KEY_LITERAL = re.compile(r"""\bkey\s*=\s*f?["']|session_state\s*\[\s*f?["']|session_state\.(get|setdefault|pop)\(\s*f?["']""")


def test_session_state_keys_are_named_in_the_state_module():
    offenders = [f"{p.relative_to(ROOT)}:{i}: {line.strip()[:80]}"
                 for p in _sources("pages", "app.py") if p.name != "state.py"
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if _KEY_LITERAL.search(line)]
    assert not offenders, "name these keys in pages/ui/state.py:\n" + "\n".join(offenders)
