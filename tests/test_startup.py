"""Start-up: the garbage collector paused while the kit loads, URL builders compiled on first use,
templates kept compiled for the next start."""

import gc
from pathlib import Path

import jinja2
import pytest
from werkzeug.routing import Map, Rule

from kit.startup import LazyRule
from tests.conftest import make_app, run_python


def test_importing_the_kit_pauses_garbage_collection_until_the_app_is_made(tmp_path):
    code = (
        "import gc, app\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
        "app.create_app()\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    assert run_python(tmp_path, code)[-2:] == ["False False", "True True"]


def test_the_next_app_leaves_a_collector_turned_off_elsewhere_off(app, tmp_path):
    gc.disable()
    try:
        (tmp_path / "next").mkdir()
        app = make_app(tmp_path / "next")
        still_off = not gc.isenabled()
    finally:
        gc.enable()
    app.extensions["kit.store"].close()
    assert still_off


@pytest.mark.parametrize("extra", [{}, {"next": "/admin/?a=b c", "page": "2"}])
def test_lazy_rules_build_every_url_of_the_app_as_werkzeugs_own_do(app, extra):
    plain, lazy = Map(), Map()
    for rule in app.url_map.iter_rules():
        for url_map, rule_class in ((plain, Rule), (lazy, LazyRule)):
            url_map.add(rule_class(rule.rule, endpoint=rule.endpoint, methods=rule.methods))
    plain_urls, lazy_urls = plain.bind("localhost"), lazy.bind("localhost")
    assert isinstance(next(app.url_map.iter_rules("admin.index")), LazyRule)
    for rule in app.url_map.iter_rules():
        values = {name: "12" for name in rule.arguments} | extra
        built = lazy_urls.build(rule.endpoint, values, append_unknown=bool(extra))
        assert built == plain_urls.build(rule.endpoint, values, append_unknown=bool(extra)), rule.rule
        assert built.startswith("/")


def test_compiled_templates_are_kept_for_the_next_start(app, tmp_path, monkeypatch):
    assert app.test_client().get("/login").status_code == 200
    cache = Path(app.instance_path) / "template-cache" / f"jinja-{jinja2.__version__}"
    assert any(cache.glob("__jinja2_*.cache"))
    (tmp_path / "next").mkdir()
    following = make_app(tmp_path / "next")
    compiled = []
    original = following.jinja_env.compile
    monkeypatch.setattr(
        following.jinja_env, "compile", lambda *a, **k: compiled.append(a) or original(*a, **k)
    )
    assert following.test_client().get("/login").status_code == 200
    following.extensions["kit.store"].close()
    assert compiled == []  # read from the cache, not compiled again


def test_a_template_cache_that_cannot_be_used_is_done_without(app, tmp_path):
    in_the_way = tmp_path / "not-a-folder"
    in_the_way.write_text("")
    app.jinja_env.bytecode_cache.directory = str(in_the_way)
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/").status_code == 200
