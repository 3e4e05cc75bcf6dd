"""One cold start of one Lambda handler, the way Lambda runs it, in this fresh process.

``test_cold_start_bench.py`` starts it as ``python3.12 -I -B cold_start_driver.py SPEC``
(``-I``: nothing but the paths SPEC names is importable; ``-B``: bytecode is read, never
written, as on Lambda's read-only task root), with the function's deployed environment. SPEC
is a JSON file naming the import path (the asset, then the runtime's AWS SDK), the handler,
an optional recording of its first invocation (``cold_start_recorder.py``) and where to
write the result: CPU seconds of the handler module's import and of the first invocation.

The recorded AWS answers are replayed at botocore's API-call boundary (no network); the
clock is set to the recorded instant, so the handler takes the decisions it took then.
"""

from __future__ import annotations

import importlib
import io
import json
import pickle
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any


def live_response(response: Any) -> Any:
    """A recorded response with S3 bodies turned back into streams."""
    from botocore.response import StreamingBody

    if isinstance(response, dict):
        if set(response) == {"__streaming_body__"}:
            body = response["__streaming_body__"]
            return StreamingBody(io.BytesIO(body), len(body))
        return {key: live_response(value) for key, value in response.items()}
    if isinstance(response, list):
        return [live_response(value) for value in response]
    return response


def replay_aws(calls: list[tuple[str, str, Any]]) -> None:
    """Answer each AWS call with the recorded answer to the same service and operation."""
    from botocore.client import BaseClient

    pending = list(calls)

    def make_api_call(client: Any, operation: str, params: Any) -> Any:
        service = client.meta.service_model.service_name
        for index, recorded in enumerate(pending):
            if recorded[:2] == (service, operation):
                response = pending.pop(index)[2]
                break
        else:
            raise RuntimeError(f"no recorded answer for {service}.{operation}")
        if isinstance(response, dict) and set(response) == {"__error__"}:
            error = response["__error__"]
            raise client.exceptions.from_code(error["Error"]["Code"])(error, operation)
        return live_response(response)

    BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]


class LambdaContext:
    def __init__(self, recording: dict[str, Any]) -> None:
        self.function_name = recording["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        )
        self.memory_limit_in_mb = recording["memory_mb"]
        self.aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "2026/12/06/[$LATEST]cold"
        self._timeout_ms = recording["timeout_seconds"] * 1000

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


def _profiler(spec: dict[str, Any]) -> Any:
    """A cProfile of the first invocation, when the spec asks for one (looking for costs)."""
    if not spec.get("profile"):
        return None
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    return profile


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    sys.path[:0] = spec["path"]
    module_name, _, attribute = spec["handler"].rpartition(".")

    began = time.process_time()
    module = importlib.import_module(module_name)
    import_cpu = time.process_time() - began
    result: dict[str, Any] = {"import_cpu": import_cpu, "modules": len(sys.modules)}

    recordings = pickle.loads(Path(spec["recording"]).read_bytes()) if spec.get("recording") else {}
    if spec["handler"] in recordings:  # a function the demo portfolio never invokes has none
        recording = recordings[spec["handler"]]
        replay_aws(recording["calls"])
        import time_machine

        with time_machine.travel(datetime.fromisoformat(recording["at"]), tick=False):
            profile = _profiler(spec)
            began = time.process_time()
            getattr(module, attribute)(recording["event"], LambdaContext(recording))
            result["invoke_cpu"] = time.process_time() - began
            if profile is not None:
                profile.disable()
                profile.dump_stats(spec["profile"])
    Path(spec["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
