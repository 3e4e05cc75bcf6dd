"""The Lambda asset builder's parts, without network or a 3.12 interpreter."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest
from arrears import topology

from infra import FUNCTIONS_DIR, PYPROJECT, assets, bundling


def test_runtime_dependencies_are_exactly_the_project_dependencies():
    with PYPROJECT.open("rb") as handle:
        declared = tomllib.load(handle)["project"]["dependencies"]
    assert assets.runtime_dependencies() == declared
    assert not any(name.startswith(("moto", "aws-cdk", "pytest")) for name in declared)
    # nothing masks data with Powertools: its extra would ship cryptography and the encryption SDK
    assert not any("datamasking" in name for name in declared)


def test_pip_targets_the_lambda_platform():
    command = assets.pip_install_command(assets.DEPS_CACHE_DIR / "x", ["pynamodb==6.1.0"])
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64" in joined
    assert "--only-binary=:all:" in command
    assert "--python-version 3.12" in joined
    assert "--implementation cp" in joined
    assert command[-1] == "pynamodb==6.1.0"


@pytest.mark.parametrize("spec", topology.FUNCTIONS, ids=lambda s: s.construct_id)
def test_every_function_names_an_existing_handler_module(spec):
    kind = assets.AssetKind.of_handler(spec.handler)
    assert (FUNCTIONS_DIR / (kind.handler_module.replace(".", "/") + ".py")).is_file()
    assert kind.lays_out_pdfs == (spec is topology.LETTER_FUNCTION)


def test_only_pdf_handlers_reach_the_pdf_layout():
    letter = assets.AssetKind("arrears.handlers.letter")
    contact = assets.AssetKind("arrears.handlers.contact")
    assert "arrears.domain.notices.letters" not in letter.excluded_imports
    assert "arrears.domain.notices.letters" in contact.excluded_imports
    assert "fonts" in contact.excluded_package_paths
    assert "fonts" not in letter.excluded_package_paths
    for kind in (letter, contact):
        assert "PIL" in kind.excluded_imports
        assert "fonts/make_font.py" in kind.excluded_package_paths


def test_each_handler_module_has_its_own_asset(synthesized):
    functions = synthesized.of_type("AWS::Lambda::Function")
    code_by_handler: dict[str, set[str]] = {}
    for resource in functions.values():
        properties = resource["Properties"]
        module = properties["Handler"].rsplit(".", 1)[0]
        code_by_handler.setdefault(module, set()).add(properties["Code"]["S3Key"])
    assert len(code_by_handler) == len({s.handler.rsplit(".", 1)[0] for s in topology.FUNCTIONS})
    assert all(len(keys) == 1 for keys in code_by_handler.values())
    all_keys = [next(iter(keys)) for keys in code_by_handler.values()]
    assert len(set(all_keys)) == len(all_keys)


def _fake_python(tmp_path: Path, version: str) -> str:
    script = tmp_path / f"python-{version}"
    script.write_text(f"#!/bin/sh\necho {version}\n")
    script.chmod(0o755)
    return str(script)


def test_a_chosen_interpreter_of_another_version_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(assets.LAMBDA_PYTHON_ENV, _fake_python(tmp_path, "3.11"))
    with pytest.raises(assets.BundlingError, match=r"not a CPython 3\.12"):
        assets.lambda_python()


def test_a_chosen_312_interpreter_is_used(tmp_path, monkeypatch):
    python = _fake_python(tmp_path, "3.12")
    monkeypatch.setenv(assets.LAMBDA_PYTHON_ENV, python)
    assert assets.lambda_python() == python


def test_without_a_312_interpreter_local_bundling_declines_to_docker(tmp_path, monkeypatch):
    monkeypatch.setattr(bundling, "lambda_python", lambda: None)
    built = []
    monkeypatch.setattr(bundling, "build_asset", lambda *args, **kwargs: built.append(args))
    local = bundling.LocalAssetBundling(assets.AssetKind("arrears.handlers.contact"))
    assert local.try_bundle(str(tmp_path)) is False
    assert built == []  # never compiled by the synth's own Python


def test_trimming_removes_what_no_import_reads(tmp_path):
    site = tmp_path / "site"
    for relative in (
        "bin/pyftsubset",
        "share/man/man1/ttx.1",
        "wrapt-stubs/__init__.pyi",
        "pydantic/main.pyi",
        "pydantic/main.py",
        "phonenumbers/geodata/data0.py",
        "phonenumbers/carrierdata/data0.py",
        "phonenumbers/geocoder.py",
        "phonenumbers/phonenumberutil.py",
    ):
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text("")
    dist_info = site / "pydantic-2.0.dist-info"
    dist_info.mkdir()
    (dist_info / "RECORD").write_text("pydantic/main.py,,\npydantic-2.0.dist-info/METADATA,,\n")
    (dist_info / "METADATA").write_text("Name: pydantic\n")

    assets.trim_dependencies(site)

    left = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    assert left == [
        "phonenumbers/phonenumberutil.py",
        "pydantic-2.0.dist-info/METADATA",
        "pydantic/main.py",
        "top_level_owners.json",
    ]
    assert assets.top_level_owners(site) == {}  # RECORD is gone; the owners were saved first
    assert '"pydantic": "pydantic-2.0.dist-info"' in (site / "top_level_owners.json").read_text()


def test_locale_data_is_kept_for_template_languages_only(tmp_path):
    locale_data = tmp_path / assets.BABEL_LOCALE_DATA
    locale_data.mkdir(parents=True)
    for name in ("root", "en", "en_GB", "zh_Hans_CN", "sw_KE", "fr"):
        (locale_data / f"{name}.dat").write_bytes(b"data")
    assets.thin_locale_data(tmp_path, frozenset({"root", "en", "zh"}))
    sizes = {p.stem: p.stat().st_size for p in locale_data.iterdir()}
    assert sizes == {"root": 4, "en": 4, "en_GB": 4, "zh_Hans_CN": 4, "sw_KE": 0, "fr": 0}


def test_template_languages_come_from_the_template_folders():
    languages = assets.template_languages()
    assert {"root", "en", "es", "zh"} <= languages
    assert all(language == language.lower() for language in languages)


def test_failed_pip_is_a_clear_error_and_leaves_no_cache(tmp_path, monkeypatch):
    def failing_pip(*args, **kwargs):
        return subprocess.CompletedProcess(args, 1, stdout="", stderr="No matching distribution")

    monkeypatch.setattr(assets.subprocess, "run", failing_pip)
    with pytest.raises(assets.BundlingError, match="No matching distribution"):
        assets.installed_dependencies(["nothing==0"], cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_build_without_pydantic_ships_the_policies_the_synth_validated(tmp_path, monkeypatch):
    # given the policies validated by the synthesizing process (it has pydantic)
    synthesized = tmp_path / "build" / "compiled-policies.json"
    monkeypatch.setattr(assets, "SYNTHESIZED_DATA", synthesized)
    assets.write_compiled_data(FUNCTIONS_DIR, synthesized)
    # when the Docker fallback's Python, which has no pydantic, builds an asset
    real_find_spec = assets.importlib.util.find_spec

    def without_pydantic(name, *args):
        return None if name == "pydantic" else real_find_spec(name, *args)

    monkeypatch.setattr(assets.importlib.util, "find_spec", without_pydantic)
    shipped = tmp_path / "asset" / assets.PACKAGE_NAME / assets.COMPILED_DATA
    assets.write_compiled_data(FUNCTIONS_DIR, shipped)
    # then the asset gets those exact bytes
    assert shipped.read_bytes() == synthesized.read_bytes()
    assert b'"default' in shipped.read_bytes()
    # and without them the build stops, saying why
    synthesized.unlink()
    with pytest.raises(assets.BundlingError, match="no pydantic"):
        assets.write_compiled_data(FUNCTIONS_DIR, shipped)
