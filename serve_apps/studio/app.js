// fas-ray studio: six views over the pipeline API, same origin, no build step, no network but
// this server. Every value from the server is put in the page as text (no innerHTML).

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "fas-ray.token";
const VIEWS = ["ingest", "etl", "automl", "explain", "visualize", "export"];
const DATA_FIGURES = /^(distribution_|correlation$|scatter_matrix$|box_plots$|time_series$)/;
const TARGET_NAMES = ["target", "label", "class", "outcome", "y"];

const state = {
  config: null, // GET /studio/config
  cluster: null, // GET /cluster
  source: null, // {kind: "dataset", id, record} or {kind: "url", url, options, columns, profile}
  datasets: [],
  runs: [],
  run: null, // the selected run's status
  model: null, // GET /models/{id} of the selected run's model
  figures: null, // the selected run's figures (name -> Plotly JSON)
  holdout: null,
  active: null, // the run being watched
  timer: null,
};

// ------------------------------------------------------------------ small helpers
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key in node && key !== "list") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fmt(value, digits = 4) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value.toLocaleString("en");
    return Math.abs(value) >= 1000 ? value.toLocaleString("en", { maximumFractionDigits: 1 })
      : value.toPrecision(digits);
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function when(iso) {
  if (!iso) return "–";
  const date = new Date(typeof iso === "number" ? iso * 1000 : iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

function count(value) {
  return Array.isArray(value) ? value.length : value;
}

function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function showError(id, error) {
  const node = $(id);
  node.textContent = error instanceof Error ? error.message : String(error);
  node.hidden = false;
}

function clearError(id) {
  $(id).hidden = true;
  $(id).textContent = "";
}

function fillTable(table, columns, rows, empty = "Nothing yet.") {
  const head = el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c))));
  const body = el("tbody");
  if (!rows.length) body.append(el("tr", {}, el("td", { colSpan: columns.length, class: "muted" }, empty)));
  for (const row of rows) body.append(row instanceof Node ? row : el("tr", {}, row.map(cell)));
  table.replaceChildren(head, body);
}

function cell(value) {
  if (value instanceof Node) return el("td", {}, value);
  return el("td", { class: typeof value === "number" ? "num" : "" }, fmt(value));
}

class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

function detail(body, status) {
  const d = body && body.detail !== undefined ? body.detail : body;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) { // pydantic errors: "field: message" each
    return d.map((e) => {
      const where = (e.loc || []).filter((p) => p !== "body").join(".");
      return where ? `${where}: ${e.msg}` : e.msg;
    }).join("; ");
  }
  if (d && d.errors) return d.errors.map((e) => e.message || JSON.stringify(e)).join("; ");
  return `The server answered ${status}.`;
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function api(path, { method = "GET", json, raw = false } = {}) {
  const headers = authHeaders();
  const init = { method, headers };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(`The server cannot be reached (${error.message}); is fas-ray serve running?`, 0);
  }
  if (response.status === 401) askToken("The server needs a valid API token.");
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    throw new ApiError(detail(body, response.status), response.status);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

async function download(path, fallbackName, statusId) {
  const response = await api(path, { raw: true });
  const blob = await response.blob();
  const disposition = response.headers.get("content-disposition") || "";
  const match = /filename="?([^";]+)"?/.exec(disposition);
  const name = match ? match[1] : fallbackName;
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  if (statusId) $(statusId).textContent = `Downloaded ${name} (${bytes(blob.size)}).`;
  return { name, size: blob.size };
}

function plot(id, figure, note) {
  const node = $(id);
  const drawn = Boolean(node._fullLayout); // plotly.js keeps its state on the element
  if (!figure || !window.Plotly) {
    if (drawn) window.Plotly.purge(node);
    node.replaceChildren(figure ? el("p", { class: "error" }, "plotly.js did not load; reload the page.")
      : el("p", { class: "muted" }, note || "No chart for this run."));
    return;
  }
  if (!drawn) node.replaceChildren(); // a note, or nothing
  const layout = { ...(figure.layout || {}), autosize: true };
  window.Plotly.react(node, figure.data || [], layout, { displaylogo: false, responsive: true });
}

// ------------------------------------------------------------------ views and navigation
function showView(name, focus = false) {
  if (!VIEWS.includes(name)) name = "ingest";
  for (const view of VIEWS) $(`view-${view}`).hidden = view !== name;
  for (const button of document.querySelectorAll("#tabs button")) {
    if (button.dataset.view === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  if (focus) $(`h-${name}`).focus({ preventScroll: false });
  refreshNeeds();
  const load = { explain: loadExplain, visualize: loadVisualize, export: loadExport }[name];
  if (load) load().catch((error) => showError("global-error", error));
}

function currentView() {
  return VIEWS.find((v) => !$(`view-${v}`).hidden) || "ingest";
}

function refreshNeeds() {
  const have = {
    dataset: state.source !== null,
    run: state.run !== null,
    model: state.run !== null && Boolean(state.run.model_id),
  };
  for (const node of document.querySelectorAll("[data-needs]")) node.hidden = have[node.dataset.needs];
  for (const node of document.querySelectorAll("[data-when]")) node.hidden = !have[node.dataset.when];
  const parts = [];
  if (state.source) parts.push(`data: ${sourceName()}`);
  if (state.run) parts.push(`run: ${state.run.run_id} (${state.run.status})`);
  $("context").textContent = parts.join(" · ");
}

function sourceName() {
  if (!state.source) return "";
  return state.source.kind === "url" ? state.source.url : state.source.record.filename;
}

// ------------------------------------------------------------------ access
function askToken(message) {
  $("token-form").hidden = false;
  if (message) showError("token-error", message);
  $("token-input").focus();
}

async function submitToken(event) {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
  $("token-input").value = "";
  clearError("token-error");
  try {
    await api("/cluster");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    showError("token-error", error.status === 401 ? "That token was refused; check it." : error);
    return;
  }
  $("token-form").hidden = true;
  await loadAll();
}

function tokenState() {
  const needed = state.config && state.config.auth_required;
  const have = Boolean(sessionStorage.getItem(TOKEN_KEY));
  $("token-state").textContent = !needed ? "This server needs no token (loopback only)."
    : have ? "Token set for this tab." : "This server needs a token.";
  $("forget-token").hidden = !have;
}

// ------------------------------------------------------------------ sidebar
async function loadCluster() {
  const info = await api("/cluster");
  state.cluster = info;
  const ray = info.ray || {};
  const facts = [
    ["Data root", info.data_root],
    ["Ray", ray.address || "not connected"],
    ["Nodes", ray.nodes], ["CPUs", ray.cpus], ["GPUs", ray.gpus],
    ["Memory", ray.memory_gb === null || ray.memory_gb === undefined ? null : `${ray.memory_gb} GB`],
    ["Version", state.config.version],
  ];
  $("cluster").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, fmt(v))]));
  const link = $("dashboard-link");
  link.replaceChildren();
  if (ray.dashboard_url) {
    link.append(el("a", { href: ray.dashboard_url, target: "_blank", rel: "noopener" }, "Ray dashboard"));
  }
  const d = info.defaults;
  $("defaults").replaceChildren(
    el("dt", {}, "Budget"), el("dd", {}, `${d.time_budget_s} s`),
    el("dt", {}, "Seed"), el("dd", {}, d.seed),
    el("dt", {}, "Upload"), el("dd", {}, `${state.config.max_upload_mb} MB`),
  );
  $("run-seconds").value = d.time_budget_s;
  $("run-seed").value = d.seed;
  $("run-metric").replaceChildren(el("option", { value: "" }, "default for the task"),
    ...info.metrics.map((m) => el("option", { value: m }, m)));
  $("run-learners").replaceChildren(...info.learners.map((name) => el("label", { class: "check" },
    el("input", { type: "checkbox", value: name, checked: info.default_learners.includes(name) }), name)));
  $("etl-missing").replaceChildren(...info.missing_strategies.map((m) => el("option", { value: m }, m)));
  $("chart-kind").replaceChildren(...info.data_charts.map((k) => el("option", { value: k }, k.replace("_", " "))));
}

// ------------------------------------------------------------------ 1 ingest
function uploadFile(event) {
  event.preventDefault();
  clearError("upload-error");
  const file = $("upload-file").files[0];
  if (!file) { showError("upload-error", "Choose a file first."); return; }
  const limit = state.config.max_upload_mb * 1024 * 1024;
  if (file.size > limit) {
    showError("upload-error", `${file.name} is ${bytes(file.size)}: over the ${state.config.max_upload_mb} MB limit.`);
    return;
  }
  const form = new FormData();
  form.append("file", file);
  const xhr = new XMLHttpRequest();
  const bar = $("upload-progress");
  bar.hidden = false;
  bar.value = 0;
  $("upload-status").textContent = `Uploading ${file.name}…`;
  xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; });
  xhr.addEventListener("load", async () => {
    bar.hidden = true;
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch { body = null; }
    if (xhr.status === 401) askToken("The server needs a valid API token.");
    if (xhr.status < 200 || xhr.status >= 300) {
      $("upload-status").textContent = "";
      showError("upload-error", detail(body, xhr.status));
      return;
    }
    $("upload-status").textContent = `Stored ${body.filename}: ${fmt(body.rows)} rows, ${count(body.columns)} columns.`;
    $("upload-form").reset();
    await loadDatasets();
    await selectDataset(body.dataset_id);
  });
  xhr.addEventListener("error", () => {
    bar.hidden = true;
    showError("upload-error", "The upload failed: the server could not be reached.");
  });
  xhr.open("POST", "/datasets");
  for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
  xhr.send(form);
}

async function loadDatasets() {
  clearError("datasets-error");
  try {
    state.datasets = await api("/datasets");
  } catch (error) {
    showError("datasets-error", error);
    return;
  }
  const selected = state.source && state.source.kind === "dataset" ? state.source.id : null;
  const rows = state.datasets.map((d) => {
    const row = el("tr", { class: d.dataset_id === selected ? "selected" : "" },
      cell(d.dataset_id), cell(d.filename), cell(d.rows), cell(count(d.columns)), cell(d.format),
      el("td", { title: d.sha256 || "" }, el("code", {}, (d.sha256 || "").slice(0, 12))),
      cell(when(d.uploaded_at)),
      el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => selectDataset(d.dataset_id) },
        d.dataset_id === selected ? "Selected" : "Use")));
    return row;
  });
  fillTable($("datasets-table"), ["Data set", "File", "Rows", "Columns", "Format", "SHA-256", "Uploaded", ""],
    rows, "No data sets yet: upload a file.");
}

async function selectDataset(id) {
  const record = await api(`/datasets/${encodeURIComponent(id)}`);
  state.source = { kind: "dataset", id, record, profile: record.profile, columns: profileColumns(record.profile) };
  await loadDatasets();
  $("preview-name").textContent = `— ${record.filename}`;
  const preview = await api(`/datasets/${encodeURIComponent(id)}/preview?rows=20`);
  fillTable($("preview-table"), preview.columns, preview.rows, "The file has no rows.");
  renderProfile();
  await fillTargets();
  refreshNeeds();
}

function profileColumns(profile) {
  return (profile && profile.column_profiles ? profile.column_profiles : []).map((c) => c.name);
}

function scrapeOptions() {
  return {
    max_pages: Number($("scrape-pages").value) || undefined,
    rate: Number($("scrape-rate").value) || undefined,
    selector: $("scrape-selector").value.trim() || undefined,
    js: $("scrape-js").value,
    sitemap: $("scrape-sitemap").checked,
    allow_private: state.config.allow_private_urls ? $("scrape-private").checked : undefined,
  };
}

async function scrape(event) {
  event.preventDefault();
  clearError("scrape-error");
  const url = $("scrape-url").value.trim();
  const options = scrapeOptions();
  try {
    const run = await api("/runs", { method: "POST", json: { url, etl_only: true, ...options } });
    $("scrape-status").textContent = `Scraping in run ${run.run_id}…`;
    const done = await waitFor(run.run_id, "scrape-status");
    if (done.status !== "completed") throw new Error(`The scrape ${done.status}: ${done.error || "see the run's logs"}`);
    const profile = await api(`/runs/${run.run_id}/profile`);
    state.source = { kind: "url", url, options, profile, columns: profileColumns(profile) };
    $("scrape-status").textContent = `Scraped ${fmt(profile.rows)} rows, ${profile.columns} columns (run ${run.run_id}).`;
    await selectRun(run.run_id);
    renderProfile();
    await fillTargets();
    refreshNeeds();
  } catch (error) {
    $("scrape-status").textContent = "";
    showError("scrape-error", error);
  }
}

// ------------------------------------------------------------------ 2 ETL
function statsText(c) {
  if (c.numeric) return `mean ${fmt(c.numeric.mean)} · sd ${fmt(c.numeric.std)} · ${fmt(c.numeric.min)}…${fmt(c.numeric.max)}`;
  if (c.categorical) return (c.categorical.top || []).slice(0, 3).map(([v, n]) => `${v} (${n})`).join(", ");
  if (c.temporal) return `${c.temporal.min} … ${c.temporal.max}`;
  return "";
}

function renderProfile() {
  const profile = state.source && state.source.profile;
  if (!profile) { $("profile-summary").textContent = "No profile yet."; return; }
  $("profile-summary").textContent = `${fmt(profile.rows)} rows × ${profile.columns} columns · quality score `
    + `${fmt(profile.quality, 3)} · completeness ${(100 * profile.completeness).toFixed(1)} %`;
  $("profile-warnings").replaceChildren(...(profile.warnings || []).map((w) => el("li", {}, w.message)));
  const strategies = ["(as above)", ...((state.cluster && state.cluster.missing_strategies) || [])];
  const rows = profile.column_profiles.map((c, i) => el("tr", {},
    cell(c.name), cell(c.dtype), cell(`${c.nulls} (${fmt(c.null_pct, 3)} %)`), cell(c.unique), cell(statsText(c)),
    el("td", {}, el("label", { class: "sr", htmlFor: `missing-${i}` }, `Missing values in ${c.name}`),
      el("select", { id: `missing-${i}`, "data-column": c.name },
        strategies.map((s, j) => el("option", { value: j ? s : "" }, s))))));
  fillTable($("profile-table"), ["Column", "Type", "Nulls", "Distinct", "Statistics", "Missing values"], rows);
}

function etlOptions() {
  const perColumn = {};
  for (const select of document.querySelectorAll("#profile-table select")) {
    if (select.value) perColumn[select.dataset.column] = select.value;
  }
  return {
    missing: $("etl-missing").value || undefined,
    missing_columns: perColumn,
    near_duplicates: $("etl-near").checked,
    lowercase_text: $("etl-lower").checked,
  };
}

function sourceRequest() {
  if (!state.source) throw new Error("Select a data set first.");
  return state.source.kind === "dataset" ? { dataset_id: state.source.id }
    : { url: state.source.url, ...state.source.options };
}

async function runEtl(event) {
  event.preventDefault();
  clearError("etl-error");
  try {
    const run = await api("/runs", { method: "POST", json: { ...sourceRequest(), etl_only: true, ...etlOptions() } });
    const done = await waitFor(run.run_id, "etl-status");
    if (done.status !== "completed") throw new Error(`ETL ${done.status}: ${done.error || "see the run's logs"}`);
    $("etl-status").textContent = `ETL run ${run.run_id} finished.`;
    await showEtl(run.run_id);
    await selectRun(run.run_id);
  } catch (error) {
    $("etl-status").textContent = "";
    showError("etl-error", error);
  }
}

async function showEtl(runId) {
  const etl = await api(`/runs/${runId}/etl`);
  $("etl-result-card").hidden = false;
  const facts = [
    ["Rows in", etl.rows_in], ["Rows out", etl.rows_out],
    ["Exact duplicates removed", etl.duplicates_removed],
    ["Rows dropped for missing values", etl.missing_rows_dropped],
    ["Near-duplicates removed", etl.near_duplicates_removed],
    ["Columns renamed", Object.keys(etl.renamed || {}).length],
  ];
  $("etl-result").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, fmt(v))]));
  const rows = Object.entries(etl.strategies || {}).map(([column, strategy]) => [
    column, strategy, (etl.filled || {})[column] || 0, (etl.fill_values || {})[column] ?? "–"]);
  fillTable($("etl-filled"), ["Column", "Strategy", "Cells filled", "Fill value"], rows, "No missing values.");
}

// ------------------------------------------------------------------ 3 AutoML
async function fillTargets() {
  const columns = state.source ? state.source.columns : [];
  const lower = columns.map((c) => c.toLowerCase());
  let pick = columns.length - 1;
  for (const name of TARGET_NAMES) { if (lower.includes(name)) { pick = lower.indexOf(name); break; } }
  $("run-target").replaceChildren(...columns.map((c, i) => el("option", { value: c, selected: i === pick }, c)));
  await showTask();
}

async function showTask() {
  const box = $("task-info");
  const target = $("run-target").value;
  if (!target || !state.source) { box.replaceChildren(); return; }
  if (state.source.kind !== "dataset") {
    box.replaceChildren(el("p", { class: "muted" }, "The task is detected when the run starts."));
    return;
  }
  const source = state.source;
  const stale = () => $("run-target").value !== target || state.source !== source; // a later pick
  try {
    const task = await api(`/datasets/${encodeURIComponent(state.source.id)}/task?target=${encodeURIComponent(target)}`);
    if (stale()) return;
    const classes = task.classes && task.classes.length ? ` (${task.classes.length} classes)` : "";
    box.replaceChildren(...[
      el("p", {}, el("strong", {}, `Detected: ${task.subtype} ${task.kind}${classes}`), ` — ${task.reason}`),
      task.ambiguous ? el("p", { class: "warn", role: "status" },
        "This target is ambiguous (it could be read either way): set the task above to override.") : null,
      task.imbalanced ? el("p", { class: "warn" }, "The classes are imbalanced.") : null,
      el("ul", { class: "muted" }, (task.notes || []).map((n) => el("li", {}, n))),
    ].filter(Boolean));
  } catch (error) {
    if (!stale()) box.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
  }
}

function runRequest() {
  const byTrials = $("budget-trials").checked;
  const learners = [...document.querySelectorAll("#run-learners input:checked")].map((i) => i.value);
  if (!learners.length) throw new Error("Pick at least one learner.");
  const request = {
    ...sourceRequest(),
    target: $("run-target").value,
    seed: Number($("run-seed").value) || 0,
    learners,
    ...etlOptions(),
  };
  if (byTrials) request.max_trials = Number($("run-trials").value);
  else request.time_budget_s = Number($("run-seconds").value);
  if ($("run-task").value) request.task = $("run-task").value;
  if ($("run-metric").value) request.metric = $("run-metric").value;
  return request;
}

async function startRun(event) {
  event.preventDefault();
  clearError("run-error");
  try {
    const run = await api("/runs", { method: "POST", json: runRequest() });
    $("leaderboard-card").hidden = true;
    watch(run.run_id);
    await loadRuns();
  } catch (error) {
    showError("run-error", error);
  }
}

function watch(runId, budget) {
  state.active = { runId, budget: budget || Number($("run-seconds").value) || 60 };
  $("progress-card").hidden = false;
  $("progress-run").textContent = runId;
  plot("history-chart", null, "The search history shows here once configurations finish.");
  $("run-cancel").disabled = false;
  clearError("progress-error");
  clearInterval(state.timer);
  state.timer = setInterval(poll, 1000);
  poll();
}

async function poll() {
  const active = state.active;
  if (!active || active.busy) return;
  active.busy = true;
  try {
    const run = await api(`/runs/${active.runId}`);
    let progress = null;
    if (run.stage === "search" || run.stages.some((s) => s.name === "search")) {
      try { progress = await api(`/runs/${active.runId}/progress`); } catch { progress = null; }
    }
    renderProgress(run, progress);
    if (["completed", "failed", "cancelled"].includes(run.status)) {
      clearInterval(state.timer);
      state.active = null;
      $("run-cancel").disabled = true;
      if (run.status === "completed") {
        await selectRun(run.run_id);
        await showLeaderboard(run.run_id);
      } else {
        showError("progress-error", `The run ${run.status}: ${run.error || "see its logs"}`);
      }
      await loadRuns();
    }
  } catch (error) {
    showError("progress-error", error);
  } finally {
    active.busy = false;
  }
}

function renderProgress(run, progress) {
  state.active.started = state.active.started || Date.parse(run.created_at) || Date.now();
  const started = state.active.started;
  const ended = ["completed", "failed", "cancelled"].includes(run.status) && run.updated_at
    ? Date.parse(run.updated_at) : Date.now();
  const elapsed = Math.max(0, (ended - started) / 1000);
  const done = run.stages.filter((s) => s.status === "completed").length;
  const facts = [
    ["Status", el("span", { class: `badge ${run.status}` }, run.status)],
    ["Stage", run.stage || (run.status === "completed" ? "done" : "starting")],
    ["Stages done", `${done}`],
    ["Configurations done", progress ? progress.complete : run.trials_done],
    ["Pruned", progress ? progress.pruned : "–"],
    ["Failed", progress ? progress.failed : "–"],
    ["Best CV score", fmt(progress ? progress.best_score : run.best_score)],
    ["Best learner", (progress && progress.best_learner) || run.best_learner || "–"],
    ["Elapsed", `${elapsed.toFixed(0)} s`],
  ];
  $("progress-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v instanceof Node ? v : fmt(v))]));
  $("progress-bar").value = run.status === "completed" ? 100 : Math.min(99, (100 * elapsed) / state.active.budget);
  if (progress && progress.history && progress.history.length) {
    const history = progress.history;
    let best = -Infinity;
    const bestSoFar = history.map((h) => (best = Math.max(best, h[1])));
    plot("history-chart", {
      data: [
        { x: history.map((_, i) => i + 1), y: history.map((h) => h[1]), text: history.map((h) => h[2]),
          mode: "markers", type: "scatter", name: "configuration", hovertemplate: "%{text}: %{y}<extra></extra>" },
        { x: history.map((_, i) => i + 1), y: bestSoFar, mode: "lines", type: "scatter", name: "best so far" },
      ],
      layout: { title: { text: "Search history (CV score, higher is better)" }, height: 300,
        margin: { t: 40, r: 10, b: 40, l: 50 }, xaxis: { title: { text: "configuration" } } },
    });
  }
}

async function showLeaderboard(runId) {
  const [board, run] = await Promise.all([api(`/runs/${runId}/leaderboard`), api(`/runs/${runId}`)]);
  $("leaderboard-card").hidden = false;
  const metrics = run.holdout_metrics || {};
  $("holdout-facts").replaceChildren(
    el("dt", {}, "Metric"), el("dd", {}, run.metric || "–"),
    el("dt", {}, "Best CV score"), el("dd", {}, fmt(run.best_score)),
    ...Object.entries(metrics).flatMap(([k, v]) => [el("dt", {}, `Holdout ${k}`), el("dd", {}, fmt(v))]));
  const rows = board.filter((t) => (t.state || "complete") === "complete").slice(0, 25)
    .map((t, i) => [i + 1, t.learner, t.score, t.score_std, t.seconds]);
  fillTable($("leaderboard"), ["Rank", "Learner", "CV score", "Std", "Seconds"], rows);
}

async function cancelRun() {
  if (!state.active) return;
  try {
    await api(`/runs/${state.active.runId}`, { method: "DELETE" });
    $("run-cancel").disabled = true;
  } catch (error) {
    showError("progress-error", error);
  }
}

async function loadRuns() {
  clearError("runs-error");
  try {
    state.runs = await api("/runs");
  } catch (error) {
    showError("runs-error", error);
    return;
  }
  const selected = state.run ? state.run.run_id : null;
  const rows = state.runs.map((r) => el("tr", { class: r.run_id === selected ? "selected" : "" },
    cell(r.run_id), cell(r.request && r.request.etl_only ? "ETL" : r.model_id || r.status !== "completed" ? "train" : "ETL"),
    el("td", {}, el("span", { class: `badge ${r.status}` }, r.status)), cell(r.best_score ?? null),
    cell(r.model_id || "–"), cell(when(r.created_at)),
    el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => pickRun(r.run_id) },
      r.run_id === selected ? "Selected" : "Open"))));
  fillTable($("runs-table"), ["Run", "Kind", "Status", "Score", "Model", "Started", ""], rows, "No runs yet.");
}

async function pickRun(runId) {
  try {
    const run = await selectRun(runId);
    $("leaderboard-card").hidden = true;
    if (!(run.request && run.request.etl_only) && run.status !== "completed" || run.model_id) {
      watch(runId, run.request && run.request.time_budget_s);
    }
    await loadRuns();
  } catch (error) {
    showError("runs-error", error);
  }
}

async function selectRun(runId) {
  const run = await api(`/runs/${runId}`);
  state.run = run;
  state.figures = null;
  state.holdout = null;
  state.model = null;
  if (run.model_id && run.status === "completed") {
    state.model = await api(`/models/${encodeURIComponent(run.model_id)}`);
  }
  refreshNeeds();
  return run;
}

async function waitFor(runId, statusId) {
  for (;;) {
    const run = await api(`/runs/${runId}`);
    $(statusId).textContent = `Run ${runId}: ${run.status}${run.stage ? ` (${run.stage})` : ""}…`;
    if (["completed", "failed", "cancelled"].includes(run.status)) return run;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function loadSchedules() {
  const schedules = await api("/schedules");
  const rows = schedules.map((s) => [s.schedule_id, s.cron, s.run.target || "(ETL)", when(s.next_at),
    el("button", { type: "button", class: "secondary", onclick: () => deleteSchedule(s.schedule_id) }, "Delete")]);
  fillTable($("schedules-table"), ["Schedule", "Cron", "Target", "Next run", ""], rows, "No schedules.");
}

async function addSchedule(event) {
  event.preventDefault();
  clearError("schedule-error");
  try {
    await api("/schedules", { method: "POST", json: { cron: $("schedule-cron").value, run: runRequest() } });
    await loadSchedules();
  } catch (error) {
    showError("schedule-error", error);
  }
}

async function deleteSchedule(id) {
  try {
    await api(`/schedules/${encodeURIComponent(id)}`, { method: "DELETE" });
    await loadSchedules();
  } catch (error) {
    showError("schedule-error", error);
  }
}

// ------------------------------------------------------------------ 4 explain
async function runFigures() {
  if (!state.run) return {};
  if (state.figures === null) {
    try { state.figures = await api(`/runs/${state.run.run_id}/figures`); } catch { state.figures = {}; }
  }
  return state.figures;
}

function schemaFields(container, prefix) {
  const schema = state.model ? state.model.input_schema : [];
  container.replaceChildren(...schema.map((c, i) => {
    const id = `${prefix}-${i}`;
    let input;
    if (c.kind === "boolean") {
      input = el("select", { id, "data-column": c.name, "data-kind": c.kind },
        el("option", { value: "" }, "(missing)"), el("option", { value: "true" }, "true"),
        el("option", { value: "false" }, "false"));
    } else if (c.kind === "categorical" && c.categories && c.categories.length) {
      input = el("select", { id, "data-column": c.name, "data-kind": c.kind },
        el("option", { value: "" }, "(missing)"),
        c.categories.map((v) => el("option", { value: String(v) }, String(v))));
    } else {
      input = el("input", { id, type: c.kind === "numeric" ? "number" : "text", step: "any",
        "data-column": c.name, "data-kind": c.kind, placeholder: c.expects });
    }
    return el("span", {}, el("label", { htmlFor: id }, c.name), input);
  }));
}

function readFields(container) {
  const row = {};
  for (const input of container.querySelectorAll("[data-column]")) {
    const raw = input.value.trim();
    const kind = input.dataset.kind;
    if (raw === "") row[input.dataset.column] = null;
    else if (kind === "numeric") row[input.dataset.column] = Number(raw);
    else if (kind === "boolean") row[input.dataset.column] = raw === "true";
    else row[input.dataset.column] = raw;
  }
  return row;
}

function setFields(container, values) {
  for (const input of container.querySelectorAll("[data-column]")) {
    const value = values[input.dataset.column];
    input.value = value === null || value === undefined ? "" : String(value);
  }
}

async function loadExplain() {
  if (!state.model) return;
  const figures = await runFigures();
  plot("chart-importance", figures.feature_importance, "No SHAP importance for this run.");
  plot("chart-beeswarm", figures.shap_summary, "No SHAP summary for this run.");
  schemaFields($("row-fields"), "row");
  if (state.holdout === null) {
    try { state.holdout = await api(`/runs/${state.run.run_id}/holdout?rows=50`); } catch { state.holdout = { columns: [], rows: [] }; }
  }
  const { columns, rows } = state.holdout;
  const target = state.model.target;
  const ti = columns.indexOf(target);
  const pi = columns.indexOf("prediction");
  $("row-pick").replaceChildren(el("option", { value: "" }, "(type the values below)"),
    ...rows.map((r, i) => el("option", { value: String(i) },
      `row ${i + 1}: ${target} = ${fmt(r[ti])}, predicted ${fmt(r[pi])}`)));
  await loadErrors(figures);
}

function pickHoldoutRow() {
  const i = $("row-pick").value;
  if (i === "" || !state.holdout) return;
  const { columns, rows } = state.holdout;
  const values = {};
  columns.forEach((c, j) => { values[c] = rows[Number(i)][j]; });
  setFields($("row-fields"), values);
}

async function explainRow(event) {
  event.preventDefault();
  clearError("row-error");
  try {
    const row = readFields($("row-fields"));
    const out = await api(`/models/${encodeURIComponent(state.model.model_id)}/explain`, { method: "POST", json: { rows: [row] } });
    const r = out.rows[0];
    $("row-prediction").textContent = `${r.output}: ${fmt(r.prediction)} = base ${fmt(r.base_value)} + `
      + `the contributions below (${out.explainer} explainer).`;
    const items = [...r.contributions].reverse();
    plot("chart-row", {
      data: [{ type: "bar", orientation: "h", x: items.map((c) => c.shap),
        y: items.map((c) => `${c.feature} = ${fmt(c.value)}`),
        marker: { color: items.map((c) => (c.shap >= 0 ? "#c0392b" : "#2457c5")) } }],
      layout: { title: { text: "SHAP contributions of this row" }, height: 120 + 22 * items.length,
        margin: { l: 220, r: 10, t: 40, b: 30 } },
    });
  } catch (error) {
    showError("row-error", error);
  }
}

async function loadErrors(figures) {
  let errors = null;
  try { errors = await api(`/runs/${state.run.run_id}/errors`); } catch { errors = null; }
  if (!errors) { $("errors-summary").textContent = "No error analysis for this run."; return; }
  if (errors.task === "classification") {
    $("errors-summary").textContent = `Holdout error rate ${(100 * errors.error_rate).toFixed(2)} %.`;
    const classes = errors.classes.map(String);
    fillTable($("confusion"), ["actual \\ predicted", ...classes],
      errors.confusion_matrix.map((row, i) => [classes[i], ...row]));
    plot("chart-errors", figures.calibration || null, "");
  } else {
    const r = errors.residuals;
    $("errors-summary").textContent = `Residuals: mean ${fmt(r.mean)}, sd ${fmt(r.std)}, MAE ${fmt(r.mae)}, RMSE ${fmt(r.rmse)}.`;
    $("confusion").replaceChildren();
    plot("chart-errors", figures.residuals || null, "No residual chart for this run.");
  }
  const slices = errors.systematic_biases || [];
  fillTable($("slices"), ["Weak slice", "Rows", "Error", "Overall", "Lift"],
    slices.map((s) => [s.slice, s.rows, s.error, s.overall_error, s.lift]), "No slice with 1.2× the overall error.");
}

// ------------------------------------------------------------------ 5 visualize
async function loadVisualize() {
  if (!state.run) return;
  let columns = [];
  try {
    const profile = await api(`/runs/${state.run.run_id}/profile`);
    columns = profileColumns(profile);
  } catch {
    columns = state.source ? state.source.columns : [];
  }
  const target = state.model ? state.model.target : null;
  $("chart-columns").replaceChildren(...columns.map((c, i) => el("label", { class: "check" },
    el("input", { type: "checkbox", value: c, checked: i === 0 && c !== target }), c)));
  $("chart-color").replaceChildren(el("option", { value: "" }, "(none)"),
    ...columns.map((c) => el("option", { value: c, selected: c === target }, c)));
  const figures = state.model ? await runFigures() : {};
  const names = Object.keys(figures).filter((n) => !DATA_FIGURES.test(n));
  $("model-chart").replaceChildren(...names.map((n) => el("option", { value: n }, n.replaceAll("_", " "))));
  if (names.length) plot("chart-model", figures[names[0]]);
}

async function drawDataChart(event) {
  event.preventDefault();
  clearError("data-chart-error");
  const columns = [...document.querySelectorAll("#chart-columns input:checked")].map((i) => i.value);
  const params = new URLSearchParams({ kind: $("chart-kind").value, columns: columns.join(",") });
  if ($("chart-color").value && $("chart-kind").value === "scatter_matrix") params.set("color", $("chart-color").value);
  try {
    plot("chart-data", await api(`/runs/${state.run.run_id}/figures/data?${params}`));
  } catch (error) {
    showError("data-chart-error", error);
  }
}

// ------------------------------------------------------------------ 6 export
function shellQuote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function curlFor(row) {
  const url = `${location.origin}/models/${state.model.model_id}/predict`;
  const auth = state.config.auth_required ? ' -H "Authorization: Bearer $FAS_RAY_API_TOKEN"' : "";
  return `curl -X POST ${url} -H 'Content-Type: application/json'${auth} \\\n  -d ${shellQuote(JSON.stringify({ rows: [row] }))}`;
}

async function loadExport() {
  if (!state.model) return;
  const id = state.model.model_id;
  $("endpoint").textContent = `POST ${location.origin}/models/${id}/predict`;
  schemaFields($("predict-fields"), "predict");
  if (state.holdout === null) {
    try { state.holdout = await api(`/runs/${state.run.run_id}/holdout?rows=50`); } catch { state.holdout = { columns: [], rows: [] }; }
  }
  if (state.holdout.rows.length) {
    const values = {};
    state.holdout.columns.forEach((c, j) => { values[c] = state.holdout.rows[0][j]; });
    setFields($("predict-fields"), values);
  }
  $("curl").textContent = curlFor(readFields($("predict-fields")));
  $("artifacts").replaceChildren(...(state.run.artifacts || []).map((name) => el("li", {},
    el("button", { type: "button", class: "link", onclick: () => downloadArtifact(name) }, name))));
  try {
    renderMarkdown($("model-card"), await api(`/runs/${state.run.run_id}/model_card`));
  } catch (error) {
    $("model-card").replaceChildren(el("p", { class: "error" }, error.message));
  }
}

async function downloadArtifact(name) {
  clearError("download-error");
  try {
    await download(`/runs/${state.run.run_id}/artifacts/${encodeURIComponent(name)}`, name, "download-status");
  } catch (error) {
    showError("download-error", error);
  }
}

async function downloadBundle() {
  clearError("download-error");
  $("download-status").textContent = "Preparing the bundle…";
  try {
    await download(`/runs/${state.run.run_id}/bundle`, `${state.run.run_id}-bundle.zip`, "download-status");
  } catch (error) {
    $("download-status").textContent = "";
    showError("download-error", error);
  }
}

async function predict(event) {
  event.preventDefault();
  clearError("predict-error");
  const row = readFields($("predict-fields"));
  $("curl").textContent = curlFor(row);
  try {
    const out = await api(`/models/${encodeURIComponent(state.model.model_id)}/predict`, { method: "POST", json: { rows: [row] } });
    const lines = [`prediction: ${fmt(out.predictions[0], 6)}`];
    if (out.probabilities) {
      out.classes.forEach((c, i) => lines.push(`P(${c}) = ${out.probabilities[0][i].toFixed(6)}`));
    }
    $("predict-result").textContent = lines.join("\n");
  } catch (error) {
    $("predict-result").textContent = "";
    showError("predict-error", error);
  }
}

function inline(text) {
  // `code` and **bold**, as text nodes (never HTML)
  const parts = [];
  const pattern = /(`[^`]+`|\*\*[^*]+\*\*)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    const token = match[0];
    parts.push(token.startsWith("`") ? el("code", {}, token.slice(1, -1)) : el("strong", {}, token.slice(2, -2)));
    last = match.index + token.length;
  }
  parts.push(text.slice(last));
  return parts;
}

function renderMarkdown(container, text) {
  const out = [];
  let list = null;
  let code = null;
  for (const line of String(text).split("\n")) {
    if (code !== null) {
      if (line.startsWith("```")) { out.push(el("pre", {}, el("code", {}, code.join("\n")))); code = null; }
      else code.push(line);
      continue;
    }
    if (line.startsWith("```")) { list = null; code = []; continue; }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) { list = null; out.push(el(`h${heading[1].length + 1}`, {}, inline(heading[2]))); continue; }
    if (/^\s*\|.*\|\s*$/.test(line)) { // a table row; the |---| line is the header's end
      const cells = line.trim().slice(1, -1).split("|").map((c) => c.trim());
      if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
      if (!(list && list.tagName === "TABLE")) {
        list = el("table", {}, el("thead", {}, el("tr", {}, cells.map((c) => el("th", {}, inline(c))))),
          el("tbody"));
        out.push(list);
      } else {
        list.tBodies[0].append(el("tr", {}, cells.map((c) => el("td", {}, inline(c)))));
      }
      continue;
    }
    const item = /^\s*[-*]\s+(.*)$/.exec(line);
    if (item) {
      if (!(list && list.tagName === "UL")) { list = el("ul"); out.push(list); }
      list.append(el("li", {}, inline(item[1])));
      continue;
    }
    list = null;
    if (line.trim()) out.push(el("p", {}, inline(line)));
  }
  container.replaceChildren(...out);
}

// ------------------------------------------------------------------ start
async function loadAll() {
  tokenState();
  try {
    await loadCluster();
  } catch (error) {
    if (error.status !== 401) showError("global-error", error);
    return;
  }
  clearError("global-error");
  await Promise.all([loadDatasets(), loadRuns(), loadSchedules().catch(() => null)]);
  showView(currentView());
}

function wire() {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => showView(button.dataset.view, true));
  }
  $("tabs").addEventListener("keydown", (event) => {
    const buttons = [...document.querySelectorAll("#tabs button")];
    const i = buttons.indexOf(document.activeElement);
    if (i < 0 || !["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const next = buttons[(i + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length];
    next.focus();
    event.preventDefault();
  });
  $("token-form").addEventListener("submit", submitToken);
  $("forget-token").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); location.reload(); });
  $("upload-form").addEventListener("submit", uploadFile);
  $("scrape-form").addEventListener("submit", scrape);
  $("etl-form").addEventListener("submit", runEtl);
  $("run-form").addEventListener("submit", startRun);
  $("run-target").addEventListener("change", showTask);
  for (const radio of document.querySelectorAll("input[name=budget-kind]")) {
    radio.addEventListener("change", () => {
      $("run-trials").disabled = !$("budget-trials").checked;
      $("run-seconds").disabled = $("budget-trials").checked;
    });
  }
  $("run-cancel").addEventListener("click", cancelRun);
  $("schedule-form").addEventListener("submit", addSchedule);
  $("row-form").addEventListener("submit", explainRow);
  $("row-pick").addEventListener("change", pickHoldoutRow);
  $("data-chart-form").addEventListener("submit", drawDataChart);
  $("model-chart").addEventListener("change", async () => plot("chart-model", (await runFigures())[$("model-chart").value]));
  $("download-bundle").addEventListener("click", downloadBundle);
  $("predict-form").addEventListener("submit", predict);
  $("predict-fields").addEventListener("input", () => { $("curl").textContent = curlFor(readFields($("predict-fields"))); });
  window.addEventListener("unhandledrejection", (event) => showError("global-error", event.reason));
}

async function main() {
  wire();
  showView(location.hash.slice(1) || "ingest");
  try {
    state.config = await api("/studio/config");
  } catch (error) {
    showError("global-error", error);
    return;
  }
  $("upload-limit").textContent = `${state.config.max_upload_mb} MB`;
  $("scrape-private").disabled = !state.config.allow_private_urls;
  $("scrape-private-note").textContent = state.config.allow_private_urls ? "" : "(this server does not allow it)";
  if (state.config.auth_required && !sessionStorage.getItem(TOKEN_KEY)) {
    tokenState();
    askToken();
    return;
  }
  await loadAll();
}

main();
