"""CDK code assets for the Lambda functions: one per kind of function (``infra/assets.py``).

A function opts in by its handler setting alone: :func:`lambda_code` takes the handler
(``arrears.handlers.contact.handler``) and returns the asset of that handler module, so every
function with the same handler module shares one asset and a new handler module gets its own.

CDK calls :class:`LocalAssetBundling` first. With a CPython 3.12 on this machine
(``ARREARS_LAMBDA_PYTHON``, ``python3.12`` on PATH, or a pyenv 3.12) it builds the asset here,
without Docker. Without one it declines, and CDK builds the same asset in its python3.12 build
image by running ``python -m infra.assets`` there: bytecode compiled by any other Python would
be ignored by the runtime, so it is never shipped.

When a synth skips bundling (tests pass the ``aws:cdk:bundling-stacks`` context as ``[]``),
CDK calls neither, so nothing is built.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, DockerVolume, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra import FUNCTIONS_DIR, REPO_ROOT
from infra.assets import (
    PACKAGE_NAME,
    SYNTHESIZED_DATA,
    AssetKind,
    BundlingError,
    build_asset,
    lambda_python,
    write_compiled_data,
)

LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_12
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64
BUILD_IMAGE = "public.ecr.aws/sam/build-python3.12"
REPO_IN_CONTAINER = "/repo"
# Excluded from the asset's source fingerprint (build by-products, laptop-only parts).
SOURCE_EXCLUDES = [
    "*.egg-info",
    "**/__pycache__",
    "*.pyc",
    f"{PACKAGE_NAME}/local",
    f"{PACKAGE_NAME}/tools",
    f"{PACKAGE_NAME}/cli.py",
]

__all__ = ["LAMBDA_ARCHITECTURE", "LAMBDA_RUNTIME", "BundlingError", "lambda_code"]


def bundle_lambda_package(kind: AssetKind, output_dir: Path) -> bool:
    """Build ``kind``'s asset here; False when this machine has no CPython 3.12."""
    python = lambda_python()
    if python is None:
        return False
    build_asset(kind, output_dir, python)
    return True


@jsii.implements(ILocalBundling)
class LocalAssetBundling:
    """CDK local bundling: builds the asset on this machine when it has a CPython 3.12."""

    def __init__(self, kind: AssetKind) -> None:
        self.kind = kind

    def try_bundle(self, output_dir: str, *_args: Any, **_options: Any) -> bool:
        return bundle_lambda_package(self.kind, Path(output_dir))


@cache
def synthesized_data() -> None:
    """Validate the policies once per synth, into the file the Docker fallback copies."""
    write_compiled_data(FUNCTIONS_DIR, SYNTHESIZED_DATA)


def lambda_code(handler: str) -> lambda_.Code:
    """The code asset of the kind of function that runs ``handler``."""
    kind = AssetKind.of_handler(handler)
    synthesized_data()
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        exclude=SOURCE_EXCLUDES,
        bundling=BundlingOptions(
            image=DockerImage.from_registry(BUILD_IMAGE),
            local=LocalAssetBundling(kind),
            # The fallback: the same builder, run by the image's CPython 3.12.
            volumes=[DockerVolume(host_path=str(REPO_ROOT), container_path=REPO_IN_CONTAINER)],
            working_directory=REPO_IN_CONTAINER,
            environment={"HOME": "/tmp", "PIP_CACHE_DIR": "/tmp/pip-cache"},
            command=[
                "python",
                "-m",
                "infra.assets",
                "--handler-module",
                kind.handler_module,
                "--output",
                "/asset-output",
            ],
        ),
    )
