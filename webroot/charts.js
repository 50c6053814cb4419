// vmbus dashboard charts: uPlot time series fed from the server's history (/api/history) and then from each
// live snapshot, so that a reload keeps what was drawn. Inbound and outbound are separate series; every y axis
// carries its unit on each tick, and the legend under each chart names every series with its latest value and unit
// without a pointer. Bounded: a chart keeps at most the server's history capacity of points. Besides the channel
// charts below, the page draws one chart per series the server says a device declared (/api/history's `series`:
// device, name, title, unit); it knows no device or series of its own.
'use strict';

const COLORS = { in: '#2563eb', out: '#dc2626', device: '#0891b2' };

// Numbers with a unit, scaled (k, M, G) and with as many digits as the axis step needs.
function digitsFor(step) {
  for (let d = 0; d < 6; d++) {
    const x = step * 10 ** d;
    if (!(step > 0) || Math.abs(x - Math.round(x)) < 1e-6 * Math.max(1, x)) return d;
  }
  return 6;
}
// A single reading in ms (legend): µs below a millisecond, always with the digits a clock offset needs.
function offsetText(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return Math.abs(v) < 1 ? (v * 1000).toFixed(2) + ' µs' : v.toFixed(3) + ' ms';
}
function scaled(v, unit, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + ' G' + unit;
  if (a >= 1e6) return (v / 1e6).toFixed(1) + ' M' + unit;
  if (a >= 1e4) return (v / 1e3).toFixed(1) + ' k' + unit;
  return v.toFixed(digits) + ' ' + unit;
}
function axisValues(unit) {
  return (u, splits) => {
    const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : 0;
    return splits.map(v => scaled(v, unit, digitsFor(step)));
  };
}
// An axis in ms (a device's series, such as a clock offset) spanning less than a millisecond is drawn in µs, with
// the digits its step needs (0.0081 ms is "8.1 µs", not "0.008").
function offsetValues(u, splits) {
  const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : 0;
  const span = Math.max(...splits.map(Math.abs));
  if (span < 1) return splits.map(v => (v * 1000).toFixed(digitsFor(step * 1000)) + ' µs');
  return splits.map(v => v.toFixed(digitsFor(step)) + ' ms');
}

// What each channel chart draws (the totals and one channel's history): series names in the history JSON, and units.
const CHANNEL_CHARTS = {
  packets: { title: 'packets per second', unit: 'pkt/s', series: [['packetsIn', 'in (host → guest)', COLORS.in], ['packetsOut', 'out (guest → host)', COLORS.out]] },
  bytes: { title: 'bytes per second', unit: 'B/s', series: [['bytesIn', 'in (host → guest)', COLORS.in], ['bytesOut', 'out (guest → host)', COLORS.out]] },
  signals: { title: 'signals per second', unit: '/s', series: [['interrupts', 'interrupts (from host)', COLORS.in], ['events', 'signals (to host)', COLORS.out]] },
  fill: { title: 'ring fill', unit: '%', series: [['inboundFill', 'inbound ring', COLORS.in], ['outboundFill', 'outbound ring', COLORS.out]] }
};

// One chart for one declared device series ({device, name, title, unit} from /api/history's `series`), fed from
// the history's object under the device's name.
function deviceChart(d) {
  return { device: d.device, title: d.device + ' ' + d.title, unit: d.unit, series: [[d.name, d.title, COLORS.device]] };
}

// A legend of its own under each chart: every series' colour, name and latest value with its unit, shown without a
// pointer; while the pointer is over the chart it shows the values under it and when they were taken.
class Legend {
  constructor(host, def) {
    this.def = def;
    this.box = document.createElement('div');
    this.box.className = 'legend';
    this.values = def.series.map(([name, label, stroke]) => {
      const item = document.createElement('span');
      item.className = 'series';
      item.dataset.series = name;
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = stroke;
      const value = document.createElement('span');
      value.className = 'value';
      value.textContent = '—';
      item.append(swatch, document.createTextNode(label), value);
      this.box.appendChild(item);
      return value;
    });
    this.when = document.createElement('span');
    this.when.className = 'when';
    this.box.appendChild(this.when);
    host.appendChild(this.box);
  }

  text(v) {
    return this.def.unit === 'ms' ? offsetText(v) : scaled(v, this.def.unit, 2);
  }

  // The values at point idx of data (the latest when idx is null), and the time when under the pointer.
  show(data, idx) {
    const latest = idx === null || idx === undefined;
    const i = latest ? data[0].length - 1 : idx;
    this.values.forEach((span, k) => {
      const v = i >= 0 ? data[k + 1][i] : null;
      const t = this.text(v);
      if (span.textContent !== t) span.textContent = t;
    });
    const when = i < 0 ? 'no data yet' : latest ? 'latest' : 'at ' + new Date(data[0][i] * 1000).toLocaleTimeString();
    if (this.when.textContent !== when) this.when.textContent = when;
  }
}

class Chart {
  constructor(parent, id, def, capacity) {
    this.def = def;
    this.capacity = capacity;
    this.data = [[]].concat(def.series.map(() => []));
    this.hover = null;
    const host = document.createElement('div');
    host.className = 'chart';
    host.id = id;
    parent.appendChild(host);
    this.host = host;
    const values = def.unit === 'ms' ? offsetValues : axisValues(def.unit);
    this.plot = new uPlot({
      title: def.title + ' (' + def.unit + ')', width: 380, height: 190,
      scales: { x: { time: true } },
      legend: { show: false },
      hooks: { setCursor: [u => { this.hover = u.cursor.idx; if (this.legend) this.legend.show(this.data, this.hover); }] },
      axes: [{ label: 'local time', size: 40 }, { label: def.device ? def.series[0][1] : def.unit, values, size: 72 }],
      series: [{ label: 'time' }].concat(def.series.map(([, label, stroke]) => ({ label, stroke, width: 1.5 })))
    }, this.data, host);
    this.legend = new Legend(host, def);
    this.legend.show(this.data, null);
  }

  // Appends points from a history-shaped object ({t: [ms...], name: [...]}) newer than the last one drawn.
  append(h) {
    if (!h || !h.t) return;
    const xs = this.data[0];
    const last = xs.length ? xs[xs.length - 1] : -Infinity;
    h.t.forEach((t, i) => {
      if (t / 1000 <= last) return;
      xs.push(t / 1000);
      this.def.series.forEach(([name], k) => this.data[k + 1].push(h[name] ? h[name][i] : null));
    });
    for (const s of this.data) while (s.length > this.capacity) s.shift();
    this.plot.setData(this.data);
    this.legend.show(this.data, this.hover);
  }

  points() {
    return this.data[0].length;
  }

  destroy() {
    this.plot.destroy();
    this.host.remove();
  }
}

// A set of charts over one history source: the channel charts (all channels, or one) and, given the server's
// `series` declarations, one chart per device series, keyed '<device>.<name>' (element id prefix-device-name).
class ChartSet {
  constructor(parentId, prefix, capacity, declared = []) {
    this.charts = {};
    const parent = document.getElementById(parentId);
    for (const [n, def] of Object.entries(CHANNEL_CHARTS)) this.charts[n] = new Chart(parent, prefix + n, def, capacity);
    for (const d of declared) {
      this.charts[d.device + '.' + d.name] = new Chart(parent, prefix + d.device + '-' + d.name, deviceChart(d), capacity);
    }
  }
  // Appends a history-shaped object: totals or one channel's series to the channel charts, and each device's
  // object (history[device]) to that device's charts.
  appendAll(h, history) {
    for (const c of Object.values(this.charts)) {
      if (!c.def.device) c.append(h);
      else if (history) c.append(history[c.def.device]);
    }
  }
  destroy() {
    for (const c of Object.values(this.charts)) c.destroy();
  }
}

window.VmbusCharts = { ChartSet, scaled, offsetValues, offsetText };
