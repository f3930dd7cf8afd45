"""The OpenAPI document is valid, describes exactly what the API does, and fuzzing it finds no 5xx."""

from __future__ import annotations

import itertools
import os
from decimal import Decimal
from types import ModuleType

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from kit import fake, openapi
from tests.conftest import MODEL_SETS, make_app
from tests.test_api import bearer, body_of, token_for

METHODS = ("get", "post", "patch", "delete", "put")


@pytest.fixture(params=sorted(MODEL_SETS))
def filled(request, tmp_path):
    """(app, editor token, document) of an app with two rows of every entity of one model set."""
    app = make_app(tmp_path, MODEL_SETS[request.param])
    with app.app_context():
        fill_every_entity(app.extensions["kit.store"])
    token = token_for(app, "editor")
    yield app, token, app.test_client().get("/api/openapi.json").json
    app.extensions["kit.store"].close()


def fill_every_entity(kit_store) -> dict[str, dict[str, list[int]]]:
    """Two rows of each exposed entity; returns, per entity, the ids its references may take."""
    ids: dict[str, list[int]] = {}
    refs_of = {}
    for entity in kit_store.schema.load_order():
        if entity not in kit_store.schema.declared:
            continue
        repo = kit_store[entity.name]
        refs_of[entity.name] = {r.name: ids.get(r.to, []) for r in entity.references}
        ids[entity.name] = [
            repo.create(fake.row(repo, 500 + n, refs_of[entity.name]))["id"] for n in range(2)
        ]
    return refs_of


def test_the_document_is_valid_openapi_3_1(filled):
    _, _, doc = filled
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_every_api_route_is_in_the_document_and_nothing_else(filled):
    app, _, doc = filled
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule != "/api" and not rule.rule.startswith("/api/"):
            continue
        methods = {m.lower() for m in rule.methods or ()} & set(METHODS)
        if "<entity>" in rule.rule:
            with app.app_context():
                names = [repo.name for repo in openapi.exposed(app.extensions["kit.store"])]
        else:
            names = [""]
        for name in names:
            path = rule.rule.replace("<entity>", name).replace("<id>", "{id}")
            served |= {(path, method) for method in methods}
    documented = {
        (path, method) for path, item in doc["paths"].items() for method in item if method in METHODS
    }
    assert documented == served


def validator(doc, name, at="components/schemas"):
    """A JSON Schema 2020-12 validator for one component (or the schema `name` at a JSON pointer),
    resolving the document's $refs."""
    registry = Registry().with_resource("urn:doc", Resource.from_contents({**doc, "$schema": DIALECT}))
    schema = {"$ref": f"urn:doc#/{at}/{name}"}
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


DIALECT = "https://json-schema.org/draft/2020-12/schema"


def test_every_operation_answers_as_documented(filled):
    app, token, doc = filled
    client = app.test_client()
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        refs_of = {
            name: {r.name: [1] for r in kit_store[name].entity.references} for name in kit_store.repositories
        }
        for repo in openapi.exposed(kit_store):
            base = f"/api/{repo.name}"
            listed = client.get(f"{base}?_per_page=2", headers=bearer(token))
            assert not list(validator(doc, f"{repo.name}.page").iter_errors(listed.json)), repo.name
            by_cursor = client.get(f"{base}?_per_page=1", headers=bearer(token)).json["next_cursor_url"]
            after = client.get(by_cursor, headers=bearer(token)).json
            assert after["page"] is None and after["rows"], repo.name
            assert not list(validator(doc, f"{repo.name}.page").iter_errors(after)), repo.name
            first = listed.json["rows"][0]
            assert client.get(f"{base}/{first['id']}", headers=bearer(token)).json == first

            sent = body_of(repo, fake.row(repo, 900, refs_of[repo.name]))
            assert not list(validator(doc, f"{repo.name}.input").iter_errors(sent)), repo.name
            created = client.post(base, json=sent, headers=bearer(token))
            assert created.status_code == 201, created.json
            assert not list(validator(doc, repo.name).iter_errors(created.json))
            changed = client.patch(f"{base}/{created.json['id']}", json={}, headers=bearer(token))
            assert not list(validator(doc, repo.name).iter_errors(changed.json))
            stale = {**bearer(token), "If-Match": '"0"'}
            refused = client.patch(f"{base}/{created.json['id']}", json={}, headers=stale)
            at = f"paths/~1api~1{repo.name}~1{{id}}/patch/responses/412/content/application~1json"
            assert refused.status_code == 412 and refused.json["error"]["current"] == changed.json
            assert not list(validator(doc, "schema", at).iter_errors(refused.json)), repo.name
            assert client.delete(f"{base}/{created.json['id']}", headers=bearer(token)).status_code == 204
            history = client.get(f"{base}/{created.json['id']}/history", headers=bearer(token)).json
            assert [line["action"] for line in history["rows"]] == ["deleted", "created"]
            assert not list(validator(doc, "kit.history").iter_errors(history)), repo.name

            refused = client.post(base, json={"nope": 1}, headers=bearer(token))
            assert str(refused.status_code) in doc["paths"][base]["post"]["responses"]
            assert not list(validator(doc, "kit.error").iter_errors(refused.json))
    session = client.get("/api/session").json
    assert not list(validator(doc, "kit.session").iter_errors(session))


FORMAT_EXAMPLES = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T00:00:00Z",
    "email": "zoë@example.com",
    "uri": "https://example.com/b€rkeley",
}


def test_every_documented_filter_and_sort_is_accepted(filled):
    app, token, doc = filled
    client = app.test_client()
    for path, parameter in list_parameters(doc):
        schema = parameter["schema"]
        value = schema.get("enum", [None])[0]
        if parameter["name"] == "_cursor":  # opaque: only one the list gave out is taken
            value = client.get(f"{path}?_per_page=1", headers=bearer(token)).json["next_cursor"]
        if value is None:
            value = {"boolean": "true", "integer": "1"}.get(schema["type"], "1")
            value = FORMAT_EXAMPLES.get(schema.get("format"), value)
            value = "1.00" if "pattern" in schema and "format" not in schema else value  # money
        response = client.get(path, query_string={parameter["name"]: value}, headers=bearer(token))
        assert response.status_code == 200, (parameter["name"], response.json)


def list_parameters(doc):
    """(path, parameter) for each query parameter of each entity's list."""
    for path, item in doc["paths"].items():
        if "{" not in path and "post" in item:
            yield from ((path, parameter) for parameter in item["get"]["parameters"])


# == WHAT THE DOCUMENT PROMISES =================================================

EDGE_VALUES = ("", " ", "-1", -1, "0", "1.005", 1.005, 12.5, "12.5", "9" * 17, 10**17, "x" * 201)
"""Values at the edges of what fields take: each one the document calls valid must be taken."""


def test_every_body_value_the_document_allows_is_taken(filled):
    app, token, doc = filled
    client = app.test_client()
    serial = itertools.count(1000)  # each body's own unique values
    with app.app_context():
        for repo in openapi.exposed(app.extensions["kit.store"]):
            check = validator(doc, f"{repo.name}.input")
            refs = {r.name: [1] for r in repo.entity.references}
            for name, about in doc["components"]["schemas"][f"{repo.name}.input"]["properties"].items():
                if "x-references" in about:
                    continue  # a row that doesn't exist is refused, which no schema can say
                for value in EDGE_VALUES:
                    sent = {**body_of(repo, fake.row(repo, next(serial), refs)), name: value}
                    if list(check.iter_errors(sent)):
                        continue
                    answer = client.post(f"/api/{repo.name}", json=sent, headers=bearer(token))
                    if answer.status_code == 400 and past_bounds(about, value):
                        continue  # text past the minimum or maximum the document gives: no pattern says it
                    # 409: a unique value taken, which no schema can say; the value itself was taken
                    assert answer.status_code in (201, 409), (repo.name, name, value, answer.json)


def past_bounds(about: dict, value: object) -> bool:
    """Whether an amount sent as text lies beyond the bounds the field's schema gives in numbers."""
    if not isinstance(value, str) or "maximum" not in about:
        return False
    amount = Decimal(value)
    return not about["minimum"] <= amount <= about["maximum"]


def test_every_filter_value_the_document_allows_is_taken(filled):
    app, token, doc = filled
    client = app.test_client()
    for path, parameter in list_parameters(doc):
        if parameter["schema"].get("type") != "string" or parameter["name"] == "_cursor":
            continue  # a query's value is text; a cursor is taken only as a list gave it out
        check = Draft202012Validator(parameter["schema"], format_checker=Draft202012Validator.FORMAT_CHECKER)
        for value in (v for v in EDGE_VALUES if isinstance(v, str) and check.is_valid(v)):
            answer = client.get(path, query_string={parameter["name"]: value}, headers=bearer(token))
            assert answer.status_code == 200, (parameter["name"], value, answer.json)


def test_choice_labels_are_in_the_document_beside_their_values(filled):
    app, _, doc = filled
    schemas = doc["components"]["schemas"]
    with app.app_context():
        choices = [
            (repo.name, f)
            for repo in openapi.exposed(app.extensions["kit.store"])
            for f in openapi.visible(repo)
            if f.kind == "choice"
        ]
    assert choices
    for name, f in choices:
        for component in (name, f"{name}.input", f"{name}.patch"):
            assert schemas[component]["properties"][f.name]["x-enum-labels"] == f.options, component


def test_operation_summaries_keep_the_labels_case_with_the_right_article(filled):
    app, _, doc = filled
    with app.app_context():
        entities = [repo.entity for repo in openapi.exposed(app.extensions["kit.store"])]
    for entity in entities:
        path = doc["paths"][f"/api/{entity.name}"]
        article = "an" if entity.label[0].lower() in "aeiou" else "a"
        assert path["get"]["summary"] == f"List {entity.plural}"
        assert path["post"]["summary"] == f"Create {article} {entity.label}"
        assert (
            doc["paths"][f"/api/{entity.name}/{{id}}"]["delete"]["summary"]
            == f"Delete {article} {entity.label}"
        )


def test_the_headers_the_api_sends_are_documented(filled):
    app, token, doc = filled
    client = app.test_client()
    with app.app_context():
        repo = next(openapi.exposed(app.extensions["kit.store"]))
        sent = body_of(repo, fake.row(repo, 777, {r.name: [1] for r in repo.entity.references}))
    base = f"/api/{repo.name}"
    created = client.post(base, json=sent, headers=bearer(token))
    row = f"{base}/{created.json['id']}"
    answers = {
        ("post", base, "201"): created,
        ("get", row, "200"): client.get(row, headers=bearer(token)),
        ("patch", row, "200"): client.patch(row, json={}, headers=bearer(token)),
        ("patch", row, "412"): client.patch(row, json={}, headers={**bearer(token), "If-Match": '"0"'}),
    }
    for (method, path, status), answer in answers.items():
        assert answer.status_code == int(status), (method, path, answer.json)
        documented = doc["paths"][base if path == base else f"{base}/{{id}}"][method]["responses"][status]
        sent_headers = {"ETag", "Location"} & set(answer.headers.keys())
        assert set(documented.get("headers", {})) == sent_headers, (method, status)
        for header, about in documented["headers"].items():
            assert Draft202012Validator(about["schema"]).is_valid(answer.headers[header])


def test_a_list_documents_that_cursor_and_page_go_alone(filled):
    _, _, doc = filled
    refused = doc["paths"]["/api/order"]["get"]["responses"]["400"]["description"]
    assert "never with `_page`" in refused


# == FUZZING ====================================================================


LENIENT = [positive_data_acceptance, negative_data_rejection]
"""Left out on purpose: a schema-valid request may still be refused (a reference to a row that doesn't
exist, a unique value taken, a made-up _cursor, a whole number sent as 1.0, which JSON Schema calls
an integer), and the API takes friendlier input than the document promises ("12.5" for 12.50, text
trimmed before its length counts), as the admin does. The tests above hold each field's edges."""

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
"""Requests per operation and mode; FUZZ_EXAMPLES=500 for a long hunt (random, not repeatable)."""


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_fuzzing_the_api_from_its_document_finds_no_server_error(filled, mode):
    """Valid and invalid requests to every operation, with an editor's token, checked against the document."""
    app, token, doc = filled
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        item = doc["paths"][operation.path]
        takes = "parameters" in item or {"parameters", "requestBody"} & set(item[operation.method.lower()])
        if mode is GenerationMode.NEGATIVE and not takes:
            continue  # nothing in the request can be made invalid

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize="FUZZ_EXAMPLES" not in os.environ,  # the same requests every run, so CI repeats
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            case.call_and_validate(headers=bearer(token), excluded_checks=LENIENT)

        fuzz()


def test_a_money_pattern_takes_every_amount_within_the_declared_bounds(tmp_path):
    from kit.declare import Entity, Money

    module = ModuleType("bounded")
    module.till = Entity("till", Money("change", min="-10.50", max="10.50"), public_read=True)
    app = make_app(tmp_path, module)
    with app.app_context():
        doc = openapi.document(app.extensions["kit.store"], "Till")
    check = Draft202012Validator(doc["components"]["schemas"]["till.input"]["properties"]["change"])
    for amount in ("10.50", "-10.50", "0", "9.99"):
        assert check.is_valid(amount), amount
    assert not check.is_valid("100.00") and not check.is_valid("1e1")
