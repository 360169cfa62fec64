// mqtrigger console: pages drawn from the API's answers. Every read and change
// goes through /console/api/, which forwards it to the API itself, so a refused
// value shows the API's own message. No data is put into the page as HTML.
'use strict';

const state = { csrf: '', user: '', timer: 0, samples: new Map() };

// ---- talking to the console's endpoints

class APIError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function call(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') opts.headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch('/console/api' + path, opts);
  let data = null;
  const text = await res.text();
  if (text) { try { data = JSON.parse(text); } catch { data = { message: text }; } }
  if (!res.ok) {
    const code = res.headers.get('x-amzn-ErrorType') || (data && data.__type) || String(res.status);
    const msg = (data && (data.message || data.Message)) || res.statusText;
    if (res.status === 401 && path !== '/signin') { showSignIn('Your session has ended: sign in again.'); }
    throw new APIError(res.status, code.split(':')[0], msg);
  }
  return data;
}
const lambda = (method, path, body) => call(method, '/lambda/2015-03-31' + path, body);
const secrets = (op, body) => call('POST', '/secretsmanager/' + op, body || {});

// ---- building the page

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function page(title, ...content) {
  const main = document.getElementById('main');
  main.replaceChildren(h('h1', {}, title), ...content);
  document.title = title + ' · mqtrigger console';
  main.focus();
}

function say(msg, isError) {
  state.fresh = !!msg;
  const s = document.getElementById('status');
  s.replaceChildren(msg ? h('p', { class: isError ? 'error' : '' }, msg) : '');
}

function table(columns, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map(r => h('tr', {}, r.map((cell, i) => h('td', { 'data-label': columns[i] }, cell))))));
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v === '' || v == null ? '—' : v)]));
}

let fieldSeq = 0;
// field is a labelled control with a hint and a place for its error.
function field(label, control, hint) {
  const id = control.id || ('f' + (++fieldSeq));
  control.id = id;
  const err = h('div', { class: 'error', id: id + '-error' });
  const hintEl = hint ? h('div', { class: 'hint', id: id + '-hint' }, hint) : null;
  control.setAttribute('aria-describedby', [hintEl ? id + '-hint' : '', id + '-error'].join(' ').trim());
  const box = control.type === 'checkbox'
    ? h('div', { class: 'field' }, h('div', { class: 'check' }, control, h('label', { for: id }, label)), hintEl, err)
    : h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl, err);
  box.control = control;
  box.error = err;
  return box;
}

function clearErrors(form) {
  form.querySelectorAll('.field .error').forEach(e => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach(e => e.removeAttribute('aria-invalid'));
  const top = form.querySelector('.form-error');
  if (top) top.textContent = '';
}

// showError puts the API's message next to the field it names (matched in the
// message), or above the form when it names none.
function showError(form, fields, err) {
  const msg = err.message || String(err);
  for (const [pattern, f] of fields) {
    if (f && pattern.test(msg)) {
      f.error.textContent = msg;
      f.control.setAttribute('aria-invalid', 'true');
      f.control.focus();
      return;
    }
  }
  const top = form.querySelector('.form-error');
  top.textContent = msg;
  top.focus();
}

function formError() { return h('div', { class: 'field' }, h('div', { class: 'error form-error', tabindex: '-1', role: 'alert' })); }

const fmtTime = s => {
  if (s === undefined || s === null || s === '') return '';
  const d = typeof s === 'number' ? new Date(s * 1000) : new Date(s);
  if (isNaN(d) || d.getTime() <= 0) return typeof s === 'string' && s.startsWith('1970') ? 'from the config file' : '';
  return d.toLocaleString();
};
const link = (href, text) => h('a', { href }, text);
const stateBadge = s => h('span', { class: 'state ' + s, 'data-state': s }, s);
const enc = encodeURIComponent;

// ---- signing in

async function start() {
  document.getElementById('signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  try {
    const s = await call('GET', '/session');
    signedIn(s);
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
    showSignIn();
  }
}

function signedIn(s) {
  state.csrf = s.CSRFToken;
  state.user = s.User;
  document.getElementById('user').textContent = s.User;
  document.getElementById('nav').hidden = false;
  document.getElementById('who').hidden = false;
  route();
}

function showSignIn(message) {
  stopPolling();
  state.csrf = '';
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'username', required: true });
  const pw = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'stack signin', id: 'signin' },
    field('Name or access key id', name),
    field('Password or secret access key', pw),
    formError(),
    h('div', {}, h('button', { type: 'submit' }, 'Sign in')));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const s = await call('POST', '/signin', { Name: name.value, Password: pw.value });
      pw.value = '';
      say('');
      signedIn(s);
    } catch (e) {
      pw.value = '';
      showError(form, [], e);
    }
  });
  page('Sign in', form);
  say(message || '');
  name.focus();
}

async function signOut() {
  try { await call('POST', '/signout'); } catch (e) { /* signed out either way */ }
  showSignIn('Signed out.');
}

// ---- routes

function stopPolling() { clearTimeout(state.timer); state.timer = 0; }

async function route() {
  if (!state.csrf) return;
  stopPolling();
  if (!state.fresh) say('');
  state.fresh = false;
  const parts = (location.hash.replace(/^#\/?/, '') || 'functions').split('/').map(decodeURIComponent);
  document.querySelectorAll('#nav a').forEach(a => {
    if (a.getAttribute('href') === '#/' + parts[0]) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  try {
    switch (parts[0]) {
      case 'functions':
        if (parts[1] && parts[2] === 'add') return await addTriggerPage(parts[1]);
        if (parts[1]) return await functionPage(parts[1]);
        return await functionsPage();
      case 'triggers':
        if (parts[2] === 'edit') return await editTriggerPage(parts[1]);
        return await triggerPage(parts[1]);
      case 'secrets': return await secretsPage();
      case 'brokers': return await brokersPage();
    }
    page('Not found', h('p', {}, 'No such page. ', link('#/functions', 'Functions')));
  } catch (e) {
    if (e.status === 401) return;
    page('Something went wrong', h('p', { class: 'error' }, e.message));
  }
}

function kindOf(fn) {
  const m = /defined in the config file \((\w+)/.exec(fn.Description || '');
  if (!m) return 'zip package';
  return { url: 'HTTP endpoint', arn: 'remote Lambda', command: 'Runtime API command' }[m[1]] || m[1];
}

async function listAll(path, key) {
  let out = [], marker = '';
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await lambda('GET', path + (marker ? sep + 'Marker=' + enc(marker) : ''));
    out = out.concat(r[key] || []);
    marker = r.NextMarker || '';
  } while (marker);
  return out;
}

async function functionsPage() {
  const fns = await listAll('/functions/', 'Functions');
  fns.sort((a, b) => a.FunctionName.localeCompare(b.FunctionName));
  page('Functions', table(['Name', 'Kind', 'Runtime', 'Last modified'],
    fns.map(f => [link('#/functions/' + enc(f.FunctionName), f.FunctionName), kindOf(f), f.Runtime || '—', fmtTime(f.LastModified) || '—']),
    'No functions yet: add them to the config file or deploy one with CreateFunction.'));
}

async function functionPage(name) {
  const [fn, maps] = await Promise.all([
    lambda('GET', '/functions/' + enc(name)),
    listAll('/event-source-mappings/?FunctionName=' + enc(name), 'EventSourceMappings'),
  ]);
  const c = fn.Configuration;
  const brokers = await brokerNames();
  page(c.FunctionName,
    facts([['Kind', kindOf(c)], ['ARN', h('code', {}, c.FunctionArn)], ['Runtime', c.Runtime], ['Last modified', fmtTime(c.LastModified)],
      ['Timeout', c.Timeout + ' s']]),
    h('h2', {}, 'Triggers'),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/functions/' + enc(name) + '/add', id: 'add-trigger' }, 'Add trigger')),
    table(['Trigger', 'Broker', 'Queue', 'State', 'Last processing result'],
      maps.map(m => [link('#/triggers/' + m.UUID, m.UUID), brokers.get(m.EventSourceArn) || m.EventSourceArn, (m.Queues || []).join(', '),
        stateBadge(m.State), m.LastProcessingResult]),
      'No triggers yet.'));
}

async function brokerNames() {
  const r = await call('GET', '/brokers');
  return new Map(r.Brokers.map(b => [b.ARN, b.Name]));
}

// ---- the trigger form (add and edit)

async function triggerForm({ fnName, mapping, onSubmit }) {
  const [br, sl] = await Promise.all([call('GET', '/brokers'), secrets('ListSecrets', { MaxResults: 100 })]);
  const editing = !!mapping;
  const m = mapping || {};
  const broker = h('select', { name: 'broker', disabled: editing },
    br.Brokers.map(b => h('option', { value: b.ARN, selected: m.EventSourceArn === b.ARN }, b.Name + ' (' + b.Endpoints.join(', ') + ')')));
  const queue = h('input', { type: 'text', name: 'queue', value: (m.Queues || []).join(','), disabled: editing, required: true });
  const batch = h('input', { type: 'number', name: 'batchSize', value: m.BatchSize || 100, inputmode: 'numeric' });
  const windowS = h('input', { type: 'number', name: 'window', value: m.MaximumBatchingWindowInSeconds ?? '', placeholder: 'default', inputmode: 'numeric' });
  const currentSecret = ((m.SourceAccessConfigurations || []).find(s => s.Type === 'BASIC_AUTH') || {}).URI;
  const secret = h('select', { name: 'secret' },
    (sl.SecretList || []).map(s => h('option', { value: s.ARN, selected: s.ARN === currentSecret }, s.Name)),
    h('option', { value: '__new__', selected: !(sl.SecretList || []).length }, 'Create a new secret…'));
  const newName = h('input', { type: 'text', name: 'secretName', autocomplete: 'off' });
  const newUser = h('input', { type: 'text', name: 'secretUser', autocomplete: 'off' });
  const newPass = h('input', { type: 'password', name: 'secretPassword', autocomplete: 'new-password' });
  const fName = field('Secret name', newName), fUser = field('Broker user', newUser), fPass = field('Broker password', newPass);
  const newBox = h('fieldset', { id: 'new-secret' }, h('legend', {}, 'New secret'), fName, fUser, fPass);
  const showNew = () => { newBox.hidden = secret.value !== '__new__'; };
  secret.addEventListener('change', showNew);
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: m.State ? !/Disabl/.test(m.State) : true });
  const conc = h('input', { type: 'number', name: 'maximumConcurrency', value: (m.ScalingConfig || {}).MaximumConcurrency || '', placeholder: 'default', inputmode: 'numeric' });
  const filters = h('textarea', { name: 'filters', spellcheck: 'false' },
    ((m.FilterCriteria || {}).Filters || []).map(f => f.Pattern).join('\n'));
  const retries = h('input', { type: 'number', name: 'maximumRetryAttempts', value: m.MaximumRetryAttempts ?? '', placeholder: '6 (default)', inputmode: 'numeric' });
  const partial = h('input', { type: 'checkbox', name: 'reportBatchItemFailures', checked: (m.FunctionResponseTypes || []).includes('ReportBatchItemFailures') });
  const f = {
    broker: field('MQ broker', broker), queue: field('Queue name', queue, 'The ActiveMQ queue to read.'),
    batch: field('Batch size', batch, '1 to 10000 messages per invocation.'),
    window: field('Batching window (seconds)', windowS, 'How long to gather a batch; empty for the default.'),
    secret: field('Secret with the broker credentials', secret, 'A BASIC_AUTH secret: {"username", "password"}.'),
    enabled: field('Enable trigger', enabled),
    conc: field('Maximum concurrency', conc, 'Batches processed at once; empty for the default.'),
    filters: field('Filter patterns', filters, 'One JSON pattern per line, e.g. {"data": {"kind": ["order"]}}; messages that match none are acknowledged without invoking.'),
    retries: field('Maximum retry attempts', retries, 'Redeliveries before a message goes to the broker\'s dead-letter queue; -1 for no limit.'),
    partial: field('Partial batch responses (ReportBatchItemFailures)', partial, 'The function may name the messages that failed; only those are redelivered.'),
  };
  const fields = [
    [/secret name|'name'|secret .*(exists|already)/i, fName],
    [/batchSize|batch size/i, f.batch], [/BatchingWindow/i, f.window], [/maximumConcurrency|ScalingConfig/i, f.conc],
    [/filter|pattern/i, f.filters], [/FunctionResponseTypes/i, f.partial], [/maximumRetryAttempts/i, f.retries], [/queue/i, f.queue],
    [/SourceAccessConfiguration|BASIC_AUTH|secret/i, f.secret], [/EventSourceArn|broker/i, f.broker],
  ];
  const submit = h('button', { type: 'submit' }, editing ? 'Save' : 'Add trigger');
  const form = h('form', { class: 'stack', id: 'trigger-form', novalidate: true },
    f.broker, f.queue, f.batch, f.window, f.secret, newBox, f.enabled, f.conc, f.retries, f.filters, f.partial, formError(),
    h('div', { class: 'actions' }, submit,
      h('a', { class: 'button secondary', href: editing ? '#/triggers/' + m.UUID : '#/functions/' + enc(fnName) }, 'Cancel')));
  showNew();
  const num = el => el.value.trim() === '' ? undefined : Number(el.value);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      let secretArn = secret.value;
      if (secretArn === '__new__') {
        const created = await secrets('CreateSecret', {
          Name: newName.value.trim(), SecretString: JSON.stringify({ username: newUser.value, password: newPass.value }),
        });
        newPass.value = '';
        secretArn = created.ARN;
        secret.prepend(h('option', { value: created.ARN }, created.Name));
        secret.value = created.ARN;
        showNew();
      }
      const lines = filters.value.split('\n').map(s => s.trim()).filter(Boolean);
      const body = {
        BatchSize: num(batch), MaximumBatchingWindowInSeconds: num(windowS), Enabled: enabled.checked,
        SourceAccessConfigurations: [{ Type: 'BASIC_AUTH', URI: secretArn }],
        FilterCriteria: { Filters: lines.map(p => ({ Pattern: p })) },
        FunctionResponseTypes: partial.checked ? ['ReportBatchItemFailures'] : [],
      };
      if (num(retries) !== undefined) body.MaximumRetryAttempts = num(retries);
      const c = num(conc);
      if (c !== undefined) body.ScalingConfig = { MaximumConcurrency: c };
      if (!editing) {
        body.EventSourceArn = broker.value;
        body.FunctionName = fnName;
        body.Queues = queue.value.trim() ? [queue.value.trim()] : [];
      }
      await onSubmit(body);
    } catch (e) {
      showError(form, fields, e);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

async function addTriggerPage(fnName) {
  const form = await triggerForm({
    fnName, onSubmit: async body => {
      const m = await lambda('POST', '/event-source-mappings/', body);
      say('Trigger ' + m.UUID + ' added; it starts in state ' + m.State + '.');
      location.hash = '#/triggers/' + m.UUID;
    },
  });
  page('Add trigger to ' + fnName, form);
}

async function editTriggerPage(uuid) {
  const m = await lambda('GET', '/event-source-mappings/' + enc(uuid));
  const form = await triggerForm({
    mapping: m, onSubmit: async body => {
      const u = await lambda('PUT', '/event-source-mappings/' + enc(uuid), body);
      say('Trigger saved: ' + u.State + '.');
      location.hash = '#/triggers/' + uuid;
    },
  });
  page('Edit trigger', h('p', { class: 'muted' }, 'Broker and queue are fixed once a trigger exists.'), form);
}

// ---- a trigger's panel

const figureNames = [
  ['Received', 'Received'], ['Acknowledged', 'Acknowledged'], ['Filtered', 'Filtered'], ['DeadLettered', 'Dead-lettered'],
  ['Redelivered', 'Redelivered'], ['Errors', 'Errors'], ['Concurrency', 'Concurrency'],
];
const chartMinutes = 5;

async function triggerPage(uuid) {
  const m = await lambda('GET', '/event-source-mappings/' + enc(uuid));
  const brokers = await brokerNames();
  const fnName = (m.FunctionArn || '').split(':function:')[1] || '';
  const stateEl = h('span', { id: 'trigger-state', 'aria-live': 'polite' });
  const reasonEl = h('span', { id: 'trigger-reason' });
  const resultEl = h('span', { id: 'trigger-result' });
  const figEls = {};
  const figs = h('dl', { class: 'figures', id: 'figures' }, figureNames.map(([k, label]) => {
    figEls[k] = h('dd', { id: 'figure-' + k }, '0');
    return h('div', {}, h('dt', {}, label), figEls[k]);
  }));
  const rateEl = h('dd', { id: 'figure-rate' }, '0');
  figs.append(h('div', {}, h('dt', {}, 'Messages/s'), rateEl));
  const chart = svg('svg', { class: 'chart', viewBox: '0 0 600 120', preserveAspectRatio: 'none', role: 'img',
    'aria-label': 'Messages received per second over the last minutes' });
  chart.caption = h('figcaption', { class: 'muted', id: 'chart-caption' });
  const enable = h('button', { type: 'button', id: 'enable', onclick: () => setEnabled(true) }, 'Enable');
  const disable = h('button', { type: 'button', id: 'disable', class: 'secondary', onclick: () => setEnabled(false) }, 'Disable');
  const edit = h('a', { class: 'button secondary', href: '#/triggers/' + uuid + '/edit', id: 'edit' }, 'Edit');
  const del = h('button', { type: 'button', id: 'delete', class: 'danger', onclick: remove }, 'Delete');
  let deleting = false;

  function show(mm) {
    stateEl.replaceChildren(stateBadge(mm.State));
    reasonEl.textContent = mm.StateTransitionReason || '—';
    resultEl.textContent = mm.LastProcessingResult || '—';
    enable.disabled = /^(Enabled|Enabling|Creating|Deleting)$/.test(mm.State);
    disable.disabled = /^(Disabled|Disabling|Deleting)$/.test(mm.State);
    del.disabled = mm.State === 'Deleting';
  }
  async function setEnabled(on) {
    try { show(await lambda('PUT', '/event-source-mappings/' + enc(uuid), { Enabled: on })); }
    catch (e) { say(e.message, true); }
  }
  async function remove() {
    if (!confirm('Delete trigger ' + uuid + '? Its consumers stop; messages stay in the queue.')) return;
    try { show(await lambda('DELETE', '/event-source-mappings/' + enc(uuid))); deleting = true; }
    catch (e) { say(e.message, true); }
  }
  async function poll() {
    try {
      const [mm, f] = await Promise.all([
        lambda('GET', '/event-source-mappings/' + enc(uuid)), call('GET', '/figures/' + enc(uuid))]);
      show(mm);
      for (const [k] of figureNames) figEls[k].textContent = String(f[k]);
      rateEl.textContent = drawRate(chart, uuid, f).toFixed(1);
    } catch (e) {
      if (e.status === 404 && deleting) {
        say('Trigger ' + uuid + ' deleted.');
        location.hash = fnName ? '#/functions/' + enc(fnName) : '#/functions';
        return;
      }
      if (e.status === 401) return;
      say(e.message, true);
    }
    state.timer = setTimeout(poll, 2000);
  }

  page('Trigger ' + uuid,
    facts([['Function', fnName ? link('#/functions/' + enc(fnName), fnName) : m.FunctionArn],
      ['Broker', brokers.get(m.EventSourceArn) || m.EventSourceArn], ['Queues', (m.Queues || []).join(', ')],
      ['State', stateEl], ['State transition reason', reasonEl], ['Last processing result', resultEl],
      ['Batch size', m.BatchSize], ['Batching window', (m.MaximumBatchingWindowInSeconds ?? '') === '' ? 'default' : m.MaximumBatchingWindowInSeconds + ' s'],
      ['Maximum concurrency', (m.ScalingConfig || {}).MaximumConcurrency || 'default'],
      ['Maximum retry attempts', m.MaximumRetryAttempts],
      ['Filter patterns', ((m.FilterCriteria || {}).Filters || []).map(f => f.Pattern).join(' ') || 'none'],
      ['Partial batch responses', (m.FunctionResponseTypes || []).includes('ReportBatchItemFailures') ? 'yes' : 'no']]),
    h('div', { class: 'actions' }, enable, disable, edit, del),
    h('h2', {}, 'Live figures'),
    h('p', { class: 'muted' }, 'Counted since this node started the trigger; refreshed every 2 seconds.'),
    figs, h('figure', { class: 'chart-box' }, chart, chart.caption),
    deadLetterSection(uuid));
  show(m);
  poll();
}

function svg(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  return el;
}

// drawRate keeps the received counter's samples of the last minutes and draws
// messages per second between them; it returns the latest rate.
function drawRate(chart, uuid, f) {
  const list = state.samples.get(uuid) || [];
  list.push({ t: f.Time, n: f.Received });
  while (list.length > 2 && f.Time - list[0].t > chartMinutes * 60000) list.shift();
  state.samples.set(uuid, list);
  const rates = [];
  for (let i = 1; i < list.length; i++) {
    const dt = (list[i].t - list[i - 1].t) / 1000;
    rates.push({ t: list[i].t, r: dt > 0 ? Math.max(0, list[i].n - list[i - 1].n) / dt : 0 });
  }
  const top = Math.max(1, ...rates.map(x => x.r));
  // the x axis spans what has been seen, from one minute up to chartMinutes
  const span = Math.min(chartMinutes * 60000, Math.max(60000, f.Time - list[0].t));
  const t0 = f.Time - span;
  const pts = rates.map(x => [((x.t - t0) / span) * 600, 115 - (x.r / top) * 100]);
  // labels are HTML beside the chart: text inside a stretched SVG is stretched too
  chart.caption.textContent = 'Messages received per second over the last ' + Math.round(span / 60000) +
    ' min; peak ' + top.toFixed(1) + '/s.';
  chart.replaceChildren(
    svg('line', { x1: 0, y1: 115, x2: 600, y2: 115, stroke: '#d0d7de', 'vector-effect': 'non-scaling-stroke' }),
    svg('polyline', { points: pts.map(p => p.map(v => v.toFixed(1)).join(',')).join(' '), stroke: '#0b5cad', 'stroke-width': 2, fill: 'none',
      'vector-effect': 'non-scaling-stroke' }));
  return rates.length ? rates[rates.length - 1].r : 0;
}

function deadLetterSection(uuid) {
  const q = h('input', { type: 'text', name: 'dlq', value: 'ActiveMQ.DLQ' });
  const out = h('div', { id: 'dead-letters' });
  const load = h('button', { type: 'button', class: 'secondary', id: 'load-dlq' }, 'Show dead-lettered messages');
  async function show() {
    out.replaceChildren(h('p', { class: 'muted' }, 'Reading ' + q.value + '…'));
    try {
      const r = await call('GET', '/deadletters/' + enc(uuid) + '?queue=' + enc(q.value));
      const boxes = r.Messages.map(m => h('input', { type: 'checkbox', value: m.MessageId, 'aria-label': 'Select ' + m.MessageId }));
      const redrive = async ids => {
        try {
          const body = { DeadLetterQueue: q.value };
          if (ids) body.MessageIds = ids;
          const res = await lambda('POST', '/event-source-mappings/' + enc(uuid) + '/redrive', body);
          say('Redrive: ' + res.Moved + ' moved back, ' + res.Skipped + ' left in ' + res.DeadLetterQueue + '.');
          show();
        } catch (e) { say(e.message, true); }
      };
      out.replaceChildren(
        table(['Select', 'Message', 'From queue', 'Cause', 'Redeliveries', 'Body'],
          r.Messages.map((m, i) => [boxes[i], h('code', {}, m.MessageId), m.OriginalQueue, m.Cause || '—', m.RedeliveryCounter, h('code', {}, m.Body)]),
          'No message of this trigger\'s queues is in ' + r.DeadLetterQueue + '.'),
        r.Messages.length ? h('div', { class: 'actions' },
          h('button', { type: 'button', onclick: () => { const ids = boxes.filter(b => b.checked).map(b => b.value); if (ids.length) redrive(ids); else say('Select messages first.', true); } }, 'Redrive selected'),
          h('button', { type: 'button', class: 'secondary', onclick: () => redrive(null) }, 'Redrive all')) : '');
    } catch (e) { out.replaceChildren(h('p', { class: 'error' }, e.message)); }
  }
  load.addEventListener('click', show);
  return h('section', { 'aria-labelledby': 'dlq-h' }, h('h2', { id: 'dlq-h' }, 'Dead-letter queue'),
    h('div', { class: 'stack' }, field('Dead-letter queue', q)), h('div', { class: 'actions' }, load), out);
}

// ---- secrets and brokers

async function secretsPage() {
  const r = await secrets('ListSecrets', { MaxResults: 100 });
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'off' });
  const user = h('input', { type: 'text', name: 'username', autocomplete: 'off' });
  const pass = h('input', { type: 'password', name: 'password', autocomplete: 'new-password' });
  const fn = field('Name', name), fu = field('Broker user', user), fp = field('Broker password', pass);
  const form = h('form', { class: 'stack', id: 'secret-form' }, fn, fu, fp, formError(), h('div', {}, h('button', { type: 'submit' }, 'Create secret')));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearErrors(form);
    const created = name.value.trim();
    try {
      await secrets('CreateSecret', { Name: created, SecretString: JSON.stringify({ username: user.value, password: pass.value }) });
    } catch (e) { showError(form, [[/name/i, fn]], e); return; }
    pass.value = '';
    await secretsPage(); // the list shows the change before the message says it
    say('Secret ' + created + ' created.');
  });
  const rows = (r.SecretList || []).map(s => {
    const replace = h('button', { type: 'button', class: 'secondary', onclick: () => replaceSecret(s) }, 'Replace value');
    const del = h('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirm('Delete secret ' + s.Name + '? Triggers that use it can no longer reach their broker.')) return;
      try { await secrets('DeleteSecret', { SecretId: s.ARN, ForceDeleteWithoutRecovery: true }); await secretsPage(); say('Secret ' + s.Name + ' deleted.'); }
      catch (e) { say(e.message, true); }
    } }, 'Delete');
    return [s.Name, h('code', {}, s.ARN), fmtTime(s.LastChangedDate), h('div', { class: 'actions' }, replace, del)];
  });
  page('Secrets', h('p', { class: 'muted' }, 'Values are never shown once saved; replace one to change it.'),
    table(['Name', 'ARN', 'Last changed', 'Actions'], rows, 'No secrets yet.'),
    h('h2', {}, 'Create a secret'), form);
}

function replaceSecret(s) {
  const user = h('input', { type: 'text', autocomplete: 'off' });
  const pass = h('input', { type: 'password', autocomplete: 'new-password' });
  const form = h('form', { class: 'stack' }, field('Broker user', user), field('Broker password', pass), formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save new value'), h('a', { class: 'button secondary', href: '#/secrets', onclick: () => secretsPage() }, 'Cancel')));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await secrets('PutSecretValue', { SecretId: s.ARN, SecretString: JSON.stringify({ username: user.value, password: pass.value }) });
      pass.value = '';
      say('Secret ' + s.Name + ' replaced.');
      secretsPage();
    } catch (e) { showError(form, [], e); }
  });
  page('Replace ' + s.Name, form);
}

async function brokersPage() {
  const r = await call('GET', '/brokers');
  const label = { connected: 'connected', disconnected: 'not connected (the last attempt failed)', idle: 'not connected (no trigger uses it yet)' };
  page('Brokers', table(['Name', 'ARN', 'Endpoints', 'Connection'],
    r.Brokers.map(b => [b.Name, h('code', {}, b.ARN), b.Endpoints.join(', '), h('span', { 'data-connection': b.Connection }, label[b.Connection] || b.Connection)]),
    'No brokers are configured: add them under brokers in the config file.'));
}

start();
