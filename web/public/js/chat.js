// The chat as the page sees it: conversations (channels and direct
// messages) with their messages, members, topic, modes, unread counts
// and read markers, built from what the IRC connection says; and the
// actions a person takes (send, reply, react, edit, delete, join, search,
// upload...).  It keeps what this device should remember (the login
// token, the open conversations, mutes, drafts) in localStorage.
//
// Events: 'change' (something to redraw; detail {buf} or {}),
// 'notify' {buf, msg}, 'toast' {text, kind}, 'auth' {state, reason},
// 'jump' {buf, msgid}, 'upload' {id, name, loaded, total, done, error}.
import { Irc, fold, TOKEN_MECH } from './irc.js';
import { isMention, plainText } from './format.js';

const HIST_PAGE = 50;
const LS = window.localStorage;
const SS = window.sessionStorage;

function load(key, dflt) {
  try { const v = JSON.parse(LS.getItem(key)); return v ?? dflt; } catch (e) { return dflt; }
}
function save(key, v) {
  try { LS.setItem(key, JSON.stringify(v)); } catch (e) { /* full or denied */ }
}

export function isoTime(ms) { return new Date(ms).toISOString(); }

let localSeq = 0;

class Buffer {
  constructor(name, kind) {
    this.name = name;
    this.key = fold(name);
    this.kind = kind;            // 'channel' | 'dm'
    this.messages = [];
    this.byId = new Map();
    this.pendingEdits = new Map();   // msgid -> [events that came before it]
    this.reactIndex = new Map();     // reaction msgid -> {parent, emoji, who}
    this.members = new Map();
    this.namesPending = null;
    this.joined = false;
    this.topic = '';
    this.topicBy = '';
    this.modes = {};
    this.marker = null;          // read marker (ms) or null
    this.markerKnown = false;
    this.lineMarker = undefined; // where "new messages" is drawn
    this.unread = 0;
    this.mentions = 0;
    this.historyLoaded = false;
    this.hasOlder = true;
    this.loadingOlder = false;
    this.detached = false;       // showing an older window (after a jump)
    this.typing = new Map();
    this.peer = { status: 'unknown', away: '' };
    this.ver = 0;
  }
}

export class Chat extends EventTarget {
  constructor() {
    super();
    this.buffers = new Map();
    this.active = null;
    this.irc = null;
    this.me = { nick: '', account: '' };
    this.state = 'stopped';
    this.login = load('lanchat.login', null);         // {account, token}
    this.prefs = { channels: [], dms: [], muted: [] };
    this.drafts = {};
    this.password = null;       // only in memory, for uploads without a token
    this.tokenSupported = null;
    this.typingSent = new Map();
    this.markTimers = new Map();
    this.uploadSeq = 0;
    setInterval(() => this.expireTyping(), 1000);
  }

  emit(type, detail = {}) { this.dispatchEvent(new CustomEvent(type, { detail })); }
  changed(buf) { if (buf) buf.ver++; this.emit('change', { buf }); }
  toast(text, kind = 'info') { this.emit('toast', { text, kind }); }

  // ------------------------------------------------------------ login

  // The login this device remembers, if any: {account, token} or the
  // tab's own session when the server cannot issue tokens.
  remembered() {
    if (this.login && this.login.account && this.login.token) return { account: this.login.account, token: this.login.token, remembered: true };
    try {
      const s = JSON.parse(SS.getItem('lanchat.session'));
      if (s && s.account && s.password) return { account: s.account, password: s.password, remembered: true };
    } catch (e) { /* none */ }
    return null;
  }

  // Start a session: {account, password, register} from the form, or
  // what remembered() returned.  Resolves once logged in.
  start(cred) {
    if (this.irc) this.irc.stop();
    const account = cred.account.trim();
    this.prefsKey = 'lanchat.state.' + fold(account);
    this.prefs = Object.assign({ channels: [], dms: [], muted: [] }, load(this.prefsKey, {}));
    this.drafts = load('lanchat.drafts.' + fold(account), {});
    this.me = { nick: account, account };
    if (cred.password) this.password = cred.password;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/';
    const opts = { url, nick: account, account, realname: account };
    if (cred.register) opts.register = { account, password: cred.password };
    else if (cred.token) opts.auth = { mech: TOKEN_MECH, account, secret: cred.token };
    else opts.auth = { mech: 'PLAIN', account, secret: cred.password };
    const irc = new Irc(opts);
    this.irc = irc;
    this.credential = cred;
    // What this device had open, shown at once; joined once online.
    this.buffers.clear();
    for (const c of this.prefs.channels) this.buffer(c);
    for (const d of this.prefs.dms) this.buffer(d);
    const last = this.prefs.active && this.buffers.get(fold(this.prefs.active));
    this.active = last ? last.key : null;
    return new Promise((resolve, reject) => {
      let first = true;
      irc.addEventListener('registered', () => {
        if (first) { first = false; resolve(); }
        this.onRegistered();
      });
      irc.addEventListener('authfail', (e) => {
        const d = e.detail;
        if (irc !== this.irc) return;
        if (cred.token || cred.remembered) this.forgetLogin();
        this.irc = null;
        this.setState('stopped');
        if (first) { first = false; reject(d); return; }
        this.emit('auth', { state: 'out', reason: d.reason, code: d.code });
      });
      irc.addEventListener('state', (e) => { if (irc === this.irc) this.setState(e.detail.state); });
      irc.addEventListener('message', (e) => { if (irc === this.irc) this.onMessage(e.detail.msg, null); });
      irc.addEventListener('batch', (e) => { if (irc === this.irc) this.onBatch(e.detail.batch); });
      irc.start();
    });
  }

  setState(s) {
    this.state = s;
    if (s !== 'online') for (const b of this.buffers.values()) b.typing.clear();
    this.changed();
  }

  forgetLogin() {
    this.login = null;
    LS.removeItem('lanchat.login');
    SS.removeItem('lanchat.session');
  }

  logout() {
    if (this.irc) this.irc.stop('Logged out');
    this.irc = null;
    this.forgetLogin();
    this.password = null;
    this.buffers.clear();
    this.active = null;
    this.setState('stopped');
    this.emit('auth', { state: 'out', reason: 'logout' });
  }

  // After a login with a password: ask for a token to remember this
  // device by.  Servers without tokens keep the login for this tab only.
  async getToken() {
    if (!this.password || this.login?.token) return;
    let lines;
    try {
      lines = await this.irc.request('TOKEN', ['NEW']);
    } catch (e) { lines = []; }
    // TOKEN NEW [<account>] <token> (or a NOTE TOKEN ... carrying it).
    const t = lines.find((m) => m.command === 'TOKEN' || (m.command === 'NOTE' && m.params[0] === 'TOKEN'));
    let token = null;
    if (t) {
      const params = t.command === 'NOTE' ? t.params.slice(1, -1) : t.params;
      const cand = params.filter((p) => p && p.toUpperCase() !== 'NEW' && !p.includes(' ') &&
        fold(p) !== fold(this.me.account) && p.length >= 16);
      token = cand.sort((a, b) => b.length - a.length)[0] || null;
    }
    if (token) {
      this.tokenSupported = true;
      this.login = { account: this.me.account, token };
      save('lanchat.login', this.login);
      this.irc.opts.auth = { mech: TOKEN_MECH, account: this.me.account, secret: token };
      SS.removeItem('lanchat.session');
    } else {
      this.tokenSupported = false;
      try { SS.setItem('lanchat.session', JSON.stringify({ account: this.me.account, password: this.password })); } catch (e) { /* denied */ }
    }
  }

  savePrefs() { if (this.prefsKey) save(this.prefsKey, this.prefs); }

  saveDraft(buf, text) {
    if (!buf) return;
    if (text) this.drafts[buf.key] = text; else delete this.drafts[buf.key];
    save('lanchat.drafts.' + fold(this.me.account), this.drafts);
  }

  // ------------------------------------------------------- buffers

  isChannel(name) {
    const types = this.irc?.isupport.get('CHANTYPES') ?? '#';
    return !!name && types.includes(name[0]);
  }

  buffer(name, create = true) {
    const key = fold(name);
    let b = this.buffers.get(key);
    if (!b && create) {
      b = new Buffer(name, this.isChannel(name) ? 'channel' : 'dm');
      this.buffers.set(key, b);
      if (b.kind === 'dm') {
        if (!this.prefs.dms.some((d) => fold(d) === key)) { this.prefs.dms.push(name); this.savePrefs(); }
        if (this.irc?.registered) {
          this.irc.send('MONITOR', ['+', name]);
          this.loadLatest(b);
        }
      }
    }
    return b;
  }

  sortedBuffers(kind) {
    return [...this.buffers.values()].filter((b) => b.kind === kind)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  isMuted(buf) { return this.prefs.muted.includes(buf.key); }
  setMuted(buf, on) {
    this.prefs.muted = this.prefs.muted.filter((k) => k !== buf.key);
    if (on) this.prefs.muted.push(buf.key);
    this.savePrefs();
    this.changed(buf);
  }

  setActive(buf) {
    const prev = this.active && this.buffers.get(this.active);
    if (prev) { prev.lineMarker = undefined; prev.lineFrozen = false; }
    this.active = buf ? buf.key : null;
    if (buf) {
      buf.lineMarker = undefined;
      buf.lineFrozen = false;
      this.recount(buf);
      this.prefs.active = buf.name;
      this.savePrefs();
      if (!buf.historyLoaded && this.irc?.registered) this.loadLatest(buf);
    }
    this.changed(buf);
  }

  activeBuffer() { return this.active ? this.buffers.get(this.active) : null; }

  isMe(nick) { return !!nick && fold(nick) === fold(this.irc?.nick || this.me.nick); }

  // ------------------------------------------------- on registration

  onRegistered() {
    const irc = this.irc;
    this.me.nick = irc.nick;
    // Reconnects log in to the account made or used this time.
    if (irc.opts.register) {
      irc.opts.register = null;
      irc.opts.auth = { mech: 'PLAIN', account: this.me.account, secret: this.password };
    }
    this.getToken();
    const chans = [...new Set([...this.prefs.channels, ...[...this.buffers.values()]
      .filter((b) => b.kind === 'channel').map((b) => b.name)])];
    for (const b of this.buffers.values()) {
      b.joined = false;
      b.members.clear();
      // Catch up from the newest message we had before this connection
      // (the JOIN that comes back is newer than what we missed).
      b.resumeFrom = [...b.messages].reverse().find((m) => m.msgid) || null;
    }
    for (let i = 0; i < chans.length; i += 10) irc.send('JOIN', [chans.slice(i, i + 10).join(',')]);
    for (const d of this.prefs.dms) this.buffer(d);
    const dms = [...this.buffers.values()].filter((b) => b.kind === 'dm');
    for (const b of dms) this.catchUp(b);
    const nicks = dms.map((b) => b.name);
    if (nicks.length) irc.send('MONITOR', ['+', nicks.join(',')]);
    this.discoverTargets();
    this.changed();
  }

  // Conversations from other devices: CHATHISTORY TARGETS.
  async discoverTargets() {
    if (!this.irc.has('draft/chathistory')) return;
    const now = Date.now();
    let lines;
    try {
      lines = await this.irc.request('CHATHISTORY', ['TARGETS', 'timestamp=' + isoTime(now + 86400000),
        'timestamp=' + isoTime(now - 90 * 86400000), '50']);
    } catch (e) { return; }
    for (const m of lines) {
      if (m.command !== 'CHATHISTORY' || m.params[0] !== 'TARGETS') continue;
      const name = m.params[1];
      if (!name || this.isChannel(name) || this.isMe(name)) continue;
      if (!this.buffers.has(fold(name))) this.buffer(name);
    }
    this.changed();
  }

  // --------------------------------------------------------- history

  // First load, or after a reconnect: what came since the newest we have.
  catchUp(buf) {
    const newest = buf.resumeFrom;
    buf.resumeFrom = null;
    if (!buf.historyLoaded || !newest || buf.detached) return this.loadLatest(buf);
    return this.history(buf, ['LATEST', buf.name, 'timestamp=' + isoTime(newest.time), '200']).then((n) => {
      if (n < 0) return n;
      if (n >= 200) { this.resetMessages(buf); return this.loadLatest(buf); }
      this.afterHistory(buf);
      return n;
    });
  }

  resetMessages(buf) {
    buf.messages = [];
    buf.byId.clear();
    buf.reactIndex.clear();
    buf.pendingEdits.clear();
    buf.hasOlder = true;
  }

  async loadLatest(buf) {
    if (!this.irc?.has('draft/chathistory')) { buf.historyLoaded = true; buf.hasOlder = false; this.changed(buf); return 0; }
    if (buf.loadingLatest) return 0;
    buf.loadingLatest = true;
    try {
      const n = await this.history(buf, ['LATEST', buf.name, '*', String(HIST_PAGE)]);
      if (n < 0) return n;
      buf.historyLoaded = true;
      buf.detached = false;
      if (n < HIST_PAGE) buf.hasOlder = false;
      this.afterHistory(buf);
      return n;
    } finally {
      buf.loadingLatest = false;
    }
  }

  afterHistory(buf) {
    if (!buf.markerKnown && this.irc?.has('draft/read-marker')) this.irc.send('MARKREAD', [buf.name]);
    this.recount(buf);
    this.changed(buf);
  }

  // A history request; the number of lines it brought, or -1 if the
  // connection went before the answer (nothing is known then).
  async history(buf, params) {
    let lines;
    try {
      lines = await this.irc.request('CHATHISTORY', params);
    } catch (e) { return -1; }
    const fail = lines.find((m) => m.command === 'FAIL');
    if (fail) { buf.hasOlder = false; return 0; }
    return lines.filter((m) => m.command !== 'BATCH').length;
  }

  async loadOlder(buf) {
    if (!buf || buf.loadingOlder || !buf.hasOlder || !this.irc?.registered) return;
    buf.loadingOlder = true;
    this.changed(buf);
    const oldest = buf.messages.find((m) => m.msgid);
    const sel = oldest ? 'msgid=' + oldest.msgid : buf.messages.length ? 'timestamp=' + isoTime(buf.messages[0].time) : '*';
    const n = sel === '*' ? await this.history(buf, ['LATEST', buf.name, '*', String(HIST_PAGE)])
      : await this.history(buf, ['BEFORE', buf.name, sel, String(HIST_PAGE)]);
    if (n >= 0 && n < HIST_PAGE) buf.hasOlder = false;
    buf.loadingOlder = false;
    this.recount(buf);
    this.changed(buf);
  }

  async loadNewer(buf) {
    if (!buf || !buf.detached || buf.loadingNewer || !this.irc?.registered) return;
    buf.loadingNewer = true;
    const newest = [...buf.messages].reverse().find((m) => m.msgid);
    const n = newest ? await this.history(buf, ['AFTER', buf.name, 'msgid=' + newest.msgid, String(HIST_PAGE)]) : 0;
    if (n >= 0 && n < HIST_PAGE) buf.detached = false;
    buf.loadingNewer = false;
    this.recount(buf);
    this.changed(buf);
  }

  async jumpToLatest(buf) {
    this.resetMessages(buf);
    await this.loadLatest(buf);
  }

  // Show msgid of target in its context (a search result).
  async jumpTo(target, msgid) {
    const buf = this.buffer(target);
    this.setActive(buf);
    if (!buf.byId.has(msgid)) {
      this.resetMessages(buf);
      buf.detached = true;
      buf.historyLoaded = true;
      await this.history(buf, ['AROUND', buf.name, 'msgid=' + msgid, String(HIST_PAGE)]);
      this.recount(buf);
    }
    this.changed(buf);
    this.emit('jump', { buf, msgid });
  }

  // ----------------------------------------------------------- input

  onBatch(b) {
    switch (b.type) {
      case 'chathistory': {
        const buf = b.params[0] ? this.buffer(b.params[0]) : null;
        // An older page goes in front as a block, in the server's order
        // (times can tie to the millisecond).
        const items = b.items.filter((it) => !it.items);
        if (buf && buf.messages.length && items.length && items[items.length - 1].time <= buf.messages[0].time) {
          this.front = { buf, pos: 0 };
        }
        try {
          for (const it of items) this.onMessage(it, { history: true, buf });
        } finally {
          this.front = null;
        }
        if (buf) this.changed(buf);
        break;
      }
      case 'draft/chathistory-targets': case 'soju.im/search': case 'search':
        break;   // their requests read them
      default:
        for (const it of b.items) {
          if (it.items) this.onBatch(it);
          else this.onMessage(it, null);
        }
    }
  }

  // One message, live (ctx null) or from history (ctx.history).
  onMessage(msg, ctx) {
    const hist = !!ctx?.history;
    const p = msg.params;
    const cmd = msg.command;
    if (!hist && this.irc) this.me.nick = this.irc.nick;
    switch (cmd) {
      case 'PRIVMSG': case 'NOTICE': return this.onPrivmsg(msg, hist, ctx?.buf);
      case 'TAGMSG': return this.onTagmsg(msg, hist);
      case 'REDACT': return this.onRedact(msg);
      case 'EDIT': return this.onEdit(msg);
      case 'JOIN': return this.onJoin(msg, hist);
      case 'PART': return this.onPart(msg, hist);
      case 'KICK': return this.onKick(msg, hist);
      case 'QUIT': return this.onQuit(msg, hist, ctx?.buf);
      case 'NICK': return this.onNick(msg, hist, ctx?.buf);
      case 'TOPIC': return this.onTopic(msg, hist);
      case 'MODE': return this.onMode(msg, hist);
      case 'AWAY': return this.setAway(msg.nick, p.length ? p[p.length - 1] || 'away' : '');
      case 'ACCOUNT':
        for (const b of this.buffers.values()) {
          const m = b.members.get(fold(msg.nick));
          if (m) m.account = p[0] === '*' ? '' : p[0];
        }
        return;
      case 'MARKREAD': return this.onMarkread(msg);
      case 'INVITE':
        if (this.isMe(p[0])) this.toast({ key: 'invited', args: [msg.nick, p[1]], join: p[1] });
        return;
      case '324': return this.onChannelModes(p[1], p.slice(2));
      case '331': { const b = this.buffer(p[1], false); if (b) { b.topic = ''; this.changed(b); } return; }
      case '332': { const b = this.buffer(p[1], false); if (b) { b.topic = p[2] || ''; this.changed(b); } return; }
      case '333': { const b = this.buffer(p[1], false); if (b) { b.topicBy = (p[2] || '').split('!')[0]; this.changed(b); } return; }
      case '353': return this.onNames(p);
      case '366': {
        const b = this.buffer(p[1], false);
        if (b && b.namesPending) { b.members = b.namesPending; b.namesPending = null; this.changed(b); }
        return;
      }
      case '352': {
        // WHO: <me> <chan> <user> <host> <server> <nick> <flags> :<hops> <real>
        const away = (p[6] || '').startsWith('G');
        for (const b of this.buffers.values()) {
          const m = b.members.get(fold(p[5] || ''));
          if (m) { m.away = away ? (m.away || 'away') : ''; }
        }
        const dm = this.buffers.get(fold(p[5] || ''));
        if (dm && dm.kind === 'dm') dm.peer = { status: away ? 'away' : 'online', away: away ? 'away' : '' };
        this.whoDirty = true;
        return;
      }
      case '315': if (this.whoDirty) { this.whoDirty = false; this.changed(); } return;
      case '730': case '731':
        for (const t of (p[1] || '').split(',')) {
          const nick = t.split('!')[0];
          const b = this.buffers.get(fold(nick));
          if (b && b.kind === 'dm') {
            b.peer = { status: cmd === '730' ? 'online' : 'offline', away: '' };
            if (cmd === '730') this.irc.send('WHO', [nick]);
            this.changed(b);
          }
        }
        return;
      case '001': case '002': case '003': case '004': case '005': case '375': case '372': case '376':
      case '251': case '252': case '253': case '254': case '255': case '265': case '266': case '900':
      case '903': case '396': case '329': case '305': case '306': case '321': case '322': case '323':
      case '318': case '311': case '312': case '317': case '319': case '330': case '378': case '379':
      case 'PONG': case 'CAP': case 'AUTHENTICATE': case 'PING': case 'BATCH': case 'CHATHISTORY':
      case 'TOKEN': case 'REGISTER': case 'ACK': case 'CHGHOST': case 'SETNAME': case '422': case '221':
      case '732': case '733': case '734': case '301': case '402': case '406': case '369': case '314':
        return;
      case 'ERROR':
        return;
      case 'FAIL': case 'WARN':
        if (msg.tags.label) return;   // the request reads it
        if (p[0] === 'REGISTER' || p[0] === 'CHATHISTORY' || p[0] === 'MARKREAD' || p[0] === 'TOKEN') return;
        if (p[0] === 'REDACT' || p[0] === 'EDIT') this.toast({ key: p[0] === 'REDACT' ? 'deleteFailed' : 'editFailed', args: [p[p.length - 1]] }, 'error');
        else if (cmd === 'FAIL') this.toast(p[p.length - 1], 'error');
        return;
      case 'NOTE': return;
      default:
        if (/^[45]\d\d$/.test(cmd)) {
          if (cmd === '421' && (p[1] === 'TOKEN' || p[1] === 'MARKREAD')) return;
          if (msg.tags.label) return;
          if (['433', '432', '436', '476'].includes(cmd) && !this.irc?.registered) return;
          const what = p.length > 2 ? p[1] + ': ' : '';
          this.toast(what + (p[p.length - 1] || cmd), 'error');
        }
    }
  }

  targetOf(msg) {
    const t = msg.params[0] || '';
    const statusmsg = this.irc?.isupport.get('STATUSMSG') ?? '@+';
    let name = t;
    while (name && statusmsg.includes(name[0]) && this.isChannel(name.slice(1))) name = name.slice(1);
    if (this.isChannel(name)) return name;
    if (this.isMe(msg.nick)) return name;
    return msg.nick;
  }

  // A message object for the buffer, from a PRIVMSG/NOTICE or an event.
  makeMsg(msg, kind, text, extra = {}) {
    return Object.assign({
      id: msg.msgid || ('local' + (++localSeq)),
      msgid: msg.msgid,
      time: msg.time,
      seq: ++localSeq,
      nick: msg.nick || '',
      account: msg.tags.account || '',
      kind,
      text,
      self: this.isMe(msg.nick),
      replyTo: msg.tags['+draft/reply'] || msg.tags['+reply'] || null,
      reactions: new Map(),
      edited: false,
      deleted: false,
      ver: 0,
    }, extra);
  }

  onPrivmsg(msg, hist, hbuf) {
    const [, text0 = ''] = msg.params;
    if (!msg.nick || (!msg.user && !msg.host && msg.nick.includes('.'))) {
      // From the server itself.
      if (!hist && this.irc?.registered && msg.command === 'NOTICE' && !/^\*{3}/.test(text0)) this.toast(plainText(text0));
      return;
    }
    let text = text0;
    let kind = msg.command === 'NOTICE' ? 'notice' : 'privmsg';
    if (text.startsWith('\x01')) {
      const inner = text.replace(/^\x01|\x01$/g, '');
      const sp = inner.indexOf(' ');
      const verb = (sp < 0 ? inner : inner.slice(0, sp)).toUpperCase();
      if (verb !== 'ACTION') return;   // other CTCPs are not for people
      kind = 'action';
      text = sp < 0 ? '' : inner.slice(sp + 1);
    }
    const target = this.targetOf(msg);
    if (!target) return;
    const buf = hist && hbuf && hbuf.kind === 'dm' ? hbuf : this.buffer(target);
    if (!hist) buf.typing.delete(fold(msg.nick));
    const m = this.makeMsg(msg, kind, text);
    m.mention = !m.self && (buf.kind === 'dm' || isMention(text, this.me.nick));
    if (!this.addMessage(buf, m, hist)) return;
    if (!hist && !m.self) {
      if (buf.detached) { this.recount(buf); this.changed(buf); return; }
      this.emit('notify', { buf, msg: m });
    }
    if (!hist) { this.recount(buf); this.changed(buf); }
  }

  // Insert in time order; false if it is a duplicate.
  addMessage(buf, m, hist) {
    if (m.msgid && buf.byId.has(m.msgid)) return false;
    if (!hist && buf.detached) {
      // Not at the live end: it will come with the next page.
      return true;
    }
    const arr = buf.messages;
    if (hist && this.front && this.front.buf === buf) {
      arr.splice(this.front.pos++, 0, m);
    } else {
      let i = arr.length;
      while (i > 0 && arr[i - 1].time > m.time) i--;
      arr.splice(i, 0, m);
    }
    if (m.msgid) buf.byId.set(m.msgid, m);
    const early = m.msgid && buf.pendingEdits.get(m.msgid);
    if (early) {
      buf.pendingEdits.delete(m.msgid);
      for (const f of early) f(m);
    }
    return true;
  }

  // Something that refers to parent msgid: now, or when it arrives.
  withMessage(buf, msgid, f) {
    const m = buf.byId.get(msgid);
    if (m) { f(m); m.ver++; return; }
    if (!buf.pendingEdits.has(msgid)) buf.pendingEdits.set(msgid, []);
    buf.pendingEdits.get(msgid).push(f);
  }

  onTagmsg(msg, hist) {
    const target = this.targetOf(msg);
    if (!target) return;
    const t = msg.tags;
    const typing = t['+typing'] ?? t['+draft/typing'];
    if (typing !== undefined && !hist && !this.isMe(msg.nick)) {
      const buf = this.buffer(target, false);
      if (!buf) return;
      const k = fold(msg.nick);
      if (typing === 'done') buf.typing.delete(k);
      else buf.typing.set(k, { nick: msg.nick, until: Date.now() + (typing === 'paused' ? 30000 : 6000), paused: typing === 'paused' });
      this.changed(buf);
      return;
    }
    const react = t['+draft/react'];
    const parent = t['+draft/reply'];
    if (react && parent) {
      const buf = this.buffer(target);
      if (msg.msgid && buf.reactIndex.has(msg.msgid)) return;
      const who = msg.nick;
      if (msg.msgid) buf.reactIndex.set(msg.msgid, { parent, emoji: react, who: fold(who) });
      this.withMessage(buf, parent, (m) => {
        if (!m.reactions.has(react)) m.reactions.set(react, new Map());
        m.reactions.get(react).set(fold(who), { nick: who, msgid: msg.msgid, self: this.isMe(who) });
      });
      if (!hist) buf.typing.delete(fold(who));
      this.changed(buf);
    }
  }

  onRedact(msg) {
    const [target0, msgid] = msg.params;
    if (!msgid) return;
    const target = this.isChannel(target0) ? target0 : (this.isMe(msg.nick) ? target0 : msg.nick);
    const buf = this.buffer(target, false);
    if (!buf) return;
    const r = buf.reactIndex.get(msgid);
    if (r) {
      buf.reactIndex.delete(msgid);
      const m = buf.byId.get(r.parent);
      const set = m?.reactions.get(r.emoji);
      if (set) {
        set.delete(r.who);
        if (!set.size) m.reactions.delete(r.emoji);
        m.ver++;
      }
      this.changed(buf);
      return;
    }
    this.withMessage(buf, msgid, (m) => { m.deleted = true; m.text = ''; m.reactions.clear(); });
    this.recount(buf);
    this.changed(buf);
  }

  onEdit(msg) {
    const msgid = msg.tags['draft/target-msgid'];
    const text = msg.tags['draft/edit-text'] ?? msg.params[1];
    if (!msgid || text === undefined) return;
    const target = this.targetOf(msg);
    const buf = this.buffer(target, false);
    if (!buf) return;
    this.withMessage(buf, msgid, (m) => {
      if (fold(m.nick) !== fold(msg.nick) && !(m.account && m.account === msg.tags.account)) return;
      m.text = text; m.edited = true;
      m.mention = !m.self && (buf.kind === 'dm' || isMention(text, this.me.nick));
    });
    this.changed(buf);
  }

  event(buf, msg, kind, text, extra, hist) {
    const m = this.makeMsg(msg, kind, text, extra);
    if (this.addMessage(buf, m, hist) && !hist) this.changed(buf);
  }

  onJoin(msg, hist) {
    const [chan, account, realname] = msg.params;
    const buf = this.buffer(chan);
    // A JOIN without a msgid for ourselves is the server telling a new
    // device where its user already is: no event to show.
    if (hist || msg.msgid || !this.isMe(msg.nick)) this.event(buf, msg, 'join', '', {}, hist);
    if (hist) return;
    if (this.isMe(msg.nick)) {
      if (buf.name !== chan) buf.name = chan;
      buf.joined = true;
      buf.namesPending = null;
      if (!this.prefs.channels.some((c) => fold(c) === buf.key)) { this.prefs.channels.push(chan); this.savePrefs(); }
      this.irc.send('MODE', [chan]);
      this.irc.send('WHO', [chan]);
      this.catchUp(buf);
      if (this.pendingOpen && fold(this.pendingOpen) === buf.key) { this.pendingOpen = null; this.setActive(buf); }
    } else {
      buf.members.set(fold(msg.nick), { nick: msg.nick, prefix: '', away: '', account: account && account !== '*' ? account : '', user: msg.user, host: msg.host, real: realname || '' });
      buf.typing.delete(fold(msg.nick));
    }
    this.changed(buf);
  }

  onPart(msg, hist) {
    const [chan, reason = ''] = msg.params;
    const buf = this.buffer(chan);
    this.event(buf, msg, 'part', reason, {}, hist);
    if (hist) return;
    if (this.isMe(msg.nick)) {
      buf.joined = false;
      buf.members.clear();
      if (this.leaving && fold(this.leaving) === buf.key) {
        this.leaving = null;
        this.buffers.delete(buf.key);
        if (this.active === buf.key) this.active = null;
      }
    } else {
      buf.members.delete(fold(msg.nick));
      buf.typing.delete(fold(msg.nick));
    }
    this.changed(buf);
  }

  onKick(msg, hist) {
    const [chan, victim, reason = ''] = msg.params;
    const buf = this.buffer(chan);
    this.event(buf, msg, 'kick', reason, { victim }, hist);
    if (hist) return;
    if (this.isMe(victim)) {
      buf.joined = false;
      buf.members.clear();
      this.prefs.channels = this.prefs.channels.filter((c) => fold(c) !== buf.key);
      this.savePrefs();
    } else {
      buf.members.delete(fold(victim));
    }
    this.changed(buf);
  }

  onQuit(msg, hist, hbuf) {
    const reason = msg.params[0] || '';
    const k = fold(msg.nick);
    if (hist) {
      if (hbuf) this.event(hbuf, msg, 'quit', reason, {}, true);
      return;
    }
    for (const b of this.buffers.values()) {
      if (b.members.has(k)) {
        b.members.delete(k);
        b.typing.delete(k);
        this.event(b, msg, 'quit', reason, {}, false);
      }
    }
  }

  onNick(msg, hist, hbuf) {
    const nn = msg.params[0];
    const k = fold(msg.nick);
    if (hist) {
      if (hbuf) this.event(hbuf, msg, 'nick', '', { newNick: nn }, true);
      return;
    }
    if (this.isMe(msg.nick) || fold(nn) === fold(this.irc.nick)) this.me.nick = this.irc.nick;
    for (const b of this.buffers.values()) {
      const m = b.members.get(k);
      if (m) {
        b.members.delete(k);
        m.nick = nn;
        b.members.set(fold(nn), m);
        this.event(b, msg, 'nick', '', { newNick: nn }, false);
      }
    }
    this.changed();
  }

  onTopic(msg, hist) {
    const [chan, topic = ''] = msg.params;
    const buf = this.buffer(chan);
    this.event(buf, msg, 'topic', topic, {}, hist);
    if (hist) return;
    buf.topic = topic;
    buf.topicBy = msg.nick;
    this.changed(buf);
  }

  chanmodeTypes() {
    const cm = (this.irc?.isupport.get('CHANMODES') ?? 'beI,k,l,imnst').split(',');
    const pref = /^\(([^)]*)\)(.*)$/.exec(this.irc?.isupport.get('PREFIX') ?? '(ov)@+') || ['', 'ov', '@+'];
    return { a: cm[0] || '', b: cm[1] || '', c: cm[2] || '', d: cm[3] || '', pm: pref[1], ps: pref[2] };
  }

  onMode(msg, hist) {
    const [target, modestr = '', ...args] = msg.params;
    if (!this.isChannel(target)) return;
    const buf = this.buffer(target);
    this.event(buf, msg, 'mode', [modestr, ...args].join(' '), {}, hist);
    if (hist) return;
    this.applyModes(buf, modestr, args, true);
    this.changed(buf);
  }

  onChannelModes(chan, params) {
    const buf = this.buffer(chan, false);
    if (!buf) return;
    buf.modes = {};
    this.applyModes(buf, params[0] || '', params.slice(1), false);
    this.changed(buf);
  }

  applyModes(buf, modestr, args, live) {
    const t = this.chanmodeTypes();
    let add = true;
    let ai = 0;
    for (const ch of modestr) {
      if (ch === '+') { add = true; continue; }
      if (ch === '-') { add = false; continue; }
      const pi = t.pm.indexOf(ch);
      if (pi >= 0) {
        const nick = args[ai++];
        const m = nick && buf.members.get(fold(nick));
        if (m) {
          const sym = t.ps[pi];
          let pre = m.prefix.replace(sym, '');
          if (add) pre += sym;
          m.prefix = [...t.ps].filter((s) => pre.includes(s)).join('');
        }
        continue;
      }
      if (t.a.includes(ch)) { ai++; continue; }
      if (t.b.includes(ch)) { const v = args[ai++]; buf.modes[ch] = add ? (v ?? '') : null; continue; }
      if (t.c.includes(ch)) { buf.modes[ch] = add ? (args[ai++] ?? '') : null; continue; }
      buf.modes[ch] = add;
    }
    void live;
  }

  onNames(p) {
    // 353 <me> <sym> <chan> :<[prefixes]nick!user@host ...>
    const buf = this.buffer(p[2], false);
    if (!buf) return;
    if (!buf.namesPending) buf.namesPending = new Map();
    const ps = this.chanmodeTypes().ps;
    for (const item of (p[3] || '').split(' ')) {
      if (!item) continue;
      let i = 0;
      while (i < item.length && ps.includes(item[i])) i++;
      const prefix = item.slice(0, i);
      const [nick, uh = ''] = item.slice(i).split('!');
      const [user, host] = uh.split('@');
      const old = buf.members.get(fold(nick));
      buf.namesPending.set(fold(nick), { nick, prefix, away: old?.away || '', account: old?.account || '', user, host });
    }
  }

  setAway(nick, away) {
    if (!nick) return;
    const k = fold(nick);
    for (const b of this.buffers.values()) {
      const m = b.members.get(k);
      if (m) m.away = away;
    }
    const dm = this.buffers.get(k);
    if (dm && dm.kind === 'dm') dm.peer = { status: away ? 'away' : 'online', away };
    this.changed();
  }

  onMarkread(msg) {
    const [target, ts] = msg.params;
    const buf = this.buffer(target, false);
    if (!buf) return;
    buf.markerKnown = true;
    const t = ts && ts !== '*' ? Date.parse(ts.replace(/^timestamp=/, '')) : null;
    if (t !== null && !Number.isNaN(t) && (buf.marker === null || t > buf.marker)) buf.marker = t;
    this.recount(buf);
    this.changed(buf);
  }

  // Unread messages and mentions: after the read marker, not our own.
  recount(buf) {
    let unread = 0;
    let mentions = 0;
    const mk = buf.marker ?? -1;
    for (let i = buf.messages.length - 1; i >= 0; i--) {
      const m = buf.messages[i];
      if (m.time <= mk) break;
      if (m.self || m.deleted || !['privmsg', 'notice', 'action'].includes(m.kind)) continue;
      unread++;
      if (m.mention) mentions++;
    }
    buf.unread = unread;
    buf.mentions = mentions;
    // The "new messages" line of the open conversation: where the marker
    // was when it was opened, if anything was unread then.
    if (this.active === buf.key && !buf.lineFrozen && buf.historyLoaded && (buf.markerKnown || !this.irc?.has('draft/read-marker'))) {
      buf.lineMarker = unread > 0 ? buf.marker : undefined;
      buf.lineFrozen = true;
    }
  }

  // The person looks away from the open conversation: what comes now is
  // new to them when they come back.
  lookedAway() {
    const b = this.activeBuffer();
    if (b && b.lineMarker === undefined && b.lineFrozen) b.lineMarker = b.marker;
  }

  totals() {
    let unread = 0;
    let mentions = 0;
    for (const b of this.buffers.values()) {
      if (this.isMuted(b)) { mentions += b.kind === 'channel' ? b.mentions : 0; continue; }
      unread += b.unread;
      mentions += b.mentions;
    }
    return { unread, mentions };
  }

  // The user has seen buf up to its newest message.
  markRead(buf) {
    if (!buf || buf.detached) return;
    let last = null;
    for (let i = buf.messages.length - 1; i >= 0; i--) {
      if (buf.messages[i].msgid) { last = buf.messages[i]; break; }
    }
    if (!last || (buf.marker !== null && last.time <= buf.marker)) return;
    buf.marker = last.time;
    this.recount(buf);
    this.changed(buf);
    if (this.markTimers.has(buf.key)) return;
    this.markTimers.set(buf.key, setTimeout(() => {
      this.markTimers.delete(buf.key);
      if (this.irc?.registered && this.irc.has('draft/read-marker') && buf.marker !== null) {
        this.irc.send('MARKREAD', [buf.name, 'timestamp=' + isoTime(buf.marker)]);
      }
    }, 500));
  }

  expireTyping() {
    const now = Date.now();
    for (const b of this.buffers.values()) {
      let ch = false;
      for (const [k, v] of b.typing) if (v.until < now) { b.typing.delete(k); ch = true; }
      if (ch) this.changed(b);
    }
  }

  // ---------------------------------------------------------- actions

  online() { return !!this.irc?.registered && this.irc.state === 'online'; }

  // Text to at most max bytes of UTF-8 per piece, cut between characters.
  splitText(text, max) {
    const out = [];
    const enc = new TextEncoder();
    let cur = '';
    let n = 0;
    for (const ch of text) {
      const b = enc.encode(ch).length;
      if (n + b > max) { out.push(cur); cur = ''; n = 0; }
      cur += ch;
      n += b;
    }
    if (cur || !out.length) out.push(cur);
    return out;
  }

  maxText(target) {
    const prefix = this.me.nick.length * 3 + 80 + 63;   // :nick!user@host PRIVMSG target :
    return Math.max(100, 510 - prefix - new TextEncoder().encode(target).length - 14);
  }

  sendText(buf, text, opts = {}) {
    if (!this.online()) return false;
    const lines = text.replace(/\r\n?/g, '\n').split('\n');
    let first = true;
    for (const line of lines) {
      if (!line.trim() && lines.length > 1) continue;
      const body = opts.action ? line : line;
      for (const piece of this.splitText(body, this.maxText(buf.name))) {
        const tags = first && opts.replyTo ? { '+draft/reply': opts.replyTo } : null;
        const payload = opts.action ? '\x01ACTION ' + piece + '\x01' : piece;
        this.irc.send(opts.notice ? 'NOTICE' : 'PRIVMSG', [buf.name, payload], tags);
        first = false;
      }
    }
    this.typingSent.delete(buf.key);
    if (!this.irc.has('echo-message')) {
      // Without echo we show it ourselves (no msgid: nothing to dedupe).
      this.addMessage(buf, this.makeMsg({ tags: {}, nick: this.me.nick, time: Date.now(), msgid: null },
        opts.action ? 'action' : 'privmsg', text, { self: true }), false);
      this.changed(buf);
    }
    return true;
  }

  // A slash command; returns true if it was one (handled or refused).
  command(buf, input) {
    const m = /^\/(\S+)\s*(.*)$/s.exec(input);
    if (!m || input.startsWith('//')) return false;
    const verb = m[1].toLowerCase();
    const rest = m[2];
    const arg = rest.split(/\s+/).filter(Boolean);
    const irc = this.irc;
    if (!this.online()) return true;
    switch (verb) {
      case 'me': if (buf && rest) this.sendText(buf, rest, { action: true }); return true;
      case 'join': case 'j': if (arg[0]) this.join(arg[0], arg[1]); return true;
      case 'part': case 'leave': if (buf && buf.kind === 'channel') this.leave(buf, rest); return true;
      case 'topic': if (buf && buf.kind === 'channel') irc.send('TOPIC', rest ? [buf.name, rest] : [buf.name]); return true;
      case 'msg': case 'query': case 'dm': {
        if (!arg[0]) return true;
        const target = this.buffer(arg[0]);
        const text = rest.slice(rest.indexOf(arg[0]) + arg[0].length).trim();
        if (text) this.sendText(target, text);
        this.setActive(target);
        return true;
      }
      case 'nick': if (arg[0]) irc.send('NICK', [arg[0]]); return true;
      case 'away': irc.send('AWAY', [rest || 'away']); return true;
      case 'back': irc.send('AWAY', []); return true;
      case 'invite': if (arg[0] && buf) irc.send('INVITE', [arg[0], arg[1] || buf.name]); return true;
      case 'kick': if (arg[0] && buf) irc.send('KICK', [buf.name, arg[0], arg.slice(1).join(' ')]); return true;
      case 'mode': if (buf) irc.send('MODE', [buf.name, ...arg]); return true;
      case 'notice': if (arg[0]) irc.send('NOTICE', [arg[0], arg.slice(1).join(' ')]); return true;
      case 'quote': case 'raw': if (rest) irc.raw(rest); return true;
      default: this.toast({ key: 'unknownCommand', args: ['/' + verb] }, 'error'); return true;
    }
  }

  typing(buf, state) {
    if (!this.online() || !this.irc.has('message-tags') || !buf) return;
    const last = this.typingSent.get(buf.key);
    const now = Date.now();
    if (state === 'active' && last && last.state === 'active' && now - last.at < 3000) return;
    if (state !== 'active' && (!last || last.state === state)) return;
    this.typingSent.set(buf.key, { state, at: now });
    this.irc.send('TAGMSG', [buf.name], { '+typing': state });
  }

  join(name, key) {
    if (!this.isChannel(name)) name = '#' + name;
    this.pendingOpen = name;
    const b = this.buffers.get(fold(name));
    if (b && b.joined) { this.pendingOpen = null; this.setActive(b); return; }
    this.irc.send('JOIN', key ? [name, key] : [name]);
  }

  leave(buf, reason) {
    if (buf.kind === 'dm') {
      this.prefs.dms = this.prefs.dms.filter((d) => fold(d) !== buf.key);
      this.savePrefs();
      this.buffers.delete(buf.key);
      if (this.active === buf.key) this.active = null;
      this.irc?.send('MONITOR', ['-', buf.name]);
      this.changed();
      return;
    }
    this.prefs.channels = this.prefs.channels.filter((c) => fold(c) !== buf.key);
    this.savePrefs();
    if (buf.joined && this.online()) {
      this.leaving = buf.name;
      this.irc.send('PART', reason ? [buf.name, reason] : [buf.name]);
    } else {
      this.buffers.delete(buf.key);
      if (this.active === buf.key) this.active = null;
      this.changed();
    }
  }

  openDM(nick) {
    if (this.isMe(nick)) return null;
    const b = this.buffer(nick);
    this.setActive(b);
    return b;
  }

  canReact() { return this.irc?.has('message-tags'); }
  canRedact() { return this.irc?.has('draft/message-redaction'); }
  canEdit() { return this.irc?.has('draft/message-edit'); }
  canSearch() { return this.irc?.has('soju.im/search'); }

  react(buf, msg, emoji) {
    if (!this.online() || !msg.msgid) return;
    const mine = msg.reactions.get(emoji)?.get(fold(this.me.nick));
    if (mine) {
      if (mine.msgid && this.canRedact()) this.irc.send('REDACT', [buf.name, mine.msgid]);
      return;
    }
    this.irc.send('TAGMSG', [buf.name], { '+draft/reply': msg.msgid, '+draft/react': emoji });
  }

  edit(buf, msg, text) {
    if (!this.online() || !msg.msgid || !this.canEdit()) return;
    this.irc.send('EDIT', [buf.name], { 'draft/target-msgid': msg.msgid, 'draft/edit-text': text });
  }

  remove(buf, msg) {
    if (!this.online() || !msg.msgid || !this.canRedact()) return;
    this.irc.send('REDACT', [buf.name, msg.msgid]);
  }

  setTopic(buf, topic) { if (this.online()) this.irc.send('TOPIC', [buf.name, topic]); }

  // Apply the settings form: {topic, i, m, n, t, s, k, l}.
  applySettings(buf, want) {
    if (!this.online()) return;
    if (want.topic !== undefined && want.topic !== buf.topic) this.setTopic(buf, want.topic);
    let plus = '';
    let minus = '';
    const pargs = [];
    const margs = [];
    for (const f of ['i', 'm', 'n', 't', 's']) {
      const have = !!buf.modes[f];
      if (want[f] && !have) plus += f;
      if (!want[f] && have) minus += f;
    }
    const k = buf.modes.k ?? null;
    if (want.k && want.k !== k) { plus += 'k'; pargs.push(want.k); }
    if (!want.k && k !== null && k !== undefined) { minus += 'k'; margs.push(k || '*'); }
    const l = buf.modes.l ?? null;
    if (want.l && String(want.l) !== String(l)) { plus += 'l'; pargs.push(String(want.l)); }
    if (!want.l && l !== null && l !== undefined) minus += 'l';
    const str = (minus ? '-' + minus : '') + (plus ? '+' + plus : '');
    if (str) this.irc.send('MODE', [buf.name, str, ...margs, ...pargs]);
  }

  amOp(buf) {
    const m = buf?.members.get(fold(this.me.nick));
    return !!m && /[@&~]/.test(m.prefix);
  }

  // People this user could write to, for the DM search.
  async findUsers(text) {
    const q = fold(text.trim());
    const seen = new Map();
    for (const b of this.buffers.values()) {
      for (const m of b.members.values()) if (!this.isMe(m.nick)) seen.set(fold(m.nick), m.nick);
      if (b.kind === 'dm') seen.set(b.key, b.name);
    }
    if (q && this.online()) {
      try {
        const lines = await this.irc.request('WHO', ['*' + text.trim().replace(/[*?\s]/g, '') + '*'], null, 5000);
        for (const m of lines) if (m.command === '352' && m.params[5] && !this.isMe(m.params[5])) seen.set(fold(m.params[5]), m.params[5]);
      } catch (e) { /* the local list will do */ }
    }
    return [...seen.values()].filter((n) => !q || fold(n).includes(q)).sort((a, b) => a.localeCompare(b)).slice(0, 30);
  }

  // SEARCH across everything this user may read.
  async search(text) {
    if (!this.canSearch() || !this.online()) return null;
    const attrs = (extra) => 'text=' + text.replace(/[\\; ]/g, (c) => ({ '\\': '\\\\', ';': '\\:', ' ': '\\s' })[c]) + ';limit=50' + extra;
    const parse = (lines) => lines.filter((m) => m.command === 'PRIVMSG' || m.command === 'NOTICE').map((m) => {
      let text2 = m.params[1] || '';
      if (text2.startsWith('\x01ACTION ')) text2 = text2.slice(8).replace(/\x01$/, '');
      return { target: this.targetOf(m), nick: m.nick, time: m.time, msgid: m.msgid, text: text2 };
    });
    let lines = await this.irc.request('SEARCH', [attrs('')]).catch(() => []);
    if (lines.some((m) => m.command === 'FAIL')) {
      // A server that wants in=: ask each conversation.
      lines = [];
      for (const b of this.buffers.values()) {
        const r = await this.irc.request('SEARCH', [attrs(';in=' + b.name)]).catch(() => []);
        lines.push(...r.filter((m) => m.command !== 'FAIL'));
      }
    }
    const out = parse(lines);
    out.sort((a, b) => b.time - a.time);
    return out;
  }

  // ------------------------------------------------------------ files

  uploadUrl() {
    const v = this.irc?.isupport.get('DRAFT/FILEHOST') || this.irc?.isupport.get('SOJU.IM/FILEHOST');
    if (!v) return null;
    try {
      const u = new URL(v, location.href);
      if (u.origin !== location.origin) return null;   // CSP allows only this origin
      return u.href;
    } catch (e) { return null; }
  }

  canUpload() { return !!this.uploadUrl() && this.online(); }

  authHeader() {
    if (this.login?.token) return 'Bearer ' + this.login.token;
    if (this.password) {
      const s = new TextEncoder().encode(this.me.account + ':' + this.password);
      let bin = '';
      for (const b of s) bin += String.fromCharCode(b);
      return 'Basic ' + btoa(bin);
    }
    return null;
  }

  // Upload file and post its link in buf.  Progress comes as 'upload'.
  upload(buf, file) {
    const url = this.uploadUrl();
    if (!url) { this.toast({ key: 'noUploads' }, 'error'); return; }
    const id = ++this.uploadSeq;
    const name = file.name || 'file';
    const ev = (d) => this.emit('upload', Object.assign({ id, name, buf: buf.key, total: file.size }, d));
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    const auth = this.authHeader();
    if (auth) xhr.setRequestHeader('Authorization', auth);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
    xhr.setRequestHeader('Content-Disposition', 'attachment; filename="' + ascii + '"; filename*=UTF-8\'\'' + encodeURIComponent(name));
    xhr.upload.onprogress = (e) => ev({ loaded: e.loaded, total: e.total || file.size });
    xhr.onload = () => {
      const loc = xhr.getResponseHeader('Location');
      if (xhr.status === 201 && loc) {
        const abs = new URL(loc, url).href;
        ev({ done: true, loaded: file.size });
        this.sendText(buf, abs);
      } else {
        ev({ done: true, error: xhr.status === 413 ? 'tooBig' : 'failed', status: xhr.status });
      }
    };
    xhr.onerror = () => ev({ done: true, error: 'failed' });
    ev({ loaded: 0 });
    xhr.send(file);
  }

  // Is url a file this server holds (shown as a picture or a card)?
  isFileUrl(url) {
    try {
      const u = new URL(url);
      if (u.origin !== location.origin) return false;
      if (u.pathname.startsWith('/files/')) return true;
      const up = this.uploadUrl();
      if (!up) return false;
      const base = new URL(up).pathname.replace(/\/?$/, '/');
      return u.pathname.startsWith(base) && u.pathname.length > base.length;
    } catch (e) { return false; }
  }
}
