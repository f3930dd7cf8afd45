"""The engine under app.py and models.py: fields, storage, admin, API, auth, demo data.

Importing it pauses Python's cyclic garbage collector until create_app() begins.  Start-up
makes objects that live as long as the process (modules, classes, SQLAlchemy's and
Flask-Admin's tables of them); collecting them again and again as they come cost ~40 ms of
every start.  `resume_collection()` then freezes them out of every later collection, as the
`gc.freeze()` docs advise for servers that fork workers, and turns the collector back on.
"""

import gc

_paused = gc.isenabled()
if _paused:
    gc.disable()


def resume_collection() -> None:
    """Collect garbage again, leaving what start-up made out of it (once, if importing paused it)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
