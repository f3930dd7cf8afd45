"""The product's Flask app: the one module a team edits besides models.py.

New entity: models.py.  New page: a view under PAGES.  New command: under
COMMANDS.  New setting: kit/config.py's SETTINGS.  Demo data: seed/.
Run it with `python app.py`; the admin is at /admin/.
The landing page (/) shows the example's `product` and `signup` entities while
models.py declares them with the fields it shows, and leaves their sections out otherwise.
"""

from types import ModuleType
from typing import Any

import click
from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext

import models
from kit import admin, api, auth, backup, config, errors, security, seed, startup
from kit import store as storage
from kit.errors import Conflict, StartupError, ValidationError
from kit.store import Filter, Query, Repository, store

# == PAGES =====================================================================

pages = Blueprint("pages", __name__)

# The landing page shows two of the example's entities, each only while models.py declares it with
# the fields named first: `product` ("On the shelf": name and price, then description; active ones
# only and most in stock first, where it has `active` and `stock`) and `signup` (the waitlist form:
# email, then comment and source where declared).  Replace them and the page keeps working,
# without those sections.
SHELF, WAITLIST = "product", "signup"


def declared(name: str, *fields: str) -> Repository | None:
    """The entity's rows if models.py declares it with these fields, else None."""
    repo = store().repositories.get(name)
    return repo if repo is not None and all(f in repo.fields for f in fields) else None


@pages.route("/", methods=("GET", "POST"))
def index() -> Any:
    """Landing page: what the product is, a few products, and the waitlist form."""
    signup = declared(WAITLIST, "email")
    entered: dict[str, str] = {}
    problems: dict[str, str] = {}
    if request.method == "POST":
        if signup is None:
            abort(405, valid_methods=["GET", "HEAD"])  # no waitlist to join
        entered = {name: request.form.get(name, "") for name in ("email", "comment") if name in signup.fields}
        problems = join_waitlist(signup, entered)
        if not problems:
            # shown inside the form's section, where the redirect scrolls to (see templates/index.html)
            flash("Thanks! You are on the waitlist; we will write soon.", "waitlist")
            return redirect(url_for("pages.index") + "#waitlist")
    return render_template("index.html", products=shelf(), signup=signup, entered=entered, problems=problems)


def join_waitlist(signup: Repository, entered: dict[str, str]) -> dict[str, str]:
    """Save a signup; returns the problems to show beside the fields (none when saved)."""
    source = {"source": "landing"} if "source" in signup.fields else {}
    try:
        signup.create({**entered, **source})
    except Conflict as error:
        # an email already on the list gets the same thanks: who signed up is nobody else's to learn
        return {} if set(error.fields) == {"email"} else error.fields
    except ValidationError as error:
        return error.fields
    return {}


def shelf() -> list[dict[str, Any]] | None:
    """Up to six active products, most in stock first; None when there is no product entity."""
    product = declared(SHELF, "name", "price")
    if product is None:
        return None
    has = product.fields
    active = [Filter("active", "eq", True)] if "active" in has else []
    most = {"sort": "stock", "desc": True} if "stock" in has else {}
    return product.list(Query(filters=active, per_page=6, **most)).rows


# == COMMANDS ==================================================================


@click.command("stats")
@with_appcontext
def stats() -> None:
    """Print how many rows each entity of models.py has."""
    for entity in store().schema.declared:
        click.echo(f"{entity.plural:<24}{store()[entity.name].count():>10,}")


# == APP =======================================================================


def create_app(overrides: dict[str, Any] | None = None, entities: ModuleType = models) -> Flask:
    """Quick start-up, settings, storage, error pages, security, login, admin, API, demo data, pages."""
    app = Flask(__name__)
    startup.init_app(app)
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
