"""Seeds: the demo data loads in order, all-or-nothing, twice without change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parent.parent


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
    assert result.output == "Nothing to seed: every row in seed/ is already stored.\n"
    assert database_dump(app) == before


def test_reset_wipes_and_reloads(app, runner, seeded):
    expected = table_counts(app)
    with app.app_context():
        app.extensions["kit.store"]["signup"].create({"email": "extra@example.com"})
    result = runner.invoke(args=["seed", "--reset"])
    assert result.exit_code == 0, result.output
    assert table_counts(app) == expected


def copy_seeds(tmp_path) -> Path:
    folder = tmp_path / "project"
    shutil.copytree(ROOT / "seed", folder / "seed")
    return folder


def write_rows(path: Path, *lines: str) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


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
