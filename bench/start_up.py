"""Where `python app.py` spends its start-up: each layer's imports, then create_app().

    .venv/bin/python -m bench.start_up

Each figure is the milliseconds one step adds, in the order the app needs them, in one fresh
process (the median of five processes, after one that makes the database and, as a user's first
`python app.py` does, caches the compiled modules). Flask alone is what a bare Flask app pays too.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = [
    ("flask", "import flask, werkzeug.serving"),
    ("sqlalchemy", "import sqlalchemy"),
    ("the SQLite dialect", "import sqlalchemy.dialects.sqlite"),
    ("dataset and the kit's model layer", "import kit.store"),
    ("flask-admin, wtforms, flask-login", "import flask_admin.model, flask_wtf, flask_login"),
    ("the kit's other modules", "import app"),
    ("create_app()", "app.create_app()"),
]
ONE_RUN = """
import sys, time
sys.path.insert(0, {root!r})
steps = {steps!r}
times = []
for _, code in steps:
    started = time.perf_counter()
    exec(code, globals())
    times.append(time.perf_counter() - started)
print(" ".join(str(t) for t in times))
"""


def main() -> None:
    script = ONE_RUN.format(root=str(ROOT), steps=STEPS)
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{folder}/start-up.db"  # made by the first run, as app.py's is
        env = {**os.environ, "SEED_ON_START": "false", "ADMIN_EMAIL": "", "DATABASE_URL": database}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [sys.executable, "-c", script]
        outputs = [subprocess.check_output(command, cwd=ROOT, env=env) for _ in range(6)]
    runs = [[float(t) for t in output.split()] for output in outputs[1:]]
    medians = [statistics.median(column) * 1000 for column in zip(*runs, strict=True)]
    for (name, _), ms in zip(STEPS, medians, strict=True):
        print(f"  {name:36} {ms:6.0f} ms")
    print(f"  {'all':36} {sum(medians):6.0f} ms, of which Flask {medians[0]:.0f} ms")


if __name__ == "__main__":
    main()
