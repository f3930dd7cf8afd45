// The example front-end: list, create and edit rows of one entity through /api/.
// Everything it knows about the entities comes from /api/openapi.json.
"use strict";

const START_ENTITY = "product"; // shown first when it exists; pick another in the menu
const PER_PAGE = 10;
const WRITERS = ["admin", "editor"]; // the roles that change data (see "Auth" in /api/docs); viewers read

const state = { doc: null, session: null, entity: null, page: 1, search: "", editing: null };
const $ = (id) => document.getElementById(id);

// -- talking to the API ---------------------------------------------------------

async function call(method, path, body, version) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // The row as it was read: a save over someone else's newer one is refused (412).
  if (version !== undefined) headers["If-Match"] = `"${version}"`;
  if (method !== "GET" && state.session) headers["X-CSRFToken"] = state.session.csrf_token;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) {
    const { message, fields, current } = data.error;
    throw Object.assign(new Error(message), { status: response.status, fields, current });
  }
  return data;
}

function schema(name) {
  return state.doc.components.schemas[name];
}

function canWrite() {
  const user = state.session && state.session.user;
  return Boolean(user && WRITERS.includes(user.role));
}

function shownValue(property, value) {
  // a choice's label, as the admin shows it ("Paid" for paid); any other value as it is
  const labels = property["x-enum-labels"] || {};
  return value in labels ? labels[value] : String(value);
}

function isRequired(create, name, property) {
  // required, even where a default fills it in when left out (such a field isn't in `required`)
  const kinds = [].concat(property.type);
  return (create.required || []).includes(name) || (!kinds.includes("null") && !kinds.includes("boolean"));
}

function entities() {
  return Object.keys(state.doc.paths)
    .filter((path) => path.startsWith("/api/") && state.doc.paths[path].post)
    .map((path) => path.slice("/api/".length));
}

// -- messages -------------------------------------------------------------------

function notify(message, kind = "success") {
  const box = $("notice");
  box.hidden = !message;
  box.className = `flash ${kind}`;
  box.textContent = message || "";
  if (kind === "error" && state.session && !state.session.user) {
    const link = document.createElement("a");
    link.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    link.textContent = "Log in";
    box.append(" ", link, " to change data.");
  }
}

function showWho() {
  const user = state.session.user;
  $("who").textContent = user ? `${user.email} (${user.role})` : "Not logged in";
  if (!user) {
    const link = document.createElement("a");
    link.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    link.textContent = "Log in";
    $("who").append(" · ", link);
  }
}

// -- the list -------------------------------------------------------------------

function columns() {
  return schema(state.entity)["x-columns"]; // the entity's columns= in models.py
}

function cell(row, name, property) {
  const value = row[name];
  if (value === null || value === undefined) return "";
  if (name in row._labels) return row._labels[name] || String(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (property.format === "date-time") return `${value.slice(0, 16).replace("T", " ")} UTC`;
  return shownValue(property, value);
}

async function loadRows() {
  const query = new URLSearchParams({ _page: state.page, _per_page: PER_PAGE });
  if (state.search) query.set("_search", state.search);
  let page;
  try {
    page = await call("GET", `/api/${state.entity}?${query}`);
  } catch (error) {
    notify(error.message, "error");
    page = { rows: [], page: 1, pages: 1, total: 0 };
  }
  const names = columns();
  const properties = schema(state.entity).properties;
  const head = document.createElement("tr");
  for (const name of names) {
    const th = document.createElement("th");
    th.textContent = properties[name].title || name;
    head.append(th);
  }
  $("rows").tHead.replaceChildren(head);
  const body = page.rows.map((row) => {
    const tr = document.createElement("tr");
    tr.tabIndex = 0;
    tr.dataset.id = row.id;
    for (const name of names) {
      const td = document.createElement("td");
      td.textContent = cell(row, name, properties[name]);
      tr.append(td);
    }
    tr.addEventListener("click", () => edit(row));
    tr.addEventListener("keydown", (event) => event.key === "Enter" && edit(row));
    return tr;
  });
  $("rows").tBodies[0].replaceChildren(...body);
  $("page").textContent = `Page ${page.page} of ${page.pages} · ${page.total} rows`;
  $("prev").disabled = page.page <= 1;
  $("next").disabled = page.page >= page.pages;
}

// -- the form -------------------------------------------------------------------

async function input(name, property, value, label) {
  const kinds = [].concat(property.type);
  let element;
  if (property["x-references"]) {
    element = document.createElement("select");
    const none = { rows: [] }; // read-only, the row's own label is all the select shows
    const options = canWrite() ? await call("GET", `/api/${property["x-references"]}?_per_page=100`).catch(() => none) : none;
    element.append(new Option("", ""));
    for (const row of options.rows) element.append(new Option(row._label, row.id));
    if (value !== null && value !== undefined && !options.rows.some((row) => row.id === value)) {
      element.append(new Option(label || `#${value}`, value)); // beyond the first 100 rows
    }
  } else if (property.enum) {
    element = document.createElement("select");
    for (const option of property.enum) element.append(new Option(option === null ? "" : shownValue(property, option), option ?? ""));
  } else if (kinds.includes("boolean")) {
    element = document.createElement("input");
    element.type = "checkbox";
    element.checked = Boolean(value ?? property.default);
  } else if (!property.format && (property.maxLength || 0) > 2000) {
    element = document.createElement("textarea");
    element.rows = 4;
  } else {
    element = document.createElement("input");
    element.type = { date: "date", "date-time": "datetime-local", email: "email", uri: "url" }[property.format] || "text";
    if (kinds.includes("integer")) element.inputMode = "numeric";
    if (property.pattern) element.inputMode = "decimal";
  }
  element.name = name;
  element.id = `field-${name}`;
  element.disabled = !canWrite();
  if (element.type !== "checkbox") {
    let shown = value ?? property.default ?? "";
    if (property.format === "date-time") {
      element.step = 1; // keep the seconds the API stores
      shown = shown && shown.slice(0, 19);
    }
    element.value = shown;
  }
  return element;
}

async function edit(row) {
  state.editing = row;
  const create = schema(`${state.entity}.input`);
  const label = schema(state.entity).title;
  const verb = canWrite() ? "Edit" : "View";
  $("editor-title").textContent = row ? `${verb} ${row._label}` : `New ${label}`;
  const form = $("form");
  const parts = [];
  for (const [name, property] of Object.entries(create.properties)) {
    const wrap = document.createElement("p");
    const caption = document.createElement("label");
    caption.htmlFor = `field-${name}`;
    caption.textContent = property.title || name;
    if (isRequired(create, name, property)) caption.append(" *");
    const problem = document.createElement("span");
    problem.className = "error";
    problem.id = `error-${name}`;
    const label = row && name in row._labels ? row._labels[name] : null;
    wrap.append(caption, await input(name, property, row ? row[name] : null, label), problem);
    if (property.description && !property["x-references"]) {
      const help = document.createElement("small");
      help.textContent = property.description;
      wrap.append(help);
    }
    parts.push(wrap);
  }
  form.replaceChildren(...parts, actions(row));
  $("editor").hidden = false;
  await showHistory(row);
}

async function showHistory(row) {
  // Who made and changed the row, newest first: for a login only, as it names people.
  $("history").hidden = true;
  if (!row || !state.session.user) return;
  const { rows: lines } = await call("GET", `/api/${state.entity}/${row.id}/history`);
  const properties = schema(state.entity).properties;
  const named = (field) => (properties[field] && properties[field].title) || field;
  const shown = (field, value) => (value === null || value === "" ? "empty" : shownValue(properties[field], value));
  const set = (line, field) => {
    // "Price (2.50 → 2.80)"; a long text is only named
    const pair = line.values[field];
    return pair ? `${named(field)} (${shown(field, pair.before)} → ${shown(field, pair.after)})` : named(field);
  };
  $("history-lines").replaceChildren(
    ...lines.map((line) => {
      const item = document.createElement("li");
      const what =
        line.action === "changed" ? `changed ${line.fields.map((field) => set(line, field)).join(", ")}` : line.action;
      item.textContent = `${line.at.slice(0, 16).replace("T", " ")} UTC · ${what} · ${line.by}`;
      return item;
    }),
  );
  $("history").hidden = lines.length === 0;
}

function actions(row) {
  // Save/Create and Delete for a role that writes; a viewer or a visitor would only be refused (403)
  const buttons = document.createElement("p");
  if (!canWrite()) {
    buttons.className = "muted";
    buttons.textContent = state.session.user ? "Your role can read rows, not change them." : "Log in to change data.";
    return buttons;
  }
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = row ? "Save" : "Create";
  buttons.append(save);
  if (row) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "Delete";
    remove.addEventListener("click", () => removeRow(row));
    buttons.append(" ", remove);
  }
  return buttons;
}

function values() {
  const properties = schema(`${state.entity}.input`).properties;
  const data = {};
  for (const [name, property] of Object.entries(properties)) {
    const element = $("form").elements[name];
    if (element.type === "checkbox") data[name] = element.checked;
    else if (element.value === "") data[name] = null;
    else if (property.format === "date-time") data[name] = `${element.value}${element.value.length === 16 ? ":00" : ""}Z`;
    else if (property["x-references"]) data[name] = Number(element.value);
    else data[name] = element.value;
  }
  return data;
}

function changedSince(opened, current) {
  // each field saved by someone else since the row was opened, as the admin names it
  const fields = {};
  for (const [name, property] of Object.entries(schema(`${state.entity}.input`).properties)) {
    if (JSON.stringify(opened[name]) === JSON.stringify(current[name])) continue;
    const value = current[name];
    let shown = current._labels[name] ?? shownValue(property, value);
    if (value === null || value === "") shown = "empty";
    fields[name] = `${property.title || name} is now ${shown}.`;
  }
  return fields;
}

async function submit(event) {
  event.preventDefault();
  notify("");
  for (const problem of $("form").querySelectorAll(".error")) problem.textContent = "";
  const row = state.editing;
  try {
    const saved = row
      ? await call("PATCH", `/api/${state.entity}/${row.id}`, values(), row._version)
      : await call("POST", `/api/${state.entity}`, values());
    notify(`${saved._label} saved.`);
    await loadRows();
    edit(saved);
  } catch (error) {
    if (error.status === 412) {
      // someone saved the row meanwhile: say what they changed, keep what was typed, and let a
      // second Save write it over their version
      error.fields = changedSince(row, error.current);
      error.message += " Nothing was saved: check the values and save again to keep yours.";
      state.editing = error.current;
      await loadRows();
    }
    for (const [name, message] of Object.entries(error.fields || {})) {
      const problem = $(`error-${name}`);
      if (problem) problem.textContent = message;
    }
    notify(error.message, "error");
  }
}

async function removeRow(row) {
  if (!confirm(`Delete ${row._label}?`)) return;
  try {
    await call("DELETE", `/api/${state.entity}/${row.id}`, undefined, row._version);
    notify(`${row._label} deleted.`);
    $("editor").hidden = true;
    await loadRows();
  } catch (error) {
    if (error.status === 412) {
      // saved by someone else meanwhile: show their version, to delete it knowingly
      await Promise.all([edit(error.current), loadRows()]);
      error.message += " Nothing was deleted: here is the row now; delete it again if it should go.";
    }
    notify(error.message, "error");
  }
}

// -- start ----------------------------------------------------------------------

async function choose(entity) {
  notify("");
  state.entity = entity;
  state.page = 1;
  state.search = "";
  $("search").value = "";
  $("search-form").hidden = !state.doc.paths[`/api/${entity}`].get.parameters.some((p) => p.name === "_search");
  $("editor").hidden = true;
  history.replaceState(null, "", `?entity=${encodeURIComponent(entity)}`);
  await loadRows();
}

async function start() {
  [state.doc, state.session] = await Promise.all([call("GET", "/api/openapi.json"), call("GET", "/api/session")]);
  showWho();
  $("new").hidden = !canWrite();
  const names = entities();
  for (const name of names) $("entity").append(new Option(schema(name).title, name));
  const wanted = new URLSearchParams(location.search).get("entity");
  const first = [wanted, START_ENTITY, names[0]].find((name) => names.includes(name));
  $("entity").value = first;
  $("entity").addEventListener("change", (event) => choose(event.target.value));
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.search = $("search").value.trim();
    state.page = 1;
    loadRows();
  });
  $("prev").addEventListener("click", () => { state.page -= 1; loadRows(); });
  $("next").addEventListener("click", () => { state.page += 1; loadRows(); });
  $("new").addEventListener("click", () => edit(null));
  $("form").addEventListener("submit", submit);
  if (first) await choose(first);
}

start().catch((error) => notify(`The API could not be reached: ${error.message}`, "error"));
