"""A package's names loaded with their module on first use (arrears.domain.lazy_exports)."""

from __future__ import annotations

from typing import Any

import pytest
from arrears.domain.lazy_exports import lazy_exports


def test_a_name_loads_from_its_module_once_and_an_unknown_one_is_refused() -> None:
    namespace: dict[str, Any] = {}
    getattr_ = lazy_exports("arrears.domain", {"Purpose": "compliance.model"}, namespace)
    from arrears.domain.compliance.model import Purpose

    assert getattr_("Purpose") is Purpose
    assert namespace == {"Purpose": Purpose}  # later lookups find it without the hook
    with pytest.raises(AttributeError, match="no attribute 'decide'"):
        getattr_("decide")
