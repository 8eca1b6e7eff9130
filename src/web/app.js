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
  const res = await api('/api/csv', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: file.name, text: await file.text() }) });
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
    const why = a.outside_sketch
      ? 'Not sure: the question seems to need SQL the model cannot write (' + a.outside_sketch.replace('_', ' ') + '). Its best guess:'
      : 'Not sure: the model cannot answer this with confidence. Its best guess:';
    box.appendChild(el('p', why, 'error', 'unsure'));
  }
  box.appendChild(el('pre', a.sql, undefined, 'sql'));
  box.appendChild(el('p', a.human_readable, 'muted'));
  // Every column of the answer, its labels as the header; one column keeps the 'result' header.
  const rows = a.columns.length > 1 ? grid(a.columns, a.table_rows) : grid(['result'], a.rows.map((v) => [v]));
  rows.id = 'rows'; box.appendChild(rows);
  let note = `${a.rows.length} row(s), confidence ${(100 * a.confidence).toFixed(1)}%`;
  if (a.guidance_changed) note += '; execution guidance replaced the most likely query, which returned nothing';
  box.appendChild(el('p', note, 'muted'));
});
load();
