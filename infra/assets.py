"""Build one Lambda code asset per kind of function: its handler's import closure, compiled.

A kind of function is named by its handler module (``arrears.handlers.contact``); functions
that share a handler module share an asset. Building one is four steps, each cached under
``build/`` so a second synth only copies files:

1. pip installs exactly ``[project].dependencies`` as Linux/arm64 CPython 3.12 wheels
   (``build/lambda-deps/<pins>/``), without the AWS SDK the runtime already has.
2. What never runs in Lambda is cut from that install once (console scripts in ``bin/``,
   ``share/``, type stubs, phonenumbers' geocoder and carrier data, stale ``RECORD`` files)
   and the rest is compiled by a CPython 3.12 interpreter into unchecked-hash ``.pyc``
   files (``build/lambda-deps-compiled/<pins>-<python>/``): ``/var/task`` is read-only, so
   bytecode that is not shipped is compiled again on every cold start, and the runtime
   ignores bytecode of another Python version.
3. ``modulefinder`` (run by that 3.12 interpreter) walks the handler module's imports,
   function-level ones included, and names the top-level packages it reaches.
4. The asset is those packages (with their licences), plus ``functions/arrears`` without the
   parts that only run on a laptop, compiled the same way, plus the escalation policies and
   compliance packs validated now and written as JSON (``arrears/policies/compiled.json``,
   :data:`COMPILED_DATA`): the functions load that instead of validating the YAML files, so
   a function that validates no input never imports pydantic or PyYAML. The same file
   carries the event contract's pydantic-core schemas (``domain.events``), so ingest
   validates events with pydantic-core alone. The methods ``@dataclass`` generates for the
   package's classes are compiled too, by the same interpreter, into
   ``arrears/policies/dataclass-code.marshal`` (:data:`DATACLASS_CODE`,
   ``arrears.dataclass_code``): a cold start runs them instead of compiling their source.

Functions that lay out PDF letters are listed in :data:`PDF_HANDLERS`; every other handler's
asset leaves the PDF layout module and the fonts out, and so never reaches fpdf2, fontTools
or HarfBuzz. The module has no CDK import: the Docker fallback in ``infra/bundling.py`` runs it
as ``python -m infra.assets`` inside the CDK build image.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra import FUNCTIONS_DIR, PYPROJECT, REPO_ROOT

PACKAGE_NAME = "arrears"
# The Lambda platform we build for: Graviton (arm64), CPython 3.12, manylinux2014 wheels.
PIP_PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.12"
TASK_ROOT = "/var/task"  # where Lambda unpacks the asset: the path tracebacks show
# A CPython 3.12 for compiling bytecode and tracing imports: this variable, else python3.12 on
# PATH, else one installed by pyenv (infra/bundling.py falls back to Docker without one).
LAMBDA_PYTHON_ENV = "ARREARS_LAMBDA_PYTHON"

BUILD_DIR = REPO_ROOT / "build"
DEPS_CACHE_DIR = BUILD_DIR / "lambda-deps"

# Functions that lay out PDF letters (fpdf2, fontTools, HarfBuzz and the fonts).
PDF_HANDLERS = frozenset({"arrears.handlers.letter"})
# The PDF layout module: imported inside render_letter only, so other handlers never run it.
PDF_LAYOUT_MODULES = ("arrears.domain.notices.letters", "arrears.domain.litigation_file")
PDF_ONLY_PATHS = ("domain/notices/letters.py", "domain/litigation_file.py", "fonts")
# Imports that exist in the dependencies but never run here: fpdf2 imports Pillow only to
# embed images (letters have none); phonenumbers' geocoder and carrier lookups are unused.
NEVER_IMPORTED = (
    "PIL",
    # the event contract's and the ops actions' pydantic models: an asset validates with
    # their compiled schemas
    "arrears.domain.event_models",
    "arrears.domain.ops_models",
    "phonenumbers.geocoder",
    "phonenumbers.carrier",
    "phonenumbers.geodata",
    "phonenumbers.carrierdata",
)
NEVER_IMPORTED_PATHS = (
    "phonenumbers/geodata",
    "phonenumbers/carrierdata",
    "phonenumbers/geocoder.py",
    "phonenumbers/carrier.py",
)
# babel's locale data (35 MB, most of a zipped asset) is kept whole only for the languages the
# notice templates are written in: numbers and dates are formatted in a template's language
# only (arrears.domain.notices._format_locale). Every other locale keeps an empty file, since
# validating a borrower's locale (Locale.parse) only asks whether the locale's file exists.
BABEL_LOCALE_DATA = "babel/locale-data"
ALWAYS_FORMATTED_LANGUAGES = frozenset({"root", "en"})  # en: the territory names of events.py
TEMPLATES_DIR = FUNCTIONS_DIR / PACKAGE_NAME / "templates"
# The policies and packs, validated at build time, as the functions load them
# (arrears.domain.datafile); written by the Python that runs the build, which has pydantic.
COMPILED_DATA = "policies/compiled.json"
# The same JSON, written by the synthesizing process (it has pydantic) before CDK bundles: the
# Docker fallback's Python has neither pydantic nor PyYAML, so that build copies it from here.
SYNTHESIZED_DATA = BUILD_DIR / "compiled-policies.json"
# The package's dataclass methods, compiled by the runtime's Python (arrears.dataclass_code).
DATACLASS_CODE = "policies/dataclass-code.marshal"
# Parts of functions/arrears that only run on a laptop or in CI (the font build script too).
EXCLUDED_FROM_PACKAGE = (
    "local",
    "tools",
    "cli.py",
    "fonts/make_font.py",
    "domain/compiled_data.py",  # runs at build time: writes COMPILED_DATA
    "domain/event_models.py",  # read at build time: their schemas go into COMPILED_DATA
    "domain/ops_models.py",  # the same, for the ops actions
)
# The AWS SDK ships with the Lambda Python runtime as a matched boto3/botocore pair; a copy
# pulled in transitively (pynamodb) would shadow half of that pair, so it is removed.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath")
# What a wheel installs beside its packages that no import reads.
INSTALL_CLUTTER = ("bin", "share")
DIST_INFO_CLUTTER = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")


class BundlingError(RuntimeError):
    """A Lambda asset could not be built (pip or the 3.12 interpreter failed)."""


@dataclass(frozen=True)
class AssetKind:
    """What one kind of function ships: its handler module's closure, PDF stack or not."""

    handler_module: str

    @classmethod
    def of_handler(cls, handler: str) -> AssetKind:
        """The kind for a Lambda ``handler`` setting (``module.function``)."""
        return cls(handler.rsplit(".", 1)[0])

    @property
    def lays_out_pdfs(self) -> bool:
        return self.handler_module in PDF_HANDLERS

    @property
    def excluded_imports(self) -> tuple[str, ...]:
        return NEVER_IMPORTED + (() if self.lays_out_pdfs else PDF_LAYOUT_MODULES)

    @property
    def excluded_package_paths(self) -> tuple[str, ...]:
        return EXCLUDED_FROM_PACKAGE + (() if self.lays_out_pdfs else PDF_ONLY_PATHS)


# ---- the interpreter -------------------------------------------------------------------


def _python_version(python: str) -> str | None:
    try:
        completed = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def _pyenv_pythons() -> list[str]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(root.glob(f"versions/{PYTHON_VERSION}*/bin/python{PYTHON_VERSION}"))
    return [str(path) for path in reversed(found)]  # the newest patch release first


def lambda_python() -> str | None:
    """A CPython of the Lambda runtime's version on this machine, or None."""
    chosen = os.environ.get(LAMBDA_PYTHON_ENV)
    if chosen:
        if _python_version(chosen) != PYTHON_VERSION:
            raise BundlingError(f"{LAMBDA_PYTHON_ENV}={chosen} is not a CPython {PYTHON_VERSION}")
        return chosen
    on_path = shutil.which(f"python{PYTHON_VERSION}")
    for candidate in ([on_path] if on_path else []) + _pyenv_pythons():
        if _python_version(candidate) == PYTHON_VERSION:
            return candidate
    return None


# ---- step 1: pip ---------------------------------------------------------------------


def runtime_dependencies(pyproject: Path = PYPROJECT) -> list[str]:
    """The Lambda runtime pins, exactly as ``[project].dependencies`` lists them."""
    with pyproject.open("rb") as handle:
        project = tomllib.load(handle)["project"]
    return list(project.get("dependencies", []))


def pip_install_command(
    target: Path, requirements: list[str], platform: str = PIP_PLATFORM
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # bytecode comes from the 3.12 interpreter (step 2), not this one
        "--platform",
        platform,
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--target",
        str(target),
        *requirements,
    ]


def _cache_key(requirements: list[str], platform: str = PIP_PLATFORM) -> str:
    fingerprint = json.dumps(
        {"requirements": sorted(requirements), "platform": platform, "python": PYTHON_VERSION}
    )
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:16]


def _build_into_cache(cached: Path, build: Callable[[Path], None]) -> Path:
    """Run ``build`` into a staging directory renamed to ``cached`` only when it succeeded,
    so a half-built cache is never visible."""
    if cached.is_dir():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=cached.parent))
    try:
        build(staging)
        staging.rename(cached)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


def installed_dependencies(
    requirements: list[str], cache_dir: Path = DEPS_CACHE_DIR, platform: str = PIP_PLATFORM
) -> Path:
    """Directory holding the installed requirements, built once per set of pins."""

    def install(staging: Path) -> None:
        completed = subprocess.run(
            pip_install_command(staging, requirements, platform),
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise BundlingError(
                "pip could not install the Lambda dependencies for "
                f"{platform} / CPython {PYTHON_VERSION}:\n{completed.stderr.strip()}"
            )
        _remove_runtime_provided(staging)

    return _build_into_cache(cache_dir / _cache_key(requirements, platform), install)


def _remove_runtime_provided(site_dir: Path) -> None:
    for entry in site_dir.iterdir():
        distribution = entry.name.split("-")[0] if entry.suffix == ".dist-info" else entry.name
        if distribution in PROVIDED_BY_RUNTIME:
            shutil.rmtree(entry)


# ---- step 2: trim and compile the dependencies -------------------------------------------


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def top_level_owners(site_dir: Path) -> dict[str, str]:
    """Top-level name (package, module, ``.libs`` folder) -> the dist-info that installed it."""
    owners: dict[str, str] = {}
    for record in site_dir.glob("*.dist-info/RECORD"):
        for line in record.read_text().splitlines():
            first = line.split(",", 1)[0].split("/", 1)[0]
            if first and not first.endswith(".dist-info") and first != "..":
                owners[_module_name(first)] = record.parent.name
    return owners


def _module_name(entry: str) -> str:
    """``six.py`` -> ``six``; ``_yaml.cpython-312-aarch64-linux-gnu.so`` -> ``_yaml``."""
    return entry.split(".", 1)[0] if entry.endswith((".py", ".so")) else entry


def trim_dependencies(site_dir: Path) -> None:
    """Cut from an installed tree what no import in Lambda reads."""
    owners = top_level_owners(site_dir)
    (site_dir / "top_level_owners.json").write_text(json.dumps(owners, sort_keys=True))
    for name in INSTALL_CLUTTER:
        _remove(site_dir / name)
    for relative in NEVER_IMPORTED_PATHS:
        _remove(site_dir / relative)
    for stubs in [*site_dir.glob("*-stubs"), *site_dir.rglob("*.pyi")]:
        _remove(stubs)
    for dist_info in site_dir.glob("*.dist-info"):
        for name in DIST_INFO_CLUTTER:
            _remove(dist_info / name)


def compile_tree(python: str, root: Path, strip: Path | None = None) -> None:
    """Unchecked-hash bytecode for every module under ``root``, by ``python`` (the runtime's
    version), naming source files as Lambda will see them under /var/task."""
    strip = strip or root
    completed = subprocess.run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(strip),
            "-p",
            TASK_ROOT,
            str(root),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BundlingError(f"compileall failed under {python}:\n{completed.stdout[-4000:]}")


def compiled_dependencies(
    requirements: list[str],
    python: str,
    cache_dir: Path = DEPS_CACHE_DIR,
    platform: str = PIP_PLATFORM,
) -> Path:
    """The installed requirements, trimmed and compiled for ``python``; built once."""
    installed = installed_dependencies(requirements, cache_dir, platform)

    def trim_and_compile(staging: Path) -> None:
        shutil.copytree(installed, staging, dirs_exist_ok=True)
        trim_dependencies(staging)
        compile_tree(python, staging)

    compiled = cache_dir.parent / f"{cache_dir.name}-compiled"
    return _build_into_cache(
        compiled / f"{installed.name}-{_interpreter_tag(python)}", trim_and_compile
    )


def _interpreter_tag(python: str) -> str:
    completed = subprocess.run(
        [python, "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


# ---- step 3: the handler's import closure -----------------------------------------------

IMPORT_TRACE = Path(__file__).with_name("import_trace.py")
CLOSURE_CACHE_DIR = BUILD_DIR / "lambda-closures"


def import_closures(python: str, jobs: list[tuple[AssetKind, list[Path]]]) -> list[set[str]]:
    """For each (kind, roots): the top-level packages and modules under ``roots`` that the
    kind's handler module reaches, traced by ``python`` in one process."""
    payload = [
        {
            "module": kind.handler_module,
            "excludes": list(kind.excluded_imports),
            "roots": [str(root) for root in roots],
        }
        for kind, roots in jobs
    ]
    completed = subprocess.run(
        [python, "-I", str(IMPORT_TRACE)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BundlingError(f"tracing the handlers' imports failed:\n{completed.stderr[-4000:]}")
    return [set(answer) for answer in json.loads(completed.stdout)]


def handler_modules(functions_dir: Path = FUNCTIONS_DIR) -> list[str]:
    handlers = functions_dir / PACKAGE_NAME / "handlers"
    return sorted(
        f"{PACKAGE_NAME}.handlers.{path.stem}"
        for path in handlers.glob("*.py")
        if not path.name.startswith("_")
    )


def _closure_key(deps: Path, kind: AssetKind, functions_dir: Path) -> str:
    digest = hashlib.sha256(f"{deps.name}|{kind}|{IMPORT_TRACE.read_text()}".encode())
    for source in sorted((functions_dir / PACKAGE_NAME).rglob("*.py")):
        digest.update(str(source.relative_to(functions_dir)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def handler_closure(
    python: str,
    kind: AssetKind,
    deps: Path,
    functions_dir: Path = FUNCTIONS_DIR,
    cache_dir: Path = CLOSURE_CACHE_DIR,
) -> set[str]:
    """``kind``'s closure over the arrears sources and ``deps``, cached per source state. A
    miss traces every handler module at once: a synth asks for all of them in turn."""
    cached = cache_dir / f"{_closure_key(deps, kind, functions_dir)}.json"
    if not cached.is_file():
        kinds = [kind] + [
            AssetKind(module)
            for module in handler_modules(functions_dir)
            if module != kind.handler_module
        ]
        closures = import_closures(python, [(each, [functions_dir, deps]) for each in kinds])
        cache_dir.mkdir(parents=True, exist_ok=True)
        for each, closure in zip(kinds, closures, strict=True):
            target = cache_dir / f"{_closure_key(deps, each, functions_dir)}.json"
            target.write_text(json.dumps(sorted(closure)))
    return set(json.loads(cached.read_text()))


# ---- step 4: the asset -----------------------------------------------------------------


def _package_ignore(kind: AssetKind, package_dir: Path) -> Callable[[str, list[str]], set[str]]:
    excluded = {(package_dir / relative).resolve() for relative in kind.excluded_package_paths}

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).resolve()
        return {
            name
            for name in names
            if name == "__pycache__" or name.endswith(".pyc") or (here / name) in excluded
        }

    return ignore


def build_asset(
    kind: AssetKind,
    output_dir: Path,
    python: str,
    *,
    requirements: list[str] | None = None,
    cache_dir: Path = DEPS_CACHE_DIR,
    platform: str = PIP_PLATFORM,
    functions_dir: Path | None = None,
) -> None:
    """Write ``kind``'s asset into ``output_dir``: its closure of the compiled dependencies,
    then the arrears package, compiled by ``python``."""
    functions_dir = functions_dir or FUNCTIONS_DIR
    deps = compiled_dependencies(
        runtime_dependencies() if requirements is None else requirements,
        python,
        cache_dir,
        platform,
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    package_dir = output_dir / PACKAGE_NAME
    shutil.copytree(
        functions_dir / PACKAGE_NAME,
        package_dir,
        ignore=_package_ignore(kind, functions_dir / PACKAGE_NAME),
        dirs_exist_ok=True,
    )
    reached = handler_closure(python, kind, deps, functions_dir) - {PACKAGE_NAME}
    owners = json.loads((deps / "top_level_owners.json").read_text())
    shipped = {owners[name] for name in reached if name in owners}
    for entry in deps.iterdir():
        name = _module_name(entry.name)
        # a wheel's vendored shared libraries (name.libs) go with the packages that load them
        if name in reached or (name.endswith(".libs") and owners.get(name) in shipped):
            _copy(entry, output_dir / entry.name)
            if entry.suffix == ".py":  # a one-file module's bytecode sits in the top __pycache__
                for pyc in (deps / "__pycache__").glob(f"{entry.stem}.*.pyc"):
                    _copy(pyc, output_dir / "__pycache__" / pyc.name)
    for dist_info in shipped:
        _copy(deps / dist_info, output_dir / dist_info)
    thin_locale_data(output_dir, template_languages(functions_dir / PACKAGE_NAME / "templates"))
    write_compiled_data(functions_dir, package_dir / COMPILED_DATA)
    if (package_dir / "dataclass_code.py").is_file():  # an older commit's package has none
        write_dataclass_code(python, output_dir, package_dir / DATACLASS_CODE)
    compile_tree(python, package_dir, strip=output_dir)


def write_dataclass_code(python: str, asset_dir: Path, target: Path) -> None:
    """The methods of the asset package's dataclasses, compiled by ``python`` (the runtime's
    version) importing the package from ``asset_dir`` alone, written to ``target``."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from arrears.dataclass_code import main; main(sys.argv[2:])"
    )
    completed = subprocess.run(
        [python, "-I", "-B", "-c", script, str(asset_dir), str(target)],
        capture_output=True,
        text=True,
        check=False,
        cwd=str(asset_dir),
    )
    if completed.returncode != 0:
        raise BundlingError(
            f"compiling the dataclass methods under {python} failed:\n{completed.stderr[-4000:]}"
        )


def write_compiled_data(functions_dir: Path, target: Path) -> None:
    """Validate the policies and compliance packs under ``functions_dir`` and write them as
    the JSON the functions load (``arrears.domain.compiled_data``). A policy
    that does not validate fails the build, as it fails the tests. A Python without pydantic
    (the Docker fallback's) copies what this synth validated (``SYNTHESIZED_DATA``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if importlib.util.find_spec("pydantic") is None:
        if not SYNTHESIZED_DATA.is_file():
            raise BundlingError(
                f"no pydantic to validate the policies and no {SYNTHESIZED_DATA} written by "
                "the synth: run the build through `cdk synth`, or with pydantic installed"
            )
        shutil.copyfile(SYNTHESIZED_DATA, target)
        return
    completed = subprocess.run(
        [sys.executable, "-m", "arrears.domain.compiled_data", str(target)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(functions_dir)},
    )
    if completed.returncode != 0:
        raise BundlingError(
            f"validating the policies and packs for the asset failed:\n{completed.stderr[-4000:]}"
        )


def template_languages(templates_dir: Path = TEMPLATES_DIR) -> frozenset[str]:
    """Languages of the notice templates (``templates/<kind>/<locale>/``), plus root and en."""
    locales = {path.name for path in templates_dir.glob("*/*") if path.is_dir()}
    return ALWAYS_FORMATTED_LANGUAGES | {locale.split("-")[0].lower() for locale in locales}


def thin_locale_data(asset_dir: Path, languages: frozenset[str]) -> None:
    """Empty the babel locale files of languages no template is written in."""
    locale_data = asset_dir / BABEL_LOCALE_DATA
    for data_file in locale_data.glob("*.dat") if locale_data.is_dir() else ():
        if data_file.stem.split("_")[0] not in languages:
            data_file.unlink()  # a copy, maybe hard-linked to the cache: never write through
            data_file.touch()


def _link_or_copy(source: str, target: str) -> None:
    # the dependency cache is never written to again: linking saves copying ~100 MB per asset
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True, copy_function=_link_or_copy)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(str(source), str(target))


def main(argv: list[str] | None = None) -> None:
    """``python -m infra.assets``: what the Docker fallback runs inside the build image."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handler-module", required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    build_asset(AssetKind(args.handler_module), args.output, args.python)


if __name__ == "__main__":
    main()
