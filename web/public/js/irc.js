// The IRC side of the web client: parsing and building lines, and one
// connection over the IRCv3 WebSocket transport (text.ircv3.net, one
// line per message) that negotiates capabilities, logs in with SASL or
// registers an account, keeps itself alive, and reconnects by itself
// with a jittered back-off.  It knows nothing of the page.
//
// Events (CustomEvent, data in .detail):
//   state       {state}         'connecting' 'registering' 'online' 'waiting' 'stopped'
//   registered  {nick}          001 arrived: the session is usable
//   message     {msg}           a line outside any batch
//   batch       {batch}         a finished top-level batch (nested ones inside)
//   authfail    {reason, code}  login or registration refused: it stops
//   retry       {delay}         reconnecting in delay ms

const WANTED_CAPS = [
  'message-tags', 'server-time', 'echo-message', 'batch', 'labeled-response',
  'draft/chathistory', 'draft/event-playback', 'draft/read-marker',
  'away-notify', 'account-notify', 'account-tag', 'extended-join', 'multi-prefix',
  'userhost-in-names', 'cap-notify', 'extended-monitor', 'invite-notify',
  'draft/message-redaction', 'draft/message-edit', 'soju.im/search',
  'standard-replies', 'setname', 'chghost', 'sasl', 'draft/account-registration',
];

export const TOKEN_MECH = 'X-LANCHAT-TOKEN';

// ---------------------------------------------------------------- lines

const TAG_ESC = { ';': '\\:', ' ': '\\s', '\\': '\\\\', '\r': '\\r', '\n': '\\n' };
const TAG_UNESC = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

export function escapeTag(v) {
  return String(v).replace(/[; \\\r\n]/g, (c) => TAG_ESC[c]);
}

export function unescapeTag(v) {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') {
      i++;
      if (i < v.length) out += TAG_UNESC[v[i]] ?? v[i];
    } else {
      out += c;
    }
  }
  return out;
}

// One line as {tags, source, nick, user, host, command, params, raw}.
export function parseLine(raw) {
  let rest = raw;
  const msg = { tags: {}, source: null, nick: null, user: null, host: null,
    command: '', params: [], raw };
  if (rest.startsWith('@')) {
    const sp = rest.indexOf(' ');
    const tagstr = sp < 0 ? rest.slice(1) : rest.slice(1, sp);
    rest = sp < 0 ? '' : rest.slice(sp + 1).replace(/^ +/, '');
    for (const t of tagstr.split(';')) {
      if (!t) continue;
      const eq = t.indexOf('=');
      if (eq < 0) msg.tags[t] = '';
      else msg.tags[t.slice(0, eq)] = unescapeTag(t.slice(eq + 1));
    }
  }
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    msg.source = sp < 0 ? rest.slice(1) : rest.slice(1, sp);
    rest = sp < 0 ? '' : rest.slice(sp + 1).replace(/^ +/, '');
    const m = /^([^!@]*)(?:!([^@]*))?(?:@(.*))?$/.exec(msg.source);
    if (m) { msg.nick = m[1]; msg.user = m[2] ?? null; msg.host = m[3] ?? null; }
  }
  while (rest.length) {
    if (rest.startsWith(':') && msg.command) { msg.params.push(rest.slice(1)); break; }
    const sp = rest.indexOf(' ');
    const word = sp < 0 ? rest : rest.slice(0, sp);
    if (!msg.command) msg.command = word.toUpperCase();
    else msg.params.push(word);
    rest = sp < 0 ? '' : rest.slice(sp + 1).replace(/^ +/, '');
  }
  const tt = msg.tags.time ? Date.parse(msg.tags.time) : NaN;
  msg.time = Number.isNaN(tt) ? Date.now() : tt;
  msg.msgid = msg.tags.msgid || null;
  return msg;
}

// A line from a command, its parameters and tags.  CR, LF and NUL can
// never reach the wire from here; a parameter that is empty, starts
// with ':' or holds a space is only valid last.
export function buildLine(command, params = [], tags = null) {
  const clean = (s) => String(s).replace(/[\r\n\0]/g, ' ');
  let line = '';
  if (tags) {
    const parts = [];
    for (const [k, v] of Object.entries(tags)) {
      if (v === undefined || v === null) continue;
      parts.push(v === '' || v === true ? k : k + '=' + escapeTag(v));
    }
    if (parts.length) line = '@' + parts.join(';') + ' ';
  }
  line += command;
  params.forEach((p, i) => {
    p = clean(p);
    const last = i === params.length - 1;
    if (last && (p === '' || p.includes(' ') || p.startsWith(':'))) line += ' :' + p;
    else line += ' ' + p.replace(/ /g, '');
  });
  return line;
}

// The Unicode fold the server compares names with (NFKC and case
// folding); close enough for keys on this side.
export function fold(name) {
  return String(name).normalize('NFKC').toLowerCase();
}

function utf8b64(s) {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

// ----------------------------------------------------------- connection

export class Irc extends EventTarget {
  // opts: {url, nick, realname, auth: {mech, account, secret} | null,
  //        register: {account, password} | null}
  constructor(opts) {
    super();
    this.opts = opts;
    this.ws = null;
    this.state = 'stopped';
    this.stopped = true;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastRx = 0;
    this.pinged = 0;
    this.labelSeq = 0;
    this.pending = new Map();     // label -> {resolve, reject, timer}
    this.batches = new Map();     // open batches by ref
    this.reset();
  }

  reset() {
    this.caps = new Set();        // enabled
    this.avail = new Map();       // offered: name -> value
    this.isupport = new Map();
    this.nick = this.opts.nick;
    this.registered = false;
    this.saslBuf = null;
    this.nickTries = 0;
    this.account = null;
    this.batches.clear();
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new Error('disconnected')); }
    this.pending.clear();
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', { state: s });
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  has(cap) { return this.caps.has(cap); }

  start() {
    this.stopped = false;
    this.connect();
    if (!this._onOnline) {
      this._onOnline = () => {
        if (this.state === 'waiting') this.connectNow();
        else if (this.state === 'online') this.ping();   // is it still alive?
      };
      window.addEventListener('online', this._onOnline);
      window.addEventListener('offline', () => { if (this.state === 'online') this.ping(); });
    }
  }

  stop(reason = 'Leaving') {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) {
      try { if (this.ws.readyState === 1) this.ws.send('QUIT :' + reason); } catch (e) { /* closing anyway */ }
      try { this.ws.close(1000); } catch (e) { /* already closed */ }
    }
    this.ws = null;
    this.reset();
    this.setState('stopped');
  }

  connectNow() {
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect();
  }

  connect() {
    if (this.ws) { try { this.ws.close(); } catch (e) { /* ignore */ } }
    this.reset();
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.opts.url, ['text.ircv3.net']);
    } catch (e) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    this.connStart = Date.now();
    this.pinged = 0;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.setState('registering');
      this.lastRx = Date.now();
      this.raw('CAP LS 302');
      this.raw(buildLine('NICK', [this.nick]));
      this.raw(buildLine('USER', [(this.opts.account || 'web').replace(/[^A-Za-z0-9]/g, '') || 'web', '0', '*',
        this.opts.realname || this.nick]));
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws || typeof ev.data !== 'string') return;
      this.lastRx = Date.now();
      this.pinged = 0;
      for (const line of ev.data.split(/\r?\n/)) if (line) this.onLine(line);
    };
    ws.onclose = () => {
      if (ws !== this.ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      if (this.stopped) return;
      this.reset();
      this.scheduleRetry();
    };
    ws.onerror = () => { /* onclose follows */ };
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.keepalive(), 5000);
  }

  // A dead link shows no error until something is sent: ping when
  // quiet, and give up on a connection whose ping goes unanswered, that
  // never opens, or that never finishes registering.
  keepalive() {
    const ws = this.ws;
    if (!ws) return;
    const now = Date.now();
    if (ws.readyState === 0 && now - this.connStart > 15000) { this.drop(); return; }
    if (ws.readyState !== 1) return;
    if (!this.registered && now - this.connStart > 45000) { this.drop(); return; }
    if (this.pinged && now - this.pinged > 10000) { this.drop(); return; }
    if (!this.pinged && now - this.lastRx > 20000) this.ping();
  }

  ping() {
    if (this.pinged || !this.ws || this.ws.readyState !== 1) return;
    this.pinged = Date.now();
    this.raw('PING :lanchat-' + this.pinged);
  }

  // Treat the connection as gone now (its close may take long to come).
  drop() {
    const ws = this.ws;
    if (!ws) return;
    try { ws.close(); } catch (e) { /* closing anyway */ }
    if (ws === this.ws && ws.onclose) ws.onclose();
  }

  scheduleRetry() {
    if (this.stopped) return;
    const cap = Math.min(30000, 1000 * 2 ** Math.min(this.attempt, 5));
    const delay = Math.round(cap / 2 + Math.random() * cap / 2);
    this.attempt++;
    this.setState('waiting');
    this.emit('retry', { delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  raw(line) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(line);
    return true;
  }

  send(command, params = [], tags = null) {
    return this.raw(buildLine(command, params, tags));
  }

  // Send with a label and resolve with everything the server answered
  // (an array of messages, a batch's lines flattened in), or reject.
  request(command, params = [], tags = null, timeout = 20000) {
    if (!this.has('labeled-response')) {
      this.send(command, params, tags);
      return Promise.resolve([]);
    }
    const label = 'l' + (++this.labelSeq);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(label);
        reject(new Error('timeout'));
      }, timeout);
      this.pending.set(label, { resolve, reject, timer });
      if (!this.send(command, params, { ...(tags || {}), label })) {
        clearTimeout(timer);
        this.pending.delete(label);
        reject(new Error('not connected'));
      }
    });
  }

  settle(label, result) {
    const p = this.pending.get(label);
    if (!p) return;
    this.pending.delete(label);
    clearTimeout(p.timer);
    p.resolve(result);
  }

  // ------------------------------------------------------------ input

  onLine(line) {
    const msg = parseLine(line);
    // Batches: hold the lines until the batch ends.
    if (msg.command === 'BATCH') {
      const ref = msg.params[0] || '';
      if (ref.startsWith('+')) {
        const b = { ref: ref.slice(1), type: msg.params[1] || '', params: msg.params.slice(2),
          tags: msg.tags, items: [], parent: msg.tags.batch || null, msg };
        this.batches.set(b.ref, b);
        return;
      }
      if (ref.startsWith('-')) {
        const b = this.batches.get(ref.slice(1));
        if (!b) return;
        this.batches.delete(b.ref);
        const parent = b.parent && this.batches.get(b.parent);
        if (parent) { parent.items.push(b); return; }
        this.finishBatch(b);
        return;
      }
    }
    if (msg.tags.batch && this.batches.has(msg.tags.batch)) {
      this.batches.get(msg.tags.batch).items.push(msg);
      return;
    }
    if (msg.tags.label && msg.command === 'ACK') { this.settle(msg.tags.label, []); return; }
    this.handle(msg);
    this.emit('message', { msg });
    if (msg.tags.label) this.settle(msg.tags.label, [msg]);
  }

  finishBatch(b) {
    this.emit('batch', { batch: b });
    const label = b.tags.label;
    if (label) {
      const flat = [];
      const walk = (x) => { for (const it of x.items) { if (it.items) walk(it); else flat.push(it); } };
      walk(b);
      // Lines the connection itself acts on (numerics of registration).
      if (b.type === 'labeled-response') for (const m of b.items) if (!m.items) this.handle(m);
      this.settle(label, flat);
    }
  }

  // What the connection handles itself: CAP, SASL, PING, registration.
  handle(msg) {
    const p = msg.params;
    switch (msg.command) {
      case 'PING': this.send('PONG', p); break;
      case 'CAP': this.onCap(msg); break;
      case 'AUTHENTICATE': this.onAuthenticate(msg); break;
      case '900': this.account = p[2] || null; break;
      case '901': this.account = null; break;
      case '903': this.raw('CAP END'); break;
      case '902': case '904': case '905':
        if (!this.registered) {
          this.authFail(msg.command === '902' ? 'locked' : 'sasl', msg.command);
        }
        break;
      case '908': break;
      case 'REGISTER':
        if (p[0] === 'SUCCESS') this.raw('CAP END');
        else if (p[0] === 'VERIFICATION_REQUIRED') this.authFail('verify', 'VERIFICATION_REQUIRED');
        break;
      case 'FAIL':
        if (p[0] === 'REGISTER' && !this.registered) this.authFail('register', p[1] || '', p[p.length - 1]);
        if (p[0] === '*' && p[1] === 'ACCOUNT_REQUIRED') this.authFail('required', p[1]);
        break;
      case '001':
        this.registered = true;
        this.nick = p[0] || this.nick;
        this.attempt = 0;
        this.setState('online');
        this.emit('registered', { nick: this.nick });
        break;
      case '005':
        for (const tok of p.slice(1, -1)) {
          const eq = tok.indexOf('=');
          if (tok.startsWith('-')) this.isupport.delete(tok.slice(1).toUpperCase());
          else if (eq < 0) this.isupport.set(tok.toUpperCase(), '');
          else this.isupport.set(tok.slice(0, eq).toUpperCase(), tok.slice(eq + 1));
        }
        break;
      case 'NICK':
        if (msg.nick && fold(msg.nick) === fold(this.nick)) this.nick = p[0];
        break;
      case '432': case '433': case '436':
        if (!this.registered) {
          if (this.nickTries++ < 5) {
            this.nick = this.opts.nick.slice(0, 28) + '_'.repeat(this.nickTries);
            this.send('NICK', [this.nick]);
          } else {
            this.authFail('nick', msg.command);
          }
        }
        break;
      case 'ERROR': break;
      default: break;
    }
  }

  onCap(msg) {
    const p = msg.params;
    const sub = (p[1] || '').toUpperCase();
    if (sub === 'LS' || sub === 'NEW') {
      const more = p[2] === '*';
      const list = more ? p[3] : p[2];
      for (const item of (list || '').split(' ')) {
        if (!item) continue;
        const eq = item.indexOf('=');
        if (eq < 0) this.avail.set(item, '');
        else this.avail.set(item.slice(0, eq), item.slice(eq + 1));
      }
      if (more) return;
      const want = WANTED_CAPS.filter((c) => this.avail.has(c) && !this.caps.has(c) &&
        (c !== 'sasl' || (this.opts.auth && !this.registered)) &&
        (c !== 'draft/account-registration' || (this.opts.register && !this.registered)));
      if (sub === 'NEW' && !want.length) return;
      if (!want.length) { this.raw('CAP END'); return; }
      // Several REQs: one refused cap must not lose the others.
      let line = [];
      this.capReqs = 0;
      const flush = () => { if (line.length) { this.capReqs++; this.raw('CAP REQ :' + line.join(' ')); line = []; } };
      for (const c of want) {
        if ((line.join(' ') + ' ' + c).length > 380) flush();
        line.push(c);
      }
      flush();
      this.capSub = sub;
    } else if (sub === 'ACK' || sub === 'NAK') {
      if (sub === 'ACK') {
        for (const c of (p[2] || '').split(' ')) {
          if (!c) continue;
          if (c.startsWith('-')) this.caps.delete(c.slice(1));
          else this.caps.add(c);
        }
      }
      if (this.capReqs > 0 && --this.capReqs === 0 && !this.registered) this.afterCaps();
    } else if (sub === 'DEL') {
      for (const c of (p[2] || '').split(' ')) { this.caps.delete(c); this.avail.delete(c); }
    }
  }

  // Caps are settled: log in, register, or just end negotiation.
  afterCaps() {
    const reg = this.opts.register;
    const auth = this.opts.auth;
    if (reg && this.has('draft/account-registration')) {
      const v = this.avail.get('draft/account-registration') || '';
      if (v.split(',').includes('before-connect')) {
        this.raw(buildLine('REGISTER', [reg.account, '*', reg.password]));
        return;
      }
      this.raw('CAP END');
      return;   // REGISTER after 001
    }
    if (reg) { this.authFail('noregister', 'NOREGISTER'); return; }
    if (auth && this.has('sasl')) {
      const mechs = (this.avail.get('sasl') || '').split(',').filter(Boolean);
      if (auth.mech === TOKEN_MECH && mechs.length && !mechs.includes(TOKEN_MECH)) {
        this.authFail('token', 'NOMECH');
        return;
      }
      this.raw('AUTHENTICATE ' + auth.mech);
      return;
    }
    if (auth) { this.authFail('nosasl', 'NOSASL'); return; }
    this.raw('CAP END');
  }

  onAuthenticate(msg) {
    if (msg.params[0] !== '+') return;
    const a = this.opts.auth;
    if (!a) { this.raw('AUTHENTICATE *'); return; }
    const payload = a.mech === 'PLAIN' ? '\0' + a.account + '\0' + a.secret : a.account + '\0' + a.secret;
    const b64 = utf8b64(payload);
    for (let i = 0; i < b64.length; i += 400) this.raw('AUTHENTICATE ' + b64.slice(i, i + 400));
    if (b64.length % 400 === 0) this.raw('AUTHENTICATE +');
  }

  authFail(reason, code, text) {
    this.emit('authfail', { reason, code, text: text || '' });
    this.stop('Login failed');
  }
}
