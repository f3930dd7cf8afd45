"""The fast paths give exactly the rows the plain queries give.

Full-text search, lists read backwards from their end, the kept row count
and bulk loads each have a slow, obvious twin; these tests hold them equal.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
import sqlalchemy as sa

from kit import fake
from kit import store as storage
from kit.store import Filter, Query
from tests.conftest import MODEL_SETS, ON_POSTGRES, make_app, sqlite_only

WORDS = ["Kaffee", "kaffee", "Crème", "TEE", "tee", "100%", "a_b", "ö", "straße", "ab", "x", "Zoë"]


@pytest.fixture
def products(app):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        category = kit_store["category"].create({"name": "Alles"})
        rnd = random.Random(7)
        rows = []
        for n in range(120):
            words = " ".join(rnd.choice(WORDS) for _ in range(3))
            rows.append(
                {
                    "name": f"{words} {n}",
                    "category": category["id"],
                    "price": f"{rnd.randint(0, 50)}.{rnd.randint(0, 99):02d}",
                    "stock": rnd.choice([None, 0, 1, 5, 5, 9]),
                    "description": rnd.choice([None, "", "dunkel geröstet", "Grüner TEE", "a%b_c"]),
                }
            )
        for row in rows:
            kit_store["product"].create(row)
        yield kit_store["product"]


def plain_search(repo, text):
    """The obvious query: every word somewhere in a searched field, with LIKE."""
    clauses = [repo.search.like(word) for word in text.split()]
    statement = sa.select(repo.table.c.id).where(*clauses).order_by(repo.table.c.id)
    return [row.id for row in repo.store.connection.execute(statement)]


@pytest.mark.parametrize(
    "text",
    [
        "Kaffee",
        "kaffee",
        "TEE",
        "Crème",
        "CRÈME",
        "100%",
        "a_b",
        "a%b",
        "straße",
        "ab",
        "x",
        "Zoë 1",
        "ZOË 1",
        "tee kaffee",
        "nix",
    ],
)
def test_full_text_search_finds_what_like_finds(app, products, text):
    assert products.search.indexed or ON_POSTGRES  # on SQLite the FTS5 path is the one under test
    with app.app_context():
        found = [row["id"] for row in products.iterate(Query(search=text, sort="id"))]
        assert found == plain_search(products, text)


def test_search_index_follows_updates_and_deletes(app, products):
    with app.app_context():
        row = products.list(Query(search="Crème", per_page=1)).rows[0]
        products.update(row["id"], {"name": "Völlig anders"})
        assert products.list(Query(search="anders")).total == 1
        assert row["id"] not in [r["id"] for r in products.iterate(Query(search="Crème"))]
        products.delete(row["id"])
        assert products.list(Query(search="anders")).total == 0


@pytest.mark.parametrize(
    ("sort", "desc"),
    [(None, False), ("price", False), ("price", True), ("stock", False), ("stock", True), ("name", True)],
)
@pytest.mark.parametrize("per_page", [7, 20])
def test_every_page_read_backwards_equals_the_plain_offset_page(app, products, sort, desc, per_page):
    with app.app_context():
        everything = [row["id"] for row in products.iterate(Query(sort=sort, desc=desc))]
        pages = products.list(Query(sort=sort, desc=desc, per_page=per_page)).pages
        seen = []
        for page in range(pages + 1):
            seen += [
                r["id"] for r in products.list(Query(sort=sort, desc=desc, per_page=per_page, page=page)).rows
            ]
        assert seen == everything


@sqlite_only
def test_a_middle_page_skips_rows_in_an_index_alone(app, products):
    executed = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        executed.append((statement, parameters))

    engine = products.store.db.engine
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        with app.app_context():
            for name in products.entity.sortable:
                products.list(Query(sort=name, page=5, per_page=5))
                statement, parameters = executed[-1]
                conn = products.store.connection
                plan = " ".join(
                    str(row[-1])
                    for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                )
                assert "COVERING INDEX" in plan, name
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


@pytest.mark.parametrize("walk_limit", [0, 10**9], ids=["matches-sorted", "sort-index-walked"])
@pytest.mark.parametrize(
    ("text", "sort", "desc"),
    [
        ("tee", "price", False),
        ("Kaffee ab", "name", True),
        ("TEE x", "stock", False),
        ("crème", "price", True),
    ],
)
def test_a_sorted_search_walking_the_sort_index_finds_what_sorting_every_match_finds(
    app, products, monkeypatch, walk_limit, text, sort, desc
):
    monkeypatch.setattr(storage, "WALK_LIMIT", walk_limit)
    executed = []
    sa.event.listen(products.store.db.engine, "before_cursor_execute", lambda *a: executed.append(a[2]))
    with app.app_context():
        query = Query(search=text, sort=sort, desc=desc, per_page=4)
        everything = [row["id"] for row in products.iterate(query)]
        first = products.list(query)
        assert first.total == len(everything) > 4
        assert ("MATCH" in executed[-1]) == (walk_limit == 0 and products.search.indexed)
        numbered = [r["id"] for n in range(first.pages) for r in products.list(replace(query, page=n)).rows]
        assert numbered == everything
        cursor, page = [], first
        while page.after:
            page = products.list(replace(query, after=page.after))
            cursor += [r["id"] for r in page.rows]
        assert [r["id"] for r in first.rows] + cursor == everything


def test_a_search_with_short_words_counts_a_lower_bound_past_the_scan_limit(app, products, monkeypatch):
    with app.app_context():
        everything = [row["id"] for row in products.iterate(Query(search="tee x"))]
        assert (
            products.list(Query(search="tee x")).total,
            products.list(Query(search="tee x")).estimated,
        ) == (
            len(everything),
            False,
        )
        monkeypatch.setattr(storage, "SEARCH_SCAN_LIMIT", 10)
        first = products.list(Query(search="tee x", per_page=4))
        assert first.estimated == products.search.indexed and first.total <= len(everything)
        seen, page = [], first
        while page.rows:
            seen += [r["id"] for r in page.rows]
            page = products.list(Query(search="tee x", per_page=4, page=page.page + 1))
        assert seen == everything


@sqlite_only
@pytest.mark.parametrize("desc", [False, True])
def test_a_few_matches_are_sorted_rather_than_walked_along_the_sort_index(app, products, desc):
    executed = []
    sa.event.listen(products.store.db.engine, "before_cursor_execute", lambda *a: executed.append(a[2]))
    with app.app_context():
        query = Query(
            search="tee", filters=[Filter("price", "gte", "40")], sort="name", desc=desc, per_page=20
        )
        page = products.list(query)
        assert 0 < page.total < 20 and "(+ product.name)" in executed[-1]
        assert [r["id"] for r in page.rows] == [r["id"] for r in products.iterate(query)]
        many = products.list(Query(sort="name", desc=desc, filters=[Filter("price", "gte", "0")], per_page=5))
        assert many.total > 25 and "(+ product.name)" not in executed[-1]


def test_filtered_pages_read_backwards_too(app, products):
    with app.app_context():
        query = dict(filters=[Filter("price", "gte", "10")], search="tee", sort="price", per_page=3)
        everything = [row["id"] for row in products.iterate(Query(**query))]
        seen = []
        for page in range(products.list(Query(**query)).pages):
            seen += [r["id"] for r in products.list(Query(**query, page=page)).rows]
        assert seen == everything and everything


def test_the_kept_row_count_stays_exact(app, runner, products):
    def exact(repo):
        return repo.store.connection.execute(sa.select(sa.func.count()).select_from(repo.table)).scalar_one()

    with app.app_context():
        assert products.count() == exact(products) == 120
        ids = [row["id"] for row in products.list(Query(per_page=5)).rows]
        products.delete_many(ids)
        assert products.count() == exact(products) == 115
    result = runner.invoke(args=["seed", "--reset"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        for repo in app.extensions["kit.store"]:
            assert repo.count() == exact(repo), repo.name


def test_a_narrowed_count_past_the_limit_says_it_is_a_lower_bound(app, products, monkeypatch):
    monkeypatch.setattr(storage, "COUNT_LIMIT", 50)
    with app.app_context():
        page = products.list(Query(filters=[Filter("price", "gte", "0")]))
        assert (page.total, page.estimated) == (50, True)
        assert products.count(Query(filters=[Filter("price", "gte", "0")])) == 120
        small = products.list(Query(search="Crème"))
        assert small.estimated is False and small.total == products.count(Query(search="Crème"))
        assert products.list().estimated is False and products.list().total == 120


def test_sorting_is_refused_on_fields_without_an_index(app):
    with app.app_context():
        repo = app.extensions["kit.store"]["product"]
        with pytest.raises(storage.ValidationError, match="Image URL can't be sorted; sortable fields:"):
            repo.list(Query(sort="image_url"))


@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_every_sortable_field_pages_from_an_index(tmp_path, model_set):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    with app.app_context():
        conn = app.extensions["kit.store"].connection
        explain, sorting = ("EXPLAIN", "Sort") if ON_POSTGRES else ("EXPLAIN QUERY PLAN", "TEMP B-TREE")
        if ON_POSTGRES:  # tables this small are cheaper to sort: ask for a plan that doesn't, if any
            conn.exec_driver_sql("SET enable_sort = off")
        for repo in app.extensions["kit.store"]:
            for name in repo.entity.sortable:
                for desc in (False, True):
                    statement = sa.select(repo.table).order_by(*repo._order(name, desc)).limit(20)
                    sql = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
                    plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"{explain} {sql}"))
                    assert sorting not in plan, (repo.name, name, plan)
    app.extensions["kit.store"].close()


CASED = ["apple", "Banana", "cherry", "Apple", "banana", "Cherry", "Zebra", "zebra", "äpfel", "Dattel"]


@pytest.fixture
def cased(app):
    """Categories (a unique, sorted name) whose names differ only by case."""
    with app.app_context():
        repo = app.extensions["kit.store"]["category"]
        for name in CASED:
            repo.create({"name": name})
        yield repo


@pytest.mark.parametrize("desc", [False, True])
def test_text_sorts_without_regard_to_case(app, cased, desc):
    with app.app_context():
        listed = [row["name"] for row in cased.iterate(Query(sort="name", desc=desc))]
    ids = {name: n for n, name in enumerate(CASED)}
    expected = sorted(CASED, key=lambda name: (name.lower(), ids[name]), reverse=desc)
    if ON_POSTGRES:  # "äpfel" sorts where the database's collation puts it
        listed.remove("äpfel")
        expected.remove("äpfel")
    assert listed == expected  # "Zebra" after "apple"; on SQLite "äpfel" past ASCII (NOCASE folds ASCII only)


@pytest.mark.parametrize("sort", ["name", "-name"])
@pytest.mark.parametrize("per_page", [1, 2, 3])
def test_cursor_pages_over_names_that_differ_by_case_equal_the_whole_list(app, cased, sort, per_page):
    client = app.test_client()
    with app.app_context():
        everything = [row["id"] for row in cased.iterate(Query(sort="name", desc=sort.startswith("-")))]
    seen, url = [], f"/api/category?_sort={sort}&_per_page={per_page}&_cursor="
    answer = client.get(url.removesuffix("&_cursor=")).json
    while True:
        seen += [row["id"] for row in answer["rows"]]
        if not answer["next_cursor"]:
            break
        answer = client.get(url + answer["next_cursor"]).json
    assert seen == everything


def test_a_text_sort_index_made_case_sensitive_is_remade_caseless_at_start_up(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        conn = app.extensions["kit.store"].connection
        conn.exec_driver_sql("DROP INDEX ix_customer_name")
        conn.exec_driver_sql("CREATE INDEX ix_customer_name ON customer (name, id)")
        conn.commit()
    app.extensions["kit.store"].close()
    app = make_app(tmp_path)
    with app.app_context():
        conn = app.extensions["kit.store"].connection
        if ON_POSTGRES:
            found = sa.inspect(conn).get_indexes("customer")
            keys = next(index["expressions"] for index in found if index["name"] == "ix_customer_name")
        else:
            keys = [f"{c[2]} {c[4]}" for c in conn.exec_driver_sql("PRAGMA index_xinfo(ix_customer_name)")]
    app.extensions["kit.store"].close()
    assert keys[:2] == (["lower(name)", "id"] if ON_POSTGRES else ["name NOCASE", "id BINARY"])


def test_a_bulk_load_equals_a_row_by_row_load(tmp_path):
    from bench import models as bench_models

    results = []
    for bulk in (False, True):
        (tmp_path / str(bulk)).mkdir()
        app = make_app(tmp_path / str(bulk), bench_models)
        with app.app_context():
            kit_store = app.extensions["kit.store"]
            repo = kit_store["item"]
            rows = [repo.clean(fake.row(repo, n), check_db=False) for n in range(300)]
            with kit_store.transaction() as conn:
                repo.load(rows, conn, bulk=bulk)
            indexes = sorted(i["name"] for i in sa.inspect(kit_store.db.engine).get_indexes("item"))
            found = [r["id"] for r in repo.iterate(Query(search="nord 1", sort="price"))]
            results.append(
                (repo.count(), indexes, found, [r["sku"] for r in repo.iterate(Query(sort="sku"))])
            )
        app.extensions["kit.store"].close()
    assert results[0] == results[1]
    assert results[0][0] == 300 and results[0][2]


def test_changing_the_searched_fields_rebuilds_the_index(tmp_path):
    from kit.declare import Entity, Text

    first = type(MODEL_SETS["shop"])("first")
    first.note = Entity("note", Text("title"), Text("body"), search=("title",))
    app = make_app(tmp_path, first)
    with app.app_context():
        app.extensions["kit.store"]["note"].create({"title": "Überschrift", "body": "Inhalt"})
        assert app.extensions["kit.store"]["note"].count(Query(search="Inhalt")) == 0
    app.extensions["kit.store"].close()
    second = type(MODEL_SETS["shop"])("second")
    second.note = Entity("note", Text("title"), Text("body"), search=("title", "body"))
    app = make_app(tmp_path, second)
    with app.app_context():
        assert app.extensions["kit.store"]["note"].count(Query(search="Inhalt")) == 1
    app.extensions["kit.store"].close()


def test_the_admin_list_shows_a_lower_bound_as_such(app, products, admin_client, monkeypatch):
    monkeypatch.setattr(storage, "COUNT_LIMIT", 50)
    assert "List (50+)" in admin_client.get("/admin/product/?flt0_price_from=0").text
    assert "List (120)" in admin_client.get("/admin/product/").text


@pytest.mark.parametrize("text", ["Kaffee", "tee kaffee", "Crème", "kaffee ab"])
def test_search_pages_list_the_newest_matches_first(app, products, text):
    with app.app_context():
        seen, page = [], 0
        while rows := products.list(Query(search=text, per_page=7, page=page)).rows:
            seen += [row["id"] for row in rows]
            page += 1
        assert seen == plain_search(products, text)[::-1]
        assert products.list(Query(search=text)).total == len(seen)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's trigram indexes")
def test_on_postgresql_searches_can_read_a_trigram_index(app, products):
    indexes = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :t"
    with app.app_context():
        conn = products.store.connection
        for repo in products.store:
            names = set(conn.execute(sa.text(indexes), {"t": repo.name}).scalars())
            assert {f"kit_trgm_{repo.name}_{name}"[:63] for name in repo.entity.search} <= names, repo.name
        statement = sa.select(products.table.c.id).where(*products.where(Query(search="Kaffee")))
        sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # 120 rows: else a scan is cheaper
        plan = " ".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
        assert "kit_trgm_product_name" in plan, plan
