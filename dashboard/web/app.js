// hitstream dashboard page: the URL holds the whole view; every panel reads it and renders itself.
const nf = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const cf = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const pf = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });
const PERIODS = [['realtime', 'Realtime'], ['today', 'Today'], ['yesterday', 'Yesterday'], ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'], ['mtd', 'Month to date'], ['last_month', 'Last month'], ['12mo', 'Last 12 months'], ['custom', 'Custom']];
const FIGURES = [['visitors', 'Unique visitors'], ['visits', 'Visits'], ['pageviews', 'Pageviews'],
  ['views_per_visit', 'Views per visit'], ['bounce_rate', 'Bounce rate'], ['visit_duration', 'Visit duration']];
const CARDS = [
  ['sources', 'Sources', [['channels', 'Channels'], ['referrers', 'Referrers'], ['utm_sources', 'UTM source'], ['utm_mediums', 'UTM medium'], ['utm_campaigns', 'UTM campaign']]],
  ['pages', 'Pages', [['pages', 'Top'], ['entry_pages', 'Entry'], ['exit_pages', 'Exit']]],
  ['locations', 'Locations', [['countries', 'Countries'], ['regions', 'Regions'], ['cities', 'Cities']]],
  ['devices', 'Devices', [['devices', 'Device type'], ['browsers', 'Browser'], ['oses', 'OS']]],
  ['languages', 'Languages', [['languages', 'Languages']]],
  ['events', 'Custom events', [['events', 'Events']]],
  ['filtered', 'Filtered hits', [['filtered', 'Filtered']]],
];

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat()) if (k != null) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

// '2026-12-01T00:00:00Z' as '2026-12-01 00:00' (the page states UTC once).
function shortTime(t) { return t ? String(t).replace('T', ' ').slice(0, 16) : ''; }

// ---- state (the URL) ----
function state() { return new URLSearchParams(location.search); }
function apiQuery(extra = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of state()) if (['period', 'from', 'to'].includes(k) || k.startsWith('f.')) q.append(k, v);
  for (const [k, v] of Object.entries(extra)) if (v != null) q.set(k, v);
  return q;
}
function navigate(mutate) {
  const q = state(); mutate(q);
  const s = q.toString();
  history.pushState(null, '', location.pathname + (s ? '?' + s : ''));
  render();
}
window.addEventListener('popstate', () => render());

// ---- API ----
class ApiError extends Error {}
async function api(path, q) {
  const r = await fetch(path + (q && q.toString() ? '?' + q : ''), { headers: { Accept: 'application/json' } });
  if (r.status === 401) { location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search); throw new ApiError('Login needed'); }
  let body = null; try { body = await r.json(); } catch { /* not JSON */ }
  if (r.status === 404) throw new ApiError('No such site');
  if (!r.ok) throw new ApiError(body && body.error ? body.error + (body.parameter ? ` (parameter: ${body.parameter})` : '') : `HTTP ${r.status}`);
  return body;
}
function errorBox(e) { return el('p', { class: 'error', 'data-testid': 'error', role: 'alert' }, e.message || String(e)); }
async function panel(box, work) {
  box.replaceChildren(el('p', { class: 'loading' }, 'Loading…'));
  try { await work(box); } catch (e) { box.replaceChildren(errorBox(e)); }
}

// ---- formatting ----
function fmtDuration(s) {
  s = Math.round(s || 0); const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h ${m}m ${r}s` : m ? `${m}m ${r}s` : `${r}s`;
}
function fmtFigure(name, v) {
  if (v == null) return '–';
  if (name === 'bounce_rate') return pf.format(v);
  if (name === 'visit_duration') return fmtDuration(v);
  if (name === 'views_per_visit') return nf.format(v);
  return v >= 10000 ? cf.format(v) : nf.format(v);
}
function changeEl(name, change, testid) {
  if (change == null) return el('span', { class: 'flat', 'data-testid': testid, 'data-value': '' }, '—');
  const good = name === 'bounce_rate' ? change < 0 : change > 0;
  const cls = change === 0 ? 'flat' : good ? 'up' : 'down';
  const arrow = change > 0 ? '↑' : change < 0 ? '↓' : '→';
  return el('span', { class: cls, 'data-testid': testid, 'data-value': change }, `${arrow} ${pf.format(Math.abs(change))}`);
}

// ---- overview ----
function sparkline(trend) {
  const ns = 'http://www.w3.org/2000/svg', w = 100, h = 24;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`); svg.setAttribute('width', w); svg.setAttribute('height', h);
  svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', 'Visitors trend, last 7 days');
  const vals = (trend || []).map(d => d.visitors || 0); const max = Math.max(1, ...vals);
  const pts = vals.map((v, i) => `${(i / Math.max(1, vals.length - 1)) * w},${h - 2 - (v / max) * (h - 4)}`).join(' ');
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', pts); line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#1d4ed8'); line.setAttribute('stroke-width', '1.5');
  svg.append(line); return svg;
}
async function renderOverview(root) {
  document.title = 'Sites · hitstream';
  const box = el('section', { class: 'panel', 'data-testid': 'overview' });
  root.replaceChildren(el('h1', {}, 'Sites'), box);
  await panel(box, async () => {
    const d = await api('/api/sites');
    if (!d.sites || !d.sites.length) { box.replaceChildren(el('p', { class: 'empty', 'data-testid': 'empty' }, 'No sites yet: add one to the sites file.')); return; }
    const noData = d.sites.every(s => !s.visitors && !s.pageviews);
    const tb = el('tbody');
    for (const s of d.sites) {
      tb.append(el('tr', { 'data-testid': 'site-row', 'data-site': s.id },
        el('td', {}, el('a', { href: '/sites/' + encodeURIComponent(s.id) }, s.id), el('br'), el('small', {}, (s.domains || []).join(', '))),
        el('td', { 'data-testid': 'site-visitors', 'data-value': s.visitors }, fmtFigure('visitors', s.visitors)),
        el('td', { class: 'hide-sm', 'data-testid': 'site-pageviews', 'data-value': s.pageviews }, fmtFigure('pageviews', s.pageviews)),
        el('td', {}, sparkline(s.trend)),
        el('td', { 'data-testid': 'live-visitors', 'data-value': s.live }, `${nf.format(s.live || 0)} live`)));
    }
    box.replaceChildren(
      el('table', { class: 'sites' }, el('thead', {}, el('tr', {}, el('th', {}, 'Site'), el('th', {}, 'Visitors (7 days)'),
        el('th', { class: 'hide-sm' }, 'Pageviews'), el('th', {}, 'Trend'), el('th', {}, 'Now'))), tb),
      noData ? el('p', { class: 'empty', 'data-testid': 'empty' }, 'No data in the last 7 days yet.') : '');
  });
}

// ---- site dashboard ----
function controls(q) {
  const period = q.get('period') || '7d';
  const sel = el('select', { id: 'period', 'data-testid': 'period-select', onchange: e => navigate(p => {
    p.set('period', e.target.value); if (e.target.value !== 'custom') { p.delete('from'); p.delete('to'); }
  }) }, PERIODS.map(([k, l]) => el('option', { value: k, selected: k === period }, l)));
  const wrap = el('div', { class: 'controls' }, el('label', { for: 'period' }, 'Date range', sel));
  if (period === 'custom') {
    const from = el('input', { type: 'date', id: 'from', 'data-testid': 'custom-from', value: q.get('from') || '' });
    const to = el('input', { type: 'date', id: 'to', 'data-testid': 'custom-to', value: q.get('to') || '' });
    wrap.append(el('label', { for: 'from' }, 'From', from), el('label', { for: 'to' }, 'To', to),
      el('button', { type: 'button', 'data-testid': 'custom-apply', onclick: () => navigate(p => { p.set('from', from.value); p.set('to', to.value); }) }, 'Apply'));
  }
  wrap.append(el('span', { class: 'tz', 'data-testid': 'timezone' }, 'All times UTC'));
  return wrap;
}
function chips(q) {
  const list = [...q].filter(([k]) => k.startsWith('f.'));
  return el('div', { class: 'chips', 'data-testid': 'filters' }, list.map(([k, v]) => {
    const dim = k.slice(2);
    return el('span', { class: 'chip', 'data-testid': 'filter-chip', 'data-dimension': dim, 'data-value': v }, `${dim} is ${v}`,
      el('button', { type: 'button', 'aria-label': `Remove filter ${dim} ${v}`, 'data-testid': 'filter-remove', onclick: () => navigate(p => {
        const rest = p.getAll(k).filter(x => x !== v); p.delete(k); rest.forEach(x => p.append(k, x));
      }) }, '×'));
  }));
}
function addFilter(dim, value) {
  navigate(p => { if (!p.getAll('f.' + dim).includes(value)) p.append('f.' + dim, value); });
}

let chartObj = null, resizeObs = null;
async function renderSummary(box, site, metric) {
  const d = await api(`/api/sites/${encodeURIComponent(site)}/summary`, apiQuery());
  const cards = FIGURES.map(([k, label]) => {
    const f = (d.figures || {})[k] || {};
    return el('button', { type: 'button', class: 'figure' + (k === metric ? ' active' : ''), 'aria-pressed': String(k === metric),
      'data-testid': 'card-' + k, onclick: () => navigate(p => p.set('metric', k)) },
      el('span', { class: 'label' }, label),
      el('span', { class: 'num', 'data-testid': 'figure-' + k, 'data-value': f.value ?? '' }, fmtFigure(k, f.value)),
      changeEl(k, f.change, `figure-${k}-change`));
  });
  cards.push(el('div', { class: 'figure' }, el('span', { class: 'label' }, 'Live visitors'),
    el('span', { class: 'num', 'data-testid': 'live-visitors', 'data-value': d.live ?? 0 }, nf.format(d.live || 0))));
  const p = d.period || {};
  box.replaceChildren(el('p', { class: 'tz', 'data-testid': 'period-label' }, `${p.label || ''}: ${shortTime(p.from)} – ${shortTime(p.to)} (UTC, by ${p.interval || ''}; end exclusive)`),
    el('div', { class: 'figures' }, cards));
}
async function renderChart(box, site, metric) {
  const q = apiQuery({ metric });
  const path = `/api/sites/${encodeURIComponent(site)}/timeseries`;
  const d = await api(path, q);
  const csv = new URLSearchParams(q); csv.set('format', 'csv');
  const area = el('div', { class: 'chart', 'data-testid': 'chart', 'data-metric': metric, 'data-points': (d.points || []).length });
  const label = (FIGURES.find(f => f[0] === metric) || [metric, metric])[1];
  box.replaceChildren(el('h2', {}, label, el('a', { href: `${path}?${csv}`, 'data-testid': 'csv-timeseries', download: true }, 'CSV')), area);
  if (chartObj) { chartObj.destroy(); chartObj = null; } if (resizeObs) resizeObs.disconnect();
  const pts = d.points || [];
  if (!pts.length) { area.replaceChildren(el('p', { class: 'empty' }, 'No data in this period.')); return; }
  if (typeof window.uPlot !== 'function') { area.replaceChildren(el('p', { class: 'error', 'data-testid': 'error' }, 'Chart library missing')); return; }
  const data = [pts.map(x => Date.parse(x.t) / 1000), pts.map(x => x.value), pts.map(x => x.previous)];
  const fmt = v => fmtFigure(metric, v);
  const opts = {
    width: Math.max(200, area.clientWidth), height: 260, tzDate: ts => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    series: [{}, { label, stroke: '#1d4ed8', width: 2, fill: 'rgba(29,78,216,0.08)', value: (u, v) => fmt(v) },
      { label: 'Previous period', stroke: '#94a3b8', width: 1.5, dash: [6, 4], value: (u, v) => fmt(v) }],
    axes: [{}, { values: (u, vals) => vals.map(fmt), size: 60 }],
  };
  chartObj = new uPlot(opts, data, area);
  resizeObs = new ResizeObserver(() => { if (chartObj) chartObj.setSize({ width: Math.max(200, area.clientWidth), height: 260 }); });
  resizeObs.observe(area);
}
function rowsList(d, dim) {
  if (!d.rows || !d.rows.length) return el('p', { class: 'empty' }, 'Nothing in this period.');
  return el('ul', { class: 'rows' }, d.rows.map(r => {
    const fdim = dim === 'prop' ? 'prop.' + r.key : dim;
    const shown = r.vendor ? `${r.value} · ${r.vendor}` : r.key && dim === 'prop' ? `${r.key}: ${r.value}` : r.value === '' ? '(none)' : r.value;
    const bar = el('span', { class: 'bar' }); bar.style.width = Math.min(100, (r.share || 0) * 100) + '%';
    const inner = [bar, el('span', { class: 'v' }, shown), el('span', { class: 'c' }, `${nf.format(r.count)} · ${pf.format(r.share || 0)}`)];
    const attrs = { 'data-testid': 'row', 'data-value': r.value, 'data-count': r.count, 'data-share': r.share };
    if (!fdim) return el('li', {}, el('div', { class: 'row', ...attrs }, inner));
    return el('li', {}, el('button', { type: 'button', class: 'row', title: `Filter by ${fdim} = ${r.value}`, ...attrs, onclick: () => addFilter(fdim, r.value) }, inner));
  }));
}
async function renderBreakdown(box, site, card, q) {
  const [key, title, tabs] = card;
  const chosen = tabs.find(t => t[0] === q.get('tab.' + key)) || tabs[0];
  const event = key === 'events' ? q.get('event') : null;
  const name = event ? 'properties' : chosen[0];
  const path = `/api/sites/${encodeURIComponent(site)}/breakdown/${name}`;
  const aq = apiQuery({ limit: 10, event });
  const csv = new URLSearchParams(aq); csv.set('format', 'csv');
  const head = el('h2', {}, event ? `${title}: ${event}` : title, el('a', { href: `${path}?${csv}`, download: true, 'data-testid': 'csv-' + name }, 'CSV'));
  const tabBar = tabs.length > 1 ? el('div', { class: 'tabs', role: 'tablist' }, tabs.map(([n, l]) => el('button', {
    type: 'button', role: 'tab', 'aria-selected': String(n === chosen[0]), 'data-testid': 'tab-' + n,
    onclick: () => navigate(p => p.set('tab.' + key, n)) }, l))) : null;
  const back = event ? el('button', { type: 'button', 'data-testid': 'events-back', onclick: () => navigate(p => p.delete('event')) }, '← All events') : null;
  const body = el('div');
  box.setAttribute('data-testid', 'breakdown-' + name);
  box.replaceChildren(...[head, tabBar, back, body].filter(Boolean)); // replaceChildren would print a null
  await panel(body, async () => {
    const d = await api(path, aq);
    if (name === 'events' && d.rows && d.rows.length) {
      body.replaceChildren(el('ul', { class: 'rows' }, d.rows.map(r => {
        const bar = el('span', { class: 'bar' }); bar.style.width = Math.min(100, (r.share || 0) * 100) + '%';
        return el('li', {}, el('button', { type: 'button', class: 'row', 'data-testid': 'row', 'data-value': r.value, 'data-count': r.count,
          title: `Show properties of ${r.value}`, onclick: () => navigate(p => p.set('event', r.value)) },
          bar, el('span', { class: 'v' }, r.value), el('span', { class: 'c' }, `${nf.format(r.count)} · ${pf.format(r.share || 0)}`)));
      })));
    } else body.replaceChildren(rowsList(d, name === 'properties' ? 'prop' : d.dimension));
  });
}

let refreshTimer = null;
async function renderSite(root, site, soft) {
  const q = state();
  const metric = FIGURES.some(f => f[0] === q.get('metric')) ? q.get('metric') : 'visitors';
  document.title = `${site} · hitstream`;
  const summary = el('section', { class: 'panel', 'data-testid': 'summary' });
  const chart = el('section', { class: 'panel', 'data-testid': 'chart-panel' });
  const grid = el('div', { class: 'grid' });
  const boxes = CARDS.map(() => el('section', { class: 'panel' }));
  grid.append(...boxes);
  root.replaceChildren(el('h1', {}, el('a', { href: '/', 'data-testid': 'back-overview' }, 'Sites'), ' / ', site), controls(q), chips(q), summary, chart, grid);
  const jobs = [panel(summary, b => renderSummary(b, site, metric)), panel(chart, b => renderChart(b, site, metric)),
    ...CARDS.map((c, i) => renderBreakdown(boxes[i], site, c, q).catch(e => boxes[i].replaceChildren(errorBox(e))))];
  await Promise.all(jobs);
  clearTimeout(refreshTimer);
  const period = q.get('period') || '7d';
  if (period === 'realtime' || period === 'today') {
    const at = location.href;
    refreshTimer = setTimeout(() => { if (location.href === at && !document.hidden) render(); }, 30000);
  }
}

// body[data-ready] is 'true' once every panel of the current view has drawn (or shown its error):
// what the browser tests and bench.dashboard wait for, instead of guessing with timeouts.
async function render() {
  document.body.dataset.ready = 'false';
  const root = document.getElementById('app');
  const m = location.pathname.match(/^\/sites\/([^/]+)\/?$/);
  try {
    if (m) await renderSite(root, decodeURIComponent(m[1]));
    else { clearTimeout(refreshTimer); await renderOverview(root); }
  } finally { document.body.dataset.ready = 'true'; }
}
render();
