"""Headers: a Content-Security-Policy without inline script, no framing, no sniffing, JSON as JSON.

Issue 4, group 6. Every kind of response is checked, and every admin page of both model sets
is read for inline script the policy would refuse: a <script> without the response's nonce,
an on...= handler or a javascript: link that static/admin.js does not take over.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import MODEL_SETS, log_in, make_app
from tests.test_security_csrf import filled_app

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
PAGES = [
    "/",
    "/login",
    "/no-such-page",
    "/static/site.css",
    "/admin/static/vendor/jquery.min.js",
    "/admin/",
    "/admin/product/",
    "/admin/product/new/",
    "/admin/product/export/csv/",
    "/admin/product/ajax/lookup/?name=category&query=a",
]


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in header.split(";"))}


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(admin_client, path):
    response = admin_client.get(path)
    response.close()  # static files are streamed
    assert response.status_code in (200, 302, 404), path  # /login sends a login on to the admin
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, (path, name)
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    scripts = csp["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts
    assert "'unsafe-inline'" not in csp["style-src"]
    assert "Strict-Transport-Security" not in response.headers  # not on plain http in development


def test_hsts_is_sent_in_production(tmp_path):
    app = make_app(tmp_path, PRODUCTION=True)
    response = app.test_client().get("/", base_url="https://localhost")
    app.extensions["kit.store"].close()
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_each_response_gets_its_own_nonce(client):
    nonces = {policy(client.get("/"))["script-src"][1] for _ in range(3)}
    assert len(nonces) == 3
    assert all(re.fullmatch(r"'nonce-[\w-]{22}'", nonce) for nonce in nonces)


def test_a_view_may_set_its_own_policy(app):
    @app.route("/embed")
    def embed():
        return "ok", 200, {"Content-Security-Policy": "frame-ancestors https://partner.example"}

    response = app.test_client().get("/embed")
    assert response.headers["Content-Security-Policy"] == "frame-ancestors https://partner.example"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_public_templates_can_use_the_nonce(app):
    from flask import render_template_string

    @app.route("/with-script")
    def with_script():
        return render_template_string('<script nonce="{{ csp_nonce() }}">let ready = true;</script>')

    response = app.test_client().get("/with-script")
    nonce = re.search(r'nonce="([^"]+)"', response.text).group(1)
    assert f"'nonce-{nonce}'" in policy(response)["script-src"]


INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_admin_pages_hold_no_script_the_policy_would_refuse(tmp_path, model_set):
    app, first = filled_app(tmp_path, model_set)
    client = log_in(app)
    pages = [(client, "/admin/"), (client, "/admin/users/"), (client, "/admin/users/new/")]
    pages.append((app.test_client(), "/login"))  # a login sends on to the admin
    for entity in app.extensions["kit.store"].schema.declared:
        base, id = f"/admin/{entity.name}/", first[entity.name]
        pages += [
            (client, path)
            for path in (base, base + "new/", f"{base}edit/?id={id}", f"{base}details/?id={id}")
        ]
    for visitor, path in pages:
        response = visitor.get(path)
        assert response.status_code == 200, path
        nonce = policy(response)["script-src"][1].removeprefix("'nonce-").rstrip("'")
        for attributes in SCRIPT_TAG.findall(response.text):
            assert f'nonce="{nonce}"' in attributes, (path, attributes)
        for tag in INLINE_HANDLER.findall(response.text):
            # the one inline handler left in Flask-Admin's markup; static/admin.js removes it
            assert tag.endswith('class="dropdown-item filter" onclick='), (path, tag)
        assert "modelActions.execute" not in response.text and "safeConfirm" not in response.text, path
    app.extensions["kit.store"].close()


def test_admin_script_takes_over_every_inline_behaviour():
    from pathlib import Path

    script = (Path(__file__).resolve().parent.parent / "static" / "admin.js").read_text(encoding="utf-8")
    for hook in ("a.filter[onclick]", 'a[href^="javascript:"]', "[data-kit-confirm]", "[data-kit-action]"):
        assert hook in script


# == JSON ======================================================================


def test_json_answers_are_application_json(app, admin_client):
    with app.app_context():
        app.extensions["kit.store"]["category"].create({"name": "Kaffee"})
    lookup = admin_client.get("/admin/product/ajax/lookup/?name=category&query=kaf")
    assert lookup.mimetype == "application/json"
    assert lookup.get_json() == [[1, "Kaffee"]]
    missing = admin_client.get("/api/no-such-thing")
    assert missing.status_code == 404
    assert missing.mimetype == "application/json"
    assert missing.headers["X-Content-Type-Options"] == "nosniff"


# == HOST ======================================================================

HOSTS = "shop.example.com, .example.org"


@pytest.mark.parametrize(
    ("host", "answered"),
    [
        ("shop.example.com", True),
        ("shop.example.com:8443", True),
        ("www.example.org", True),
        ("example.org", True),
        ("evil.example", False),
        ("shop.example.com.evil.example", False),
        ("<b>shop</b>", False),
    ],
)
def test_only_allowed_hosts_are_answered(tmp_path, host, answered):
    app = make_app(tmp_path, ALLOWED_HOSTS=HOSTS)
    client = app.test_client()
    page, api = (client.get(path, headers={"Host": host}) for path in ("/", "/api/product"))
    assert (page.status_code, api.status_code) == ((200, 200) if answered else (400, 400))
    if not answered:
        assert "doesn&#39;t answer to that host name" in page.text and "<b>shop" not in page.text
        assert api.get_json()["error"]["message"].startswith("This site doesn't answer to that host name")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_are_answered_whatever_the_host(tmp_path, path):
    app = make_app(tmp_path, ALLOWED_HOSTS=HOSTS)  # a load balancer asks by the server's address
    assert app.test_client().get(path, headers={"Host": "10.0.0.5:8000"}).status_code == 200


def test_the_page_refusing_a_host_gets_its_stylesheet(tmp_path):
    app = make_app(tmp_path, ALLOWED_HOSTS=HOSTS)
    with app.test_client().get("/static/site.css", headers={"Host": "evil.example"}) as response:
        assert response.status_code == 200


def test_any_host_is_answered_while_allowed_hosts_is_empty(app):
    assert app.config["ALLOWED_HOSTS"] is None
    assert app.test_client().get("/", headers={"Host": "anything.example"}).status_code == 200


def test_allowed_hosts_is_read_from_the_environment_as_a_list(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " shop.example.com ,, .example.org ")
    assert make_app(tmp_path).config["ALLOWED_HOSTS"] == ["shop.example.com", ".example.org"]


# == HTTPS =====================================================================


@pytest.fixture
def production(tmp_path):
    app = make_app(tmp_path, PRODUCTION=True, ALLOWED_HOSTS="shop.example.com")
    yield app.test_client()
    app.extensions["kit.store"].close()


@pytest.mark.parametrize(
    ("method", "status"), [("get", 301), ("head", 301), ("post", 308), ("patch", 308), ("delete", 308)]
)
def test_production_sends_plain_http_to_https(production, method, status):
    response = getattr(production, method)("/admin/?page=2", base_url="http://shop.example.com")
    assert response.status_code == status
    assert response.headers["Location"] == "https://shop.example.com/admin/?page=2"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_stay_on_plain_http(production, path):
    assert production.get(path, base_url="http://shop.example.com").status_code == 200


def test_this_machines_own_address_stays_on_plain_http(tmp_path):
    app = make_app(tmp_path, PRODUCTION=True)  # trying production mode before a deploy
    for host in ("localhost", "127.0.0.1:5000", "[::1]:5000", "[::1]"):
        assert app.test_client().get("/", base_url=f"http://{host}").status_code == 200, host


def test_https_is_answered(production):
    assert production.get("/", base_url="https://shop.example.com").status_code == 200


def test_a_proxy_that_is_not_trusted_gets_a_sentence_not_a_redirect_loop(production):
    headers = {"X-Forwarded-Proto": "https"}
    response = production.get("/", base_url="http://shop.example.com", headers=headers)
    assert response.status_code == 400
    assert "set PROXIES=1" in response.text


def test_a_trusted_proxy_saying_https_is_believed(tmp_path):
    app = make_app(tmp_path, PRODUCTION=True, PROXIES=1)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    response = app.test_client().get("/", base_url="http://shop.example.com", headers=headers)
    assert response.status_code == 200


def test_development_stays_on_plain_http(client):
    assert client.get("/", base_url="http://shop.example.com").status_code == 200
