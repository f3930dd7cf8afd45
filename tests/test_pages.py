"""The landing page, its waitlist form, the error pages and the settings they run on."""

from __future__ import annotations

import re
from html import unescape
from types import ModuleType

import pytest
from flask import Flask

from kit import config
from kit.config import SettingError
from kit.store import Query
from tests import unusual_models
from tests.conftest import csrf_token, make_app

BAD_EMAIL = "Email must be an email address like name@example.com."


def page_text(response) -> str:
    """What a person reads on the page: tags dropped, whitespace collapsed."""
    text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", response.text, flags=re.S)
    return unescape(re.sub(r"\s+", " ", text))


def add_products(app: Flask, *products: tuple[str, bool]) -> None:
    """(name, active) products in one category, made through the model layer."""
    kit_store = app.extensions["kit.store"]
    with app.app_context():
        category = kit_store["category"].create({"name": "Pâtisserie"})
        for stock, (name, active) in enumerate(products):
            kit_store["product"].create(
                {"name": name, "category": category["id"], "price": "4.50", "stock": stock, "active": active}
            )


def signups(app: Flask) -> list[dict]:
    with app.app_context():
        return app.extensions["kit.store"]["signup"].list(Query(per_page=100)).rows


def join_waitlist(client, email: str, comment: str = ""):
    token = csrf_token(client, "/")
    return client.post("/", data={"email": email, "comment": comment, "csrf_token": token})


# == LANDING PAGE ==============================================================


def test_landing_page_lists_active_products_only(app, client):
    add_products(app, ("Crème brûlée", True), ("Smørrebrød", True), ("Retired Brötchen", False))
    response = client.get("/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Crème brûlée" in text
    assert "Smørrebrød" in text
    assert "Retired Brötchen" not in text


def test_landing_page_without_products_points_to_the_admin(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No products yet" in page_text(response)


def test_product_names_are_html_escaped(app, client):
    add_products(app, ("<script>alert(1)</script>", True))
    response = client.get("/")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_landing_page_shows_only_the_sections_of_declared_entities(any_app):
    # a founder replacing the example's entities keeps a working home page, without their sections
    kit_store = any_app.extensions["kit.store"]
    response = any_app.test_client().get("/")
    assert response.status_code == 200
    for name, anchor in (("product", 'id="products"'), ("signup", 'id="waitlist"')):
        assert (anchor in response.text) is (name in kit_store.repositories), name
        assert (f'href="/#{anchor[4:-1]}"' in response.text) is (name in kit_store.repositories), name


def test_landing_page_without_a_signup_entity_takes_no_posts(tmp_path):
    app = make_app(tmp_path, unusual_models)
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/", data={"email": "zoë@example.com", "csrf_token": token})
    assert response.status_code == 405
    assert "POST" not in response.headers["Allow"]
    assert "Join the waitlist" not in page_text(client.get("/"))


def test_landing_page_leaves_out_entities_of_those_names_without_the_fields_it_shows(tmp_path):
    from kit.declare import Entity, Integer, Money, Text

    other = ModuleType("other")
    other.product = Entity("product", Text("title"), Integer("stock"))
    other.signup = Entity("signup", Text("comment"))
    other.offer = Entity("offer", Text("name"))
    client = make_app(tmp_path, other).test_client()
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="products"' not in response.text and 'id="waitlist"' not in response.text
    token = csrf_token(client, "/login")
    assert client.post("/", data={"comment": "hi", "csrf_token": token}).status_code == 405

    priced = ModuleType("priced")
    priced.product = Entity("product", Text("name", required=True), Money("price"))
    (tmp_path / "priced").mkdir()
    app = make_app(tmp_path / "priced", priced)
    with app.app_context():
        app.extensions["kit.store"]["product"].create({"name": "Pfeffermühle"})  # no price yet
    response = app.test_client().get("/")
    assert response.status_code == 200 and "Pfeffermühle" in response.text


# == WAITLIST ==================================================================


def test_waitlist_signup_is_saved_and_redirects(app, client):
    response = join_waitlist(client, "Zoë@Example.com", "Brot für die Woche")
    assert response.status_code == 302
    assert response.headers["Location"] == "/#waitlist"
    [signup] = signups(app)
    assert signup["email"] == "zoë@example.com"
    assert signup["source"] == "landing"
    assert signup["comment"] == "Brot für die Woche"
    assert "Thanks! You are on the waitlist" in page_text(client.get("/"))


def test_waitlist_thanks_is_shown_inside_the_waitlist_section(client):
    # the redirect scrolls to #waitlist: a thanks at the top of the page would be off-screen
    join_waitlist(client, "zoë@example.com")
    html = client.get("/").text
    section = html[html.index('<section id="waitlist"') :]
    assert "Thanks! You are on the waitlist" in section
    assert "Thanks! You are on the waitlist" not in html[: html.index('<section id="waitlist"')]


def test_waitlist_comment_is_asked_with_the_label_the_admin_shows(app, client):
    label = app.extensions["kit.store"]["signup"].fields["comment"].label
    assert f"{label} (optional)" in page_text(client.get("/"))


def test_waitlist_boxes_take_no_more_than_their_fields_do(app, client):
    fields = app.extensions["kit.store"]["signup"].fields
    html = client.get("/").text
    for name in ("email", "comment"):
        box = re.search(rf'<input id="{name}"[^>]*>', html).group(0)
        assert f'maxlength="{fields[name].max_length}"' in box


def test_waitlist_bad_email_is_shown_beside_the_field_and_nothing_is_saved(app, client):
    response = join_waitlist(client, "zoë-at-example.com", "Kaffee")
    assert response.status_code == 200
    assert re.search(r'<p class="error" id="email-error">\s*' + re.escape(BAD_EMAIL), response.text)
    assert 'value="zoë-at-example.com"' in response.text  # what was typed is kept
    assert signups(app) == []


def test_waitlist_answers_a_known_email_as_a_new_one_and_saves_it_once(app, client):
    # whether someone signed up is theirs to know, not anyone's who types their address
    answers = []
    for email in ("zoë@example.com", "ZOË@example.com"):
        response = join_waitlist(client, email, "Kaffee")
        answers.append((response.status_code, response.headers.get("Location"), page_text(client.get("/"))))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/#waitlist")
    assert "Thanks! You are on the waitlist" in answers[0][2]
    assert len(signups(app)) == 1


def test_waitlist_known_email_with_another_mistake_shows_only_that_mistake(app, client):
    join_waitlist(client, "zoë@example.com")
    response = join_waitlist(client, "zoë@example.com", "x" * 5000)
    assert response.status_code == 200
    assert "is already taken" not in page_text(response)
    assert "What would you use it for? must be at most" in page_text(response)
    assert len(signups(app)) == 1


def test_waitlist_post_without_csrf_token_is_refused(app, client):
    response = client.post("/", data={"email": "zoë@example.com"})
    assert response.status_code == 400
    assert signups(app) == []


# == ERROR PAGES ===============================================================


def test_unknown_url_shows_the_kits_404_page(client):
    response = client.get("/no-such-page/ünïcode")
    assert response.status_code == 404
    assert '<a href="/">Home</a>' in response.text
    assert "404" in page_text(response)
    assert "Traceback" not in response.text


def test_a_method_a_page_doesnt_take_is_a_405_naming_those_it_does(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "405" in page_text(response) and response.mimetype == "text/html"
    assert "POST" in {name.strip() for name in response.headers["Allow"].split(",")}


def test_server_error_page_hides_the_exception(tmp_path):
    app = make_app(tmp_path, TESTING=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    app.extensions["kit.store"].close()
    assert response.status_code == 500
    assert "Something went wrong" in page_text(response)
    assert "secret detail" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text


# == SETTINGS ==================================================================


def test_make_app_overrides_reach_the_pages(tmp_path):
    app = make_app(tmp_path, APP_NAME="Bäckerei Ünal", PAGE_SIZE=50)
    assert app.config["PAGE_SIZE"] == 50
    response = app.test_client().get("/")
    app.extensions["kit.store"].close()
    assert "Bäckerei Ünal" in page_text(response)


BOOLEAN = next(s for s in config.SETTINGS if s.name == "SEED_ON_START")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("false", False),
        ("FALSE", False),
        (" no ", False),
        ("0", False),
        ("", False),
        ("true", True),
        ("yes", True),
        ("On", True),
        ("1", True),
    ],
)
def test_booleans_are_read_as_words(raw, value):
    assert config.parse(BOOLEAN, raw) is value


@pytest.mark.parametrize("raw", ["maybe", "nein", "tru", "ja ✓"])
def test_boolean_that_is_not_a_word_names_the_setting(raw):
    with pytest.raises(SettingError, match="SEED_ON_START must be true or false"):
        config.parse(BOOLEAN, raw)


def test_false_in_the_environment_turns_a_flag_off(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBUG", "false")
    app = make_app(tmp_path)
    app.extensions["kit.store"].close()
    assert app.config["DEBUG"] is False


def test_unreadable_setting_in_the_environment_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PAGE_SIZE", "zwanzig")
    with pytest.raises(SettingError, match="PAGE_SIZE must be a whole number, not 'zwanzig'."):
        make_app(tmp_path)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "ALLOWED_HOSTS",
            "https://shop.example.com/",
            "ALLOWED_HOSTS takes host names like shop.example.com",
        ),
        ("ALLOWED_HOSTS", "shop.example.com, admin@shop.example.com", "not 'admin@shop.example.com'"),
        ("CORS_ORIGINS", "app.example.com", "CORS_ORIGINS takes origins like https://app.example.com"),
        ("CORS_ORIGINS", "https://app.example.com/spa", "not 'https://app.example.com/spa'"),
    ],
)
def test_a_host_or_origin_that_would_never_match_stops_the_start(tmp_path, setting, value, message):
    with pytest.raises(SettingError, match=re.escape(message)):
        make_app(tmp_path, **{setting: value})


def test_hosts_and_origins_written_right_start(tmp_path):
    app = make_app(
        tmp_path, ALLOWED_HOSTS=".example.com, localhost", CORS_ORIGINS="https://a.example.com/, *"
    )
    assert app.config["ALLOWED_HOSTS"] == [".example.com", "localhost"]
    app.extensions["kit.store"].close()


def test_a_misspelt_setting_in_env_is_said(caplog):
    config.warn_of_misspelt_names({"PAGESIZE": "30", "page_size": "40", "FLASK_APP": "app", "DEBUG": "false"})
    assert [record.getMessage() for record in caplog.records] == [
        ".env sets PAGESIZE, which is no setting; did you mean PAGE_SIZE?",
        ".env sets page_size, which is no setting; did you mean PAGE_SIZE?",
    ]
