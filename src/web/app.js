const $ = (id) => document.getElementById(id);
function el(tag, text, cls, id) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; if (id) e.id = id; return e; }
function grid(header, rows) {
  const t = el('table'); const h = t.insertRow();
  header.forEach((c) => h.appendChild(el('th', c)));
  rows.forEach((r) => { const tr = t.insertRow(); r.forEach((c) => { tr.insertCell().textContent = c === null ? 'NULL' : String(c); }); });
  return t;
}
// Beyond loopback the API needs an access token: asked once, kept for this tab only.
let token = sessionStorage.getItem('token') || '';
async function api(url, init = {}) {
  const send = () => fetch(url, { ...init, headers: { ...(init.headers || {}), ...(token ? { Authorization: 'Bearer ' + token } : {}) } });
  let res = await send();
  if (res.status === 401) {
    token = (prompt('This server needs its access token:') || '').trim();
    sessionStorage.setItem('token', token);
    res = await send();
  }
  return res;
}
async function preview() {
  const id = $('table').value; if (!id) return;
  const res = await api('/api/tables/' + encodeURIComponent(id));
  const t = await res.json(); const box = $('preview'); box.replaceChildren();
  if (!res.ok) { box.appendChild(el('p', t.error, 'error')); return; }
  box.appendChild(el('p', `Table ${t.id}: ${t.n_rows} rows (first ${t.rows.length} shown)`));
  box.appendChild(grid(t.header, t.rows));
}
async function load() {
  const res = await api('/api/tables'); const data = await res.json();
  data.tables.forEach((id) => $('table').appendChild(el('option', id)));
  preview();
}
$('table').addEventListener('change', preview);
$('csv').addEventListener('change', async () => {
  const file = $('csv').files[0]; if (!file) return;
  const box = $('answer'); box.replaceChildren(el('p', 'loading ' + file.name + '…', 'muted'));
  // The file itself is the body, streamed; the server tells the format from the type and its
  // first bytes (text/plain is refused: a foreign page could send it without asking).
  const type = /\.(csv|tsv|txt)$/i.test(file.name) ? 'text/csv' : 'application/octet-stream';
  const res = await api('/api/upload?name=' + encodeURIComponent(file.name),
    { method: 'POST', headers: { 'Content-Type': type }, body: file });
  const t = await res.json(); box.replaceChildren();
  if (!res.ok) { box.appendChild(el('p', t.error, 'error')); return; }
  const option = el('option', `${t.id} (${t.name})`); option.value = t.id;
  $('table').appendChild(option); $('table').value = t.id;
  preview();
});
$('ask').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const box = $('answer'); box.replaceChildren(el('p', 'thinking…', 'muted'));
  const res = await api('/api/ask', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ table: $('table').value, question: $('question').value }) });
  const a = await res.json(); box.replaceChildren();
  if (!res.ok) { box.appendChild(el('p', a.error, 'error', 'error')); return; }
  if (!a.confident) {
    // sketch_prob beside a query of WikiSQL's sketch: the clause heads chose more than the
    // sketch, but not surely enough for their own query to answer.
    const why = a.outside_sketch
      ? 'Not sure: the question seems to need SQL the model cannot write (' + a.outside_sketch.replace('_', ' ') + '). Its best guess:'
      : a.sketch_prob != null && a.query
        ? 'Not sure: the question seems to need more than WikiSQL\'s sketch, and the model could not write it with confidence. Its best guess in the sketch:'
        : 'Not sure: the model cannot answer this with confidence. Its best guess:';
    box.appendChild(el('p', why, 'error', 'unsure'));
  }
  box.appendChild(el('pre', a.sql, undefined, 'sql'));
  box.appendChild(el('p', a.human_readable, 'muted'));
  // Every column of the answer, its labels as the header; one column keeps the 'result' header.
  const rows = a.columns.length > 1 ? grid(a.columns, a.table_rows) : grid(['result'], a.rows.map((v) => [v]));
  rows.id = 'rows'; box.appendChild(rows);
  const chart = barChart(a.columns, a.table_rows);
  if (chart) box.appendChild(chart);
  let note = `${a.rows.length} row(s), confidence ${(100 * a.confidence).toFixed(1)}%`;
  if (a.guidance_changed) note += '; execution guidance replaced the most likely query, which returned nothing';
  box.appendChild(el('p', note, 'muted'));
});
// A bar chart of an answer with a label column and a number column (counts per group, rankings,
// top-k): one bar per row, its length proportional to the value from a zero line (negative
// values to its left), labels and values put in as text (a cell is never read as markup), NULL
// as a row without a bar. No chart for a single value or without a number column; over
// MAX_BARS rows a note instead.
const MAX_BARS = 30;
const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, String(v)));
  if (text !== undefined) e.textContent = text;
  return e;
}
function barChart(columns, rows) {
  if (!columns || columns.length < 2 || rows.length < 2) return null;
  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  // The number column: the last column whose cells are all numbers or NULL (some a number).
  let value = -1;
  columns.forEach((_, i) => {
    if (rows.every((r) => r[i] === null || isNum(r[i])) && rows.some((r) => isNum(r[i]))) value = i;
  });
  if (value < 0) return null;
  // The label column: the first column that is not the number column.
  const label = columns.findIndex((_, i) => i !== value);
  if (rows.length > MAX_BARS) {
    return el('p', `${rows.length} rows: too many to chart (${MAX_BARS} at most).`, 'muted', 'chart-note');
  }
  const values = rows.map((r) => r[value]);
  const nums = values.filter(isNum);
  const lo = Math.min(0, ...nums); const hi = Math.max(0, ...nums);
  const span = hi - lo || 1;
  const labelWidth = 160; const barWidth = 320; const rowHeight = 22; const valueWidth = 90;
  const zero = labelWidth + ((0 - lo) / span) * barWidth;
  const chart = svg('svg', { id: 'chart', width: labelWidth + barWidth + valueWidth, height: rows.length * rowHeight + 24, role: 'img' });
  chart.appendChild(svg('title', {}, `${columns[value]} by ${columns[label]}`));
  rows.forEach((r, i) => {
    const y = i * rowHeight;
    const cell = r[label];
    chart.appendChild(svg('text', { x: labelWidth - 6, y: y + 15, 'text-anchor': 'end', class: 'bar-label' }, cell === null ? 'NULL' : String(cell)));
    const v = values[i];
    if (isNum(v)) {
      const x = labelWidth + ((Math.min(v, 0) - lo) / span) * barWidth;
      const w = (Math.abs(v) / span) * barWidth;
      chart.appendChild(svg('rect', { x, y: y + 3, width: w, height: rowHeight - 6, class: 'bar', 'data-value': v }));
    }
    chart.appendChild(svg('text', { x: labelWidth + barWidth + 6, y: y + 15, class: 'bar-value' }, v === null ? 'NULL' : String(v)));
  });
  chart.appendChild(svg('line', { x1: zero, x2: zero, y1: 0, y2: rows.length * rowHeight, class: 'axis' }));
  chart.appendChild(svg('text', { x: labelWidth, y: rows.length * rowHeight + 16, class: 'muted' }, columns[value]));
  return chart;
}
load();
