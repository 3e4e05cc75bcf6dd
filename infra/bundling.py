"""Build the one Lambda code asset without Docker.

CDK calls :class:`LocalPipBundling` instead of a bundling container. It pip-installs exactly
``[project].dependencies`` from pyproject.toml as Linux/arm64 CPython 3.12 wheels (so the
result is right for the Lambda architecture whatever machine synthesizes it), then copies
``functions/arrears`` without the parts that never run in Lambda (local runtime, CLI, tools).

The installed dependencies are cached under ``build/lambda-deps/<hash of the pins>/``: after
one synth with network access, later synths (and ``cdk synth`` offline) reuse them.
When a synth skips bundling (tests pass the ``aws:cdk:bundling-stacks`` context as ``[]``),
CDK never calls :meth:`LocalPipBundling.try_bundle`, so no pip runs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra import FUNCTIONS_DIR, PYPROJECT, REPO_ROOT

PACKAGE_NAME = "arrears"
# The Lambda platform we build for: Graviton (arm64), CPython 3.12, manylinux2014 wheels.
PIP_PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.12"
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_12
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64

# Parts of functions/arrears that only run on a laptop or in CI.
EXCLUDED_FROM_ASSET = ("local", "tools", "cli.py", "__pycache__")
# Excluded from the asset's source fingerprint as well (build by-products of the editable install).
SOURCE_EXCLUDES = [
    "*.egg-info",
    "**/__pycache__",
    "*.pyc",
    f"{PACKAGE_NAME}/local",
    f"{PACKAGE_NAME}/tools",
    f"{PACKAGE_NAME}/cli.py",
]
DEPS_CACHE_DIR = REPO_ROOT / "build" / "lambda-deps"
# The AWS SDK ships with the Lambda Python runtime as a matched boto3/botocore pair; a copy
# pulled in transitively (pynamodb, the encryption SDK) would shadow half of that pair and
# add about 32 MB, so it is removed from the asset.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath")


class BundlingError(RuntimeError):
    """The Lambda asset could not be built (pip failed and no cached dependencies exist)."""


def runtime_dependencies(pyproject: Path = PYPROJECT) -> list[str]:
    """The Lambda runtime pins, exactly as ``[project].dependencies`` lists them."""
    with pyproject.open("rb") as handle:
        project = tomllib.load(handle)["project"]
    return list(project.get("dependencies", []))


def pip_install_command(target: Path, requirements: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # Lambda compiles on import; .pyc files would only bloat the zip
        "--platform",
        PIP_PLATFORM,
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--target",
        str(target),
        *requirements,
    ]


def _cache_key(requirements: list[str]) -> str:
    fingerprint = json.dumps(
        {"requirements": sorted(requirements), "platform": PIP_PLATFORM, "python": PYTHON_VERSION}
    )
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:16]


def installed_dependencies(requirements: list[str], cache_dir: Path = DEPS_CACHE_DIR) -> Path:
    """Directory holding the installed requirements, built once per set of pins."""
    cached = cache_dir / _cache_key(requirements)
    if cached.is_dir():
        return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=cache_dir))
    try:
        completed = subprocess.run(
            pip_install_command(staging, requirements),
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise BundlingError(
                "pip could not install the Lambda dependencies for "
                f"{PIP_PLATFORM} / CPython {PYTHON_VERSION}:\n{completed.stderr.strip()}"
            )
        _remove_runtime_provided(staging)
        staging.rename(cached)  # atomic: a half-installed cache is never visible
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


def _remove_runtime_provided(site_dir: Path) -> None:
    for entry in site_dir.iterdir():
        distribution = entry.name.split("-")[0] if entry.suffix == ".dist-info" else entry.name
        if distribution in PROVIDED_BY_RUNTIME:
            shutil.rmtree(entry)


def _ignore_local_only(directory: str, names: list[str]) -> set[str]:
    ignored = {name for name in names if name == "__pycache__" or name.endswith(".pyc")}
    if Path(directory).resolve() == (FUNCTIONS_DIR / PACKAGE_NAME).resolve():
        ignored |= {name for name in names if name in EXCLUDED_FROM_ASSET}
    return ignored


def bundle_lambda_package(
    output_dir: Path,
    requirements: list[str] | None = None,
    cache_dir: Path = DEPS_CACHE_DIR,
) -> None:
    """Write the complete Lambda asset (dependencies + the arrears package) into output_dir."""
    output_dir.mkdir(parents=True, exist_ok=True)
    deps = installed_dependencies(
        runtime_dependencies() if requirements is None else requirements, cache_dir
    )
    shutil.copytree(deps, output_dir, dirs_exist_ok=True)
    shutil.copytree(
        FUNCTIONS_DIR / PACKAGE_NAME,
        output_dir / PACKAGE_NAME,
        ignore=_ignore_local_only,
        dirs_exist_ok=True,
    )


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """CDK local bundling: runs pip on this machine; Docker is never needed."""

    def try_bundle(self, output_dir: str, *_args: Any, **_options: Any) -> bool:
        bundle_lambda_package(Path(output_dir))
        return True


def lambda_code() -> lambda_.Code:
    """The one code asset every Arrears function runs from."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        exclude=SOURCE_EXCLUDES,
        bundling=BundlingOptions(
            # Required by the API but never pulled: local bundling always succeeds or raises.
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
            local=LocalPipBundling(),
        ),
    )
