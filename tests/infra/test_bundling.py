"""The Lambda asset builder, without network: the dependency cache is pre-filled."""

from __future__ import annotations

import tomllib

from infra import PYPROJECT, bundling


def test_runtime_dependencies_are_exactly_the_project_dependencies():
    with PYPROJECT.open("rb") as handle:
        declared = tomllib.load(handle)["project"]["dependencies"]
    assert bundling.runtime_dependencies() == declared
    assert not any(name.startswith(("moto", "aws-cdk", "pytest")) for name in declared)


def test_pip_targets_the_lambda_platform():
    command = bundling.pip_install_command(bundling.DEPS_CACHE_DIR / "x", ["pynamodb==6.1.0"])
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64" in joined
    assert "--only-binary=:all:" in command
    assert "--python-version 3.12" in joined
    assert "--implementation cp" in joined
    assert command[-1] == "pynamodb==6.1.0"


def test_asset_holds_dependencies_and_package_without_local_only_parts(tmp_path):
    # given a cache that already holds the installed requirements (so pip never runs)
    requirements = ["example==1.0"]
    cache = tmp_path / "cache"
    installed = cache / bundling._cache_key(requirements) / "example"
    installed.mkdir(parents=True)
    (installed / "__init__.py").write_text("VERSION = '1.0'\n")

    # when the asset is bundled
    out = tmp_path / "asset"
    bundling.bundle_lambda_package(out, requirements=requirements, cache_dir=cache)

    # then it holds the dependency and the package, minus local runtime, tools, CLI, caches
    assert (out / "example" / "__init__.py").is_file()
    package = out / "arrears"
    assert (package / "topology.py").is_file()
    assert (package / "handlers").is_dir()
    for excluded in ("local", "tools", "cli.py"):
        assert not (package / excluded).exists(), excluded
    assert not list(out.rglob("__pycache__"))


def test_sdk_copies_pulled_in_transitively_are_removed(tmp_path):
    for name in ("botocore", "botocore-1.0.dist-info", "boto3", "pynamodb", "six.py"):
        (tmp_path / name).mkdir() if "." not in name or name.endswith("dist-info") else (
            tmp_path / name
        ).write_text("")
    bundling._remove_runtime_provided(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pynamodb", "six.py"]


def test_failed_pip_is_a_clear_error_and_leaves_no_cache(tmp_path, monkeypatch):
    import subprocess

    def failing_pip(*args, **kwargs):
        return subprocess.CompletedProcess(args, 1, stdout="", stderr="No matching distribution")

    monkeypatch.setattr(bundling.subprocess, "run", failing_pip)
    try:
        bundling.installed_dependencies(["nothing==0"], cache_dir=tmp_path)
    except bundling.BundlingError as error:
        assert "No matching distribution" in str(error)
    else:
        raise AssertionError("expected BundlingError")
    assert list(tmp_path.iterdir()) == []
