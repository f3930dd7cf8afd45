"""Flask-Admin's own SQLAlchemy ModelView over the same SQLite file: what teams use today."""

import os

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import create_engine
from sqlalchemy.ext.automap import automap_base
from sqlalchemy.orm import scoped_session, sessionmaker

engine = create_engine(f"sqlite:///{os.environ['BENCH_DATABASE']}")
Base = automap_base()
Base.prepare(autoload_with=engine, reflection_options={"only": ["item"]})
Item = Base.classes.item
session = scoped_session(sessionmaker(bind=engine))


class ItemView(ModelView):
    column_list = ("name", "sku", "price", "stock", "status", "released")
    column_searchable_list = ("name", "sku")
    column_sortable_list = column_list
    column_default_sort = ("id", True)


app = Flask(__name__)
app.secret_key = "bench"
admin = Admin(app, name="bench")
admin.add_view(ItemView(Item, session, endpoint="item"))


@app.teardown_appcontext
def remove_session(error: BaseException | None) -> None:
    session.remove()
