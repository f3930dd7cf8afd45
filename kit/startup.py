"""What keeps `python app.py` and each worker quick to its first answer (bench/start_up.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

import kit


class LazyRule(Rule):
    """A Werkzeug rule that compiles its URL builders on their first use.

    Werkzeug compiles two Python functions per rule as it is added, to build its URLs; the
    admin alone adds ~75 rules, so that was ~35 ms of every start, for builders most
    processes never call.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            return compiled(*args, **kwargs)

        return build


def init_app(app: Flask) -> None:
    """Garbage collection back on (see kit/__init__.py); every rule added from here on is lazy."""
    kit.resume_collection()
    app.url_rule_class = LazyRule
