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
  'nic-link': ['up', 'nic'], 'nic-network-change': ['nic'], 'nic-migrated': ['nic'],
  'nic-reoffer': ['nic'], 'nic-fault': ['knob', 'on', 'nic']
};
const NUMERIC_FIELDS = new Set(['relid', 'ms', 'pool', 'packets', 'nic']);
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
  overview: null, detailCharts: null, settings: {}, detail: null };
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
  trend: c => (c.rates ? c.rates.packetsIn + c.rates.packetsOut : -1),
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
    [c.rates ? num(c.rates.interrupts) : '—', 'num wide-only'], [buffersOf(c), 'buffers']
  ];
}

// ---- a trend per channel row: the last TREND_POINTS live updates of packets per second (in + out) and of the
// fuller ring's fill, as two small SVG lines; the svg carries its latest and largest value for the curious ----------

const TREND_POINTS = 60;
const SVG = 'http://www.w3.org/2000/svg';
const trends = new Map(); // relid -> {packets: [], fill: []}

function recordTrends(channels) {
  for (const c of channels) {
    if (!c.stats || !c.rates) continue;
    let t = trends.get(c.relid);
    if (!t) trends.set(c.relid, t = { packets: [], fill: [] });
    t.packets.push(c.rates.packetsIn + c.rates.packetsOut);
    t.fill.push(Math.max(c.stats.inbound.fillPercent, c.stats.outbound.fillPercent));
    for (const s of [t.packets, t.fill]) while (s.length > TREND_POINTS) s.shift();
  }
}

function sparkline(kind, title) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark ' + kind);
  svg.setAttribute('viewBox', '0 0 56 16');
  svg.setAttribute('preserveAspectRatio', 'none');
  const t = document.createElementNS(SVG, 'title');
  t.textContent = title;
  svg.appendChild(t);
  svg.appendChild(document.createElementNS(SVG, 'polyline'));
  return svg;
}

function trendCell() {
  const td = el('td', null, 'trend');
  td.append(sparkline('packets', 'packets per second, in + out'), sparkline('fill', 'ring fill %, the fuller ring'));
  return td;
}

function drawLine(svg, values, top) {
  const line = svg.lastChild;
  if (!values || !values.length) {
    line.setAttribute('points', '');
    svg.dataset.last = svg.dataset.max = '';
    return;
  }
  const max = Math.max(...values);
  const scale = top === undefined ? Math.max(max, 1) : top;
  const step = 56 / (TREND_POINTS - 1);
  const x0 = 56 - (values.length - 1) * step;
  line.setAttribute('points', values.map((v, i) => `${(x0 + i * step).toFixed(1)},${(15 - 14 * Math.min(v, scale) / scale).toFixed(1)}`).join(' '));
  svg.dataset.last = values[values.length - 1].toFixed(1);
  svg.dataset.max = max.toFixed(1);
}

function drawTrend(td, t) {
  drawLine(td.children[0], t && t.packets);
  drawLine(td.children[1], t && t.fill, 100);
  const p = td.children[0].dataset, f = td.children[1].dataset;
  td.title = p.last === '' ? 'no live updates yet'
    : `packets/s now ${p.last}, at most ${p.max}; ring fill now ${f.last} %, at most ${f.max} % (last ${t.packets.length} updates)`;
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
      tr.appendChild(trendCell());
      tr.addEventListener('click', () => select(c.relid));
      rows.set(c.relid, tr);
      body.appendChild(tr);
    }
    cellsOf(c).forEach(([text, cls], i) => {
      const td = tr.children[i];
      if (td.textContent !== String(text)) td.textContent = String(text);
      if ((td.className || '') !== (cls || '')) td.className = cls || '';
    });
    drawTrend(tr.lastChild, trends.get(c.relid));
    tr.dataset.health = healthOf(c);
    tr.dataset.search = [c.relid, c.class, c.state, healthOf(c), (c.health && c.health.summary) || ''].join(' ').toLowerCase();
    tr.classList.toggle('selected', page.selected === c.relid);
  }
  for (const [relid, tr] of rows) {
    if (!seen.has(relid)) {
      tr.remove();
      rows.delete(relid);
      trends.delete(relid);
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

// Any JSON value as text. Objects are key/value lists; an array of small flat records (a KVP pool) is a table laid
// out to its box's width; an array of bigger records is a list of key/value lists, one under the other, so that
// nothing is ever wider than the card it is in.
function renderValue(v) {
  if (v === null || v === undefined) return el('span', '—', 'muted');
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === 'object' && v[0] !== null) {
      const keys = [...new Set(v.flatMap(o => Object.keys(o || {})))];
      const flat = v.every(o => o && typeof o === 'object' && Object.values(o).every(x => x === null || typeof x !== 'object'));
      if (flat && keys.length <= 3) {
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
      const list = el('div', null, 'items');
      for (const o of v) {
        const item = el('div', null, 'item');
        item.appendChild(renderValue(o));
        list.appendChild(item);
      }
      return list;
    }
    return el('span', v.length ? v.join(', ') : 'none');
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

// ---- device cards: health (the plug-in hook's verdict, the same for every device), the last thing the device
// did, what it is configured to do, then everything else on demand ---------------------------------------------

const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const words = k => k.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

function ago(ms) {
  if (!(ms >= 0)) return 'just now';
  if (ms < 1000) return ms.toFixed(0) + ' ms ago';
  if (ms < 120000) return (ms / 1000).toFixed(1) + ' s ago';
  if (ms < 7200000) return (ms / 60000).toFixed(0) + ' min ago';
  return (ms / 3600000).toFixed(1) + ' h ago';
}

// What a device did last, found the same way for a plug-in as for a built-in: the newest instant in its state named
// like an event (lastSample, negotiatedAt; any instant when none is), in words, with what it belongs to (a channel,
// or one entry of a list such as shutdown requests or file transfers).
const EVENT_KEY = /^last[A-Z]|At$/;

function lastThing(state, now) {
  let best = null;
  const walk = (v, key, owner, depth) => {
    if (depth > 4 || v === null || v === undefined) return;
    if (typeof v === 'string' && ISO_INSTANT.test(v)) {
      const t = Date.parse(v), rank = EVENT_KEY.test(key) ? 1 : 0;
      if (!best || rank > best.rank || (rank === best.rank && t > best.t)) best = { t, key, owner, rank };
    } else if (Array.isArray(v)) {
      v.forEach(x => walk(x, key, typeof x === 'object' ? x : owner, depth + 1));
    } else if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) if (k !== 'health') walk(x, k, v, depth + 1);
    }
  };
  walk(state, '', state, 0);
  if (!best) return 'nothing done yet';
  const about = [];
  if (best.owner && best.owner !== state) {
    for (const [k, x] of Object.entries(best.owner)) {
      if (k === 'relid') about.unshift('relid ' + x);
      else if (about.length < 3 && k !== best.key && !/Version$|Millis$/.test(k) && (typeof x === 'number' ? x !== 0
        : typeof x === 'string' && x !== '' && x.length <= 40 && !ISO_INSTANT.test(x))) about.push(words(k) + ' ' + x);
    }
  }
  return `${words(best.key)} ${ago(now - best.t)}` + (about.length ? ` (${about.join(', ')})` : '');
}

function problemList(health) {
  const problems = (health && health.problems) || [];
  const ul = el('ul', null, 'problems');
  ul.append(...(problems.length
    ? problems.map(p => el('li', `${p.level.toUpperCase()}: ${p.text}`, 'health-' + (p.level === 'note' ? 'ok' : p.level)))
    : [el('li', 'no problems', 'health-ok')]));
  return ul;
}

const openDetails = new Set(); // devices whose details the reader opened: kept open across updates

function deviceCard(name, state, settings, now) {
  const card = el('div', null, 'card device');
  card.dataset.device = name;
  const h = (state.health && state.health.state) || 'unknown';
  card.dataset.health = h;
  const title = el('h3', name);
  title.appendChild(el('span', h.toUpperCase() + (state.health && state.health.summary ? ': ' + state.health.summary : ''),
    'badge health-' + h));
  card.appendChild(title);
  card.appendChild(problemList(state.health));
  card.appendChild(el('p', 'last: ' + lastThing(state, now), 'last'));
  if (Array.isArray(state.nics)) state.nics.forEach(nic => card.appendChild(nicPanel(nic, now)));
  if (settings && Object.keys(settings).length) {
    card.appendChild(el('div', 'settings', 'section'));
    const box = renderValue(settings);
    box.classList.add('settings');
    card.appendChild(box);
  }
  const rest = Object.assign({}, state);
  delete rest.health;
  delete rest.device;
  const details = el('details');
  details.appendChild(el('summary', 'details'));
  details.appendChild(renderValue(rest));
  details.open = openDetails.has(name);
  details.addEventListener('toggle', () => (details.open ? openDetails.add(name) : openDetails.delete(name)));
  card.appendChild(details);
  return card;
}

// ---- the synthetic NIC (netvsc): link, MAC, MTU, queues, per-queue rates, buffers in use, drops by reason --------

const NIC_COUNTERS = ['framesFromHost', 'framesToHost', 'bytesFromHost', 'bytesToHost'];
const nicSeen = new Map(); // "nic/queue" -> {t, counters, rates}: rates from two snapshots' counters

function queueRates(nic, q, now) {
  const key = nic.name + '/' + q.index;
  const was = nicSeen.get(key);
  if (was && now <= was.t) return was.rates;
  const rates = {};
  for (const k of NIC_COUNTERS) {
    rates[k] = was && typeof q[k] === 'number' && q[k] >= was.counters[k] ? (q[k] - was.counters[k]) * 1000 / (now - was.t) : null;
  }
  nicSeen.set(key, { t: now, counters: Object.fromEntries(NIC_COUNTERS.map(k => [k, q[k]])), rates });
  return rates;
}

function nicPanel(nic, now) {
  const box = el('div', null, 'nic');
  box.dataset.nic = nic.name;
  const queues = Array.isArray(nic.queues) ? nic.queues : [];
  const relids = new Set(queues.map(q => q.relid));
  const channels = (page.snapshot && page.snapshot.channels) || [];
  const slotsHeld = channels.filter(c => relids.has(c.relid) && c.stats && c.stats.outstanding)
    .reduce((n, c) => n + c.stats.outstanding.receiveSlotsHeld, 0);
  const slots = nic.receiveSlots || {};
  const sections = nic.sendSections || {};
  const link = nic.link || 'unknown';
  const kv = el('dl', null, 'kv');
  const field = (name, label, value, cls) => {
    kv.appendChild(el('dt', label));
    const dd = el('dd', value, cls);
    dd.dataset.field = name;
    kv.appendChild(dd);
  };
  box.appendChild(el('div', `NIC ${nic.name} on relid ${nic.relid}: ${nic.phase || ''}`, 'section'));
  field('link', 'link', link, 'link-' + link);
  field('mac', 'MAC', nic.mac || '—');
  field('mtu', 'MTU', nic.mtu !== undefined ? nic.mtu + ' B' : '—');
  field('receiveMode', 'receive mode', nic.receiveMode || '—', nic.receiveMode === 'none' ? 'link-down' : null);
  field('queues', 'queues', String(queues.length));
  field('receiveSlots', 'receive slots in use', `${slotsHeld} of ${slots.count ?? '—'}` + (slots.size ? ` (${slots.size} B each)` : ''));
  field('sendSections', 'send sections in use', `${sections.inUse ?? '—'} of ${sections.count ?? '—'}`
    + (sections.size ? ` (${sections.size} B each)` : '') + (sections.framesWaiting ? `, ${sections.framesWaiting} frames waiting` : ''));
  field('protocol', 'protocol', `NVSP ${nic.nvspVersion || '—'}, NDIS ${nic.ndisVersion || '—'}, control ${nic.controlPath || '—'}`);
  field('backend', 'backend', nic.backend || '—');
  box.appendChild(kv);
  const table = el('table', null, 'queues');
  const head = el('tr');
  ['queue', 'relid', 'frames/s in', 'frames/s out', 'bytes/s in', 'bytes/s out'].forEach(t => head.appendChild(el('th', t)));
  head.children[2].title = head.children[4].title = 'from the host';
  head.children[3].title = head.children[5].title = 'to the host';
  table.appendChild(head);
  const rate = (v, unit) => (v === null || v === undefined ? '—' : VmbusCharts.scaled(v, unit, 1));
  for (const q of queues) {
    const r = queueRates(nic, q, now);
    const tr = el('tr');
    tr.dataset.queue = q.index;
    [[q.index, 'num'], [q.relid, 'num'], [rate(r.framesFromHost, 'fr/s'), 'num frames-in'], [rate(r.framesToHost, 'fr/s'), 'num frames-out'],
      [rate(r.bytesFromHost, 'B/s'), 'num bytes-in'], [rate(r.bytesToHost, 'B/s'), 'num bytes-out']]
      .forEach(([t, c]) => tr.appendChild(el('td', t, c)));
    table.appendChild(tr);
  }
  box.appendChild(table);
  const drops = nic.drops || {};
  const total = Object.values(drops).reduce((n, x) => n + (typeof x === 'number' ? x : 0), 0);
  const dropLine = el('p', null, 'drops');
  dropLine.dataset.total = total;
  dropLine.textContent = 'drops: ' + (total === 0 ? 'none' : Object.entries(drops).filter(([, x]) => x > 0)
    .map(([k, x]) => `${words(k)} ${x}`).join(', '));
  box.appendChild(dropLine);
  // what the host told the NIC that a user watching would want to know (docs/NETVSC.md)
  const events = [['networkChanges', 'network changes'], ['announcements', 'MAC announced after a migration'],
    ['rssRefusals', 'RSS parameters refused']].filter(([k]) => nic[k] > 0).map(([k, w]) => `${w} ${nic[k]}`);
  const eventLine = el('p', 'host events: ' + (events.length ? events.join(', ') : 'none'), 'host-events');
  box.appendChild(eventLine);
  return box;
}

function renderDevices(devices) {
  const now = page.snapshot ? page.snapshot.timestamp : Date.now();
  const cards = Object.entries(devices || {}).map(([name, state]) => deviceCard(name, state || {}, page.settings[name], now));
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

// ---- the live stream's compact form: each channel is an array of the table's fields (named by their path in the
// full form), a frame holds only the channels that changed (the first one all of them), and the page keeps the list ---

const live = new Map(); // relid -> the channel as the table needs it

function inflate(fields, row) {
  const c = {};
  fields.forEach((path, i) => {
    if (row[i] === null || row[i] === undefined) return;
    const keys = path.split('.');
    let o = c;
    for (const k of keys.slice(0, -1)) o = o[k] || (o[k] = {});
    o[keys[keys.length - 1]] = row[i];
  });
  return c;
}

function applyFrame(f) {
  if (f.full) live.clear();
  for (const row of f.channels || []) {
    const c = inflate(f.fields, row);
    live.set(c.relid, c);
  }
  for (const relid of f.gone || []) live.delete(relid);
  return { timestamp: f.timestamp, summary: f.summary, devices: f.devices, host: f.host, history: f.history,
    channels: [...live.values()].sort((a, b) => a.relid - b.relid) };
}

function onLive(frame) {
  const snapshot = applyFrame(frame);
  recordTrends(snapshot.channels);
  render(snapshot);
  window.vmbusSnapshots++;
  if (page.overview && snapshot.history) {
    page.overview.appendAll(snapshot.history.totals, snapshot.history);
  }
  refreshDetail(snapshot.timestamp);
}

async function startCharts() {
  if (typeof uPlot === 'undefined') return;
  const h = await api('/api/history');
  page.capacity = h.capacity;
  page.overview = new VmbusCharts.ChartSet('charts', 'chart-', h.capacity, h.series || []);
  window.vmbusCharts = page.overview.charts;
  page.overview.appendAll(h.totals, h);
}

function connect() {
  const status = document.getElementById('status');
  const source = new EventSource('/api/stream?form=compact' + (token ? '&token=' + encodeURIComponent(token) : ''));
  source.addEventListener('open', () => { status.textContent = 'live'; status.className = 'status live'; });
  source.addEventListener('error', () => { status.textContent = 'reconnecting…'; status.className = 'status down'; });
  source.addEventListener('snapshot', m => onLive(JSON.parse(m.data)));
  source.addEventListener('event', m => addEvent(JSON.parse(m.data)));
}

async function main() {
  setupTable();
  try {
    const config = await api('/api/config');
    page.settings = config.settings || {};
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
