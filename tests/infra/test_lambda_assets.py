"""The built Lambda assets: only what each handler imports, compiled for the runtime's Python.

The assets are built once per session from PyPI (pip's download and the compiled dependencies
are cached under build/, so only the first run on a machine downloads anything). Building
needs a CPython 3.12 (infra/assets.py says where it is looked for); CI must have one.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from arrears import topology

from infra import assets

MB = 1024 * 1024
NON_PDF_ZIPPED_LIMIT = 15 * MB
PDF_STACK = {"fpdf", "fontTools", "uharfbuzz", "defusedxml", "PIL"}
NEVER_SHIPPED = {"cryptography", "aws_encryption_sdk", "jsonpath_ng", "boto3", "botocore", "PIL"}
HANDLER_MODULES = sorted({spec.handler.rsplit(".", 1)[0] for spec in topology.FUNCTIONS})


@dataclass(frozen=True)
class BuiltAsset:
    kind: assets.AssetKind
    root: Path

    def top_level(self) -> set[str]:
        return {entry.name for entry in self.root.iterdir()}

    def files(self) -> list[Path]:
        return [path for path in self.root.rglob("*") if path.is_file()]


@pytest.fixture(scope="session")
def lambda_python() -> str:
    python = assets.lambda_python()
    if python is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs a CPython 3.12 to build the Lambda assets")
        pytest.skip("no CPython 3.12 here (set ARREARS_LAMBDA_PYTHON)")
    return python


@pytest.fixture(scope="session")
def built(lambda_python: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltAsset]:
    root = tmp_path_factory.mktemp("assets")
    result = {}
    for module in HANDLER_MODULES:
        kind = assets.AssetKind(module)
        assets.build_asset(kind, root / module, lambda_python)
        result[module] = BuiltAsset(kind, root / module)
    return result


def _zipped_size(directory: Path, into: Path) -> int:
    with zipfile.ZipFile(into, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(directory.rglob("*")):
            archive.write(path, path.relative_to(directory))
    return into.stat().st_size


@pytest.fixture(scope="session")
def traced_from_assets(built, lambda_python) -> dict[str, set[str]]:
    """Each handler's imports traced again, from its built asset alone."""
    modules = list(built)
    jobs = [(built[module].kind, [built[module].root]) for module in modules]
    return dict(zip(modules, assets.import_closures(lambda_python, jobs), strict=True))


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_asset_holds_nothing_its_handler_does_not_import(built, traced_from_assets, module):
    asset = built[module]
    reached = traced_from_assets[module]
    shipped_code = {
        assets._module_name(name)
        for name in asset.top_level()
        if not name.endswith((".dist-info", ".libs")) and name != "__pycache__"
    }
    assert shipped_code - reached == set()
    assert assets.PACKAGE_NAME in reached
    # and the handler's own modules are all there: nothing it imports was left behind
    handler_file = asset.root / (module.replace(".", "/") + ".py")
    assert handler_file.is_file()


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_pdf_stack_and_fonts_only_in_the_letter_asset(built, module):
    asset = built[module]
    package = asset.root / assets.PACKAGE_NAME
    if asset.kind.lays_out_pdfs:
        assert {"fpdf", "fontTools", "uharfbuzz"} <= asset.top_level()
        assert list((package / "fonts").glob("*.ttf")) or list((package / "fonts").glob("*.otf"))
        assert (package / "domain" / "notices" / "letters.py").is_file()
    else:
        assert asset.top_level() & PDF_STACK == set()
        assert not (package / "fonts").exists()
        assert not (package / "domain" / "notices" / "letters.py").exists()
    assert asset.top_level() & NEVER_SHIPPED == set()
    assert not (package / "fonts" / "make_font.py").exists()


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_nothing_that_never_runs_in_lambda(built, module):
    asset = built[module]
    assert {"bin", "share"} & asset.top_level() == set()
    assert not any(name.endswith("-stubs") for name in asset.top_level())
    assert not [path for path in asset.files() if path.suffix == ".pyi"]
    assert not (asset.root / "phonenumbers" / "geodata").exists()
    assert not (asset.root / "phonenumbers" / "carrierdata").exists()
    assert (asset.root / "phonenumbers" / "data").is_dir()
    assert not list(asset.root.glob("*.dist-info/RECORD"))
    for laptop_only in ("local", "tools", "cli.py"):
        assert not (asset.root / assets.PACKAGE_NAME / laptop_only).exists()
    # the event contract's and the ops actions' pydantic models stay behind: their schemas
    # are in the compiled data
    for models in ("event_models.py", "ops_models.py"):
        assert not (asset.root / assets.PACKAGE_NAME / "domain" / models).exists()


def test_bytecode_is_unchecked_hash_for_the_runtimes_python(built, lambda_python):
    magic = subprocess.run(
        [lambda_python, "-c", "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert magic == "cb0d0d0a"  # CPython 3.12
    for asset in built.values():
        sources = [path for path in asset.files() if path.suffix == ".py"]
        assert sources
        for source in sources:
            pyc = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
            header = pyc.read_bytes()[:8]
            assert header[:4].hex() == magic, pyc
            # flags: bit 0 hash-based, bit 1 check_source; unchecked-hash is exactly 0b01
            assert int.from_bytes(header[4:8], "little") == 0b01, pyc
        assert not [path for path in asset.files() if ".cpython-311." in path.name]


def test_tracebacks_name_files_under_the_task_root(built):
    asset = built["arrears.handlers.contact"]
    pyc = asset.root / "arrears/handlers/__pycache__/contact.cpython-312.pyc"
    assert b"/var/task/arrears/handlers/contact.py" in pyc.read_bytes()
    deps_pyc = asset.root / "yaml/__pycache__/__init__.cpython-312.pyc"
    assert b"/var/task/yaml/__init__.py" in deps_pyc.read_bytes()


def test_non_letter_assets_zip_under_the_target(built, tmp_path):
    sized: dict[frozenset[str], int] = {}
    for asset in built.values():
        if asset.kind.lays_out_pdfs:
            continue
        contents = frozenset(asset.top_level())
        if contents not in sized:  # assets with the same packages differ by a few kB
            sized[contents] = _zipped_size(asset.root, tmp_path / "asset.zip")
    assert sized
    assert max(sized.values()) <= NON_PDF_ZIPPED_LIMIT, {k: v / MB for k, v in sized.items()}
