"""The dataclasses' methods compiled into the asset (arrears.dataclass_code): a cold start
runs the stored code instead of compiling the source ``dataclasses`` writes, and gets the
same classes."""

from __future__ import annotations

import dataclasses
import importlib
import marshal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from arrears import dataclass_code

from infra import assets
from tests.support.fresh_interpreter import FUNCTIONS, modules_imported_by

MODULE_SOURCE = """
from __future__ import annotations
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class Rung:
    day: int
    channels: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
"""


@pytest.fixture
def a_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "rungs_for_test.py").write_text(MODULE_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "rungs_for_test"
    sys.modules.pop("rungs_for_test", None)


def test_recorded_code_is_what_compiling_the_source_gives(a_module: str) -> None:
    # when a module's dataclass is created with recording on
    with dataclass_code.recording() as recorded:
        module = importlib.import_module(a_module)
    # then each method's source is stored with the code compiling it gives
    codes = recorded[a_module]
    assert len(codes) >= 5  # __init__, __repr__, __eq__, __hash__, __setattr__, __delattr__
    for source, code in codes.items():
        assert code == compile(source, "<string>", "exec", dont_inherit=True)
    # and dataclasses compiles as before once recording ends
    assert "exec" not in vars(dataclasses)
    rung = module.Rung(day=3)
    assert rung == module.Rung(day=3, channels=(), notes=[])
    with pytest.raises(dataclasses.FrozenInstanceError):
        rung.day = 4  # type: ignore[misc]


def test_a_checkout_has_no_code_file() -> None:
    # only assets carry it: one left in the source tree would run stale methods
    assert not dataclass_code.CODE_FILE.exists(), f"remove {dataclass_code.CODE_FILE}"
    assert "exec" not in vars(dataclasses)


def test_a_file_written_by_another_python_is_ignored(tmp_path: Path) -> None:
    target = tmp_path / "code.marshal"
    target.write_bytes(b"arrears-dataclass-code-1\nnot this interpreter\n" + marshal.dumps({}))
    assert dataclass_code.install(target) is False
    assert "exec" not in vars(dataclasses)


def test_the_package_modules_are_named_parents_first() -> None:
    names = dataclass_code.package_modules(FUNCTIONS / "arrears")
    assert names[0] == "arrears"
    assert names.index("arrears.domain") < names.index("arrears.domain.case")
    assert "arrears.domain.compliance.pack" in names


def test_the_escalation_handlers_import_without_compiling_the_packages_methods(
    tmp_path: Path,
) -> None:
    # given the file an asset build writes (by this interpreter, from the source tree)
    target = tmp_path / "dataclass-code.marshal"
    assets.write_dataclass_code(sys.executable, FUNCTIONS, target)
    # when a fresh interpreter installs it and imports the escalation handlers
    script = f"""
import dataclasses, json, sys
from pathlib import Path
from arrears import dataclass_code
assert dataclass_code.install(Path({str(target)!r}))
for module in ("assess", "contact", "delinquency", "record", "letter", "delivery"):
    __import__("arrears.handlers." + module)
from arrears.domain.case import CaseRecord
from arrears.domain.policy import load_policy
from tests.support.cases import a_case
case = a_case()
assert case == dataclasses.replace(case) and case != dataclasses.replace(case, cycle=2)
assert repr(case).startswith("CaseRecord(case_id=")
try:
    case.cycle = 2
except dataclasses.FrozenInstanceError:
    pass
else:
    raise AssertionError("a frozen case took an assignment")
assert load_policy().version
missed = sorted(str(module) for module in dataclass_code.missed)
print(json.dumps(["stored: " + str(dataclass_code.stored)] + missed))
"""
    printed = modules_imported_by(script)
    # then every method of the package's classes came from the file, none was compiled
    stored = next(line for line in printed if line.startswith("stored: "))
    assert int(stored.split(": ")[1]) > 300
    assert {module for module in printed - {stored} if module.startswith("arrears")} == set()
