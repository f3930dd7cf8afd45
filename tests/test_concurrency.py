"""Many writers at once lose nothing: stale edits are refused, threads and workers take turns.

Each rule holds on SQLite and, with KIT_TEST_DATABASE set, on PostgreSQL.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path
from urllib.request import urlopen

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from kit import fake
from kit.errors import Changed, Conflict
from kit.schema import VERSION
from tests.conftest import MODEL_SETS, ROOT, SECRET_KEY, csrf_token, database_for, log_in, make_app
from tests.test_admin import WALKS, fill_references, form_for
from tests.test_api import bearer, token_for

# -- optimistic concurrency ---------------------------------------------------


@pytest.mark.parametrize(("model_set", "entity_name"), WALKS)
def test_a_stale_edit_is_refused_naming_what_changed(tmp_path, model_set, entity_name):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    with app.app_context():
        repo = app.extensions["kit.store"][entity_name]
        refs = fill_references(app.extensions["kit.store"], repo.entity)
        opened = repo.create(fake.row(repo, 1, refs))
        seen = {name: f.format(opened[name]) for name, f in repo.entity.fields.items() if not f.hidden}
        saved = repo.update(opened["id"], fake.row(repo, 2, refs), expected_version=opened[VERSION])
        assert saved[VERSION] == opened[VERSION] + 1
        with pytest.raises(Changed) as refused:
            repo.update(opened["id"], fake.row(repo, 3, refs), expected_version=opened[VERSION], seen=seen)
        assert refused.value.message.startswith("This record changed since you opened it.")
        differ = {name for name in seen if repo.fields[name].format(saved[name]) != seen[name]}
        assert set(refused.value.fields) == differ
        assert all(
            message.startswith(repo.fields[name].label) for name, message in refused.value.fields.items()
        )
        assert refused.value.status == 409 and refused.value.current == saved
        assert repo.get(opened["id"]) == saved  # nothing of the stale edit was written


def test_an_update_without_a_version_still_raises_it(app):
    with app.app_context():
        repo = app.extensions["kit.store"]["category"]
        row = repo.create({"name": "Tee"})
        assert repo.update(row["id"], {"name": "Grüner Tee"})[VERSION] == 2


def test_a_stale_delete_is_refused_and_keeps_the_row(app):
    with app.app_context():
        repo = app.extensions["kit.store"]["category"]
        row = repo.create({"name": "Tee"})
        repo.update(row["id"], {"description": "neu"})
        with pytest.raises(Changed):
            repo.delete(row["id"], expected_version=row[VERSION])
        assert repo.count() == 1
        repo.delete(row["id"], expected_version=row[VERSION] + 1)
        assert repo.count() == 0


def opened_copy(page) -> str:
    found = re.search(r'<input[^>]*name="version"[^>]*value="([^"]*)"', page.text)
    assert found, "the edit form carries no version"
    return unescape(found.group(1))


def test_two_editors_of_one_row_the_second_save_is_refused_and_shows_what_changed(app):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        category = kit_store["category"].create({"name": "Kaffee"})
        product = kit_store["product"].create(
            {"name": "Bohnen", "category": category["id"], "price": "12.50"}
        )
    url = f"/admin/product/edit/?id={product['id']}"
    anna, ben = log_in(app, "editor", "anna@example.com"), log_in(app, "editor", "ben@example.com")
    form = form_for(app.extensions["kit.store"]["product"], {**product})
    form = {name: value for name, value in form.items() if name in ("name", "category", "price", "stock")}
    anna_page, ben_page = anna.get(url), ben.get(url)

    saved = anna.post(
        url,
        data={**form, "price": "11.00", VERSION: opened_copy(anna_page), "csrf_token": csrf_token(anna, url)},
    )
    assert saved.status_code == 302
    refused = ben.post(
        url, data={**form, "stock": "9", VERSION: opened_copy(ben_page), "csrf_token": csrf_token(ben, url)}
    )
    assert refused.status_code == 200
    text = unescape(refused.text)
    assert "This record changed since you opened it. Price is now 11.00." in text
    assert 'value="9"' in refused.text  # what Ben typed is still in the form
    with app.app_context():
        row = app.extensions["kit.store"]["product"].get(product["id"])
        assert (str(row["price"]), row["stock"], row[VERSION]) == ("11.00", 0, 2)

    # having seen the change, Ben saves again on purpose: his values win
    again = ben.post(
        url, data={**form, "stock": "9", VERSION: opened_copy(refused), "csrf_token": csrf_token(ben, url)}
    )
    assert again.status_code == 302
    with app.app_context():
        row = app.extensions["kit.store"]["product"].get(product["id"])
        assert (str(row["price"]), row["stock"], row[VERSION]) == ("12.50", 9, 3)


def test_a_tampered_version_counts_as_stale(app, admin_client):
    with app.app_context():
        row = app.extensions["kit.store"]["category"].create({"name": "Tee"})
    url = f"/admin/category/edit/?id={row['id']}"
    response = admin_client.post(
        url, data={"name": "Kaffee", VERSION: "{not json", "csrf_token": csrf_token(admin_client, url)}
    )
    assert "This record changed since you opened it." in unescape(response.text)
    with app.app_context():
        assert app.extensions["kit.store"]["category"].get(row["id"])["name"] == "Tee"


def test_the_api_sends_etags_and_refuses_a_stale_if_match_with_412(app):
    client, headers = app.test_client(), bearer(token_for(app, "editor"))
    created = client.post("/api/category", json={"name": "Tee"}, headers=headers)
    url, first = created.headers["Location"], created.headers["ETag"]
    assert client.get(url, headers=headers).headers["ETag"] == first == '"1"'

    changed = client.patch(url, json={"name": "Grüner Tee"}, headers={**headers, "If-Match": first})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"name": "Schwarzer Tee"}, headers={**headers, "If-Match": first})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"2"'
    assert stale.json["error"]["message"] == "This record changed since you opened it."
    current = stale.json["error"]["current"]  # the row as a GET gives it now, to see what changed
    assert current == client.get(url, headers=headers).json and current["name"] == "Grüner Tee"
    assert client.delete(url, headers={**headers, "If-Match": first}).status_code == 412
    assert client.get(url, headers=headers).json["name"] == "Grüner Tee"

    assert client.patch(url, json={"description": "grün"}, headers=headers).status_code == 200  # no If-Match
    assert client.patch(url, json={"name": "Oolong"}, headers={**headers, "If-Match": "*"}).status_code == 200
    assert client.delete(url, headers={**headers, "If-Match": '"4"'}).status_code == 204


@pytest.mark.parametrize("tag", ['"2" "x', '"0', ","])
def test_a_malformed_if_match_is_refused_not_read_as_none(app, tag):
    client, headers = app.test_client(), bearer(token_for(app, "editor"))
    url = client.post("/api/category", json={"name": "Tee"}, headers=headers).headers["Location"]
    for send in (client.patch, client.delete):
        response = send(url, json={"name": "Mate"}, headers={**headers, "If-Match": tag})
        assert response.status_code == 400, tag
        assert response.json["error"]["fields"] == {
            "If-Match": 'If-Match must be an entity tag as ETag sends it, like "3".'
        }
    assert client.get(url, headers=headers).json["name"] == "Tee"


def test_a_list_gives_each_rows_version_for_if_match(app):
    client, headers = app.test_client(), bearer(token_for(app, "editor"))
    for name in ("Tee", "Kaffee"):
        client.post("/api/category", json={"name": name}, headers=headers)
    client.patch("/api/category/1", json={"name": "Grüner Tee"}, headers=headers)
    listed = {row["id"]: row["_version"] for row in client.get("/api/category", headers=headers).json["rows"]}
    assert listed == {1: 2, 2: 1}
    assert all(client.get(f"/api/category/{id}").headers["ETag"] == f'"{v}"' for id, v in listed.items())

    first = {**headers, "If-Match": f'"{listed[1]}"'}
    assert client.patch("/api/category/1", json={"name": "Oolong"}, headers=first).status_code == 200
    assert client.patch("/api/category/1", json={"name": "Sencha"}, headers=first).status_code == 412
    refused = client.patch("/api/category/2", json={"_version": 7}, headers=headers)
    assert refused.status_code == 400 and refused.json["error"]["fields"] == {
        "_version": "_version is set by the kit; leave it out."
    }


# -- threads -------------------------------------------------------------------


def test_threads_writing_at_once_lose_nothing_and_keep_unique_fields_unique(app):
    kit_store = app.extensions["kit.store"]
    with app.app_context():
        counter = kit_store["product"].create(
            {
                "name": "Zähler",
                "category": kit_store["category"].create({"name": "Alles"})["id"],
                "price": "1",
            }
        )
    outcome = {"created": 0, "taken": 0, "increments": 0}
    lock = threading.Lock()

    def writer(n: int) -> None:
        with app.app_context():
            for i in range(5):
                kit_store["category"].create({"name": f"Thread {n} row {i}"})
            try:
                kit_store["category"].create({"name": "Für alle"})
                key = "created"
            except Conflict:
                key = "taken"
            for _ in range(3):
                while True:  # read, add one, write back only if nobody wrote in between
                    row = kit_store["product"].get(counter["id"])
                    try:
                        kit_store["product"].update(row["id"], {"stock": row["stock"] + 1}, row[VERSION])
                        break
                    except Changed:
                        continue
            with lock:
                outcome[key] += 1
                outcome["increments"] += 3

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        assert (outcome["created"], outcome["taken"]) == (1, 11)
        assert kit_store["category"].count() == 1 + 12 * 5 + 1
        assert kit_store["product"].get(counter["id"])["stock"] == outcome["increments"] == 36
    assert kit_store.db.engine.pool.checkedout() == 0


def test_every_request_gives_its_connection_back_streamed_exports_too(app, admin_client):
    with app.app_context():
        for n in range(30):
            app.extensions["kit.store"]["category"].create({"name": f"Kategorie {n}"})
    for path in ("/admin/category/", "/admin/category/export/csv/", "/api/category", "/"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        response.get_data()
        response.close()
        assert app.extensions["kit.store"].db.engine.pool.checkedout() == 0, path


@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_start_up_holds_no_connection_once_the_app_is_made(tmp_path, model_set):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    assert app.extensions["kit.store"].db.engine.pool.checkedout() == 0


def test_the_threaded_server_answers_200_requests_at_once_with_a_bounded_pool(tmp_path):
    app = make_app(tmp_path, TESTING=False, DATABASE_POOL=4)
    with app.app_context():
        app.extensions["kit.store"]["category"].create({"name": "Alles"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/category"
    pool = app.extensions["kit.store"].db.engine.pool
    try:
        with ThreadPoolExecutor(max_workers=200) as clients:
            answers = list(clients.map(lambda _: urlopen(url, timeout=60).status, range(200)))
    finally:
        server.shutdown()
    assert answers == [200] * 200
    assert pool.checkedout() == 0 and pool.size() == 4


def test_a_forked_child_never_uses_its_parents_connection(app):
    kit_store = app.extensions["kit.store"]
    with app.app_context():
        kit_store["category"].create({"name": "Tee"})
        assert kit_store["category"].count() == 1  # this thread now holds a connection
        held = dict(kit_store.db.connections)
        pid = os.fork()
        if pid == 0:  # the child: a fresh connection of its own, and the data
            code = 0 if not kit_store.db.connections and kit_store["category"].count() == 1 else 1
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert kit_store.db.connections == held and kit_store["category"].count() == 1


# -- start-up ------------------------------------------------------------------

NOTE_MODELS = """
from kit.declare import Entity, Integer, Text
note = Entity("note", Text("title", required=True, unique=True){extra})
"""


def start_together(
    tmp_path: Path, workers: int, models: str, **settings: str
) -> list[subprocess.CompletedProcess]:
    """`workers` processes making the app on one database at the same moment, as gunicorn's do."""
    folder = tmp_path / f"models_{abs(hash(models))}"
    folder.mkdir(exist_ok=True)
    (folder / "racing_models.py").write_text(models)
    code = textwrap.dedent(
        """
        import sys, time
        sys.path[:0] = [sys.argv[1], sys.argv[2]]
        import racing_models
        from app import create_app
        time.sleep(max(0.0, float(sys.argv[3]) - time.time()))
        create_app(entities=racing_models if sys.argv[4] == "notes" else __import__("models"))
        """
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_for(tmp_path),
        "SECRET_KEY": SECRET_KEY,
        "SEED_ON_START": "false",
        "ADMIN_EMAIL": "",
        **settings,
    }
    import time

    at = str(time.time() + 3)
    which = "shop" if not models else "notes"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(ROOT), str(folder), at, which],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    return [subprocess.CompletedProcess(run.args, run.wait(60), *run.communicate()) for run in runs]


def test_workers_starting_together_make_tables_and_add_columns_once(tmp_path):
    for extra in ("", ', Integer("stars")', ', Integer("stars"), Text("author")'):
        runs = start_together(tmp_path, 4, NOTE_MODELS.format(extra=extra))
        assert [run.returncode for run in runs] == [0] * 4, [run.stderr for run in runs]
    app = make_app(tmp_path, SEED_ON_START=False)
    with app.app_context():
        columns = {c["name"] for c in sa.inspect(app.extensions["kit.store"].connection).get_columns("note")}
    assert {"title", "stars", "author", VERSION} <= columns


def test_workers_starting_together_seed_once_and_make_one_first_admin(tmp_path):
    runs = start_together(tmp_path, 4, "", SEED_ON_START="true", ADMIN_EMAIL="admin@example.com")
    assert [run.returncode for run in runs] == [0] * 4, [run.stderr for run in runs]
    printed = "".join(run.stderr for run in runs)
    assert printed.count("Seeded ") == 1 and printed.count("First start: log in") == 1, printed
    app = make_app(tmp_path)
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        for repo in kit_store:
            if repo.name.startswith("kit_"):
                continue
            seed_file = ROOT / "seed" / f"{repo.name}.csv"
            with seed_file.open(encoding="utf-8-sig", newline="") as handle:
                rows = len(list(csv.DictReader(handle)))
            assert repo.count() == rows == len(list(repo.iterate())), repo.name
        assert kit_store["kit_user"].count() == 1
