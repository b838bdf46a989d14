// Admin status view: health, alerts and the last 24 hours of uploads.
// Self-contained: it adds a "Status" link to the page and shows the view
// while the address ends in #status.  Reads GET /api/health, /api/alerts
// and /api/summary; every value is put in with textContent.
const REFRESH_MS = 10000;
let timer = null;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
}

async function fetchJson(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await r.json().catch(() => null);
  if (!body) throw new Error(`${path}: HTTP ${r.status}`);
  return body;
}

function table(head, rows) {
  const t = el('table', 'st-table');
  const tr = el('tr');
  head.forEach((h) => tr.appendChild(el('th', '', h)));
  t.appendChild(el('thead')).appendChild(tr);
  const tb = el('tbody');
  rows.forEach((row) => {
    const r = el('tr');
    row.forEach((c) => {
      const td = el('td', '', c.text !== undefined ? c.text : c);
      if (c.cls) td.className = c.cls;
      r.appendChild(td);
    });
    tb.appendChild(r);
  });
  t.appendChild(tb);
  return t;
}

function bytes(n) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n) || 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i ? 1 : 0)} ${u[i]}`;
}

function detail(name, c) {
  switch (name) {
    case 'database': return `query ${c.latency_ms} ms, schema ${c.schema_version}`;
    case 'storage': return `${c.writable ? 'writable' : 'NOT writable'}, ${bytes(c.free_bytes)} free`;
    case 'memory': return `${bytes(c.rss_bytes)} of ${bytes(c.limit_bytes)} (${(c.ratio * 100).toFixed(1)}%, ${c.limit_source})`;
    case 'uploads': return c.active ? `${c.active} in flight, oldest ${Math.round(c.oldest_age_ms / 1000)} s` : 'none in flight';
    case 'cache': return c.detail;
    default: return '';
  }
}

function healthPart(h) {
  const box = el('div', 'st-part');
  box.appendChild(el('h3', '', 'Health'));
  const overall = el('p', `st-overall st-${h.status}`, `Overall: ${h.status}${h.ready === false ? ' (not ready)' : ''}`);
  box.appendChild(overall);
  const rows = Object.entries(h.components || {}).map(([name, c]) =>
    [name, { text: c.status, cls: `st-${c.status}` }, detail(name, c)]);
  box.appendChild(table(['Component', 'Status', 'Details'], rows));
  return box;
}

function alertsPart(a) {
  const box = el('div', 'st-part');
  box.appendChild(el('h3', '', 'Alerts'));
  const firing = (a.alerts || []).filter((x) => x.state === 'firing');
  box.appendChild(el('p', firing.length ? 'st-down' : 'st-ok',
    firing.length ? `${firing.length} firing: ${firing.map((x) => x.name).join(', ')}` : 'None firing'));
  const rows = (a.history || []).slice(0, 10).map((x) =>
    [x.at, x.name, { text: x.state, cls: x.state === 'firing' ? 'st-down' : 'st-ok' }, `${x.value} (limit ${x.threshold})`]);
  if (rows.length) box.appendChild(table(['When', 'Alert', 'State', 'Value'], rows));
  else box.appendChild(el('p', 'st-muted', 'No alert has fired since the server started.'));
  return box;
}

function uploadsPart(s) {
  const box = el('div', 'st-part');
  const day = s.last_24h || {};
  box.appendChild(el('h3', '', 'Uploads, last 24 hours'));
  box.appendChild(el('p', '', `${day.uploads || 0} uploads stored, ${day.records || 0} records`));
  const rows = (day.by_tool || []).map((t) => [t.tool_type, t.uploads, t.records]);
  if (rows.length) box.appendChild(table(['Tool', 'Uploads', 'Records'], rows));
  const st = s.since_start || {};
  box.appendChild(el('p', 'st-muted', `Since the server started: ${st.stored || 0} stored, ${st.rejected || 0} rejected, ${st.duplicates || 0} duplicates prevented, ${st.client_errors || 0} page errors reported.`));
  return box;
}

async function render(view) {
  const body = view.querySelector('.st-body');
  try {
    const [h, a, s] = await Promise.all([
      fetchJson('/api/health'), fetchJson('/api/alerts'), fetchJson('/api/summary')]);
    body.replaceChildren(healthPart(h), alertsPart(a), uploadsPart(s),
      el('p', 'st-muted', `Updated ${new Date().toLocaleTimeString()}`));
  } catch (e) {
    body.replaceChildren(el('p', 'st-down', `Status unavailable: ${e.message}`));
  }
}

function view() {
  let v = document.getElementById('socc-status');
  if (v) return v;
  v = el('section', 'st-view');
  v.id = 'socc-status';
  v.setAttribute('aria-label', 'Server status');
  const head = el('div', 'st-head');
  head.appendChild(el('h2', '', 'Server status'));
  const close = el('a', 'st-close', 'Close');
  close.href = '#';
  head.appendChild(close);
  v.appendChild(head);
  v.appendChild(el('div', 'st-body', 'Loading…'));
  document.body.appendChild(v);
  return v;
}

function route() {
  const open = location.hash === '#status';
  const v = document.getElementById('socc-status');
  clearInterval(timer);
  timer = null;
  if (!open) {
    if (v) v.hidden = true;
    return;
  }
  const sv = view();
  sv.hidden = false;
  render(sv);
  timer = setInterval(() => render(sv), REFRESH_MS);
}

function init() {
  const css = el('link');
  css.rel = 'stylesheet';
  css.href = '/status.css';
  document.head.appendChild(css);
  const link = el('a', 'st-link', 'Status');
  link.href = '#status';
  link.title = 'Server health, alerts and uploads of the last 24 hours';
  document.body.appendChild(link);
  window.addEventListener('hashchange', route);
  route();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
