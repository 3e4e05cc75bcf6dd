"""Fixtures every test folder may use."""

pytest_plugins = ["tests.support.packs", "tests.support.pii_logs"]
