// vmbus dashboard. Everything from the guest or the host is put into the page as text (textContent), never as
// HTML. Health is decided by the server; the page only shows it (colour and words). The channel table is
// updated in place (rows keyed by relid), so scrolling, sorting, filtering and the selected row survive
// updates. Memory is bounded: charts keep the server's history capacity, the event list MAX_EVENTS entries.
'use strict';

const MAX_EVENTS = 200;
const HOST_ACTION_FIELDS = {
  'rescind': ['relid'], 'offer': ['relid'], 'reoffer': ['relid'], 'inject-fault': ['relid'],
  'stop-heartbeat': ['relid'], 'flood': ['relid', 'packets'], 'delay': ['relid', 'ms'],
  'shutdown': ['kind'], 'shift-clock': ['ms'], 'timesync-now': [], 'backup': [],
  'kvp-set': ['pool', 'key', 'value'], 'kvp-delete': ['pool', 'key'], 'kvp-enumerate': ['pool'],
  'copy-file': ['localFile', 'guestPath', 'name', 'overwrite', 'createPath'], 'cancel-copy': [],
  'nic-link': ['up'], 'nic-fault': ['knob', 'on']
};
const NUMERIC_FIELDS = new Set(['relid', 'ms', 'pool', 'packets']);
const BOOLEAN_FIELDS = new Set(['overwrite', 'createPath', 'up', 'on']);
const HEALTH_RANK = { critical: 2, warning: 1, ok: 0 };
const RING_FIELDS = ['writeIndex', 'readIndex', 'interruptMask', 'pendingSendSize', 'featureBits', 'dataSize',
  'bytesToRead', 'bytesToWrite', 'fillPercent'];
const COUNTERS = ['interrupts', 'events', 'intr_in_full', 'intr_out_empty', 'out_full_first', 'out_full_total',
  'packetsIn', 'packetsOut', 'bytesIn', 'bytesOut', 'malformed', 'requestorRejected'];

const token = (() => {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('vmbus-token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem('vmbus-token');
})();

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error((body && body.error) || (response.status + ' ' + response.statusText));
  return body;
}

const num = (v, d = 1) => (typeof v === 'number' ? v.toFixed(d) : '—');
const healthOf = c => (c.health && c.health.state) || 'unknown';
const page = { snapshot: null, events: [], selected: null, sort: { key: 'health', dir: -1 }, capacity: 660,
  overview: null, detailCharts: null };
window.vmbusPage = page;        // for tests and the curious
window.vmbusSnapshots = 0;      // live snapshots rendered

// ---- summary and channel table ----------------------------------------------------------------------------

function renderSummary(s) {
  const box = document.getElementById('summary');
  box.textContent = s ? s.text : 'health unknown';
  box.className = 'summary health-' + (s ? s.state : 'unknown');
}

const COLUMNS = {
  health: c => HEALTH_RANK[healthOf(c)] ?? -1, relid: c => c.relid, class: c => c.class, state: c => c.state,
  problem: c => (c.health && c.health.summary) || '',
  pktsIn: c => (c.rates && c.rates.packetsIn) || 0, pktsOut: c => (c.rates && c.rates.packetsOut) || 0,
  inFill: c => (c.stats ? c.stats.inbound.fillPercent : -1), outFill: c => (c.stats ? c.stats.outbound.fillPercent : -1),
  intr: c => (c.rates && c.rates.interrupts) || 0,
  buffers: c => (c.stats && c.stats.outstanding ? c.stats.outstanding.creditUsed : -1)
};

// What the channel's device holds: credit used of the credit, receive-buffer slots and completions it owes,
// completions it awaits, and send sections in use (each shown only when there is something to show).
function buffersOf(c) {
  const o = c.stats && c.stats.outstanding;
  if (!o) return '—';
  const parts = [`credit ${o.creditUsed}/${o.credit}`];
  if (o.receiveSlotsHeld) parts.push(`slots ${o.receiveSlotsHeld}`);
  if (o.completionsOwed) parts.push(`owed ${o.completionsOwed}`);
  if (o.completionsAwaited) parts.push(`awaited ${o.completionsAwaited}`);
  const s = c.stats.sendSections;
  if (s) parts.push(`sections ${s.inUse}/${s.count}`);
  return parts.join(' · ');
}

function cellsOf(c) {
  const h = healthOf(c);
  return [
    [h.toUpperCase(), 'badge health-' + h], [c.relid, 'num'],
    [c.primary !== undefined ? `↳ ${c.class} sub ${c.subchannel}` : c.class, c.primary !== undefined ? 'subchannel' : ''],
    [c.state, 'state-' + c.state],
    [(c.health && c.health.summary) || (h === 'ok' ? 'no problems' : ''), 'problem'],
    [c.rates ? num(c.rates.packetsIn) : '—', 'num pkts-in'], [c.rates ? num(c.rates.packetsOut) : '—', 'num pkts-out'],
    [c.stats ? num(c.stats.inbound.fillPercent) : '—', 'num'], [c.stats ? num(c.stats.outbound.fillPercent) : '—', 'num'],
    [c.rates ? num(c.rates.interrupts) : '—', 'num'], [buffersOf(c), 'buffers']
  ];
}

const rows = new Map(); // relid -> tr
function renderChannels(channels) {
  const body = document.querySelector('#channels tbody');
  const seen = new Set();
  for (const c of channels) {
    seen.add(c.relid);
    let tr = rows.get(c.relid);
    if (!tr) {
      tr = el('tr');
      tr.dataset.relid = c.relid;
      for (let i = 0; i < 11; i++) tr.appendChild(el('td'));
      tr.addEventListener('click', () => select(c.relid));
      rows.set(c.relid, tr);
      body.appendChild(tr);
    }
    cellsOf(c).forEach(([text, cls], i) => {
      const td = tr.children[i];
      if (td.textContent !== String(text)) td.textContent = String(text);
      if ((td.className || '') !== (cls || '')) td.className = cls || '';
    });
    tr.dataset.health = healthOf(c);
    tr.dataset.search = [c.relid, c.class, c.state, healthOf(c), (c.health && c.health.summary) || ''].join(' ').toLowerCase();
    tr.classList.toggle('selected', page.selected === c.relid);
  }
  for (const [relid, tr] of rows) {
    if (!seen.has(relid)) {
      tr.remove();
      rows.delete(relid);
    }
  }
  sortAndFilter();
}

function sortAndFilter() {
  const body = document.querySelector('#channels tbody');
  const byRelid = new Map((page.snapshot ? page.snapshot.channels : []).map(c => [c.relid, c]));
  const key = COLUMNS[page.sort.key] || COLUMNS.relid;
  const sorted = [...rows.entries()].sort(([ra], [rb]) => {
    const a = key(byRelid.get(ra) || {}), b = key(byRelid.get(rb) || {});
    const cmp = typeof a === 'string' || typeof b === 'string' ? String(a).localeCompare(String(b)) : a - b;
    return cmp * page.sort.dir || ra - rb;
  });
  // subchannels go right under their primary, in index order, whatever the sort
  const under = new Map();
  const isSub = relid => { const c = byRelid.get(relid); return c && c.primary !== undefined && rows.has(c.primary); };
  for (const [relid, tr] of sorted) {
    if (isSub(relid)) {
      const p = byRelid.get(relid).primary;
      if (!under.has(p)) under.set(p, []);
      under.get(p).push([relid, tr]);
    }
  }
  const ordered = [];
  for (const entry of sorted) {
    if (isSub(entry[0])) continue;
    ordered.push(entry);
    const subs = under.get(entry[0]) || [];
    subs.sort(([ra], [rb]) => byRelid.get(ra).subchannel - byRelid.get(rb).subchannel);
    ordered.push(...subs);
  }
  ordered.forEach(([, tr], i) => {       // move only rows out of place: the DOM (and selection) stays put
    if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
  });
  const filter = document.getElementById('filter').value.trim().toLowerCase();
  let shown = 0;
  for (const tr of rows.values()) {
    tr.hidden = filter !== '' && !tr.dataset.search.includes(filter);
    if (!tr.hidden) shown++;
  }
  document.getElementById('shown').textContent = `showing ${shown} of ${rows.size}`;
  document.querySelectorAll('#channels th').forEach(th => {
    th.dataset.sorted = th.dataset.key === page.sort.key ? (page.sort.dir > 0 ? 'asc' : 'desc') : '';
  });
}

function setupTable() {
  document.querySelectorAll('#channels th').forEach(th => th.addEventListener('click', () => {
    const k = th.dataset.key;
    page.sort = { key: k, dir: page.sort.key === k ? -page.sort.dir : (k === 'health' ? -1 : 1) };
    sortAndFilter();
  }));
  document.getElementById('filter').addEventListener('input', sortAndFilter);
}

// ---- devices and host: generic, escaped rendering ---------------------------------------------------------

function renderValue(v) {
  if (v === null || v === undefined) return el('span', '—', 'muted');
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === 'object' && v[0] !== null) {
      const keys = [...new Set(v.flatMap(o => Object.keys(o)))];
      const table = el('table');
      const head = el('tr');
      keys.forEach(k => head.appendChild(el('th', k)));
      table.appendChild(head);
      for (const o of v) {
        const tr = el('tr');
        keys.forEach(k => {
          const td = el('td');
          td.appendChild(renderValue(o[k]));
          tr.appendChild(td);
        });
        table.appendChild(tr);
      }
      return table;
    }
    return el('span', v.join(', '));
  }
  if (typeof v === 'object') {
    const dl = el('dl', null, 'kv');
    for (const [k, x] of Object.entries(v)) {
      dl.appendChild(el('dt', k));
      const dd = el('dd');
      dd.appendChild(renderValue(x));
      if (k === 'health' && typeof x === 'string') dd.className = 'health-' + x;
      dl.appendChild(dd);
    }
    return dl;
  }
  return el('span', v);
}

function renderDevices(devices) {
  const cards = [];
  for (const [name, state] of Object.entries(devices || {})) {
    const card = el('div', null, 'card device');
    card.dataset.device = name;
    const h = (state.health && state.health.state) || 'unknown';
    card.dataset.health = h;
    card.appendChild(el('h3', name));
    card.appendChild(el('p', h.toUpperCase() + (state.health && state.health.summary ? ': ' + state.health.summary : ''),
      'badge health-' + h));
    const rest = Object.assign({}, state);
    delete rest.health;
    card.appendChild(renderValue(rest));
    cards.push(card);
  }
  document.getElementById('devices').replaceChildren(...cards);
}

function renderHost(state) {
  document.getElementById('host-state').replaceChildren(el('h3', 'Host state'), renderValue(state));
}

function setupHost(actions) {
  document.getElementById('host-section').hidden = false;
  const select = document.getElementById('host-action');
  actions.forEach(a => select.appendChild(el('option', a)));
  const fields = document.getElementById('host-fields');
  const showFields = () => {
    fields.replaceChildren();
    for (const f of HOST_ACTION_FIELDS[select.value] || []) {
      const label = el('label', f + ' ');
      const input = el('input');
      input.name = f;
      input.type = BOOLEAN_FIELDS.has(f) ? 'checkbox' : NUMERIC_FIELDS.has(f) ? 'number' : 'text';
      label.appendChild(input);
      fields.appendChild(label);
    }
  };
  select.addEventListener('change', showFields);
  showFields();
  document.getElementById('host-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const params = {};
    for (const input of fields.querySelectorAll('input')) {
      if (input.type === 'checkbox') params[input.name] = input.checked;
      else if (input.value !== '') params[input.name] = input.type === 'number' ? Number(input.value) : input.value;
    }
    const out = document.getElementById('host-result');
    out.textContent = 'running ' + select.value + '…';
    try {
      out.textContent = JSON.stringify(await api('/api/host/actions/' + encodeURIComponent(select.value),
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(params) }), null, 2);
    } catch (e) {
      out.textContent = 'failed: ' + e.message;
    }
  });
}

// ---- events -----------------------------------------------------------------------------------------------

function eventItem(e) {
  const when = new Date(e.timestamp || Date.now()).toLocaleTimeString();
  const what = e.event === 'host-action' ? `host action ${e.action} ${JSON.stringify(e.params || {})}`
    : `${e.event} relid ${e.relid} (${e.class})${e.reason ? ': ' + e.reason : ''}`;
  const li = el('li', `${when} ${what}`, e.event);
  if (e.relid !== undefined) li.dataset.relid = e.relid;
  return li;
}

function addEvent(e) {
  if (page.events.length && e.seq <= page.events[page.events.length - 1].seq) return;
  page.events.push(e);
  while (page.events.length > MAX_EVENTS) page.events.shift();
  const list = document.getElementById('events');
  list.insertBefore(eventItem(e), list.firstChild);
  while (list.children.length > MAX_EVENTS) list.removeChild(list.lastChild);
  if (e.relid !== undefined && e.relid === page.selected) renderDetail();
}

// ---- wiring -----------------------------------------------------------------------------------------------

function render(snapshot) {
  page.snapshot = snapshot;
  renderSummary(snapshot.summary);
  renderChannels(snapshot.channels || []);
  renderDetail();
  renderDevices(snapshot.devices);
  if (snapshot.host) renderHost(snapshot.host);
  document.getElementById('updated').textContent = 'updated ' + new Date(snapshot.timestamp).toLocaleTimeString();
}

function onLive(snapshot) {
  render(snapshot);
  window.vmbusSnapshots++;
  if (page.overview && snapshot.history) {
    page.overview.appendAll(snapshot.history.totals);
    page.overview.append('offset', snapshot.history.timesync);
  }
  appendDetailPoint(snapshot);
}

async function startCharts() {
  if (typeof uPlot === 'undefined') return;
  const h = await api('/api/history');
  page.capacity = h.capacity;
  page.overview = new VmbusCharts.ChartSet('charts', 'chart-', ['packets', 'bytes', 'signals', 'fill', 'offset'], h.capacity);
  window.vmbusCharts = page.overview.charts;
  page.overview.appendAll(h.totals);
  page.overview.append('offset', h.timesync);
}

function connect() {
  const status = document.getElementById('status');
  const source = new EventSource('/api/stream' + (token ? '?token=' + encodeURIComponent(token) : ''));
  source.addEventListener('open', () => { status.textContent = 'live'; status.className = 'status live'; });
  source.addEventListener('error', () => { status.textContent = 'reconnecting…'; status.className = 'status down'; });
  source.addEventListener('snapshot', m => onLive(JSON.parse(m.data)));
  source.addEventListener('event', m => addEvent(JSON.parse(m.data)));
}

async function main() {
  setupTable();
  try {
    const config = await api('/api/config');
    if (config.host) setupHost(config.hostActions);
    (await api('/api/events')).forEach(addEvent);
    await startCharts();
    render(await api('/api/snapshot'));
  } catch (e) {
    const status = document.getElementById('status');
    status.textContent = 'error: ' + e.message;
    status.className = 'status down';
  }
  connect();
}

// detail.js (the drill-down) loads after this file; deferred scripts all run before DOMContentLoaded
document.addEventListener('DOMContentLoaded', main);
