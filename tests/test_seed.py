"""Seeds: the demo data loads in order, all-or-nothing, twice without change."""

from __future__ import annotations

import shutil
import types
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from kit.declare import Date, DateTime, Email, Entity, Integer, Money, Reference, Text
from kit.seed import seed_on_start
from tests.conftest import ROOT, make_app


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {repo.name: repo.count() for repo in app.extensions["kit.store"]}


def database_dump(app) -> dict[str, list[tuple]]:
    """Every row of every table, the kit's own included, as the database holds them."""
    with app.app_context():
        conn = app.extensions["kit.store"].connection
        tables = sa.MetaData()
        tables.reflect(conn)
        return {
            name: [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.c))]
            for name, table in tables.tables.items()
        }


@pytest.fixture
def seeded(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    return result


def test_demo_data_loads_every_file(app, seeded):
    counts = table_counts(app)
    for path in (ROOT / "seed").glob("*.csv"):
        lines = len(path.read_text(encoding="utf-8").splitlines()) - 1
        assert counts[path.stem] >= lines * 0.9, path.name  # quoted newlines make fewer rows
        assert counts[path.stem] > 0
    assert seeded.output.startswith(
        f"Seeded {sum(v for k, v in counts.items() if k != 'kit_user'):,} rows in 6 tables"
    )


def test_references_are_resolved_by_natural_key(app, seeded):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        order = kit_store["order"].list().rows[0]
        customer = kit_store["customer"].get(order["customer"])
    assert "@" in customer["email"]


def test_order_totals_match_their_lines_exactly(app, seeded):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        lines = list(kit_store["order_line"].iterate())
        for order in kit_store["order"].iterate():
            own = [line for line in lines if line["order"] == order["id"]]
            assert order["total"] == sum(line["quantity"] * line["unit_price"] for line in own)


def test_seed_is_idempotent(app, runner, seeded):
    before = database_dump(app)
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Nothing new to seed; seed/order_line.csv loads only into an empty table "
        "(no unique field to match rows by).\n"
    )
    assert database_dump(app) == before


def test_reset_wipes_and_reloads(app, runner, seeded):
    expected = table_counts(app)
    with app.app_context():
        app.extensions["kit.store"]["signup"].create({"email": "extra@example.com"})
    result = runner.invoke(args=["seed", "--reset"])
    assert result.exit_code == 0, result.output
    assert table_counts(app) == expected
    with app.app_context():  # the wiped rows' history went with them
        assert app.extensions["kit.store"].recent_changes(["signup"]) == []


def copy_seeds(tmp_path) -> Path:
    folder = tmp_path / "project"
    shutil.copytree(ROOT / "seed", folder / "seed")
    return folder


def write_rows(path: Path, *lines: str) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def append_rows(path: Path, *lines: str) -> int:
    """Add lines to a seed file; returns the row number the first of them gets."""
    before = path.read_text(encoding="utf-8")
    path.write_text(before + "".join(line + "\n" for line in lines), encoding="utf-8")
    return len(before.splitlines()) + 1


@pytest.fixture
def seed_app(tmp_path):
    """An app whose seed/ is a copy a test may break."""
    app = make_app(tmp_path)
    project = copy_seeds(tmp_path)
    app.root_path = str(project)
    return app, project / "seed"


BROKEN = [
    (
        "order.csv",
        ["number,customer,status,placed_at,total", "SF-1,nobody@example.com,new,2026-01-01 10:00,1.00"],
        "seed/order.csv, row 2, customer: no customer 'nobody@example.com'.",
    ),
    (
        "product.csv",
        ["name,category,price", "Teapot,Ceramics,12.50", "Mug,Ceramics,cheap"],
        "seed/product.csv, row 3, price: Price must be an amount like 12.50.",
    ),
    (
        "signup.csv",
        ["email,source,colour", "a@example.com,landing,red"],
        "seed/signup.csv: column 'colour' is not a field of signup;",
    ),
    (
        "unknown.csv",
        ["name", "x"],
        "seed/unknown.csv: there is no entity 'unknown' in models.py.",
    ),
    (
        "customer.csv",
        ["email,name", "zoe@example.com,Zoë", "ZOE@example.com,Zoë again"],
        "seed/customer.csv, row 3, email:",
    ),
    (
        "product.csv",
        ["name,category,price,stock", "Teapot,Ceramics,12.50,3", "Tasse,Ceramics,10,50,4"],
        "seed/product.csv, row 3: 5 cells but the header has 4 columns.",
    ),
    (
        "product.csv",
        ["name,category,price,stock", "Teapot,Ceramics,12.50,3", "Tasse,Ceramics"],
        "seed/product.csv, row 3: 2 cells but the header has 4 columns.",
    ),
    (
        "product.csv",
        ["name,category,price,name", "Teapot,Ceramics,12.50,Kanne"],
        "seed/product.csv: column 'name' is in the header twice.",
    ),
    (
        "product.csv",
        ["name,category,,price", "Teapot,Ceramics,,12.50"],
        "seed/product.csv: column 3 of the header has no name.",
    ),
    (
        "category.csv",
        ["name,description", 'Pottery,"Thrown by hand', "Glass,Blown", "Wood,Turned"],
        'seed/category.csv, row 2: a quote (") opens a cell and is never closed.',
    ),
    (
        "category.csv",
        [""],
        "seed/category.csv is empty; its first line names the columns: name, description.",
    ),
    (
        "category.csv",
        ["", "name,description", "Glass,Blown"],
        "seed/category.csv starts with a blank line; its first line names the columns: name, description.",
    ),
    (
        "event.json",
        ['[{"name": "Concert"}]'],
        "seed/event.json: seed/ holds one .csv file per entity; convert this file to CSV or move it out.",
    ),
    (
        "notes.txt",
        ["Bring more mugs."],
        "seed/notes.txt: seed/ holds one .csv file per entity; convert this file to CSV or move it out.",
    ),
]


@pytest.mark.parametrize(("name", "lines", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_bad_file_names_file_row_and_field_and_changes_nothing(seed_app, name, lines, message):
    app, folder = seed_app
    runner = app.test_cli_runner()
    write_rows(folder / name, *lines)
    before = database_dump(app)
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert database_dump(app) == before


def test_self_references_within_one_file_are_linked(tmp_path):
    from tests import unusual_models

    app = make_app(tmp_path, unusual_models)
    project = copy_seeds(tmp_path)
    shutil.rmtree(project / "seed")
    (project / "seed").mkdir()
    write_rows(project / "seed" / "group.csv", "select,parent,order", "Kind,Eltern,2", "Eltern,,1")
    app.root_path = str(project)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        groups = {g["select"]: g for g in app.extensions["kit.store"]["group"].iterate()}
    assert groups["Kind"]["parent"] == groups["Eltern"]["id"]
    assert groups["Eltern"]["parent"] is None


def app_with_seeds(tmp_path, files: dict[str, list[str]], *entities, **config):
    """An app of `entities` whose seed/ holds `files` (name -> lines)."""
    module = types.ModuleType("seeded_models")
    for entity in entities:
        setattr(module, entity.name, entity)
    project = tmp_path / "project"
    (project / "seed").mkdir(parents=True)
    for name, lines in files.items():
        write_rows(project / "seed" / name, *lines)
    app = make_app(tmp_path, module, **config)
    app.root_path = str(project)
    return app


def test_self_references_link_each_row_even_where_titles_repeat(tmp_path):
    node = Entity("node", Text("name"), Reference("parent", to="node"), Integer("rank"))
    app = app_with_seeds(tmp_path, {"node.csv": ["name,parent,rank", "A,,1", "A,B,2", "B,,3"]}, node)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = {r["rank"]: r for r in app.extensions["kit.store"]["node"].iterate()}
    assert (rows[1]["parent"], rows[2]["parent"], rows[3]["parent"]) == (None, rows[3]["id"], None)


def test_a_reference_to_a_title_two_rows_share_is_refused(tmp_path):
    node = Entity("node", Text("name"), Reference("parent", to="node"))
    app = app_with_seeds(tmp_path, {"node.csv": ["name,parent", "A,", "A,", "B,A"]}, node)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 1
    assert (
        "seed/node.csv, row 4, parent: more than one node is 'A'; give node a unique field" in result.output
    )
    assert table_counts(app)["node"] == 0


def test_optional_references_in_a_circle_are_seeded_on_the_first_start(tmp_path):
    customer = Entity("customer", Email("email", unique=True), Reference("favorite_order", to="order"))
    order = Entity("order", Text("number", unique=True), Reference("customer", required=True))
    files = {
        "customer.csv": ["email,favorite_order", "zoë@example.com,SF-2", "max@example.com,"],
        "order.csv": ["number,customer", "SF-1,zoë@example.com", "SF-2,zoë@example.com"],
    }
    app = app_with_seeds(tmp_path, files, customer, order)
    app.config["SEED_ON_START"] = True
    seed_on_start(app)  # as create_app() does, here with this test's seed/
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        orders = {r["number"]: r for r in kit_store["order"].iterate()}
        customers = {r["email"]: r for r in kit_store["customer"].iterate()}
    assert customers["zoë@example.com"]["favorite_order"] == orders["SF-2"]["id"]
    assert customers["max@example.com"]["favorite_order"] is None
    assert {r["customer"] for r in orders.values()} == {customers["zoë@example.com"]["id"]}
    again = app.test_cli_runner().invoke(args=["seed"])
    assert again.exit_code == 0 and "Nothing to seed" in again.output, again.output


def test_first_start_on_an_empty_database_loads_the_demo_data(tmp_path):
    app = make_app(tmp_path, SEED_ON_START=True)
    assert table_counts(app)["product"] > 0


def test_seed_on_start_can_be_turned_off(tmp_path):
    app = make_app(tmp_path, SEED_ON_START=False)
    assert table_counts(app)["product"] == 0


def test_stats_counts_rows_per_entity(app, runner, seeded):
    result = runner.invoke(args=["stats"])
    assert result.exit_code == 0, result.output
    assert "Categories                       8" in result.output


@pytest.mark.parametrize("model_set", ["shop", "unusual"])
def test_fake_rows_fill_every_entity_validly_and_twice(tmp_path, model_set):
    from tests.conftest import MODEL_SETS

    app = make_app(tmp_path, MODEL_SETS[model_set])
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed", "--fake", "40"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        for entity in app.extensions["kit.store"].schema.declared:
            repo = app.extensions["kit.store"][entity.name]
            assert repo.count() == 80
            for row in repo.iterate():
                values = {name: row[name] for name in entity.fields}
                assert repo.clean(values, current=row, check_db=False) == values


def test_fake_rows_need_their_references_first(app, runner):
    result = runner.invoke(args=["seed", "--fake", "5", "--entity", "product"])
    assert result.exit_code == 1
    assert "product: no category to refer to; fill category first." in result.output
    result = runner.invoke(args=["seed", "--fake", "5", "--entity", "nope"])
    assert "There is no entity 'nope'; entities are: category, product" in result.output


def test_fake_rows_keep_unique_numbers_and_dates_apart_and_bounds_kept(tmp_path):
    tally = Entity(
        "tally",
        Integer("ticket", unique=True),
        Money("fee", unique=True, min="0.50"),
        Date("day", unique=True),
        DateTime("moment", unique=True),
        Integer("below", max=-1),
        Money("narrow", min="0.50", max="0.60"),
    )
    app = app_with_seeds(tmp_path, {}, tally)
    for _ in range(2):
        result = app.test_cli_runner().invoke(args=["seed", "--fake", "60"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        rows = list(app.extensions["kit.store"]["tally"].iterate())
    assert len(rows) == 120
    for name in ("ticket", "fee", "day", "moment"):
        assert len({row[name] for row in rows}) == 120, name
    assert all(row["below"] is None or row["below"] <= -1 for row in rows)
    assert all(row["narrow"] is None or Decimal("0.50") <= row["narrow"] <= Decimal("0.60") for row in rows)


def test_fake_rows_that_run_out_of_room_say_which_field(tmp_path):
    app = app_with_seeds(tmp_path, {}, Entity("seat", Integer("number", unique=True, min=1, max=10)))
    result = app.test_cli_runner().invoke(args=["seed", "--fake", "20"])
    assert result.exit_code == 1
    assert "seat, number: made-up values ran out (Number must be at most 10.)" in result.output
    assert table_counts(app)["seat"] == 0


def test_fake_rows_name_the_entity_a_reference_needs(tmp_path):
    place = Entity("place", Text("name"))
    trip = Entity("trip", Reference("origin", to="place", required=True))
    app = app_with_seeds(tmp_path, {}, place, trip)
    result = app.test_cli_runner().invoke(args=["seed", "--fake", "5", "--entity", "trip"])
    assert result.exit_code == 1
    assert "trip: no place for origin to refer to; fill place first." in result.output


def test_a_file_that_is_not_utf8_is_refused_with_a_sentence(seed_app):
    app, folder = seed_app
    (folder / "signup.csv").write_bytes("email,comment\nb@example.com,Café\n".encode("latin-1"))
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 1
    assert "seed/signup.csv: the file is not UTF-8 text; save it as CSV UTF-8." in result.output
    assert table_counts(app)["signup"] == 0


def test_a_readme_and_hidden_files_in_seed_are_left_alone(seed_app):
    app, folder = seed_app
    write_rows(folder / "README.md", "# Demo data")
    write_rows(folder / ".DS_Store", "x")
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output


def test_a_natural_key_in_any_case_refers_to_the_one_row_it_means(seed_app):
    app, folder = seed_app
    append_rows(
        folder / "order.csv",
        "AUDIT-1,JONASWEISS@MAIL.EXAMPLE.COM,new,2026-07-01 10:00,5.00,",
        "AUDIT-2,jonasweiss@mail.example.com,new,2026-07-01 11:00,6.00,",
    )
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        by_number = {r["number"]: r["customer"] for r in kit_store["order"].iterate()}
        jonas = next(
            r for r in list(kit_store["customer"].iterate()) if r["email"] == "jonasweiss@mail.example.com"
        )
    assert by_number["AUDIT-1"] == by_number["AUDIT-2"] == by_number["SF-10231"] == jonas["id"]


def test_an_unknown_natural_key_is_blamed_on_the_row_that_has_it(seed_app):
    app, folder = seed_app
    first = append_rows(
        folder / "order.csv",
        "AUDIT-1,JONASWEISS@MAIL.EXAMPLE.COM,new,2026-07-01 10:00,5.00,",
        "AUDIT-2,nobody@example.com,new,2026-07-01 11:00,6.00,",
    )
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 1
    assert f"seed/order.csv, row {first + 1}, customer: no customer 'nobody@example.com'." in result.output


UNKEYED = {  # per model set: a file whose entity has no unique field, and an invalid row for it
    "shop": ("order_line.csv", "SF-10231,Rosemary Hand Salve,notanumber,14.50", "quantity"),
    "unusual": ("order.csv", "Пётр,Omsk,Kind,notanumber,asc", "table"),
}
UNUSUAL_SEEDS = {
    "group.csv": ["select,parent,order", "Kind,Eltern,2", "Eltern,,1"],
    "order.csv": ["from,where,group,table,by", "Zoë,Köln,Kind,12.50,desc"],
}


def seeded_app_of(tmp_path, model_set: str):
    """An app of `model_set` with its seed files loaded once."""
    from tests.conftest import MODEL_SETS

    if model_set == "shop":
        app = make_app(tmp_path)
        app.root_path = str(copy_seeds(tmp_path))
    else:
        app = make_app(tmp_path, MODEL_SETS[model_set])
        app.root_path = str(tmp_path / "project")
        (tmp_path / "project" / "seed").mkdir(parents=True)
        for name, lines in UNUSUAL_SEEDS.items():
            write_rows(tmp_path / "project" / "seed" / name, *lines)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    return app, Path(app.root_path) / "seed"


@pytest.mark.parametrize("model_set", sorted(UNKEYED))
def test_every_row_is_checked_even_in_a_file_that_is_not_loaded_again(tmp_path, model_set):
    app, folder = seeded_app_of(tmp_path, model_set)
    name, line, field = UNKEYED[model_set]
    again = app.test_cli_runner().invoke(args=["seed"])
    assert again.exit_code == 0, again.output
    assert again.output == (
        f"Nothing new to seed; seed/{name} loads only into an empty table "
        "(no unique field to match rows by).\n"
    )
    number = append_rows(folder / name, line)
    before = database_dump(app)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 1
    assert f"seed/{name}, row {number}, {field}: " in result.output
    assert database_dump(app) == before


def test_a_stored_rows_link_to_nothing_is_refused_on_a_later_run(tmp_path):
    app, folder = seeded_app_of(tmp_path, "unusual")
    write_rows(folder / "group.csv", "select,parent,order", "Kind,Niemand,2", "Eltern,,1")
    before = database_dump(app)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 1
    assert "seed/group.csv, row 2, parent: no Gruppe 'Niemand'." in result.output
    assert database_dump(app) == before


DEFAULTED = {  # per model set: a file, a row with empty cells, what tells it apart, and its defaults
    "shop": (
        "order.csv",
        "SF-1,jonasweiss@mail.example.com,,2026-01-01 10:00,1.00,",
        {"number": "SF-1"},
        {"status": "new", "note": None},
    ),
    "unusual": ("order.csv", "Ünal,,Kind,12.50,", {"from": "Ünal"}, {"by": "asc", "where": None}),
}


@pytest.mark.parametrize("model_set", sorted(DEFAULTED))
def test_an_empty_cell_takes_the_fields_default(tmp_path, model_set):
    app, folder = seeded_app_of(tmp_path, model_set)
    name, line, found, expected = DEFAULTED[model_set]
    append_rows(folder / name, line)
    if model_set == "shop":
        append_rows(folder / "product.csv", "Bar Sans Capacité,Ceramics,3.00,,,,")
    result = app.test_cli_runner().invoke(args=["seed", "--reset"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        rows = list(kit_store[name.removesuffix(".csv")].iterate())
        row = next(r for r in rows if all(r[k] == v for k, v in found.items()))
        assert {key: row[key] for key in expected} == expected
        if model_set == "shop":
            made = next(r for r in list(kit_store["product"].iterate()) if r["name"] == "Bar Sans Capacité")
            assert (made["stock"], made["active"], made["image_url"]) == (0, True, None)


def test_one_row_is_counted_as_one_row(tmp_path):
    app = app_with_seeds(tmp_path, {"spot.csv": ["name", "Zoë's"]}, Entity("spot", Text("name")))
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Seeded 1 row in 1 table in ")
    result = app.test_cli_runner().invoke(args=["seed", "--fake", "1"])
    assert result.output.startswith("Added 1 made-up row to spot in ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fake", "3", "--reset"], "Error: --reset works only without --fake:"),
        (["--entity", "product"], "Error: --entity works only with --fake."),
    ],
)
def test_options_that_would_be_ignored_are_refused(app, runner, args, message):
    result = runner.invoke(args=["seed", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert table_counts(app)["product"] == 0
