"""A Flask-Admin backend over the model layer, in the manner of Flask-Admin's pymongo one.

Each declared entity gets an `EntityView`: list, search, filters, details,
create, edit, delete, bulk delete and CSV export.  Forms are scaffolded from
the declarations and every value goes through `Repository.clean`, so the
admin shows exactly the messages the API and the seeds give.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import islice
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

from flask import Flask, Response, abort, flash, g, redirect, request, session, stream_with_context, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.model import BaseModelView
from flask_admin.model.ajax import AjaxModelLoader
from flask_admin.model.fields import AjaxSelectField
from flask_admin.model.filters import BaseFilter
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict, MultiDict
from werkzeug.utils import secure_filename
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    validators,
)

from kit import security, tokens
from kit.auth import MIN_PASSWORD, hash_password, is_local, weak_password
from kit.errors import Changed, InUse, KitError, ValidationError
from kit.fields import FROM_JSON, Field, FieldError, Reference, row_id
from kit.schema import VERSION
from kit.store import MAX_PAGE_SIZE, Change, Filter, Query, Repository, Row, Store, store, utcnow

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet runs a cell starting with one of these as a formula (CSV injection)."""
EXPORT_BATCH = 1000
"""Rows a CSV export formats and sends at a time."""
REFERENCE_OPTIONS = 500
"""A reference filter lists up to this many rows; over it, it searches them as one types."""
RECENT = dt.timedelta(days=7)
"""The dashboard says how many rows of each entity were made in this time."""
NUMBERS = ("integer", "money")
STATIC_URLS: dict[tuple[Any, ...], str] = {}
"""URLs of Flask-Admin's static files, by script root and arguments."""


class AdminForm(FlaskForm):
    """Every admin form carries a CSRF token (Flask-WTF checks it on every POST)."""


def batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """Lists of up to `size` rows (itertools.batched arrives with Python 3.12)."""
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


# -- filters --------------------------------------------------------------------


class ListRow(NamedTuple):
    """One row of the admin's list page, as `kit_list.html` shows it."""

    id: int
    details_url: str
    edit_url: str
    cells: list[tuple[str, Any]]


def page_url(endpoint: str, query: dict[str, Any] | None = None) -> str:
    """url_for an admin page taking only query arguments, from one url_for per endpoint and request.

    A list page asks for some fifty URLs (row links, sort and pager links, references).
    """
    bases = g.setdefault("kit_page_urls", {})
    if endpoint not in bases:
        bases[endpoint] = url_for(endpoint)
    wanted = urlencode({name: value for name, value in (query or {}).items() if value is not None})
    return f"{bases[endpoint]}?{wanted}" if wanted else bases[endpoint]


def details_url(entity: str, id: int) -> str:
    """The URL of a row's details page."""
    return page_url(f"entity_{entity}.details_view", {"id": id})


class Count(int):
    """A row count as the list shows it: 1,204, or 10,000+ where counting stopped."""

    def __new__(cls, rows: int, estimated: bool = False) -> Count:
        count = super().__new__(cls, rows)
        count.estimated = estimated
        return count

    def __str__(self) -> str:
        return f"{int(self):,}{'+' if self.estimated else ''}"

    def __bool__(self) -> bool:
        """Counted, even if nothing: Flask-Admin's tab shows "List (0)" only for a true count."""
        return True


class KitFilter(BaseFilter):
    """A list filter that becomes a model-layer `Filter`; the model layer checks it again."""

    labels = {
        "eq": "equals",
        "ne": "not equal",
        "contains": "contains",
        "startswith": "starts with",
        "gte": "from",
        "lte": "to",
        "gt": "greater than",
        "lt": "less than",
        "empty": "is empty",
    }

    def __init__(self, field: Field, op: str, options: Any = None, data_type: str | None = None):
        super().__init__(shown_label(field), options, data_type)
        self.field, self.op = field, op

    def operation(self) -> str:
        return self.labels[self.op]

    def arg(self) -> str:
        """The filter's name in a URL: field and operation, `placed_at_not_equal`, whatever the label."""
        return f"{self.field.name}_{self.labels[self.op].replace(' ', '_')}"

    def label_arg(self) -> str | None:
        """The name Flask-Admin made from an ASCII label (`placed_equals`): links made before still work."""
        if not self.field.label.isascii():
            return None
        words = re.sub(r"[^a-z0-9 ]", "", f"{self.field.label} {self.operation()}".lower())
        return re.sub(" +", "_", words)

    def get_options(self, view: Any) -> Any:
        """Fixed options; rows to pick are read by `EntityView._get_filter_groups` on each page."""
        return None if callable(self.options) else self.options

    def validate(self, value: str) -> bool:
        return self.problem(value) is None

    def problem(self, value: str) -> str | None:
        """The field's own sentence on a value it can't filter by ("Total must be an amount like 12.50.")."""
        if self.op in ("contains", "startswith", "empty"):
            return None
        try:
            self.field.parse(value)
        except (FieldError, TypeError) as error:
            return str(error) if isinstance(error, FieldError) else f"{self.field.label} needs a value."
        return None

    def apply(self, query: list[Filter], value: Any) -> list[Filter]:
        if self.field.kind == "datetime" and self.op in WHOLE_SPAN:
            moment = self.field.parse(value)
            span = whole_span(str(value), moment)
            if span is not None:
                bounds = {"start": moment, "end": moment + span}
                return [*query, *(Filter(self.field.name, op, bounds[at]) for op, at in WHOLE_SPAN[self.op])]
        return [*query, Filter(self.field.name, self.op, value)]


WHOLE_SPAN = {
    "eq": (("gte", "start"), ("lt", "end")),
    "lte": (("lt", "end"),),
    "gt": (("gte", "end"),),
}
"""A time given to the minute stands for that whole minute ("equals 16:32" matches 16:32:33), and
a day alone for that whole day ("to 2026-11-15" takes in its evening).

"not equal" stays exact: rows outside a span would need an OR the model layer's filters don't have.
"""


def whole_span(typed: str, moment: dt.datetime) -> dt.timedelta | None:
    """How long a time filter's value stands for: a day given alone, a minute given without seconds."""
    if DAY_ALONE.fullmatch(typed.strip()):
        return dt.timedelta(days=1)
    if moment.second == 0 and moment.microsecond == 0:  # as the list shows it and the picker gives it
        return dt.timedelta(minutes=1)
    return None


DAY_ALONE = re.compile(r"\d{4}-\d{2}-\d{2}")


def shown_label(field: Field) -> str:
    """A field's label where a person reads its values: times say they are UTC."""
    return f"{field.label} (UTC)" if field.kind == "datetime" else field.label


YES_NO = (("1", "yes"), ("0", "no"))
FILTER_WIDGETS = {"date": "datepicker", "datetime": "datetimepicker"}


def filters_for(field: Field, repo: Repository) -> list[KitFilter]:
    """The filters a field's kind offers in the list's filter menu."""
    if field.kind == "boolean":
        return [KitFilter(field, "eq", YES_NO)]
    if field.kind == "choice":
        options = tuple(field.options.items())
        return [KitFilter(field, op, options) for op in ("eq", "ne")] + [KitFilter(field, "empty", YES_NO)]
    if field.kind == "reference":
        rows = partial(reference_options, repo.store[field.to])  # read per list page: see filter_groups
        return [KitFilter(field, op, rows) for op in ("eq", "ne")] + [KitFilter(field, "empty", YES_NO)]
    widget = FILTER_WIDGETS.get(field.kind)
    ops = [op for op in field.operators if op != "empty"]
    return [KitFilter(field, op, data_type=widget) for op in ops] + [KitFilter(field, "empty", YES_NO)]


def reference_options(target: Repository) -> list[tuple[str, str]] | None:
    """Rows to pick from in a reference filter, by their title; None if there are too many to list."""
    if target.count() > REFERENCE_OPTIONS:
        return None
    page = target.list(Query(per_page=REFERENCE_OPTIONS))  # every row: there are no more than that
    labels = target.labels(row["id"] for row in page.rows)
    return [(str(id), label) for id, label in sorted(labels.items(), key=lambda item: alphabetical(item[1]))]


def alphabetical(text: str) -> str:
    """A sort key that puts "äpfel" beside "apfel", "Łucja" beside "Lucja" and "Birne" beside "birne"."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return bare.translate(UNDECOMPOSED).casefold()


UNDECOMPOSED = str.maketrans(
    {
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "ß": "ss",
        "Þ": "Th",
        "þ": "th",
        "ð": "d",
        "ı": "i",
    }
)
"""Latin letters whose accent Unicode doesn't split off (NFKD leaves Ł whole), as they are alphabetised."""


# -- forms ----------------------------------------------------------------------


class ReferenceLoader(AjaxModelLoader):
    """Feeds the searchable select of a reference field from the target's search."""

    def __init__(self, name: str, target: Repository) -> None:
        super().__init__(name, {})
        self.target = target

    def format(self, model: Row | None) -> tuple[Any, str] | None:
        if model is None:
            return None
        found = g.get("kit_found_labels", {}).get((self.target.name, model["id"]))  # read by get_list
        return model["id"], found or self.target.label(model)

    def get_one(self, pk: Any) -> Row | None:
        try:
            return self.target.get(pk)
        except KitError:
            return None

    def get_list(self, query: str, offset: int = 0, limit: int = 10) -> list[Row]:
        """`limit` matching rows from the `offset`-th on: "more results" asks for the next ten.

        Within those, rows whose label starts with what was typed come first ("Ah": Ahmed
        before Fatima Zahra, whose city is Sahara), then those with a word that starts with it.
        """
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        page, skip = divmod(max(offset or 0, 0), limit)
        rows = self.page(query or "", page, limit)
        if skip:  # an offset between two pages: the end of one and the start of the next
            rows = rows[skip:] + self.page(query or "", page + 1, limit)[:skip]
        found = self.target.labels(row["id"] for row in rows)  # once for the page, `format` reads them too
        known = g.setdefault("kit_found_labels", {})
        known.update({(self.target.name, id): label for id, label in found.items()})
        typed = alphabetical((query or "").strip())
        if not typed:
            return rows

        def rank(row: Row) -> int:
            """0: the label starts with what was typed; 1: a word of it does; 2: it matched elsewhere."""
            label = alphabetical(found.get(row["id"], ""))
            return 0 if label.startswith(typed) else 1 if f" {typed}" in f" {label}" else 2

        return sorted(rows, key=rank)

    def page(self, query: str, page: int, per_page: int) -> list[Row]:
        """One page of the rows a query typed into the select finds."""
        if not self.target.entity.search and query.strip().isdigit():
            # an entity without text to search (only numbers, dates, ...) is picked by its id
            wanted = Query(filters=[Filter("id", "eq", query.strip())], page=page, per_page=per_page)
        else:
            wanted = Query(search=query, page=page, per_page=per_page)
        return self.target.list(wanted).rows


OPTIONAL = {"required": False}  # never the browser's own required popup: the kit's message shows


def form_field(field: Field, loaders: dict[str, ReferenceLoader]) -> Any:
    """A WTForms field for one declared field; it only carries the raw value."""
    # a checkbox left unticked is an answer (no), so a required one gets no red star
    required = field.required and field.kind != "boolean"
    marker = [RequiredMarker()] if required else [validators.Optional()]
    common: dict[str, Any] = {
        "label": field.label,
        "description": escape(form_help(field)),  # Flask-Admin shows it as markup
        "validators": marker,
        "render_kw": dict(OPTIONAL),
        "default": field.initial,  # a new row's form starts with the declared defaults
    }
    if field.kind == "boolean":
        return BooleanField(**common)
    if field.kind == "choice":
        blank = [] if field.required else [SelectChoice("", "")]
        options = [SelectChoice(value, label) for value, label in field.options.items()]
        return SelectField(choices=blank + options, validate_choice=False, **common)
    if field.kind == "reference":
        placeholder = f"Search {loaders[field.name].target.entity.noun()}…"
        common["render_kw"] = {**OPTIONAL, "data-placeholder": placeholder, "data-minimum-input-length": 0}
        loader = loaders[field.name]
        common["default"] = lambda: None if field.initial() is None else loader.get_one(field.initial())
        return ReferenceField(loaders[field.name], allow_blank=True, **common)
    if field.kind == "longtext":
        return TextAreaField(**{**common, "render_kw": {**OPTIONAL, "rows": 6}})
    if field.kind == "integer":
        return RawField(**{**common, "render_kw": {**OPTIONAL, "type": "number", "step": "1"}})
    if field.kind == "money":
        return RawField(
            **{**common, "render_kw": {**OPTIONAL, "inputmode": "decimal", "placeholder": "0.00"}}
        )
    if field.kind == "date":
        return RawField(**{**common, "render_kw": {**OPTIONAL, "type": "date"}})
    if field.kind == "datetime":
        # step 1: the input shows and keeps seconds, so saving a form unchanged changes no time
        return RawField(**{**common, "render_kw": {**OPTIONAL, "type": "datetime-local", "step": "1"}})
    input_type = {"email": "email", "url": "url"}.get(field.kind, "text")
    return RawField(**{**common, "render_kw": {**OPTIONAL, "type": input_type}})


def form_help(field: Field) -> str:
    """The help under a field; a time says it is typed in UTC (a time without a zone is stored as UTC)."""
    if field.kind != "datetime":
        return field.help
    return f"{field.help} Time in UTC." if field.help else "Time in UTC."


class ReferenceField(AjaxSelectField):
    """The searchable select of a reference; whether it may be empty is the model layer's call."""

    def pre_validate(self, form: Form) -> None:
        """See Repository.clean."""


class RawField(StringField):
    """A text input whose value the model layer parses; shows stored values in input format."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        value = self.data
        if value is None:
            return ""
        if hasattr(value, "strftime") and hasattr(value, "hour"):
            return value.isoformat(timespec="seconds")  # the year in four digits, 0999 too
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)


class RequiredMarker(validators.InputRequired):
    """Marks a field required (the red star) without a WTForms check of its own."""

    def __call__(self, form: Form, field: Any) -> None:
        """The model layer decides; see Repository.clean."""


def same_value(field: Field, raw: Any, stored: Any) -> bool:
    """Whether a form's raw value is the value the row holds."""
    if raw == stored or (raw in (None, "") and stored is None):
        return True
    try:
        return field.clean(raw) == stored
    except FieldError:
        return False


def form_data(form: Form, repo: Repository) -> dict[str, Any]:
    """The raw values of a submitted form, references turned back into ids."""
    data: dict[str, Any] = {}
    for name in repo.entity.fields:
        if name not in form:
            continue
        value = form[name].data
        if isinstance(value, dict):
            value = value.get("id")
        data[name] = value
    return data


def opened_copy(repo: Repository, row: Row) -> str:
    """What the edit form remembers of the row it was opened on: its version and shown values."""
    seen = {name: f.format(row[name]) for name, f in repo.entity.fields.items() if not f.hidden}
    return json.dumps({"version": row[VERSION], "seen": seen})


def read_opened_copy(form: Form) -> tuple[int | None, dict[str, str] | None]:
    """(version, seen) from the edit form's hidden field; (None, None) for forms without one."""
    if VERSION not in form:
        return None, None
    try:
        opened = json.loads(form[VERSION].data or "")
        return int(opened["version"]), {str(k): str(v) for k, v in dict(opened["seen"]).items()}
    except (ValueError, TypeError, KeyError):
        return 0, None  # tampered with or cut short: no row has version 0, so it counts as stale


def show_changed(form: Form, error: Changed, repo: Repository) -> None:
    """A stale edit: say what changed beside each field, keep what was typed, allow saving again."""
    for name, message in error.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
    flash(f"{error.message} Nothing was saved: check the values and save again to keep yours.", "error")
    form[VERSION].data = opened_copy(repo, error.current)


def show_errors(form: Form, error: KitError) -> None:
    """Put each refused field's sentence beside the field; the rest in a flash."""
    fields = getattr(error, "fields", {})
    beside = {name: message for name, message in fields.items() if name in form}
    for name, message in beside.items():
        form[name].errors = [*form[name].errors, message]
    if beside:
        flash("Not saved: please correct the fields marked below.", "error")
    for name, message in fields.items():
        if name not in beside:
            flash(message, "error")
    if not fields:
        flash(error.message, "error")


# -- views ----------------------------------------------------------------------


def role() -> str | None:
    """The role of whoever is asking; read once a request (a list asks it three times a row)."""
    if "kit_role" not in g:
        g.kit_role = current_user.role if current_user.is_authenticated else None
    return g.kit_role


def forget_off_site_return() -> None:
    """Drop a `url=` (where a page returns to) that isn't a path on this site: the page returns to its list.

    Flask-Admin's own check resolves "http:evil.example" against this host and lets it
    through, and browsers then leave for evil.example; the login's check is stricter.
    """
    if all(is_local(target) for target in request.values.getlist("url")):
        return
    kept = []
    for source in (request.args, request.form):
        values = MultiDict(source)
        values.poplist("url")
        kept.append(ImmutableMultiDict(values))
    request.args, request.form = kept
    request.values = CombinedMultiDict(kept)


class SecureView:
    """Every admin URL needs a logged-in user; the login page says why."""

    roles: tuple[str, ...] = ("admin", "editor", "viewer")

    def is_accessible(self) -> bool:
        return role() in self.roles

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if current_user.is_authenticated:
            abort(403, "Your role can't open this page; ask an admin.")
        flash("Please log in to see that page.", "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


class EntityView(SecureView, BaseModelView):
    """List, details, create, edit, delete and export of one entity's rows."""

    form_base_class = AdminForm
    can_view_details = True
    can_export = True
    export_types = ["csv"]
    can_set_page_size = True
    list_template = "admin/kit_list.html"
    details_template = "admin/kit_details.html"
    named_filter_urls = True  # ?flt0_price_from=10, a link one can read and share
    sets_hidden = False  # whether user_data adds hidden fields (a password hash) to what is saved
    page_size_options = (20, 50, 100)

    def __init__(self, repo: Repository, page_size: int = 20, **kwargs: Any) -> None:
        self.repo = repo
        entity = repo.entity
        self.page_size = page_size
        visible = [f for f in repo.fields.values() if not f.hidden]
        self.column_list = list(entity.columns)
        self.column_labels = {f.name: shown_label(f) for f in repo.fields.values()}
        self.column_descriptions = {f.name: f.help for f in visible if f.help}
        self.column_details_list = [f.name for f in visible]
        self.column_export_list = [f.name for f in visible]
        self.column_searchable_list = list(entity.search)
        self.column_sortable_list = [name for name in entity.sortable if not repo.fields[name].hidden]
        self.column_default_sort = entity.sort
        self.column_filters = [flt for f in visible for flt in filters_for(f, repo)]
        self.column_formatters = {f.name: self.formatter(f) for f in visible}
        self.column_formatters_export = {f.name: self.export_formatter(f) for f in visible}
        self.form_ajax_refs = {
            ref.name: ReferenceLoader(ref.name, repo.store[ref.to]) for ref in entity.references
        }
        kwargs.setdefault("url", entity.name)
        super().__init__(None, entity.plural, endpoint=f"entity_{entity.name}", **kwargs)

    # Flask-Admin's own confirmations, said the way the rest of the kit says things
    CONFIRMATIONS = {
        "Record was successfully created.": "{label} saved.",
        "Record was successfully saved.": "{label} saved.",
        "Record was successfully deleted.": "{label} deleted.",
        "Record does not exist.": "That {noun} doesn't exist (any more).",
        "Failed to create record.": "Not saved: please correct the fields marked below.",
        "Failed to save record.": "Not saved: please correct the fields marked below.",
    }

    def _run_view(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        forget_off_site_return()
        self.say_why_not_allowed(fn.__name__)
        response = super()._run_view(fn, *args, **kwargs)
        self.restate_confirmations()
        return response

    def say_why_not_allowed(self, page: str) -> None:
        """Flask-Admin sends a role that may not create or edit back to the list without a word."""
        allowed = {"create_view": self.can_create, "edit_view": self.can_edit}.get(page, True)
        if allowed or not self.is_accessible():
            return
        if role() in ("admin", "editor"):
            flash(f"{self.repo.entity.plural} can't be changed here.", "error")
        else:
            flash(f"Your role ({role()}) can read but not change data; ask an admin.", "error")

    def restate_confirmations(self) -> None:
        """Put Flask-Admin's waiting confirmations in the kit's words (see CONFIRMATIONS)."""
        flashes = session.get("_flashes")
        if flashes:
            label, one = self.repo.entity.label, self.repo.entity.noun(many=False)
            session["_flashes"] = [
                (category, self.CONFIRMATIONS.get(message, message).format(label=label, noun=one))
                if isinstance(message, str) and message in self.CONFIRMATIONS
                else (category, message)
                for category, message in flashes
            ]

    # permissions follow the role of whoever is asking, on every request
    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return role() in ("admin", "editor")

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return role() in ("admin", "editor")

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return role() in ("admin", "editor")

    # -- scaffolding --
    def scaffold_pk(self) -> str:
        return "id"

    def get_pk_value(self, model: Row) -> Any:
        return model["id"]

    def scaffold_list_columns(self) -> list[str]:
        return list(self.repo.entity.columns)

    def scaffold_sortable_columns(self) -> dict[str, str]:
        return {name: name for name in self.column_sortable_list}

    def init_search(self) -> bool:
        return bool(self.column_searchable_list)

    def scaffold_filters(self, name: Any) -> list[KitFilter] | None:
        return None  # filters are given ready-made in column_filters

    def is_valid_filter(self, filter: Any) -> bool:
        return isinstance(filter, KitFilter)

    def get_filter_arg(self, index: int, flt: KitFilter) -> str:  # type: ignore[override]
        """Named from the field, not its label: Flask-Admin drops letters beyond ASCII from a label,
        so "Город" and "Возраст" both became `equals`."""
        return flt.arg()

    def _refresh_filters_cache(self) -> None:
        super()._refresh_filters_cache()
        for index, flt in enumerate(self._filters or ()):
            old = flt.label_arg()
            if old and old not in self._filter_args:
                self._filter_args[old] = (index, flt)

    def get_invalid_value_msg(self, value: str, filter: KitFilter) -> str:  # type: ignore[override]
        problem = filter.problem(value) or f"{filter.field.label} can't be filtered by '{value}'."
        return f"{problem.rstrip('.')}; the list is shown without that filter."

    def scaffold_form(self) -> type[Form]:
        loaders = self._form_ajax_refs or {}
        attrs = {f.name: form_field(f, loaders) for f in self.repo.entity.fields.values() if not f.hidden}
        attrs[VERSION] = HiddenField()  # the row as the form was opened on it; see opened_copy
        return type(f"{self.repo.entity.name}_form", (self.form_base_class,), attrs)

    def _get_field_value(self, model: Row, name: str) -> Any:  # type: ignore[override]
        return model.get(name)

    # -- reading --
    def get_list(  # type: ignore[override]
        self,
        page: int | None,
        sort_column: str | None,
        sort_desc: bool,
        search: str | None,
        filters: Sequence[tuple[int, str, str]] | None,
        execute: bool = True,
        page_size: int | None = None,
    ) -> tuple[int | None, Iterable[Row]]:
        if page_size == 0:
            execute = False  # Flask-Admin's export asks for every row this way: stream them
        flts: list[Filter] = []
        for index, _name, value in filters or ():
            flts = self._filters[index].apply(flts, value)
        query = Query(
            filters=flts,
            search=search or "",
            sort=sort_column,
            desc=bool(sort_desc),
            page=page or 0,
            per_page=page_size or self.page_size,
        )
        try:
            if not execute:
                return None, self.repo.iterate(query)
            result = self.repo.list(query)
        except ValidationError as error:
            flash(error.message, "error")
            result = self.repo.list(Query(per_page=query.per_page))
        self.remember_labels(result.rows)
        return Count(result.total, result.estimated), result.rows

    def get_one(self, id: Any) -> Row | None:
        try:
            row = self.repo.get(id)
        except KitError:
            return None
        self.remember_labels([row])
        return row

    def referrers(self, row: Row) -> list[tuple[str, Count, str | None]]:
        """The rows that refer to this one, per referring field: what, how many, and a link to their list."""
        kit_store = self.repo.store
        found = []
        for entity, ref in kit_store.schema.referrers(self.repo.name):
            if entity.name.startswith("kit_") or ref.hidden:
                continue
            # "Groups (Parent)": where the plural alone doesn't say which way the rows refer
            ways = sum(other.to == self.repo.name for other in entity.references)
            named = ways > 1 or entity.name == self.repo.name
            what = f"{entity.plural} ({ref.label})" if named else entity.plural
            query = Query(filters=[Filter(ref.name, "eq", row["id"])])
            count = Count(*kit_store[entity.name].tally(query))
            listed = url_for(f"entity_{entity.name}.index_view") + f"?flt0_{ref.name}_equals={row['id']}"
            found.append((what, count, listed if int(count) else None))  # a Count is true even at 0
        return found

    def history(self, row: Row) -> list[tuple[Change, str]]:
        """The row's latest changes, each with what it did in words (the details page shows them)."""
        changes = self.repo.history(row["id"])
        return list(zip(changes, described(self.repo.store, changes), strict=True))

    def remember_labels(self, rows: list[Row]) -> None:
        """Fetch the labels of every referenced row on a page in one query per reference."""
        labels = g.setdefault("kit_labels", {})
        for ref in self.repo.entity.references:
            ids = {row[ref.name] for row in rows}
            labels[(self.repo.name, ref.name)] = self.repo.store[ref.to].labels(ids)

    # -- display --
    def formatter(self, field: Field) -> Callable[..., Any]:
        """How a value looks in the list and details: escaped text, links for references."""
        repo = self.repo

        def format_value(view: Any, context: Any, model: Row, name: str) -> Any:
            value = model.get(name)
            if value is None:
                return ""
            if field.kind == "reference":
                labels = g.get("kit_labels", {}).get((repo.name, name), {})
                label = labels.get(value) or repo.store[field.to].labels([value]).get(value, value)
                return Markup('<a href="{}">{}</a>').format(details_url(field.to, value), label)
            if field.kind == "boolean":
                icon = "fa-check-circle text-success" if value else "fa-minus-circle text-muted"
                return Markup('<span class="fa {}" title="{}"></span>').format(icon, field.format(value))
            if field.kind == "url":
                return Markup('<a href="{}" rel="noopener noreferrer">{}</a>').format(value, value)
            if field.kind in ("date", "datetime", "money"):
                return Markup('<span class="text-nowrap">{}</span>').format(field.format(value))
            if field.kind == "longtext":
                return Markup("<br>").join(escape(line) for line in value.splitlines())
            return field.format(value)

        return format_value

    def export_formatter(self, field: Field) -> Callable[..., str]:
        """How a value is written to CSV: plain text, never a spreadsheet formula."""
        repo = self.repo

        def export_value(view: Any, context: Any, model: Row, name: str) -> str:
            value = model.get(name)
            if field.kind == "reference" and value is not None:
                known = g.get("kit_labels", {}).get((repo.name, name), {})
                text = known.get(value) or repo.store[field.to].labels([value]).get(value, str(value))
            elif field.kind == "money" and value is not None:
                text = f"{value:f}"  # 1234.50: a spreadsheet in any locale reads it, "1,234.50" it may not
            else:
                text = field.format(value)
            if field.kind in NUMBERS:
                return text  # -5 is a number to a spreadsheet, not a formula: it stays one
            return "'" + text if text.startswith(FORMULA_START) else text

        return export_value

    def get_export_columns(self) -> list[tuple[str, str]]:
        """A CSV's header is the fields' labels as declared (what the seeds and other tools read)."""
        return [(name, self.repo.fields[name].label) for name in self.column_export_list]

    def _export_csv(self, return_url: str) -> Response:
        """The list as CSV, streamed in batches of rows: constant memory at any size.

        Replaces Flask-Admin's, which formats each cell through its list machinery
        (50 µs a row: a million rows outlived gunicorn's 30 s worker timeout).
        """
        _, rows = self._export_data()
        columns = [name for name, _ in self._export_columns]
        cells = [(self.column_formatters_export[name], name) for name in columns]

        def generate() -> Iterator[str]:
            buffer = io.StringIO()
            buffer.write("\ufeff")  # the byte order mark: without it Excel reads UTF-8 as its own code page
            writer = csv.writer(buffer)
            writer.writerow([label for _, label in self._export_columns])
            for batch in batched(rows, EXPORT_BATCH):
                self.remember_labels(batch)
                writer.writerows([fmt(self, None, row, name) for fmt, name in cells] for row in batch)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()

        name = self.get_export_name(export_type="csv")
        plain = secure_filename(name) if name.isascii() else f"{self.repo.name}_{secure_filename(name)}"
        headers = {"Content-Disposition": f"attachment; filename={plain}; filename*=UTF-8''{quote(name)}"}
        return Response(stream_with_context(generate()), headers=headers, mimetype="text/csv")

    # -- writing --
    def user_data(self, form: Form, model: Row | None = None) -> dict[str, Any]:
        """The values to save from a submitted form; `model` is the row it changes, if any."""
        return form_data(form, self.repo)

    def create_model(self, form: Form) -> Row | bool:
        try:
            return self.repo.create(self.user_data(form), hidden=self.sets_hidden)
        except KitError as error:
            show_errors(form, error)
            return False

    def update_model(self, form: Form, model: Row) -> bool:
        version, seen = read_opened_copy(form)
        try:
            data = self.changes(self.user_data(form, model), model)
            if data:  # a form saved as it was opened changes nothing, not even the row's version
                model.update(self.repo.update(model["id"], data, version, seen, self.sets_hidden))
        except Changed as error:
            show_changed(form, error, self.repo)
            return False
        except KitError as error:
            show_errors(form, error)
            return False
        return True

    def changes(self, data: dict[str, Any], model: Row) -> dict[str, Any]:
        """The values of a form that differ from the row; a stored value no longer an option is kept."""
        fields = self.repo.entity.fields
        return {name: raw for name, raw in data.items() if not same_value(fields[name], raw, model.get(name))}

    def delete_model(self, model: Row) -> bool:
        try:
            self.repo.delete(model["id"])
        except KitError as error:
            flash(error.message, "error")
            return False
        return True

    def edit_form(self, obj: Row | None = None) -> Form:
        data = dict(obj or {})
        for name, loader in (self._form_ajax_refs or {}).items():
            # the searchable select shows a row by its label, so it wants the row, not the id
            data[name] = loader.get_one(data[name]) if data.get(name) is not None else None
        if obj:
            data[VERSION] = opened_copy(self.repo, obj)
        form = self._edit_form_class(self.form_data(), data=data)
        choices = [f for f in self.repo.entity.fields.values() if f.kind == "choice" and f.name in form]
        for field in choices:
            value = (obj or {}).get(field.name)
            if value is not None and value not in field.options:
                # without its own option the select shows (and saves) the first one instead
                gone = (value, f"{value} (no longer an option)")
                form[field.name].choices = [*form[field.name].choices, gone]
        return form

    PAGES = frozenset({".index_view", ".create_view", ".details_view", ".edit_view", ".delete_view"})

    def get_url(self, endpoint: str, **kwargs: Any) -> str:
        """url_for, remembered: this view's pages per request (see page_url), static files for good."""
        if endpoint in self.PAGES:
            return page_url(self.endpoint + endpoint, kwargs)
        if endpoint.endswith(".static"):  # the same few files on every page
            key = (request.script_root, endpoint, *sorted(kwargs.items()))
            if key not in STATIC_URLS:
                STATIC_URLS[key] = super().get_url(endpoint, **kwargs)
            return STATIC_URLS[key]
        return super().get_url(endpoint, **kwargs)

    def list_rows(self, rows: list[Row], return_url: str) -> list[ListRow]:
        """A page of rows ready to show: cells formatted, links built from one URL per page."""
        back = urlencode({"url": return_url})
        details, edit = self.get_url(".details_view"), self.get_url(".edit_view")
        cells = [(name, self.column_formatters[name]) for name, _ in self._list_columns]
        return [
            ListRow(
                row["id"],
                f"{details}?id={row['id']}&{back}",
                f"{edit}?id={row['id']}&{back}",
                [(name, format_cell(self, None, row, name)) for name, format_cell in cells],
            )
            for row in rows
        ]

    def number_columns(self) -> set[str]:
        """The list's columns of numbers and amounts, set flush right so that their digits line up."""
        fields = self.repo.fields
        return {name for name, _ in self._list_columns if name in fields and fields[name].kind in NUMBERS}

    def nothing_found(self, search: str | None, filters: Any, count: int = 0) -> str:
        """Why a list is empty: nothing yet, nothing matching what it was narrowed to, or past its end."""
        plural = self.repo.entity.noun()
        if int(count or 0) > 0:
            return f"This page is past the end of the {count} {plural} listed."
        if not search and not filters:
            return f"There are no {plural} yet."
        said = ["this search"] if search else []
        if filters:
            said.append("these filters" if len(filters) > 1 else "this filter")
        return f"No {plural} match {' and '.join(said)}."

    def search_placeholder(self) -> str:
        labels = [self.repo.fields[name].label for name in self.repo.entity.search]  # as written
        return f"Search {', '.join(labels)}" if labels else ""

    def form_data(self) -> Any:
        return request.form if request.method == "POST" else None

    def is_action_allowed(self, name: str) -> bool:
        if name == "delete" and not self.can_delete:
            return False
        return super().is_action_allowed(name)

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self) -> Any:
        """Inline edits from the list obey the role like the edit form (Flask-Admin doesn't check)."""
        if not self.can_edit:
            abort(403, "Your role can't change rows; ask an admin.")
        return super().ajax_update()

    def _get_filter_groups(self) -> Any:
        """The filter menu, with the rows a reference filter offers read now.

        Flask-Admin reads a filter's options once, when the views are built: a category
        added later was missing from the product list's filter until a restart.
        """
        groups = super()._get_filter_groups()
        read: dict[Any, list[tuple[str, str]] | None] = {}
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if callable(flt.options):
                    if flt.options not in read:
                        read[flt.options] = flt.options()
                    item["options"] = read[flt.options]
                    chosen = self.chosen_rows(flt, item["arg"])
                    if item["options"] is None:
                        item.update(self.searched_filter(flt, chosen))
                    else:  # a row filtered by but not listed (deleted since) shows as itself, not the first
                        listed = {id for id, _ in item["options"]}
                        item["options"] = item["options"] + [o for o in chosen.items() if o[0] not in listed]
        return groups

    def chosen_rows(self, flt: KitFilter, arg: str) -> dict[str, str]:
        """The rows a reference filter of this page's URL names, by label; "999 (doesn't exist)" if gone."""
        name = re.compile(rf"flt\d+_({re.escape(arg)}|{re.escape(flt.label_arg() or arg)})")
        chosen = {as_id(value) for key, value in request.args.items() if name.fullmatch(key)} - {None}
        labels = self.repo.store[flt.field.to].labels(chosen)
        return {str(id): labels.get(id) or f"{id} (doesn't exist)" for id in sorted(chosen)}

    def searched_filter(self, flt: KitFilter, chosen: dict[str, str]) -> dict[str, Any]:
        """A reference filter over too many rows to list: a select that asks the lookup as one types.

        `static/admin.js` gives Flask-Admin's select2-ajax widget the lookup's URL and the
        labels of the rows already filtered by (the filter menu has no place for either).
        """
        return {
            "type": "select2-ajax",
            "kit_lookup": self.get_url(".ajax_lookup", name=flt.field.name),
            "kit_placeholder": f"Search {self.repo.store[flt.field.to].entity.noun()}…",
            "kit_labels": chosen,
        }

    def _get_list_extra_args(self) -> Any:
        """The list's URL parameters; Flask-Admin drops those it can't use, the kit says so."""
        args = super()._get_list_extra_args()
        for name in request.args:
            if name.startswith("flt") and name.partition("_")[2] not in (self._filter_args or {}):
                flash(f"There is no filter '{name}'; the list is shown without it.", "error")
        if "sort" in request.args and self._get_column_by_idx(args.sort) is None:
            flash(f"The list can't be sorted by '{request.args['sort']}'; it is in its usual order.", "error")
        if "page_size" in request.args and args.page_size not in self.page_size_options:
            sizes = ", ".join(map(str, self.page_size_options))
            flash(f"A page shows {sizes} rows, not '{request.args['page_size']}'.", "error")
        return args

    @action("delete", lazy_gettext("Delete"), lazy_gettext("Delete the selected rows?"))
    def action_delete(self, ids: list[str]) -> None:
        try:
            count = self.repo.delete_many(ids)
        except (InUse, KitError) as error:
            flash(error.message, "error")
            return
        flash(f"Deleted {count} {self.repo.entity.noun(many=count != 1)}.", "success")


def described(kit_store: Store, changes: list[Change]) -> list[str]:
    """What each change did, in words; the rows its references name are read once per entity."""
    wanted: dict[str, set[Any]] = {}
    for change in changes:
        fields = kit_store[change.entity].fields
        for name, pair in change.values.items():
            if isinstance(fields.get(name), Reference):
                wanted.setdefault(fields[name].to, set()).update(pair)
    labels = {entity: kit_store[entity].labels(ids) for entity, ids in wanted.items()}
    return [in_words(kit_store, change, labels) for change in changes]


def in_words(kit_store: Store, change: Change, labels: dict[str, dict[int, str]]) -> str:
    """What a change did: "Created", "Changed Price (2.50 → 2.80) and Description", "Deleted"."""
    if change.action != "changed":
        return change.action.capitalize()
    fields = kit_store[change.entity].fields
    parts = []
    for name in change.fields:
        f = fields.get(name)
        if f is None or f.hidden:
            parts.append(name if f is None else f.label)
        elif name in change.values:
            before, after = (shown_value(kit_store, f, value, labels) for value in change.values[name])
            parts.append(f"{f.label} ({before} → {after})")
        else:
            parts.append(f.label)
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else "".join(parts)
    return f"Changed {listed}".rstrip()


SHOWN_LENGTH = 40
"""A value in a line of history is cut to this many characters."""


def shown_value(kit_store: Store, f: Field, value: Any, labels: dict[str, dict[int, str]]) -> str:
    """A value as a row's history stored it (JSON), in words: a referenced row by its label."""
    if value is None or value == "":
        return "empty"
    if isinstance(f, Reference):
        text = labels.get(f.to, {}).get(value) or f"{kit_store[f.to].entity.label} {value}"
    else:
        convert = FROM_JSON.get(f.kind)
        text = f.format(value if convert is None else convert(value))
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…"


class DashboardView(SecureView, AdminIndexView):
    """The admin's first page: every entity with its number of rows, and how many came in a week."""

    @expose("/")
    def index(self) -> str:
        since = (utcnow() - RECENT).replace(second=0, microsecond=0)  # to the minute, as its filter link
        recent = Query(filters=[Filter("created_at", "gte", since)])
        entities = [
            (repo, repo.count(), Count(*repo.tally(recent)))
            for repo in store()
            if not repo.name.startswith("kit_")
        ]
        changes = store().recent_changes(repo.name for repo, _, _ in entities)
        return self.render(
            "admin/kit_index.html",
            entities=entities,
            since=f"{since:%Y-%m-%d %H:%M}",
            changes=self.changed_rows(changes),
        )

    @staticmethod
    def changed_rows(changes: list[Change]) -> list[tuple[Change, str, str, str | None]]:
        """Each change with what it did, its row's name and a link to the row (none to a deleted one).

        The labels are read once per entity, not once per change.
        """
        ids: dict[str, set[int]] = {}
        for change in changes:
            ids.setdefault(change.entity, set()).add(change.row)
        labels = {entity: store()[entity].labels(rows) for entity, rows in ids.items()}
        gone = {(change.entity, change.row): change.label for change in changes if change.label}
        lines = []
        for change, what in zip(changes, described(store(), changes), strict=True):
            entity = store()[change.entity].entity
            label = labels[change.entity].get(change.row)  # none once the row is deleted
            name = f"{entity.label} {label or gone.get((change.entity, change.row)) or change.row}"
            url = None if label is None else details_url(change.entity, change.row)
            lines.append((change, what, name, url))
        return lines


class UserView(EntityView):
    """Users, for admins only; a password typed here is stored hashed."""

    roles = ("admin",)

    def get_create_form(self) -> type[Form]:
        return self.with_password(required=True, help=f"At least {MIN_PASSWORD} characters.")

    def get_edit_form(self) -> type[Form]:
        help = f"At least {MIN_PASSWORD} characters; leave it empty to keep the current one."
        return self.with_password(required=False, help=help)

    def with_password(self, required: bool, help: str) -> type[Form]:
        """The user form with a password box: required for a new user, optional on an edit."""
        form_class = self.scaffold_form()
        form_class.password = PasswordField(
            "Password",
            [RequiredMarker()] if required else [],
            description=help,
            render_kw=dict(OPTIONAL, autocomplete="new-password"),
        )
        return form_class

    sets_hidden = True  # the password's hash and a new session token

    def password_problem(self, password: str, model: Row | None) -> str | None:
        """What is wrong with the password typed; a new user needs one, an edit may leave it empty."""
        if not password:
            return "Password is required." if model is None else None
        return weak_password(password)

    def user_data(self, form: Form, model: Row | None = None) -> dict[str, Any]:
        data = form_data(form, self.repo)
        password = form.password.data or ""
        problem = self.password_problem(password, model)
        if problem:  # said together with what is wrong with the other fields
            try:
                self.repo.clean(data, model, hidden=True)
            except ValidationError as error:
                raise ValidationError({**error.fields, "password": problem}) from None
            raise ValidationError({"password": problem})
        if password:
            data["password_hash"] = hash_password(password)
            data["password_printed"] = False
        # A new password, a deactivation or a new role ends every session of that user:
        # a cookie copied before stays dead once they are active again.
        role_or_access = model is not None and (
            not data.get("active", True) or data.get("role", model["role"]) != model["role"]
        )
        if password or role_or_access:
            data["session_token"] = secrets.token_hex(16)
        return data

    # nobody changes their own role or shuts themselves out: another admin has to
    def update_model(self, form: Form, model: Row) -> bool:
        if model["id"] == current_user.id:
            data, refused = form_data(form, self.repo), {}
            if "role" in data and data["role"] != model["role"]:
                refused["role"] = "You can't change your own role; ask another admin."
            if "active" in data and not data["active"]:
                refused["active"] = "You can't deactivate your own login; ask another admin."
            if refused:
                show_errors(form, ValidationError(refused))
                return False
        # A deactivated login loses its tokens: activated again, it doesn't get back one stolen meanwhile.
        with store().transaction():
            was_active = model["active"]
            if not super().update_model(form, model):
                return False
            revoked = tokens.revoke_all(model) if was_active and not model["active"] else 0
        if revoked:
            flash(f"Revoked {revoked} API token{'s' * (revoked != 1)} of {model['email']}.", "info")
        return True

    def delete_model(self, model: Row) -> bool:
        if model["id"] == current_user.id:
            flash("You can't delete your own login; ask another admin.", "error")
            return False
        return super().delete_model(model)

    @action("delete", lazy_gettext("Delete"), lazy_gettext("Delete the selected rows?"))
    def action_delete(self, ids: list[str]) -> None:
        if current_user.id in {as_id(value) for value in ids}:
            flash("You can't delete your own login; ask another admin.", "error")
            return
        super().action_delete(ids)


class TokenView(EntityView):
    """API tokens, for admins only: made here (shown once), revoked by deleting; never edited."""

    roles = ("admin",)
    can_edit = False  # type: ignore[assignment]

    def get_create_form(self) -> type[Form]:
        form_class = self.scaffold_form()
        # each form sent makes one token: a reload of the answer, which sends it again, makes none
        form_class.form_once = HiddenField(default=lambda: secrets.token_urlsafe(12))
        return form_class

    def create_model(self, form: Form) -> Row | bool:
        try:
            row, secret = tokens.issue(self.user_data(form))
        except KitError as error:
            show_errors(form, error)
            return False
        g.kit_token_made = row, secret  # for create_view's answer; a flash would keep it in the cookie
        session[SENT_FORMS] = [*session.get(SENT_FORMS, [])[-9:], form.form_once.data]
        return row

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        """Flask-Admin's create page; a token just made is shown on this answer, not after a redirect."""
        if request.method == "POST" and request.form.get("form_once") in session.get(SENT_FORMS, []):
            flash("That form made its token already; it is in this list (a token is shown once).", "info")
            return redirect(self.get_url(".index_view"))
        answer = super().create_view()
        if "kit_token_made" not in g:
            return answer
        row, secret = g.pop("kit_token_made")
        self.restate_confirmations()
        user = self.repo.store["kit_user"].labels([row["user"]]).get(row["user"], "")
        return_url = self.get_url(".index_view")
        return self.render(
            "admin/kit_token_made.html", token=row, user=user, secret=secret, return_url=return_url
        )


SENT_FORMS = "kit_sent_forms"
"""The session's list of token forms that made their token (the last ten)."""


def as_id(value: Any) -> int | None:
    """A row id as the model layer reads it (digits alone: "07" is none), or None."""
    return row_id(value.strip() if isinstance(value, str) else value)


def init_app(app: Flask) -> Admin:
    """Admin screens at /admin/ for every declared entity, and users for admins."""
    admin = Admin(
        app,
        name=app.config["APP_NAME"],
        theme=Bootstrap4Theme(swatch="default", base_template="admin/kit_base.html", fluid=True),
        index_view=DashboardView(name="Dashboard", url="/admin"),
        csp_nonce_generator=security.csp_nonce,
    )
    kit_store: Store = app.extensions["kit.store"]
    for repo in kit_store:
        if not repo.name.startswith("kit_"):
            admin.add_view(EntityView(repo, page_size=app.config["PAGE_SIZE"]))
    # the kit's own entities share one menu, so the product's entities keep the bar to themselves
    access = {"page_size": app.config["PAGE_SIZE"], "category": "Access"}
    admin.add_view(UserView(kit_store["kit_user"], url="users", **access))
    admin.add_view(TokenView(kit_store["kit_token"], url="tokens", **access))
    # Flask-Admin reads the reference filters' options (rows) while the views are built, outside
    # any request: give that connection back, or each process keeps one inside a transaction.
    kit_store.release()
    return admin
