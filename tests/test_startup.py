"""Start-up: the garbage collector paused while the kit loads, URL builders compiled on first use."""

import gc

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
