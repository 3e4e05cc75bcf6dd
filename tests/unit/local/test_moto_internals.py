"""Fails loudly, naming the internal, when moto's internals the local runtime patches move."""

from __future__ import annotations

import pytest
from arrears.local import moto_patches


def test_every_patched_moto_internal_is_where_the_runtime_expects_it():
    # given the pinned moto and the list of replaced attributes with their parameters
    # when they are compared with the installed moto
    problems = moto_patches.check_internals()

    # then nothing moved (each problem names the attribute and what changed)
    assert problems == [], "moto internals changed:\n" + "\n".join(problems)


def test_the_check_names_an_internal_whose_signature_changed(monkeypatch):
    # given a patched internal whose parameters no longer match
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    def changed(self, env, wait_seconds, extra):  # pragma: no cover - never called
        return None

    monkeypatch.setattr(wait_function.WaitFunction, "_wait_interval", changed)

    # when the internals are checked
    problems = moto_patches.check_internals()

    # then the report names it
    assert any("WaitFunction._wait_interval parameters changed" in p for p in problems)


def test_the_check_names_a_missing_internal(monkeypatch):
    from moto.stepfunctions.parser.asl.eval.callback import callback

    monkeypatch.delattr(callback.HeartbeatEndpoint, "clear_and_wait")

    problems = moto_patches.check_internals()

    assert any("HeartbeatEndpoint.clear_and_wait is gone" in p for p in problems)


def test_patches_are_removed_when_the_runtime_closes():
    # given moto's original Wait implementation
    from arrears.local.clock import Scheduler, VirtualClock
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    original = WaitFunction.__dict__["_wait_interval"]
    hooks = moto_patches.Hooks(
        scheduler=Scheduler(VirtualClock(__import__("datetime").datetime.now().astimezone())),
        invoke_lambda=lambda name, event: ("{}", False),
    )

    # when patches are installed and removed
    with moto_patches.patched(hooks):
        assert WaitFunction.__dict__["_wait_interval"] is not original
        # and a second runtime cannot install them at the same time
        with pytest.raises(RuntimeError, match="already running"), moto_patches.patched(hooks):
            pass

    # then the original is back
    assert WaitFunction.__dict__["_wait_interval"] is original
