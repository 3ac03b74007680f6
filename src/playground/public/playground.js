// The playground: a page a person can use with nothing but a browser. Plain JavaScript against the public API, the
// way any client would use it; text from the server is only ever set as text, never parsed as HTML.

const STORE = 'agent-backend.playground';
const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  email: null,
  conversationId: null,
  /** The run this page is streaming: `{ runId, conversationId, lastEventId }`, kept so a reload can resume it. */
  run: null,
  /** What the server supports beyond the basics, read from its OpenAPI document. */
  features: { onDisconnect: false, runEvents: false },
  reading: null,
};

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
    this.problem = problem;
  }
}

function save() {
  localStorage.setItem(STORE, JSON.stringify({ token: state.token, email: state.email, run: state.run }));
}

function load() {
  try {
    return JSON.parse(localStorage.getItem(STORE) ?? '{}');
  } catch {
    return {};
  }
}

async function api(path, { method = 'GET', json, form, headers = {}, signal } = {}) {
  const init = { method, headers: { ...headers }, signal };
  if (state.token) init.headers.Authorization = `Bearer ${state.token}`;
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form;
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    const problem = await res.json().catch(() => undefined);
    throw new ApiError(res.status, problem);
  }
  return res;
}

async function apiJson(path, options) {
  const res = await api(path, options);
  return res.status === 204 ? undefined : res.json();
}

function showError(err) {
  const box = $('error');
  box.textContent = err instanceof ApiError && err.code ? `${err.message} (${err.code})` : String(err.message ?? err);
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => (box.hidden = true), 8000);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// ---- Account

async function signIn(email, password) {
  const tokens = await apiJson('/api/auth/login', { method: 'POST', json: { email, password } });
  state.token = tokens.access_token;
  state.email = email;
  save();
  await showApp();
}

async function signOut() {
  await api('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
  state.token = null;
  state.email = null;
  state.run = null;
  save();
  $('app').hidden = true;
  $('who').hidden = true;
  $('auth-panel').hidden = false;
}

// ---- Documents

async function refreshDocuments() {
  const documents = await apiJson('/api/documents?limit=50');
  $('documents').replaceChildren(
    ...documents.map((d) =>
      el(
        'li',
        { 'data-id': d.id },
        el('span', {}, `${d.title} (${d.chunk_count} passages)`),
        el('button', { type: 'button', title: 'Delete', onclick: () => deleteDocument(d.id) }, '×'),
      ),
    ),
  );
}

async function deleteDocument(id) {
  await api(`/api/documents/${id}`, { method: 'DELETE' }).catch(showError);
  await refreshDocuments();
}

async function uploadFile(event) {
  event.preventDefault();
  const file = $('file').files[0];
  if (!file) return;
  const form = new FormData();
  form.set('file', file, file.name);
  try {
    await api('/api/documents', { method: 'POST', form });
    $('file').value = '';
    await refreshDocuments();
  } catch (err) {
    showError(err);
  }
}

async function addText(event) {
  event.preventDefault();
  const content = $('doc-text').value.trim();
  if (!content) return;
  const title = $('doc-title').value.trim();
  try {
    await api('/api/documents', { method: 'POST', json: { content, ...(title ? { title } : {}) } });
    $('doc-text').value = '';
    $('doc-title').value = '';
    await refreshDocuments();
  } catch (err) {
    showError(err);
  }
}

// ---- Conversations and messages

async function refreshConversations() {
  const conversations = await apiJson('/api/conversations?limit=30');
  $('conversations').replaceChildren(
    ...conversations.map((c) =>
      el(
        'li',
        { class: c.id === state.conversationId ? 'current' : '', 'data-id': c.id },
        el('a', { href: '#', onclick: (e) => (e.preventDefault(), openConversation(c.id)) }, c.title),
      ),
    ),
  );
}

async function refreshAgents() {
  const agents = await apiJson('/api/agents');
  $('agent').replaceChildren(
    ...agents.map((a) => el('option', { value: a.name }, `${a.name} (${a.provider ?? 'model'} · ${a.model})`)),
  );
}

function newConversation() {
  state.conversationId = null;
  $('messages').replaceChildren();
  setStatus('');
  void refreshConversations();
  void refreshMembers();
}

// ---- Sharing: the owner adds members, who then see the conversation and watch its runs

async function refreshMembers() {
  const id = state.conversationId;
  $('share-form').hidden = !id;
  $('members').replaceChildren();
  if (!id) return;
  const members = await apiJson(`/api/conversations/${id}/members`).catch(() => []);
  if (id !== state.conversationId) return;
  $('members').replaceChildren(
    ...members.map((m) =>
      el('li', { 'data-user-id': m.user_id }, `${m.email} · ${m.role}`, ' ', removeMemberButton(id, m)),
    ),
  );
}

function removeMemberButton(conversationId, member) {
  const remove = async () => {
    await api(`/api/conversations/${conversationId}/members/${member.user_id}`, { method: 'DELETE' });
    await refreshMembers();
  };
  return el('button', { type: 'button', title: 'Remove', onclick: () => void remove().catch(showError) }, '×');
}

async function share(event) {
  event.preventDefault();
  if (!state.conversationId) return;
  const json = { email: $('share-email').value, role: $('share-role').value };
  try {
    await apiJson(`/api/conversations/${state.conversationId}/members`, { method: 'POST', json });
    $('share-email').value = '';
    await refreshMembers();
  } catch (err) {
    showError(err);
  }
}

/** A message bubble; an assistant's keeps its text, tool calls and a line of metadata apart. */
function bubble(role, text = '') {
  const body = el('span', { class: 'text' }, text);
  const meta = el('span', { class: 'meta' });
  const node = el('li', { class: `message ${role}` }, body, meta);
  $('messages').append(node);
  node.scrollIntoView({ block: 'end' });
  return { node, body, meta, tools: new Map() };
}

function toolBlock(target, call) {
  const result = el('pre', { class: 'result' }, '…');
  const summary = el('summary', {}, `Tool ${call.name}`);
  const block = el(
    'details',
    { class: 'tool-call', 'data-tool': call.name },
    summary,
    el('pre', { class: 'input' }, JSON.stringify(call.input, null, 2)),
    result,
  );
  target.node.insertBefore(block, target.meta);
  target.tools.set(call.id, { block, summary, result });
  // The answer's text goes on after the call, below it.
  target.body = el('span', { class: 'text' });
  target.node.insertBefore(target.body, target.meta);
}

function toolResult(target, event) {
  const tool = target.tools.get(event.id);
  if (!tool) return;
  const failed = Boolean(event.error);
  tool.block.classList.toggle('failed', failed);
  tool.summary.textContent += ` · ${failed ? event.error.code : 'done'} in ${event.duration_ms} ms`;
  tool.result.textContent = JSON.stringify(failed ? event.error : event.result, null, 2);
}

async function openConversation(id) {
  state.conversationId = id;
  const history = await apiJson(`/api/chat/${id}/history`);
  $('messages').replaceChildren();
  for (const m of history) {
    if (m.role === 'system') continue;
    const b = bubble(m.role, m.content);
    for (const call of m.tool_calls ?? []) {
      toolBlock(b, call);
      toolResult(b, call);
    }
    if (m.role === 'assistant') b.meta.textContent = m.status;
  }
  void refreshConversations();
  void refreshMembers();
  return history;
}

// ---- Streaming

function setStatus(text) {
  $('status').textContent = text;
}

function setBusy(busy) {
  $('send').disabled = busy;
  $('cancel').disabled = !busy;
}

/** Reads an SSE body, calling `onEvent({id, event, data})` per event; resolves at its end. */
async function readSse(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { id: undefined, event: undefined, data: '' };
      for (const line of frame.split('\n')) {
        if (line.startsWith('id: ')) event.id = Number(line.slice(4));
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data += line.slice(6);
      }
      if (event.data && event.data !== '[DONE]') onEvent(event);
    }
  }
}

/** Applies one run event to the assistant's bubble. */
function apply(target, { id, data }) {
  const e = JSON.parse(data);
  if (state.run && id !== undefined) {
    state.run.lastEventId = id;
    save();
  }
  switch (e.type) {
    case 'run_started':
      if (state.conversationId !== e.conversation_id) {
        state.conversationId = e.conversation_id;
        void refreshMembers();
      }
      state.run = { runId: e.run_id, conversationId: e.conversation_id, lastEventId: id ?? 0 };
      save();
      setStatus(`${e.agent} · ${e.model} · streaming…`);
      break;
    case 'text_delta':
      target.body.textContent += e.text;
      break;
    case 'tool_call':
      toolBlock(target, e);
      break;
    case 'tool_result':
      toolResult(target, e);
      break;
    case 'usage':
      target.meta.dataset.usage = `${e.input_tokens} in / ${e.output_tokens} out`;
      break;
    case 'error':
      target.meta.textContent = `${e.code}: ${e.message}`;
      break;
    case 'run_finished':
      target.meta.textContent = [target.meta.textContent, e.status, target.meta.dataset.usage]
        .filter(Boolean)
        .join(' · ');
      target.node.dataset.status = e.status;
      setStatus(e.status);
      state.run = null;
      save();
      break;
  }
  target.node.scrollIntoView({ block: 'end' });
}

async function send(event) {
  event.preventDefault();
  const content = $('message').value.trim();
  if (!content) return;
  $('message').value = '';
  bubble('user', content);
  const target = bubble('assistant');
  setBusy(true);
  setStatus('sending…');
  const body = {
    messages: [{ role: 'user', content }],
    agent: $('agent').value || undefined,
    ...(state.conversationId ? { conversation_id: state.conversationId } : {}),
    // Where the server keeps runs going without a client, a reload can come back to this one.
    ...(state.features.onDisconnect ? { on_disconnect: 'continue' } : {}),
  };
  try {
    const res = await api('/api/chat', { method: 'POST', json: body });
    await readSse(res.body, (e) => apply(target, e));
  } catch (err) {
    if (state.run && state.features.runEvents) await follow(target, state.run.lastEventId);
    else {
      target.node.remove();
      showError(err);
    }
  } finally {
    setBusy(false);
    void refreshConversations();
  }
}

/**
 * Follows a run's events (`GET /api/runs/:id/events`), from after `lastEventId` (sent as `Last-Event-ID`, as a
 * browser's EventSource does on reconnect), live until it finishes.
 */
async function follow(target, lastEventId) {
  const { runId } = state.run;
  setBusy(true);
  setStatus('resuming…');
  try {
    const headers = lastEventId > 0 ? { 'Last-Event-ID': String(lastEventId) } : {};
    const res = await api(`/api/runs/${runId}/events`, { headers });
    await readSse(res.body, (e) => apply(target, e));
  } catch (err) {
    // Expired or gone: the conversation's history has the answer as it was saved.
    state.run = null;
    save();
    if (err instanceof ApiError && [404, 410].includes(err.status)) await openConversation(state.conversationId);
    else showError(err);
  } finally {
    setBusy(false);
  }
}

/** After a reload: the conversation as stored, then the running answer rebuilt from its events and followed live. */
async function resume() {
  const run = state.run;
  if (!run || !state.features.runEvents) return;
  const history = await openConversation(run.conversationId);
  const last = history.at(-1);
  if (last?.role === 'assistant' && last.status === 'streaming') $('messages').lastElementChild?.remove();
  else if (last?.role === 'assistant') {
    state.run = null;
    save();
    return;
  }
  await follow(bubble('assistant'), 0);
}

async function cancel() {
  if (!state.conversationId) return;
  setStatus('cancelling…');
  await api(`/api/chat/${state.conversationId}/cancel`, { method: 'POST' }).catch(showError);
}

// ---- Start

async function detectFeatures() {
  try {
    const doc = await (await fetch('/docs-json')).json();
    const chat = doc.components?.schemas?.ChatRequestDto?.properties ?? {};
    state.features.onDisconnect = 'on_disconnect' in chat;
    state.features.runEvents = '/api/runs/{runId}/events' in (doc.paths ?? {});
  } catch {
    // The basics work without it.
  }
}

async function showApp() {
  const me = await apiJson('/api/auth/me');
  $('who-email').textContent = me.email;
  $('who').hidden = false;
  $('auth-panel').hidden = true;
  $('app').hidden = false;
  await Promise.all([refreshAgents(), refreshDocuments(), refreshConversations()]);
  await resume();
}

async function start() {
  const saved = load();
  state.token = saved.token ?? null;
  state.email = saved.email ?? null;
  state.run = saved.run ?? null;
  await detectFeatures();

  $('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('email').value, $('password').value).catch(showError);
  });
  $('register').addEventListener('click', async () => {
    if (!$('auth-form').reportValidity()) return;
    const [email, password] = [$('email').value, $('password').value];
    try {
      await apiJson('/api/auth/register', { method: 'POST', json: { email, password } });
      await signIn(email, password);
    } catch (err) {
      showError(err);
    }
  });
  $('logout').addEventListener('click', () => void signOut());
  $('upload-form').addEventListener('submit', (e) => void uploadFile(e));
  $('text-form').addEventListener('submit', (e) => void addText(e));
  $('new-chat').addEventListener('click', newConversation);
  $('chat-form').addEventListener('submit', (e) => void send(e));
  $('cancel').addEventListener('click', () => void cancel());
  $('share-form').addEventListener('submit', (e) => void share(e));

  if (state.token) {
    await showApp().catch(() => signOut());
  }
  document.body.dataset.ready = 'true';
}

void start();
