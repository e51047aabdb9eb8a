"""The README's fault-matrix table is what scripts/fault_matrix.py prints from tests/faults."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fault_matrix", ROOT / "scripts" / "fault_matrix.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_generated_from_the_tests() -> None:
    script = _script()
    section = script.readme_section((ROOT / "README.md").read_text(encoding="utf-8"))
    assert section is not None, "README.md lacks the fault-matrix markers"
    assert section == script.table(), "README.md's fault matrix is stale: run python scripts/fault_matrix.py --write"


def test_every_class_is_described_and_named_once() -> None:
    rows = _script().matrix_rows()
    names = [name for _, name, _ in rows]
    assert len(names) == len(set(names)), "two tests in tests/faults share a name"
    assert len(rows) >= 60
    for group, name, text in rows:
        if group in ("ingest", "held", "recommendations"):
            assert not text.startswith("(no description"), f"{name} has no docstring"


def test_the_table_follows_the_tests(tmp_path: Path) -> None:
    script = _script()
    (tmp_path / "test_matrix_demo.py").write_text(
        'def test_documented():\n    """A thing comes in: staged.\n\n    More detail."""\n\n\n'
        "def test_commented():\n    # Only a comment: quarantined.\n    pass\n\n\n"
        "def test_bare():\n    pass\n\n\ndef helper():\n    pass\n")
    rows = script.matrix_rows(tmp_path)
    assert rows == [("demo", "test_documented", "A thing comes in: staged."),
                    ("demo", "test_commented", "Only a comment: quarantined."),
                    ("demo", "test_bare", "(no description yet: add a docstring to the test)")]
    assert "| `test_documented` | demo | A thing comes in: staged. |" in script.table(tmp_path)
