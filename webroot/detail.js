// vmbus dashboard: the drill-down of one channel (health, identity and versions, both ring headers in decimal
// and hex, every counter with its rate, the device handler's view, this channel's events, its own charts).
// Shares app.js's globals (page, el, api, renderValue, eventItem); everything is shown as text. The live stream
// carries only the table's fields, so the selected channel's every field is read from /api/channels/<relid>, once
// per live update.
'use strict';

// ---- drill-down -------------------------------------------------------------------------------------------

async function select(relid) {
  page.selected = relid;
  page.detail = null;
  for (const [r, tr] of rows) tr.classList.toggle('selected', r === relid);
  document.getElementById('detail').hidden = false;
  if (page.detailCharts) page.detailCharts.destroy();
  page.detailCharts = null;
  if (typeof uPlot !== 'undefined') {
    page.detailCharts = new VmbusCharts.ChartSet('detail-charts', 'detail-chart-', page.capacity);
    try {
      page.detailCharts.appendAll(await api('/api/history/' + relid));
    } catch (e) { /* no history yet for a channel just offered */ }
  }
  renderDetail();
  refreshDetail();
}

let detailAsked = false;

// The selected channel in full; with the live update's time, also a point on its charts. One request at a time.
async function refreshDetail(timestamp) {
  const relid = page.selected;
  if (relid === null || detailAsked) return;
  detailAsked = true;
  try {
    const c = await api('/api/channels/' + relid);
    if (page.selected !== relid) return;
    page.detail = c;
    renderDetail();
    if (timestamp !== undefined) appendDetailPoint(c, timestamp);
  } catch (e) {
    if (page.selected === relid) page.detail = null;
  } finally {
    detailAsked = false;
  }
}

function hex(v) {
  return typeof v === 'number' && Number.isInteger(v) ? '0x' + (v >>> 0).toString(16).padStart(8, '0') : '';
}

function renderDetail() {
  const s = page.snapshot;
  const listed = s && page.selected !== null ? s.channels.find(x => x.relid === page.selected) : null;
  if (!listed) {
    if (page.selected !== null) document.getElementById('detail-title').textContent = `Channel ${page.selected}: not offered now`;
    return;
  }
  const c = page.detail && page.detail.relid === listed.relid ? page.detail : listed;
  document.getElementById('detail-title').textContent = `Channel ${c.relid}: ${c.class} — ${healthOf(c).toUpperCase()}`;
  const problems = (c.health && c.health.problems) || [];
  document.getElementById('detail-health').replaceChildren(...(problems.length ? problems.map(p =>
    el('li', `${p.level.toUpperCase()}: ${p.text}`, 'health-' + (p.level === 'note' ? 'ok' : p.level))) : [el('li', 'OK: no problems', 'health-ok')]));
  const dev = s.devices && s.devices[c.class];
  const mine = dev && Array.isArray(dev.channels) ? dev.channels.find(x => x.relid === c.relid) : null;
  const id = document.getElementById('detail-identity');
  id.replaceChildren();
  for (const [k, v] of [['state', c.state + (c.reason ? ': ' + c.reason : '')], ['class GUID', c.classId],
    ['instance GUID', c.instanceId], ['subchannel', c.subchannel], ['ring size', c.ringSize + ' B'],
    ['framework version', mine ? mine.frameworkVersion : '—'], ['service version', mine ? mine.serviceVersion : '—']]) {
    id.appendChild(el('dt', k));
    id.appendChild(el('dd', v === undefined || v === null ? '—' : v));
  }
  const st = c.stats;
  document.querySelector('#detail-rings tbody').replaceChildren(...RING_FIELDS.map(f => {
    const tr = el('tr');
    tr.dataset.field = f;
    tr.appendChild(el('th', f));
    for (const ring of ['inbound', 'outbound']) {
      const v = st ? st[ring][f] : null;
      tr.appendChild(el('td', v === null || v === undefined ? '—' : (f === 'fillPercent' ? num(v, 2) + ' %' : v), 'num ' + ring));
      tr.appendChild(el('td', f === 'fillPercent' ? '' : hex(v), 'num hex ' + ring + '-hex'));
    }
    return tr;
  }));
  const counterRows = COUNTERS.map(k => {
    const tr = el('tr');
    tr.dataset.counter = k;
    tr.appendChild(el('th', "agent's " + k));
    tr.appendChild(el('td', st ? st[k] : '—', 'num'));
    tr.appendChild(el('td', c.rates && typeof c.rates[k] === 'number' ? num(c.rates[k], 2) : '—', 'num'));
    return tr;
  });
  // the kernel's own per-channel sysfs attributes (uio transport only), beside the agent's, never in their place
  for (const [k, v] of Object.entries(c.kernel || {})) {
    const tr = el('tr', null, 'kernel');
    tr.dataset.counter = 'kernel.' + k;
    tr.appendChild(el('th', "kernel's " + k + ' (sysfs)'));
    tr.appendChild(el('td', typeof v === 'object' ? JSON.stringify(v) : String(v), 'num'));
    tr.appendChild(el('td', '—', 'num'));
    counterRows.push(tr);
  }
  document.querySelector('#detail-counters tbody').replaceChildren(...counterRows);
  const device = document.getElementById('detail-device');
  device.replaceChildren();
  if (dev) {
    const h = (dev.health && dev.health.state) || 'unknown';
    device.appendChild(el('p', `${c.class}: ${h.toUpperCase()}${dev.health && dev.health.summary ? ' — ' + dev.health.summary : ''}`, 'health-' + h));
    if (mine) device.appendChild(renderValue(mine));
  }
  const evs = page.events.filter(e => e.relid === c.relid).slice(-20).reverse();
  document.getElementById('detail-events').replaceChildren(...(evs.length ? evs.map(eventItem) : [el('li', 'none since the dashboard started', 'muted')]));
}

function appendDetailPoint(c, t) {
  if (!page.detailCharts || !c.stats || !c.rates) return;
  const r = c.rates;
  page.detailCharts.appendAll({ t: [t], packetsIn: [r.packetsIn], packetsOut: [r.packetsOut], bytesIn: [r.bytesIn],
    bytesOut: [r.bytesOut], interrupts: [r.interrupts], events: [r.events], inboundFill: [c.stats.inbound.fillPercent],
    outboundFill: [c.stats.outbound.fillPercent] });
}

