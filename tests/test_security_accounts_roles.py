"""Accounts and roles: what an admin, an editor and a viewer can reach, tried as each of them.

Issue 4, group 1: admin (everything), editor (data, not users), viewer (reads, changes nothing);
users are managed only by admins; nobody raises (or changes) their own role.
"""

from __future__ import annotations

import pytest
from flask import Flask

from kit import fake
from kit.store import Query, Repository
from tests.conftest import MODEL_SETS, PASSWORD, csrf_token, log_in, make_app
from tests.test_admin import WALKS, fill_references, form_for, page_text

USER_AREAS = ("/admin/users/", "/admin/tokens/")


EVERY_ENTITY = pytest.mark.parametrize("entity", WALKS, indirect=True, ids=[f"{m}-{e}" for m, e in WALKS])
"""Run a test once per entity of both model sets; its `entity` fixture gets (model set, entity name)."""


def open_entity(tmp_path, walk: tuple[str, str]) -> tuple[Flask, Repository, dict[str, list[int]]]:
    """(app, repo, refs): an app on one model set with rows for everything the entity refers to."""
    model_set, entity_name = walk
    app = make_app(tmp_path, MODEL_SETS[model_set])
    kit_store = app.extensions["kit.store"]
    repo = kit_store[entity_name]
    with app.app_context():
        refs = fill_references(kit_store, repo.entity)
    return app, repo, refs


@pytest.fixture
def entity(tmp_path, request):
    """(app, repo, a saved row, form data to change it) for one entity of one model set."""
    app, repo, refs = open_entity(tmp_path, request.param)
    with app.app_context():
        row = repo.create(fake.row(repo, 3, refs))
        changed = form_for(repo, fake.row(repo, 4, refs))
    yield app, repo, row, changed
    app.extensions["kit.store"].close()


def snapshot(app: Flask, repo) -> list[dict]:
    with app.app_context():
        return repo.list(Query(sort="id", per_page=500)).rows


def user(app: Flask, email: str) -> dict:
    with app.app_context():
        return app.extensions["kit.store"]["kit_user"].find("email", email)


# == VIEWERS: CLICK EVERYTHING, BREAK NOTHING ==================================


@EVERY_ENTITY
def test_viewer_posts_to_every_write_url_and_nothing_changes(entity):
    app, repo, row, changed = entity
    viewer = log_in(app, "viewer")
    base = f"/admin/{repo.name}/"
    token = csrf_token(viewer, base)
    before = snapshot(app, repo)
    attempts = [
        (base + "new/", changed),
        (f"{base}edit/?id={row['id']}", changed),
        (base + "delete/", {"id": row["id"]}),
        (base + "action/", {"action": "delete", "rowid": [row["id"]]}),
        (base + "ajax/update/", {"list_form_pk": row["id"], **changed}),
    ]
    for url, data in attempts:
        response = viewer.post(url, data={**data, "csrf_token": token})
        assert response.status_code in (302, 403, 404), (url, response.status_code)
    assert snapshot(app, repo) == before


@EVERY_ENTITY
def test_viewer_is_offered_no_button_that_changes_data(entity):
    app, repo, row, _ = entity
    viewer = log_in(app, "viewer")
    listing = viewer.get(f"/admin/{repo.name}/")
    assert listing.status_code == 200
    html = listing.text
    assert f'href="/admin/{repo.name}/new/' not in html
    assert f"/admin/{repo.name}/edit/" not in html
    assert f'action="/admin/{repo.name}/delete/"' not in html
    assert "With selected" not in html
    for url in (f"/admin/{repo.name}/new/", f"/admin/{repo.name}/edit/?id={row['id']}"):
        assert viewer.get(url).status_code in (302, 403), url


@pytest.mark.parametrize("entity", WALKS[:1], indirect=True, ids=["shop-first"])
def test_editor_changes_data_through_every_write_url(entity):
    app, repo, row, changed = entity
    editor = log_in(app, "editor")
    base = f"/admin/{repo.name}/"
    token = csrf_token(editor, base)
    response = editor.post(f"{base}edit/?id={row['id']}", data={**changed, "csrf_token": token})
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        assert repo.get(row["id"]) != row
    response = editor.post(
        base + "action/", data={"action": "delete", "rowid": [row["id"]], "csrf_token": token}
    )
    assert response.status_code == 302
    assert row["id"] not in [r["id"] for r in snapshot(app, repo)]


# == USERS ARE FOR ADMINS ======================================================


@pytest.mark.parametrize("role", ["editor", "viewer"])
@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_only_admins_reach_any_user_or_token_url(tmp_path, model_set, role):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    client = log_in(app, role)
    token = csrf_token(client, "/admin/")
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(USER_AREAS)]
    assert len([r for r in rules if r.rule.startswith("/admin/users/")]) >= 8
    for rule in rules:
        url = rule.rule.replace("<export_type>", "csv")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 403, (method, url, response.status_code)
    app.extensions["kit.store"].close()


@pytest.mark.parametrize("role", ["editor", "viewer"])
@pytest.mark.parametrize("new_role", ["admin", "editor", "ADMIN", "admin "])
def test_nobody_raises_their_own_role(app, role, new_role):
    client = log_in(app, role)
    me = user(app, f"{role}@example.com")
    token = csrf_token(client, "/admin/")
    form = {"email": me["email"], "role": new_role, "active": "y", "csrf_token": token}
    response = client.post(f"/admin/users/edit/?id={me['id']}", data=form)
    assert response.status_code == 403
    response = client.post("/admin/users/new/", data={**form, "email": "second@example.com"})
    assert response.status_code == 403
    assert user(app, me["email"])["role"] == role
    assert user(app, "second@example.com") is None


def test_admin_cannot_change_deactivate_or_delete_their_own_login(app, admin_client):
    me = user(app, "admin@example.com")
    token = csrf_token(admin_client, "/admin/users/")
    edit = f"/admin/users/edit/?id={me['id']}"
    response = admin_client.post(
        edit, data={"email": me["email"], "role": "viewer", "active": "y", "csrf_token": token}
    )
    assert "You can't change your own role; ask another admin." in page_text(response)
    response = admin_client.post(edit, data={"email": me["email"], "role": "admin", "csrf_token": token})
    assert "You can't deactivate your own login; ask another admin." in page_text(response)
    admin_client.post("/admin/users/delete/", data={"id": me["id"], "csrf_token": token})
    admin_client.post(
        "/admin/users/action/", data={"action": "delete", "rowid": [f"0{me['id']}"], "csrf_token": token}
    )
    assert "You can't delete your own login" in page_text(admin_client.get("/admin/users/"))
    after = user(app, me["email"])
    assert (after["role"], after["active"]) == ("admin", True)


def test_admin_manages_other_users_roles(app, admin_client):
    with app.app_context():
        from kit.auth import save_user

        other = save_user("zoë@example.com", PASSWORD, "viewer")
    token = csrf_token(admin_client, "/admin/users/")
    data = {"email": other["email"], "role": "editor", "active": "y", "csrf_token": token}
    response = admin_client.post(f"/admin/users/edit/?id={other['id']}", data=data)
    assert response.status_code == 302, page_text(response)
    assert user(app, other["email"])["role"] == "editor"


@pytest.mark.parametrize("bad_role", ["root", "superadmin", "", "admin'--", "Admin; everything"])
def test_a_role_that_does_not_exist_is_refused(app, admin_client, bad_role):
    token = csrf_token(admin_client, "/admin/users/new/")
    data = {
        "email": "neu@example.com",
        "role": bad_role,
        "password": PASSWORD,
        "active": "y",
        "csrf_token": token,
    }
    response = admin_client.post("/admin/users/new/", data=data)
    assert response.status_code == 200
    assert "Role" in page_text(response)
    assert user(app, "neu@example.com") is None


def test_create_admin_refuses_a_role_that_does_not_exist(runner):
    result = runner.invoke(args=["create-admin", "neu@example.com", "--role", "root", "--password", PASSWORD])
    assert result.exit_code == 2
    assert "'root' is not one of 'admin', 'editor', 'viewer'" in result.output


def test_a_demoted_user_loses_the_role_on_the_next_request(app):
    editor = log_in(app, "editor")
    token = csrf_token(editor, "/admin/category/")
    with app.app_context():
        users = app.extensions["kit.store"]["kit_user"]
        users.update(users.find("email", "editor@example.com")["id"], {"role": "viewer"})
    editor.post("/admin/category/new/", data={"name": "Kaffee", "csrf_token": token})
    with app.app_context():
        assert app.extensions["kit.store"]["category"].count() == 0
