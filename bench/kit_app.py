"""The kit with the benchmark's entity, for gunicorn: `gunicorn bench.kit_app:app`."""

from app import create_app
from bench import models

app = create_app(entities=models)
