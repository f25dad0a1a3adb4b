"""Deferred imports: a module is loaded on first attribute access, not at import time.

app.py is imported by every Lambda function of the app (API, sweep, sender); what only some of
them need is loaded when first used, so a cold start pays only for what it runs.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attr: str):
        return getattr(self._load(), attr)


def lazy(name: str) -> LazyModule:
    return LazyModule(name)

