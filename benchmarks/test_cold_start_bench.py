"""Lambda cold starts, per handler, from the built assets: today's against an older commit's.

Each handler is imported, then invoked once, in a fresh CPython 3.12 process
(``cold_start_driver.py``) that sees only its asset and the runtime's AWS SDK, reads the
bytecode the asset ships and writes none (Lambda's task root is read-only), with the
function's environment from the synthesized template and the Tracer on. The first invocation
replays the AWS answers the handler got on the demo portfolio (``cold_start_recorder.py``).

Both trees are built for this machine's CPU (the deployed asset is arm64): today's with
``infra.assets`` exactly as ``cdk synth`` builds it but for the platform tag, the older
commit's (``BENCH_COLD_BASELINE``, default ``e7a9adf``) as its own bundler did, one asset
of every dependency with no bytecode; its imports are measured, not its first invocations
(its handlers make other calls for the recorded events). The baseline is a handler that
only sets up the Powertools Logger, Metrics and Tracer, from the same tree's asset, in the
same run. Figures
are medians of ``BENCH_COLD_REPEAT`` (default 5) fresh processes; CPU seconds, because the
machine is shared.

``BENCH_COLD_SAME_BUNDLER=1`` builds the older commit's assets with today's
``infra.assets`` instead (one per handler, compiled), so the two trees differ only in their
code; the older tree's first invocations are then replayed too (same events, same calls).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arrears import topology
from older_tree import older_tree
from pytest_benchmark.fixture import BenchmarkFixture

from infra import assets

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "benchmarks" / "cold_start_driver.py"
RECORDER = ROOT / "benchmarks" / "cold_start_recorder.py"
BASELINE_COMMIT = os.environ.get("BENCH_COLD_BASELINE", "e7a9adf")
REPEAT = int(os.environ.get("BENCH_COLD_REPEAT", "5"))
SAME_BUNDLER = os.environ.get("BENCH_COLD_SAME_BUNDLER", "") not in ("", "0")
CACHE = assets.BUILD_DIR / "bench-cold-start"
HOST_PLATFORM = f"manylinux2014_{platform.machine()}"
# What the Lambda Python runtime puts beside the task root (its own AWS SDK), plus the clock
# the driver sets for the replayed invocation.
RUNTIME_PACKAGES = ["boto3==1.44.8", "time-machine==3.6.0"]
BASELINE = "powertools_baseline.handler"
BASELINE_SOURCE = '''"""A handler that only sets up Powertools: the cold-start yardstick."""
from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return {}
'''
# What must hold (today's tree): cold import against the baseline, first invocation seconds.
IMPORT_RATIO_LIMIT = {"arrears.handlers.letter": 2.0}
IMPORT_RATIO_DEFAULT = 1.5
FIRST_INVOCATION_LIMIT = {"arrears.handlers.letter": 1.0}
FIRST_INVOCATION_DEFAULT = 0.3
MB = 1024 * 1024
TRACE_HEADER = "Root=1-6752d1a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
# jsii's node end-of-life banner is noise (see DESIGN.md); must be set before jsii starts.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

pytestmark = pytest.mark.bench


@pytest.fixture(scope="module")
def python312() -> str:
    python = assets.lambda_python()
    if python is None:
        pytest.skip("no CPython 3.12 here (set ARREARS_LAMBDA_PYTHON)")
    return python


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="arrears-cold-") as folder:
        yield Path(folder)


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{done.stderr[-3000:]}")
    return done


def runtime_dir(python: str) -> Path:
    """The runtime's SDK and the driver's clock, installed and compiled once."""
    target = CACHE / "runtime"
    if not target.is_dir():
        staging = CACHE / "runtime-staging"
        shutil.rmtree(staging, ignore_errors=True)
        _run([python, "-m", "pip", "install", "-q", "--target", str(staging), *RUNTIME_PACKAGES])
        _run([python, "-m", "compileall", "-q", "-j", "0", str(staging)])
        staging.rename(target)
    return target


def old_asset(into: Path) -> Path:
    """The older commit's one asset: every dependency, its package, no bytecode."""
    tree = older_tree(BASELINE_COMMIT, into)
    requirements = assets.runtime_dependencies(tree / "pyproject.toml")
    deps = assets.installed_dependencies(requirements, CACHE / "deps", HOST_PLATFORM)
    asset = into / "before" / "asset"
    shutil.copytree(deps, asset)
    shutil.copytree(
        tree / "functions" / assets.PACKAGE_NAME,
        asset / assets.PACKAGE_NAME,
        ignore=shutil.ignore_patterns("local", "tools", "cli.py", "__pycache__"),
    )
    return asset


def new_assets(
    python: str, into: Path, functions_dir: Path | None = None, tree: str = "after"
) -> dict[str, Path]:
    """One asset per handler module of ``functions_dir`` (today's by default), built by
    today's ``infra.assets``."""
    built = {}
    for module in assets.handler_modules(functions_dir or assets.FUNCTIONS_DIR):
        target = into / tree / module
        assets.build_asset(
            assets.AssetKind(module), target, python, cache_dir=CACHE / "deps",
            platform=HOST_PLATFORM, functions_dir=functions_dir,
        )  # fmt: skip
        built[module] = target
    return built


def baseline_dir(python: str | None, into: Path) -> Path:
    folder = into / ("baseline-compiled" if python else "baseline-source")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "powertools_baseline.py").write_text(BASELINE_SOURCE)
    if python:  # compiled the way the asset is
        assets.compile_tree(python, folder)
    return folder


def deployed_environments() -> dict[str, dict[str, str]]:
    """Each handler module's environment variables, from the synthesized template. Resource
    names take the local runtime's values, the names the recorded AWS answers carry."""
    import aws_cdk as cdk
    from arrears.local.runtime import LocalTopology, local_environment

    from infra.app import build_app, cdk_json_context

    with tempfile.TemporaryDirectory() as outdir:
        app = cdk.App(
            context={**cdk_json_context(), "aws:cdk:bundling-stacks": []},
            outdir=outdir,
            builtin_cloud_formation_validation=False,
        )
        built = build_app(app)
        app.synth()
        template = json.loads((Path(outdir) / built.stack.template_file).read_text())
    environments = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            properties = resource["Properties"]
            module = properties["Handler"].rsplit(".", 1)[0]
            variables = properties.get("Environment", {}).get("Variables", {})
            environments[module] = {name: _plain(value) for name, value in variables.items()}
    local_names = local_environment(LocalTopology.default())
    for variables in environments.values():
        variables.update({name: local_names[name] for name in variables if name in local_names})
    return environments


def _plain(value: Any) -> str:
    """A CloudFormation value as the deployed string would look (names and ARNs)."""
    pseudo = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return pseudo.get(value["Ref"], value["Ref"])
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"arn:aws:service:us-east-1:123456789012:{logical_id}-{attribute}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_plain(part) for part in parts)
    return json.dumps(value)


def lambda_environment(function_env: dict[str, str], task_root: Path, runtime: Path) -> dict:
    """The deployed variables plus what the Lambda runtime sets itself (Tracer on)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "ASIABENCHMARK",
        "AWS_SECRET_ACCESS_KEY": "benchmark",
        "AWS_SESSION_TOKEN": "benchmark",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": "arrears-bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(runtime),
        "_X_AMZN_TRACE_ID": TRACE_HEADER,
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",  # segments go to loopback UDP, unread
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        **function_env,
    }


def cold_start(
    python: str,
    handler: str,
    path: list[Path],
    env: dict[str, str],
    recording: Path | None,
    into: Path,
    profile: Path | None = None,
) -> dict[str, float]:
    spec_file = into / "spec.json"
    result_file = into / "result.json"
    spec_file.write_text(
        json.dumps(
            {
                "path": [str(p) for p in path],
                "handler": handler,
                "recording": str(recording) if recording else None,
                "result": str(result_file),
                "profile": str(profile) if profile else None,
            }
        )
    )
    _run(
        [python, "-I", "-B", str(DRIVER), str(spec_file)],
        env=env,
        cwd=str(into),
        stdin=subprocess.DEVNULL,
    )
    return dict(json.loads(result_file.read_text()))


def zipped_mb(directory: Path, into: Path) -> float:
    archive_path = into / "size.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(directory.rglob("*")):
            archive.write(path, path.relative_to(directory))
    size = archive_path.stat().st_size
    archive_path.unlink()
    return size / MB


def unzipped_mb(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / MB


def test_cold_starts(benchmark: BenchmarkFixture, python312: str, workdir: Path) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    recording = workdir / "first-invocations.pickle"
    _run([sys.executable, str(RECORDER), str(recording)], cwd=str(ROOT / "benchmarks"))
    runtime = runtime_dir(python312)
    environments = deployed_environments()
    after = new_assets(python312, workdir)
    modules = sorted(after)
    baseline_module = topology.QUEUE_METRICS_FUNCTION.handler.rsplit(".", 1)[0]
    if SAME_BUNDLER:
        tree = older_tree(BASELINE_COMMIT, workdir)
        befores = new_assets(python312, workdir, tree / "functions", "before")
        older = [m for m in modules if m in befores]
        before = befores[baseline_module]
    else:
        before = old_asset(workdir)
        befores = {m: before for m in modules}
        # functions added since the older commit have no figure of their own there
        older = [m for m in modules if (before / (m.replace(".", "/") + ".py")).is_file()]
    # (tree, name) -> import path; the baseline runs from a tree's asset (Powertools, X-Ray)
    paths: dict[tuple[str, str], list[Path]] = {}
    for module in modules:
        if module in older:
            paths["before", module] = [befores[module], runtime]
        paths["after", module] = [after[module], runtime]
    paths["before", BASELINE] = [baseline_dir(python312 if SAME_BUNDLER else None, workdir / "b"),
                                 before, runtime]  # fmt: skip
    paths["after", BASELINE] = [baseline_dir(python312, workdir), after[baseline_module], runtime]
    for folder in {*befores.values(), *after.values()}:
        subprocess.run(["chmod", "-R", "a-w", str(folder)], check=True)

    samples: dict[tuple[str, str], list[dict[str, float]]] = {key: [] for key in paths}

    def measure_all() -> None:
        for _ in range(REPEAT):
            for (tree, name), path in paths.items():  # trees interleaved: same load for both
                is_baseline = name == BASELINE
                handler = name if is_baseline else f"{name}.handler"
                env_module = modules[0] if is_baseline else name
                env = lambda_environment(environments[env_module], path[-2], runtime)
                # today's recorded first invocations are replayed on today's tree only: the
                # older handlers make other calls for the same event (unless both trees
                # are bundled alike: then they are the same handlers but for their imports)
                replayed = (
                    None if is_baseline or (tree == "before" and not SAME_BUNDLER) else recording
                )
                samples[tree, name].append(
                    cold_start(python312, handler, path, env, replayed, workdir)
                )

    benchmark.pedantic(measure_all, rounds=1, iterations=1)

    def median(tree: str, name: str, key: str) -> float | None:
        values = [sample[key] for sample in samples.get((tree, name), []) if key in sample]
        return statistics.median(values) if values else None

    rows = []
    sizes = {}
    for folder in {*befores.values(), *after.values()}:
        sizes[folder] = (unzipped_mb(folder), zipped_mb(folder, workdir))
    baseline = {tree: median(tree, BASELINE, "import_cpu") or 0.0 for tree in ("before", "after")}
    for module in modules:
        row: dict[str, Any] = {"function": module.rsplit(".", 1)[1]}
        for tree in ("before", "after") if module in older else ("after",):
            size = sizes[befores[module] if tree == "before" else after[module]]
            imported = median(tree, module, "import_cpu") or 0.0
            invoked = median(tree, module, "invoke_cpu")
            row[tree] = {
                "unzipped_mb": round(size[0], 1),
                "zipped_mb": round(size[1], 1),
                "import_cpu_s": round(imported, 3),
                "import_x_baseline": round(imported / baseline[tree], 2),
                "first_invocation_cpu_s": None if invoked is None else round(invoked, 3),
            }
        rows.append(row)
    benchmark.extra_info["cold_starts"] = rows
    benchmark.extra_info["baseline_import_cpu_s"] = baseline

    lines = [
        f"Powertools-only baseline import: {BASELINE_COMMIT} {baseline['before']:.3f} s CPU, "
        f"today {baseline['after']:.3f} s CPU (medians of {REPEAT} fresh processes)",
        "",
        "| function | asset MB zipped / unzipped | cold import × baseline (CPU s) "
        "| first invocation CPU s |",
        "|---|---|---|---|",
    ]
    for row in rows:
        a = row["after"]
        b = row.get("before") or {k: "new" for k in a}  # a function the older tree lacks
        b = {**b, "first_invocation_cpu_s": b["first_invocation_cpu_s"] or "-"}
        first = a["first_invocation_cpu_s"] or "not invoked by the demo"
        lines.append(
            f"| {row['function']} | {b['zipped_mb']} / {b['unzipped_mb']} → "
            f"{a['zipped_mb']} / {a['unzipped_mb']} | {b['import_x_baseline']} "
            f"({b['import_cpu_s']}) → {a['import_x_baseline']} ({a['import_cpu_s']}) "
            f"| {b['first_invocation_cpu_s']} → {first} |"
        )
    table = "\n".join(lines)
    (CACHE / "table.md").write_text(table + "\n")  # the last run's, for docs/benchmarks.md
    print("\n" + table)

    for row, module in zip(rows, modules, strict=True):
        limit = FIRST_INVOCATION_LIMIT.get(module, FIRST_INVOCATION_DEFAULT)
        first = row["after"]["first_invocation_cpu_s"]
        assert first is None or first <= limit, row
    # Not met yet (docs/benchmarks.md says by how much): shown as an expected failure, so
    # the shortfall is in every run's summary and this turns into a pass when it is met.
    above = {
        row["function"]: row["after"]["import_x_baseline"]
        for row, module in zip(rows, modules, strict=True)
        if row["after"]["import_x_baseline"] > IMPORT_RATIO_LIMIT.get(module, IMPORT_RATIO_DEFAULT)
    }
    if above:
        pytest.xfail(f"cold import above its target ratio to the baseline: {above}")
