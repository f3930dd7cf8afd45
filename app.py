"""The product's Flask app: the one module a team edits besides models.py.

New entity: models.py.  New page: a view under PAGES.  New command: under
COMMANDS.  New setting: kit/config.py's SETTINGS.  Demo data: seed/.
Run it with `python app.py`; the admin is at /admin/.
"""

from types import ModuleType
from typing import Any

import click
from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext

import models
from kit import admin, api, auth, backup, config, errors, security, seed
from kit import store as storage
from kit.errors import Conflict, StartupError, ValidationError
from kit.store import Filter, Query, store

# == PAGES =====================================================================

pages = Blueprint("pages", __name__)


@pages.route("/", methods=("GET", "POST"))
def index() -> Any:
    """Landing page: what the product is, a few products, and the waitlist form."""
    entered: dict[str, str] = {}
    problems: dict[str, str] = {}
    if request.method == "POST":
        entered = {"email": request.form.get("email", ""), "comment": request.form.get("comment", "")}
        try:
            store()["signup"].create({**entered, "source": "landing"})
        except Conflict as error:
            # an email already on the list gets the same thanks: who signed up is nobody else's to learn
            problems = {} if set(error.fields) == {"email"} else error.fields
        except ValidationError as error:
            problems = error.fields
        if not problems:
            flash("Thanks! You are on the waitlist; we will write soon.", "success")
            return redirect(url_for("pages.index") + "#waitlist")
    featured = store()["product"].list(
        Query(filters=[Filter("active", "eq", True)], sort="stock", desc=True, per_page=6)
    )
    return render_template("index.html", products=featured.rows, entered=entered, problems=problems)


# == COMMANDS ==================================================================


@click.command("stats")
@with_appcontext
def stats() -> None:
    """Print how many rows each entity of models.py has."""
    for entity in store().schema.declared:
        click.echo(f"{entity.plural:<24}{store()[entity.name].count():>10,}")


# == APP =======================================================================


def create_app(overrides: dict[str, Any] | None = None, entities: ModuleType = models) -> Flask:
    """Settings, storage, error pages, security, login, admin, API, demo data, pages - in that order."""
    app = Flask(__name__)
    config.load(app, overrides)
    storage.init_app(app, entities)
    backup.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    admin.init_app(app)
    api.init_app(app)
    seed.init_app(app)
    app.register_blueprint(pages)
    app.cli.add_command(stats)
    return app


if __name__ == "__main__":
    try:
        application = create_app()
    except StartupError as error:
        raise SystemExit(f"Can't start: {error.message}") from None
    application.run(
        host=application.config["HOST"],
        port=application.config["PORT"],
        debug=application.config["DEBUG"],
    )
