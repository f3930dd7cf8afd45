"""What keeps `python app.py` and each worker quick to its first answer (bench/start_up.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from flask import Flask
from jinja2 import FileSystemBytecodeCache
from jinja2.bccache import Bucket
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


class TemplateCache(FileSystemBytecodeCache):
    """Templates compiled by an earlier start, kept in the instance folder (Jinja's bytecode cache).

    Flask-Admin's templates took ~120 ms to compile on each process's first list page, ~60 ms
    on its first dashboard; read from here, 15-25 ms and ~10 ms.  Jinja checks each entry
    against its template's source, so an edited template is compiled again.  A cache that
    can't be read or written (a read-only or full disk) is done without, never an error.
    """

    def load_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def init_app(app: Flask) -> None:
    """Garbage collection back on (see kit/__init__.py); every rule added from here on is lazy;
    compiled templates are kept for the next start."""
    kit.resume_collection()
    app.url_rule_class = LazyRule
    # Jinja checks an entry against its template's source and Python, not against Jinja itself
    folder = Path(app.instance_path) / "template-cache" / f"jinja-{jinja2.__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    app.jinja_options = {**app.jinja_options, "bytecode_cache": TemplateCache(str(folder))}
