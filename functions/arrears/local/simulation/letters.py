"""The letters swap of `arrears simulate --letters pdf|hash|none`.

Only the letter boundary changes, where the handlers' adapters are put together: the runtime
gets ``ARREARS_LETTERS_MODE`` and the composition (``adapters.letters.default_store`` and
``default_renderer``) picks the renderer and the store by it. ``hash`` renders the letter's
texts without laying out a PDF and stores their SHA-256 in the letters bucket; ``none``
renders the texts and stores nothing. The step, the audit line (key, SHA-256) and the
dispatch announcement are the real ones.
"""

from __future__ import annotations

from arrears import constants as c

MODES = ("pdf", "hash", "none")
WHAT = {
    "hash": "letters are not rendered to PDF; a sha256 of their content is stored instead",
    "none": "letters are not rendered to PDF and nothing is stored; the audit line keeps "
    "the sha256 of their content",
}


def letters_env(mode: str) -> dict[str, str]:
    """The Lambda environment that selects the letters mode."""
    if mode not in MODES:
        raise ValueError(f"letters must be one of {', '.join(MODES)}, not {mode!r}")
    return {} if mode == "pdf" else {c.ENV_LETTERS_MODE: mode}


def swaps(mode: str) -> list[dict[str, str]]:
    """The swaps entry of simulation.json for this letters mode (none for ``pdf``)."""
    return [] if mode == "pdf" else [{"boundary": "letters", "mode": mode, "what": WHAT[mode]}]
