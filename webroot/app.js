// vmbus dashboard. Everything from the guest or the host is put into the page as text (textContent), never as
// HTML. Memory is bounded: charts keep MAX_POINTS points, the event list MAX_EVENTS entries, and tables are
// rebuilt in place on every snapshot.
'use strict';

const MAX_POINTS = 120;
const MAX_EVENTS = 200;
const HOST_ACTION_FIELDS = {
  'rescind': ['relid'], 'offer': ['relid'], 'inject-fault': ['relid'], 'delay': ['relid', 'ms'],
  'shutdown': ['kind'], 'shift-clock': ['ms'], 'timesync-now': [], 'backup': [],
  'kvp-set': ['pool', 'key', 'value'], 'kvp-delete': ['pool', 'key'], 'kvp-enumerate': ['pool'],
  'copy-file': ['localFile', 'guestPath', 'name', 'overwrite', 'createPath'], 'cancel-copy': []
};
const NUMERIC_FIELDS = new Set(['relid', 'ms', 'pool']);
const BOOLEAN_FIELDS = new Set(['overwrite', 'createPath']);
const RATES = [
  { title: 'packets/s', value: s => s.packetsIn + s.packetsOut, rate: true },
  { title: 'bytes/s', value: s => s.bytesIn + s.bytesOut, rate: true },
  { title: 'interrupts/s', value: s => s.interrupts, rate: true },
  { title: 'signals/s', value: s => s.events, rate: true },
  { title: 'inbound fill %', value: s => s.inbound.fillPercent, rate: false }
];

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

// ---- channels ---------------------------------------------------------------------------------------------

function ringText(r) {
  if (!r) return '';
  return `w ${r.writeIndex} r ${r.readIndex} · ${r.bytesToRead} B to read · ${r.bytesToWrite} B free · ` +
    `${r.fillPercent.toFixed(1)}% · mask ${r.interruptMask} · pending ${r.pendingSendSize} · features ${r.featureBits}`;
}

function versionsOf(devices, c) {
  const d = devices && devices[c.class];
  const ch = d && Array.isArray(d.channels) ? d.channels.find(x => x.relid === c.relid) : null;
  return ch && ch.frameworkVersion ? `fw ${ch.frameworkVersion} / svc ${ch.serviceVersion}` : '';
}

function renderChannels(snapshot) {
  const body = document.querySelector('#channels tbody');
  const rows = [];
  for (const c of snapshot.channels || []) {
    const s = c.stats;
    const tr = el('tr');
    tr.dataset.relid = c.relid;
    const cells = [
      [c.relid, 'num'], [c.subchannel, 'num'], [c.class], [c.classId, 'guid'], [c.instanceId, 'guid'],
      [c.state, 'state-' + c.state], [versionsOf(snapshot.devices, c)],
      [s ? ringText(s.inbound) : '', 'ring'], [s ? ringText(s.outbound) : '', 'ring'],
      [s ? s.interrupts : '', 'num interrupts'], [s ? s.events : '', 'num'], [s ? s.intr_in_full : '', 'num'],
      [s ? s.intr_out_empty : '', 'num'], [s ? s.out_full_first : '', 'num'], [s ? s.out_full_total : '', 'num'],
      [s ? `${s.packetsIn} / ${s.packetsOut}` : '', 'num packets'], [s ? `${s.bytesIn} / ${s.bytesOut}` : '', 'num'],
      [s ? s.malformed : '', 'num'], [s ? s.requestorRejected : '', 'num'],
      // the kernel's own counters (sysfs), shown beside the agent's, never in their place; uio transport only
      [c.kernel ? `${c.kernel.interrupts ?? ''} / ${c.kernel.events ?? ''}` : '', 'num kernel']
    ];
    for (const [text, cls] of cells) tr.appendChild(el('td', text, cls));
    if (c.reason) tr.title = c.reason;
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

// ---- charts -----------------------------------------------------------------------------------------------

const charts = [];            // one per RATES entry: { plot, data: [xs, ...series], relids: [] }
const previous = new Map();   // relid -> { t, stats }
window.vmbusCharts = charts;  // for tests and the curious

function chartFor(i, relids) {
  const existing = charts[i];
  if (existing && existing.relids.join() === relids.join()) return existing;
  const host = document.getElementById('chart-' + i) || (() => {
    const div = el('div', null, 'chart');
    div.id = 'chart-' + i;
    document.getElementById('charts').appendChild(div);
    return div;
  })();
  host.replaceChildren();
  const colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];
  const series = [{}].concat(relids.map((r, k) => ({ label: 'relid ' + r, stroke: colors[k % colors.length] })));
  const data = [[]].concat(relids.map(() => []));
  const plot = new uPlot({ title: RATES[i].title, width: 360, height: 180, series, legend: { show: true } }, data, host);
  if (existing) existing.plot.destroy();
  charts[i] = { plot, data, relids };
  return charts[i];
}

function pushRates(snapshot) {
  if (typeof uPlot === 'undefined') return;
  const t = snapshot.timestamp / 1000;
  const open = (snapshot.channels || []).filter(c => c.stats);
  const relids = open.map(c => c.relid);
  RATES.forEach((metric, i) => {
    const chart = chartFor(i, relids);
    chart.data[0].push(t);
    open.forEach((c, k) => {
      const prev = previous.get(c.relid);
      let v = metric.value(c.stats);
      if (metric.rate) v = prev && t > prev.t ? Math.max(0, (v - metric.value(prev.stats)) / (t - prev.t)) : null;
      chart.data[k + 1].push(v);
    });
    for (const series of chart.data) while (series.length > MAX_POINTS) series.shift();
    chart.plot.setData(chart.data);
  });
  for (const c of open) previous.set(c.relid, { t, stats: c.stats });
  pushOffset(snapshot, t);
}

// The timesync panel's chart: the offset (host - guest) the guest measured from each sample, in ms.
let offsetChart = null;
function pushOffset(snapshot, t) {
  const ts = snapshot.devices && snapshot.devices.timesync;
  const ch = ts && Array.isArray(ts.channels) ? ts.channels.find(c => typeof c.offsetMillis === 'number') : null;
  if (!ch) return;
  if (!offsetChart) {
    const div = el('div', null, 'chart');
    div.id = 'chart-offset';
    document.getElementById('charts').appendChild(div);
    const data = [[], []];
    offsetChart = { data, plot: new uPlot({ title: 'timesync offset ms (host - guest)', width: 360, height: 180,
      series: [{}, { label: 'offset', stroke: '#0891b2' }] }, data, div) };
    charts.push(offsetChart);
  }
  offsetChart.data[0].push(t);
  offsetChart.data[1].push(ch.offsetMillis);
  for (const series of offsetChart.data) while (series.length > MAX_POINTS) series.shift();
  offsetChart.plot.setData(offsetChart.data);
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
      if (k === 'health') dd.className = 'health-' + x;
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
    card.appendChild(el('h3', name));
    card.appendChild(renderValue(state));
    cards.push(card);
  }
  document.getElementById('devices').replaceChildren(...cards);
}

function renderHost(state) {
  const box = document.getElementById('host-state');
  box.replaceChildren(el('h3', 'Host state'), renderValue(state));
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

function addEvent(e) {
  const list = document.getElementById('events');
  const when = new Date(e.timestamp || Date.now()).toLocaleTimeString();
  const what = e.event === 'host-action' ? `host action ${e.action} ${JSON.stringify(e.params || {})}`
    : `${e.event} relid ${e.relid} (${e.class})${e.reason ? ': ' + e.reason : ''}`;
  list.insertBefore(el('li', `${when} ${what}`, e.event), list.firstChild);
  while (list.children.length > MAX_EVENTS) list.removeChild(list.lastChild);
}

// ---- wiring -----------------------------------------------------------------------------------------------

function render(snapshot) {
  renderChannels(snapshot);
  renderDevices(snapshot.devices);
  if (snapshot.host) renderHost(snapshot.host);
  pushRates(snapshot);
  document.getElementById('updated').textContent = 'updated ' + new Date(snapshot.timestamp).toLocaleTimeString();
}

function connect() {
  const status = document.getElementById('status');
  const source = new EventSource('/api/stream' + (token ? '?token=' + encodeURIComponent(token) : ''));
  source.addEventListener('open', () => { status.textContent = 'live'; status.className = 'status live'; });
  source.addEventListener('error', () => { status.textContent = 'reconnecting…'; status.className = 'status down'; });
  source.addEventListener('snapshot', m => render(JSON.parse(m.data)));
  source.addEventListener('event', m => addEvent(JSON.parse(m.data)));
}

async function main() {
  try {
    const config = await api('/api/config');
    if (config.host) setupHost(config.hostActions);
    (await api('/api/events')).forEach(addEvent);
    render(await api('/api/snapshot'));
  } catch (e) {
    const status = document.getElementById('status');
    status.textContent = 'error: ' + e.message;
    status.className = 'status down';
  }
  connect();
}

main();
