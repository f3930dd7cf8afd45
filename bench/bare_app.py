"""The baseline: bare Flask reading 20 rows of the same table with sqlite3, nothing else."""

import os
import sqlite3

from flask import Flask, g

app = Flask(__name__)
DATABASE = os.environ["BENCH_DATABASE"]


def db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
    return g.db


@app.teardown_appcontext
def close(error: BaseException | None) -> None:
    if "db" in g:
        g.pop("db").close()


@app.route("/")
def index() -> str:
    rows = db().execute("SELECT id, name, sku, price, stock FROM item ORDER BY id DESC LIMIT 20").fetchall()
    cells = "".join(f"<tr><td>{'</td><td>'.join(map(str, row))}</td></tr>" for row in rows)
    return f"<table>{cells}</table>"


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "5000")))
