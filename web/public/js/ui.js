// The page: the login screen, and the chat itself (sidebar of
// conversations, the open conversation with its composer, the member
// list, dialogs).  It draws what Chat holds and turns clicks and keys
// into Chat's actions.  Every element is made with createElement and
// every string goes in as text (dom.js); nothing is parsed as HTML.
import { h, icon, clear, safeLink, append, patch } from './dom.js';
import { t, fmtTime, fmtFull, fmtDay, dayKey, LANG } from './i18n.js';
import { renderText, plainText, nickHue, initials, formatSize } from './format.js';
import { fold } from './irc.js';
import * as notify from './notify.js';

const EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀', '🔥', '✅', '👎', '🤔'];
const GROUP_MS = 5 * 60 * 1000;
const CHAT_KINDS = new Set(['privmsg', 'notice', 'action']);
const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp|avif|bmp)$/i;

function phone() { return window.matchMedia('(max-width: 760px)').matches; }

function avatar(nick, cls = '') {
  const el = h('div', { class: 'avatar ' + cls, 'aria-hidden': 'true', text: initials(nick) });
  el.style.setProperty('--hue', String(nickHue(nick)));
  return el;
}

function nickSpan(nick, cls = 'nick') {
  const el = h('span', { class: cls, text: nick });
  el.style.setProperty('--hue', String(nickHue(nick)));
  return el;
}

function iconButton(name, label, onclick, cls = '') {
  return h('button', { class: 'icon-btn ' + cls, type: 'button', title: label, 'aria-label': label, onclick }, icon(name));
}

// What a HEAD request says about a file URL, cached.
const fileInfo = new Map();
function headFile(url) {
  if (!fileInfo.has(url)) {
    fileInfo.set(url, fetch(url, { method: 'HEAD', credentials: 'same-origin' }).then((r) => {
      if (!r.ok) return null;
      const cd = r.headers.get('Content-Disposition') || '';
      let name = null;
      const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
      const plain = /filename\s*=\s*"([^"]*)"/i.exec(cd) || /filename\s*=\s*([^;]+)/i.exec(cd);
      try { if (star) name = decodeURIComponent(star[1].trim()); } catch (e) { name = null; }
      if (!name && plain) name = plain[1].trim();
      if (!name) {
        try { name = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'file'); } catch (e) { name = 'file'; }
      }
      return { type: (r.headers.get('Content-Type') || '').split(';')[0].trim(), size: +(r.headers.get('Content-Length') || -1), name };
    }).catch(() => null));
  }
  return fileInfo.get(url);
}

export class View {
  constructor(root, chat) {
    this.root = root;
    this.chat = chat;
    this.nodeCache = new WeakMap();
    this.replyTo = null;     // {key, msg}
    this.editing = null;     // {key, msg}
    this.uploads = new Map();
    this.showMembers = !phone() && localStorage.getItem('lanchat.members') !== 'off';
    this.navOpen = false;
    this.scheduled = false;
    this.lastKey = null;
    this.pendingJump = null;
    chat.addEventListener('change', () => this.schedule());
    chat.addEventListener('toast', (e) => this.toast(e.detail.text, e.detail.kind));
    chat.addEventListener('notify', (e) => this.onNotify(e.detail));
    chat.addEventListener('jump', (e) => { this.pendingJump = e.detail.msgid; this.schedule(); });
    chat.addEventListener('upload', (e) => this.onUpload(e.detail));
    window.addEventListener('focus', () => this.schedule());
    window.addEventListener('blur', () => this.chat.lookedAway());
    document.addEventListener('visibilitychange', () => this.schedule());
    window.matchMedia('(max-width: 760px)').addEventListener('change', () => this.schedule());
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.schedule());
    this.toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    this.modalRoot = h('div', { class: 'modal-root' });
    document.body.append(this.toasts, this.modalRoot);
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => { this.scheduled = false; this.render(); });
  }

  // ------------------------------------------------------------ login

  showLogin(opts = {}) {
    this.shell = null;
    document.body.classList.remove('in-chat');
    let mode = opts.mode || 'login';
    const err = h('div', { class: 'form-error', role: 'alert' });
    if (opts.error) err.textContent = opts.error;
    const name = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, maxLength: 32, placeholder: t('name'), spellcheck: false, autocapitalize: 'none', 'aria-label': t('name') });
    if (opts.account) name.value = opts.account;
    const pass = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, placeholder: t('password'), 'aria-label': t('password') });
    const pass2 = h('input', { type: 'password', name: 'password2', autocomplete: 'new-password', placeholder: t('passwordAgain'), 'aria-label': t('passwordAgain') });
    const submit = h('button', { class: 'btn primary wide', type: 'submit' });
    const tabLogin = h('button', { type: 'button', class: 'tab', role: 'tab' }, t('signIn'));
    const tabReg = h('button', { type: 'button', class: 'tab', role: 'tab' }, t('createAccount'));
    const p2row = h('label', { class: 'field' }, pass2);
    const setMode = (m) => {
      mode = m;
      tabLogin.classList.toggle('on', m === 'login');
      tabReg.classList.toggle('on', m === 'register');
      tabLogin.setAttribute('aria-selected', String(m === 'login'));
      tabReg.setAttribute('aria-selected', String(m === 'register'));
      p2row.hidden = m !== 'register';
      pass.autocomplete = m === 'register' ? 'new-password' : 'current-password';
      submit.textContent = m === 'register' ? t('createAccount') : t('signIn');
      err.textContent = '';
    };
    tabLogin.addEventListener('click', () => setMode('login'));
    tabReg.addEventListener('click', () => setMode('register'));
    const form = h('form', { class: 'login-form', onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      const account = name.value.trim();
      if (!account || !pass.value) return;
      if (mode === 'register' && pass.value !== pass2.value) { err.textContent = t('passwordsDiffer'); return; }
      submit.disabled = true;
      submit.textContent = mode === 'register' ? t('creating') : t('signingIn');
      try {
        await this.onLogin({ account, password: pass.value, register: mode === 'register' });
      } catch (x) {
        err.textContent = this.authMessage(x);
        submit.disabled = false;
        setMode(mode);
        err.textContent = this.authMessage(x);
        pass.focus();
      }
    } },
    h('div', { class: 'tabs', role: 'tablist' }, tabLogin, tabReg),
    h('label', { class: 'field' }, name),
    h('label', { class: 'field' }, pass),
    p2row, err, submit,
    h('p', { class: 'hint', text: t('rememberNote') }));
    setMode(mode);
    const card = h('div', { class: 'login-card' },
      h('div', { class: 'brand' }, h('img', { class: 'logo', alt: '' }), h('h1', { text: 'lanchat' })),
      h('p', { class: 'tagline', text: t('loginTagline') }),
      form);
    card.querySelector('img').src = '/favicon.svg';
    const themeBtn = iconButton(this.isDark() ? 'sun' : 'moon', t('toggleTheme'), () => { this.cycleTheme(); this.showLogin({ mode, account: name.value }); });
    clear(this.root).append(h('div', { class: 'login' }, h('div', { class: 'login-top' }, themeBtn), card));
    (name.value ? pass : name).focus();
  }

  authMessage(x) {
    const r = x?.reason;
    const code = x?.code || '';
    if (r === 'sasl') return t('badLogin');
    if (r === 'token') return t('tokenExpired');
    if (r === 'locked') return t('locked');
    if (r === 'nick') return t('nickInUse');
    if (r === 'required') return t('loginRequired');
    if (r === 'noregister') return t('noRegister');
    if (r === 'verify') return t('verifyNeeded', x.text || '');
    if (r === 'register') {
      if (code === 'ACCOUNT_EXISTS' || code === 'USERNAME_EXISTS') return t('accountExists');
      if (code === 'WEAK_PASSWORD') return t('weakPassword');
      if (code === 'BAD_ACCOUNT_NAME' || code === 'ACCOUNT_NAME_MUST_BE_NICK') return t('badName', x.text || '');
      return t('registerFailed', x.text || code);
    }
    return t('cannotConnect');
  }

  // --------------------------------------------------------- the shell

  showChat() {
    document.body.classList.add('in-chat');
    this.sideList = h('nav', { class: 'side-list', 'aria-label': t('openMenu') });
    this.sideFoot = h('div', { class: 'side-foot' });
    this.sidebar = h('aside', { class: 'sidebar' },
      h('div', { class: 'side-head' },
        h('div', { class: 'brand small' }, h('img', { class: 'logo', alt: '' }), h('span', { text: 'lanchat' })),
        this.searchBtn = iconButton('search', t('search'), () => this.openSearch(), 'side-search')),
      this.sideList, this.sideFoot);
    this.sidebar.querySelector('img').src = '/favicon.svg';

    this.headTitle = h('div', { class: 'head-title' });
    this.headTools = h('div', { class: 'head-tools' });
    this.banner = h('div', { class: 'banner', hidden: true });
    this.list = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite', tabIndex: 0 });
    this.list.addEventListener('scroll', () => this.onScroll(), { passive: true });
    // The list shrinks when a bar or the phone's keyboard appears: a
    // reader at the bottom stays there.
    new ResizeObserver(() => {
      if (this.stickBottom && !this.chat.activeBuffer()?.detached) this.toBottom();
    }).observe(this.list);
    this.jumpBtn = h('button', { class: 'jump-latest', type: 'button', hidden: true, onclick: () => this.jumpLatest() }, icon('down'), t('jumpLatest'));
    this.typingEl = h('div', { class: 'typing', 'aria-live': 'polite' });
    this.composer = this.buildComposer();
    this.dropOverlay = h('div', { class: 'drop-overlay', hidden: true }, h('div', {}, icon('clip'), t('dropFiles')));
    this.main = h('main', { class: 'main' },
      h('header', { class: 'main-head' },
        this.backBtn = iconButton('back', t('back'), () => { this.navOpen = true; this.render(); }, 'back-btn'),
        this.headTitle, this.headTools),
      this.banner,
      h('div', { class: 'messages-wrap' }, this.list, this.jumpBtn),
      this.typingEl, this.composer, this.dropOverlay);
    this.setupDrop();
    this.membersEl = h('aside', { class: 'members', 'aria-label': t('members') });
    this.shell = h('div', { class: 'shell' }, this.sidebar, this.main, this.membersEl);
    clear(this.root).append(this.shell);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.modalRoot.firstChild) { this.closeModal(); e.preventDefault(); }
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k' && this.shell) { e.preventDefault(); this.openSearch(); }
    });
    this.navOpen = !this.chat.activeBuffer();
    this.render();
  }

  buildComposer() {
    this.replyBar = h('div', { class: 'compose-bar', hidden: true });
    this.uploadsEl = h('div', { class: 'uploads' });
    this.input = h('textarea', { class: 'input', rows: 1, placeholder: '', enterKeyHint: 'send', 'aria-label': t('send') });
    this.fileInput = h('input', { type: 'file', multiple: true, hidden: true });
    this.fileInput.addEventListener('change', () => {
      const buf = this.chat.activeBuffer();
      for (const f of this.fileInput.files) if (buf) this.chat.upload(buf, f);
      this.fileInput.value = '';
    });
    this.attachBtn = iconButton('clip', t('attach'), () => this.fileInput.click(), 'attach');
    this.sendBtn = iconButton('send', t('send'), () => this.submit(), 'send');
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.input.addEventListener('input', () => this.onInput());
    this.input.addEventListener('paste', (e) => {
      const files = [...(e.clipboardData?.files || [])];
      if (!files.length) return;
      e.preventDefault();
      const buf = this.chat.activeBuffer();
      if (buf) for (const f of files) this.chat.upload(buf, f);
    });
    return h('div', { class: 'composer' }, this.replyBar, this.uploadsEl,
      h('div', { class: 'compose-row' }, this.attachBtn, this.input, this.sendBtn), this.fileInput);
  }

  setupDrop() {
    let depth = 0;
    const has = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
    this.main.addEventListener('dragenter', (e) => { if (!has(e)) return; depth++; this.dropOverlay.hidden = false; e.preventDefault(); });
    this.main.addEventListener('dragover', (e) => { if (has(e)) e.preventDefault(); });
    this.main.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; this.dropOverlay.hidden = true; } });
    this.main.addEventListener('drop', (e) => {
      if (!has(e)) return;
      e.preventDefault();
      depth = 0;
      this.dropOverlay.hidden = true;
      const buf = this.chat.activeBuffer();
      if (buf) for (const f of e.dataTransfer.files) this.chat.upload(buf, f);
    });
  }

  // ------------------------------------------------------------ render

  render() {
    if (!this.shell) return;
    const chat = this.chat;
    const buf = chat.activeBuffer();
    if (buf?.key !== this.lastKey) this.switchedTo(buf);
    this.shell.classList.toggle('nav-open', this.navOpen || !buf);
    this.shell.classList.toggle('members-open', this.showMembers && !!buf && buf.kind === 'channel');
    this.renderSidebar();
    this.renderHeader(buf);
    this.renderBanner();
    this.renderMessages(buf);
    this.renderTyping(buf);
    this.renderComposer(buf);
    this.renderMembers(buf);
    const tot = chat.totals();
    notify.setTitle(tot.unread, tot.mentions, buf ? buf.name : '');
    if (buf && this.canSeeBottom()) chat.markRead(buf);
  }

  switchedTo(buf) {
    const prev = this.lastKey && this.chat.buffers.get(this.lastKey);
    if (prev) this.chat.saveDraft(prev, this.editing ? '' : this.input.value);
    this.lastKey = buf?.key ?? null;
    this.replyTo = null;
    this.editing = null;
    this.input.value = buf ? (this.chat.drafts[buf.key] || '') : '';
    this.autosize();
    this.stickBottom = true;
    this.autoTop = Infinity;
    this.renderedKey = null;
    if (buf && !phone()) setTimeout(() => this.input.focus(), 0);
  }

  canSeeBottom() {
    return document.visibilityState === 'visible' && document.hasFocus() && this.atBottom() && !(phone() && this.navOpen);
  }

  atBottom() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 48;
  }

  renderSidebar() {
    const chat = this.chat;
    const item = (buf) => {
      const muted = chat.isMuted(buf);
      const active = chat.active === buf.key;
      const badge = buf.mentions > 0 && !(muted && buf.kind === 'dm') ? h('span', { class: 'badge mention', text: String(buf.mentions), title: t('mentionsCount', buf.mentions) })
        : buf.unread > 0 && !muted ? h('span', { class: 'badge', text: String(buf.unread > 99 ? '99+' : buf.unread), title: t('unreadCount', buf.unread) }) : null;
      const lead = buf.kind === 'channel' ? h('span', { class: 'lead' }, icon('hash'))
        : h('span', { class: 'lead' }, avatar(buf.name, 'tiny'), h('span', { class: 'dot ' + buf.peer.status }));
      const label = buf.kind === 'channel' ? buf.name.replace(/^#/, '') : buf.name;
      return h('button', {
        type: 'button',
        class: ['buf-item', active && 'active', (buf.unread > 0 && !muted) && 'unread', muted && 'muted', buf.kind === 'channel' && !buf.joined && 'parted'],
        dataset: { key: buf.key, kind: buf.kind },
        'aria-current': active ? 'page' : null,
        // By key: a kept button (patch) may outlive its buffer object.
        onclick: () => { this.navOpen = false; const b = chat.buffers.get(buf.key); if (b) chat.setActive(b); },
      }, lead, h('span', { class: 'label', text: label }), muted ? icon('bellOff', 'mute-icon') : null, badge);
    };
    const section = (title, kind, addLabel, onAdd) => {
      const bufs = chat.sortedBuffers(kind);
      return h('div', { class: 'side-section' },
        h('div', { class: 'side-title' }, h('span', { text: title }), iconButton('plus', addLabel, onAdd, 'add-' + kind)),
        bufs.length ? bufs.map(item) : (kind === 'channel' ? h('div', { class: 'side-empty', text: t('emptySidebar') }) : null));
    };
    // Patched, not rebuilt: each message re-renders the sidebar, and a
    // button replaced under the pointer loses its click.
    patch(this.sideList, [
      section(t('channels'), 'channel', t('newChannel'), () => this.openJoin()),
      section(t('directMessages'), 'dm', t('newDM'), () => this.openNewDM())],
    (n) => n.classList.contains('side-section'));
    this.searchBtn.hidden = !chat.canSearch();
    const me = chat.me.nick || chat.me.account;
    patch(this.sideFoot, [
      h('div', { class: 'me' }, h('span', { class: 'lead' }, avatar(me, 'small'), h('span', { class: 'dot ' + (chat.state === 'online' ? 'online' : 'offline') })),
        h('div', { class: 'me-text' }, h('div', { class: 'me-nick', text: me }),
          h('div', { class: 'me-status', text: chat.state === 'online' ? t('status_online') : t('offline') }))),
      iconButton(this.isDark() ? 'sun' : 'moon', t('toggleTheme'), () => { this.cycleTheme(); this.render(); }, 'theme-btn'),
      iconButton('settings', t('preferences'), () => this.openPrefs(), 'prefs-btn'),
      iconButton('logout', t('logout'), () => this.chat.logout(), 'logout-btn')]);
  }

  renderHeader(buf) {
    clear(this.headTitle);
    // The tools' listeners hold buf: patched (kept while unchanged)
    // only while the same conversation is shown.
    const same = this.headBuf === buf;
    this.headBuf = buf;
    if (!same) clear(this.headTools);
    if (!buf) return;
    const chat = this.chat;
    if (buf.kind === 'channel') {
      const topic = h('div', { class: 'topic', title: buf.topic ? plainText(buf.topic) : '' });
      if (buf.topic) topic.append(renderText(buf.topic, {}));
      else topic.append(h('span', { class: 'muted-text', text: chat.amOp(buf) ? t('setTopic') : t('noTopic') }));
      if (chat.amOp(buf) || (buf.joined && !buf.modes.t)) {
        topic.classList.add('editable');
        topic.addEventListener('click', (e) => { if (!(e.target instanceof HTMLAnchorElement)) this.openSettings(buf); });
      }
      this.headTitle.append(h('div', { class: 'title-row' }, icon('hash', 'title-icon'), h('h2', { text: buf.name.replace(/^#/, '') }),
        h('span', { class: 'count', text: t('membersCount', buf.members.size) })), topic);
    } else {
      const st = buf.peer.status;
      this.headTitle.append(h('div', { class: 'title-row' }, h('span', { class: 'lead' }, avatar(buf.name, 'small'), h('span', { class: 'dot ' + st })),
        h('h2', { text: buf.name })), h('div', { class: 'topic muted-text', text: buf.peer.away ? t('statusAway', buf.peer.away) : t('status_' + st) }));
    }
    const muted = chat.isMuted(buf);
    patch(this.headTools, [
      chat.canSearch() ? iconButton('search', t('search'), () => this.openSearch(), 'search-btn') : null,
      iconButton(muted ? 'bellOff' : 'bell', muted ? t('unmute') : t('mute'), () => chat.setMuted(buf, !muted), 'mute-btn' + (muted ? ' on' : '')),
      buf.kind === 'channel' ? iconButton('settings', t('settings'), () => this.openSettings(buf), 'settings-btn') : null,
      buf.kind === 'channel' ? iconButton('users', t('members'), () => this.toggleMembers(), 'members-btn' + (this.showMembers ? ' on' : '')) : null,
      iconButton('door', t('leave'), () => chat.leave(buf), 'leave-btn')]);
  }

  toggleMembers() {
    this.showMembers = !this.showMembers;
    if (!phone()) localStorage.setItem('lanchat.members', this.showMembers ? 'on' : 'off');
    this.render();
  }

  renderBanner() {
    const s = this.chat.state;
    const show = s !== 'online' && s !== 'stopped';
    this.banner.hidden = !show;
    this.shell.classList.toggle('offline', show);
    if (!show) return;
    append(clear(this.banner), [h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      h('span', { text: s === 'waiting' ? t('reconnecting') : t('connecting') }),
      s === 'waiting' ? h('button', { class: 'btn small', type: 'button', text: t('retryNow'), onclick: () => this.chat.irc?.connectNow() }) : null]);
  }

  // --------------------------------------------------------- messages

  renderMessages(buf) {
    const list = this.list;
    if (!buf) {
      clear(list).append(h('div', { class: 'empty-state' }, icon('message', 'big'), h('p', { text: t('pickConversation') })));
      this.renderedKey = null;
      this.jumpBtn.hidden = true;
      return;
    }
    // Where the reader is, to keep it there.
    const fresh = this.renderedKey !== buf.key;
    const stick = fresh || this.stickBottom || this.atBottom();
    let anchor = null;
    let anchorTop = 0;
    if (!stick) {
      const top = list.getBoundingClientRect().top;
      for (const el of list.querySelectorAll('[data-id]')) {
        const r = el.getBoundingClientRect();
        if (r.bottom > top) { anchor = el.dataset.id; anchorTop = r.top - top; break; }
      }
    }
    const nodes = [];
    if (buf.hasOlder && buf.historyLoaded) nodes.push(h('div', { class: 'history-edge loading', text: t('loadingOlder') }));
    else if (buf.historyLoaded) nodes.push(h('div', { class: 'history-edge' }, h('div', { class: 'edge-title', text: buf.kind === 'channel' ? buf.name : buf.name }), h('p', { text: t('beginning', buf.name) })));
    let prev = null;
    let prevDay = null;
    let lineDone = false;
    const me = this.chat.me.nick;
    const caps = [this.chat.canReact(), this.chat.canRedact(), this.chat.canEdit(), me].join();
    for (const m of buf.messages) {
      const day = dayKey(m.time);
      if (day !== prevDay) {
        nodes.push(h('div', { class: 'day-sep', role: 'separator' }, h('span', { text: fmtDay(m.time) })));
        prevDay = day;
        prev = null;
      }
      const chatty = CHAT_KINDS.has(m.kind);
      if (!lineDone && buf.lineMarker !== undefined && buf.lineMarker !== null && chatty && !m.self && m.time > buf.lineMarker) {
        nodes.push(h('div', { class: 'new-line', role: 'separator' }, h('span', { text: t('newMessages') })));
        lineDone = true;
        prev = null;
      }
      const head = !(prev && chatty && CHAT_KINDS.has(prev.kind) && fold(prev.nick) === fold(m.nick) &&
        m.time - prev.time < GROUP_MS && !m.replyTo && !prev.deleted && prev.kind !== 'notice' && m.kind !== 'notice');
      const key = m.ver + '|' + head + '|' + m.text.length + '|' + caps;
      let c = this.nodeCache.get(m);
      if (!c || c.key !== key) {
        c = { key, el: chatty ? this.renderMsg(buf, m, head) : this.renderEvent(m) };
        this.nodeCache.set(m, c);
      }
      nodes.push(c.el);
      prev = chatty ? m : null;
    }
    list.replaceChildren(...nodes);
    this.renderedKey = buf.key;
    if (this.pendingJump) {
      const id = this.pendingJump;
      const el = [...list.querySelectorAll('[data-id]')].find((x) => x.dataset.id === id);
      if (el) {
        this.pendingJump = null;
        this.stickBottom = false;
        el.scrollIntoView({ block: 'center' });
        el.classList.remove('flash');
        void el.offsetWidth;
        el.classList.add('flash');
      }
    } else if (stick && !buf.detached) {
      this.toBottom();
      this.stickBottom = true;
    } else if (anchor) {
      const el = [...list.querySelectorAll('[data-id]')].find((x) => x.dataset.id === anchor);
      if (el) list.scrollTop += el.getBoundingClientRect().top - list.getBoundingClientRect().top - anchorTop;
    }
    this.jumpBtn.hidden = !(buf.detached || !this.atBottom());
    if (buf.historyLoaded && buf.hasOlder && list.scrollTop < 150 && !buf.loadingOlder) this.chat.loadOlder(buf);
  }

  // Scroll to the newest message, remembering where that put us.
  toBottom() {
    this.list.scrollTop = this.list.scrollHeight;
    this.autoTop = this.list.scrollTop;
  }

  onScroll() {
    const buf = this.chat.activeBuffer();
    if (!buf) return;
    // A scroll event is handled a frame late: if the list has not moved
    // up from where we put it, the reader did not scroll; content grew
    // below meanwhile (a picture, a file card), so follow it.
    if (this.stickBottom && this.list.scrollTop >= this.autoTop - 1) {
      if (!this.atBottom()) this.toBottom();
    } else {
      this.stickBottom = this.atBottom();
      if (this.stickBottom) this.autoTop = this.list.scrollTop;
    }
    this.jumpBtn.hidden = !(buf.detached || !this.stickBottom);
    if (this.list.scrollTop < 150 && buf.hasOlder && buf.historyLoaded) this.chat.loadOlder(buf);
    if (this.stickBottom && buf.detached) this.chat.loadNewer(buf);
    if (this.stickBottom && this.canSeeBottom()) this.chat.markRead(buf);
  }

  jumpLatest() {
    const buf = this.chat.activeBuffer();
    if (!buf) return;
    this.stickBottom = true;
    if (buf.detached) this.chat.jumpToLatest(buf);
    else this.toBottom();
  }

  renderEvent(m) {
    let text;
    const n = m.nick;
    switch (m.kind) {
      case 'join': text = t('joined', n); break;
      case 'part': text = m.text ? t('leftReason', n, plainText(m.text)) : t('left', n); break;
      case 'quit': text = m.text ? t('quitReason', n, plainText(m.text)) : t('quit', n); break;
      case 'kick': text = m.text ? t('kickedReason', m.victim, n, plainText(m.text)) : t('kicked', m.victim, n); break;
      case 'nick': text = t('nickChange', n, m.newNick); break;
      case 'topic': text = m.text ? t('topicSet', n, plainText(m.text)) : t('topicCleared', n); break;
      case 'mode': text = t('modeSet', n, m.text); break;
      default: text = m.text;
    }
    return h('div', { class: 'event ev-' + m.kind, dataset: { id: m.id } },
      h('span', { class: 'ev-time', text: fmtTime(m.time), title: fmtFull(m.time) }), h('span', { class: 'ev-text', text }));
  }

  renderMsg(buf, m, head) {
    const chat = this.chat;
    const el = h('div', { class: ['msg', head && 'head', m.self && 'self', m.mention && 'mention', m.kind, m.deleted && 'deleted'], dataset: { id: m.id, nick: m.nick } });
    if (m.msgid) el.dataset.msgid = m.msgid;
    const gutter = h('div', { class: 'gutter' });
    if (head) gutter.append(avatar(m.nick));
    else gutter.append(h('span', { class: 'hover-time', text: fmtTime(m.time), title: fmtFull(m.time) }));
    const body = h('div', { class: 'body' });
    if (head) {
      body.append(h('div', { class: 'meta' }, nickSpan(m.nick),
        h('time', { class: 'time', text: fmtTime(m.time), title: fmtFull(m.time) })));
    }
    if (m.deleted) {
      body.append(h('div', { class: 'text deleted-text', text: t('deleted') }));
      el.append(gutter, body);
      return el;
    }
    if (m.replyTo) {
      const parent = buf.byId.get(m.replyTo);
      const q = h('button', { type: 'button', class: 'quote', onclick: () => this.scrollTo(m.replyTo) }, icon('reply'));
      if (parent) q.append(nickSpan(parent.nick), h('span', { class: 'quote-text', text: parent.deleted ? t('deleted') : plainText(parent.text).slice(0, 140) }));
      else q.append(h('span', { class: 'quote-text', text: '…' }));
      body.append(q);
    }
    const files = this.fileLinks(m.text);
    // A message that is only file links shows the files, not the links.
    const onlyFiles = files.length && plainText(m.text).split(/\s+/).filter(Boolean).every((w) => files.includes(w));
    const text = h('div', { class: ['text', onlyFiles && 'file-only'], dir: 'auto' });
    if (m.kind === 'action') text.append(h('span', { class: 'action-nick', text: m.nick + ' ' }));
    text.append(renderText(m.text, { nick: m.self ? '' : chat.me.nick }));
    if (m.edited) text.append(h('span', { class: 'edited', text: ' ' + t('edited') }));
    body.append(text);
    if (files.length) {
      const att = h('div', { class: 'attachments' });
      for (const url of files) att.append(this.attachment(url));
      body.append(att);
    }
    if (m.reactions.size) {
      const row = h('div', { class: 'reactions' });
      for (const [emoji, who] of m.reactions) {
        const mine = who.has(fold(chat.me.nick));
        const names = [...who.values()].map((w) => w.nick).join(', ');
        row.append(h('button', { type: 'button', class: ['reaction', mine && 'mine'], title: names, 'aria-label': emoji + ' ' + names,
          onclick: () => chat.react(buf, m, emoji) }, h('span', { class: 'emoji', text: emoji }), h('span', { class: 'n', text: String(who.size) })));
      }
      row.append(h('button', { type: 'button', class: 'reaction add', title: t('react'), 'aria-label': t('react'), onclick: (e) => this.openEmoji(e.currentTarget, buf, m) }, icon('smile')));
      body.append(row);
    }
    el.append(gutter, body);
    if (m.msgid) {
      const tools = h('div', { class: 'tools' },
        iconButton('reply', t('reply'), () => this.startReply(buf, m), 'reply-btn'),
        chat.canReact() ? iconButton('smile', t('react'), (e) => this.openEmoji(e.currentTarget, buf, m), 'react-btn') : null,
        m.self && chat.canEdit() ? iconButton('edit', t('edit'), () => this.startEdit(buf, m), 'edit-btn') : null,
        m.self && chat.canRedact() ? iconButton('trash', t('delete'), () => this.confirmDelete(buf, m), 'delete-btn') : null);
      el.append(tools);
      // Touch: a tap shows the tools of that message.
      el.addEventListener('click', (e) => {
        if (!phone() || e.target.closest('a, button')) return;
        const on = el.classList.contains('touched');
        for (const x of this.list.querySelectorAll('.msg.touched')) x.classList.remove('touched');
        if (!on) el.classList.add('touched');
      });
    }
    return el;
  }

  fileLinks(text) {
    const out = [];
    const re = /\bhttps?:\/\/[^\s<>"'`]+/giu;
    let m;
    while ((m = re.exec(plainText(text))) !== null) {
      const url = m[0].replace(/[.,;:!?)]+$/, '');
      if (this.chat.isFileUrl(url) && !out.includes(url)) out.push(url);
    }
    return out.slice(0, 4);
  }

  attachment(url) {
    const box = h('div', { class: 'attachment pending' });
    headFile(url).then((info) => {
      box.classList.remove('pending');
      if (info && IMAGE_TYPES.test(info.type)) {
        const img = h('img', { class: 'inline-img', alt: info.name, title: info.name });
        img.addEventListener('load', () => { box.classList.add('loaded'); if (this.stickBottom) this.toBottom(); });
        img.src = url;
        box.append(h('button', { type: 'button', class: 'img-btn', 'aria-label': t('openPicture') + ': ' + info.name, onclick: () => this.openViewer(url, info) }, img));
      } else {
        const name = info?.name || decodeURIComponent(url.split('/').pop() || 'file');
        const a = safeLink(url, '');
        if (a instanceof HTMLAnchorElement) {
          a.className = 'file-card';
          a.setAttribute('download', name);
          a.append(h('span', { class: 'file-icon' }, icon('file')), h('span', { class: 'file-text' },
            h('span', { class: 'file-name', text: name }), h('span', { class: 'file-size', text: info ? formatSize(info.size) : '' })),
          h('span', { class: 'file-dl' }, icon('download')));
          box.append(a);
        }
      }
      /* The card arrives after the HEAD request: keep the newest in view. */
      if (this.stickBottom) this.toBottom();
    });
    return box;
  }

  scrollTo(msgid) {
    const el = [...this.list.querySelectorAll('[data-msgid]')].find((x) => x.dataset.msgid === msgid);
    if (el) {
      el.scrollIntoView({ block: 'center', behavior: 'smooth' });
      el.classList.remove('flash');
      void el.offsetWidth;
      el.classList.add('flash');
    }
  }

  renderTyping(buf) {
    const who = buf ? [...buf.typing.values()].map((x) => x.nick) : [];
    const s = who.length === 0 ? '' : who.length === 1 ? t('typing1', who[0]) : who.length === 2 ? t('typing2', who[0], who[1]) : t('typingMany');
    if (this.typingEl.textContent !== s) {
      clear(this.typingEl);
      if (s) this.typingEl.append(h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('span', { text: s }));
    }
  }

  // --------------------------------------------------------- composer

  renderComposer(buf) {
    this.composer.hidden = !buf;
    if (!buf) return;
    const chat = this.chat;
    const notIn = buf.kind === 'channel' && !buf.joined && chat.state === 'online';
    this.input.placeholder = notIn ? t('notJoined') : t('messageTo', buf.kind === 'channel' ? buf.name : buf.name);
    this.attachBtn.hidden = !chat.canUpload();
    this.composer.classList.toggle('disabled', chat.state !== 'online');
    clear(this.replyBar);
    this.replyBar.hidden = true;
    if (notIn) {
      this.replyBar.hidden = false;
      this.replyBar.append(h('span', { text: t('notJoined') }), h('button', { type: 'button', class: 'btn small', text: t('rejoin'), onclick: () => chat.join(buf.name) }));
    } else if (this.editing && this.editing.key === buf.key) {
      this.replyBar.hidden = false;
      this.replyBar.append(icon('edit'), h('span', { class: 'bar-text', text: t('editing') }), iconButton('x', t('cancel'), () => this.cancelCompose()));
    } else if (this.replyTo && this.replyTo.key === buf.key) {
      const m = this.replyTo.msg;
      this.replyBar.hidden = false;
      this.replyBar.append(icon('reply'), h('span', { class: 'bar-text' }, h('b', { text: t('replyingTo', m.nick) }), ' ', h('span', { class: 'quote-text', text: plainText(m.text).slice(0, 100) })),
        iconButton('x', t('cancel'), () => this.cancelCompose()));
    }
    clear(this.uploadsEl);
    for (const u of this.uploads.values()) {
      if (u.buf !== buf.key) continue;
      const bar = h('div', { class: 'bar-fill' });
      bar.style.width = Math.round(100 * (u.loaded || 0) / (u.total || 1)) + '%';
      this.uploadsEl.append(h('div', { class: ['upload', u.error && 'error'] },
        h('span', { class: 'up-name', text: u.error ? (u.error === 'tooBig' ? t('uploadTooBig', u.name) : t('uploadFailed', u.name)) : t('uploading', u.name) }),
        h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(100 * (u.loaded || 0) / (u.total || 1)) }, bar)));
    }
  }

  onUpload(d) {
    const u = Object.assign(this.uploads.get(d.id) || {}, d);
    this.uploads.set(d.id, u);
    if (d.done) setTimeout(() => { this.uploads.delete(d.id); this.schedule(); }, d.error ? 6000 : 600);
    this.schedule();
  }

  autosize() {
    const el = this.input;
    el.style.height = 'auto';
    el.style.height = Math.min(el.scrollHeight, 200) + 'px';
  }

  onInput() {
    this.autosize();
    const buf = this.chat.activeBuffer();
    if (!buf || this.editing) return;
    const v = this.input.value;
    if (!v) this.chat.typing(buf, 'done');
    else if (!v.startsWith('/')) this.chat.typing(buf, 'active');
    clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => this.chat.saveDraft(buf, this.input.value), 400);
  }

  onKey(e) {
    if (e.isComposing) return;
    if (e.key === 'Enter' && !e.shiftKey && !(phone() && 'ontouchstart' in window)) {
      e.preventDefault();
      this.submit();
    } else if (e.key === 'Escape') {
      if (this.replyTo || this.editing) { e.preventDefault(); this.cancelCompose(); }
    } else if (e.key === 'ArrowUp' && !this.input.value && this.chat.canEdit()) {
      const buf = this.chat.activeBuffer();
      const mine = buf && [...buf.messages].reverse().find((m) => m.self && m.msgid && !m.deleted && CHAT_KINDS.has(m.kind));
      if (mine) { e.preventDefault(); this.startEdit(buf, mine); }
    } else if (e.key === 'Tab' && this.input.value) {
      this.completeNick(e);
    }
  }

  completeNick(e) {
    const buf = this.chat.activeBuffer();
    if (!buf) return;
    const el = this.input;
    const pos = el.selectionStart;
    const before = el.value.slice(0, pos);
    const m = /(\S+)$/.exec(before);
    if (!m) return;
    const word = fold(m[1]);
    const hit = [...buf.members.values()].map((x) => x.nick).find((n) => fold(n).startsWith(word));
    if (!hit) return;
    e.preventDefault();
    const start = pos - m[1].length;
    const ins = hit + (start === 0 ? ': ' : ' ');
    el.value = el.value.slice(0, start) + ins + el.value.slice(pos);
    el.selectionStart = el.selectionEnd = start + ins.length;
  }

  submit() {
    const chat = this.chat;
    const buf = chat.activeBuffer();
    const text = this.input.value;
    if (!buf || !text.trim()) return;
    if (!chat.online()) { this.composer.classList.add('shake'); setTimeout(() => this.composer.classList.remove('shake'), 400); return; }
    if (this.editing) {
      const m = this.editing.msg;
      if (text !== m.text) chat.edit(buf, m, text);
      this.cancelCompose();
      return;
    }
    if (text.startsWith('/') && chat.command(buf, text)) {
      // handled
    } else if (!chat.sendText(buf, text, { replyTo: this.replyTo?.key === buf.key ? this.replyTo.msg.msgid : null })) {
      return;
    }
    this.input.value = '';
    chat.saveDraft(buf, '');
    this.replyTo = null;
    this.autosize();
    this.stickBottom = true;
    this.render();
  }

  startReply(buf, m) {
    this.editing = null;
    this.replyTo = { key: buf.key, msg: m };
    this.render();
    this.input.focus();
  }

  startEdit(buf, m) {
    this.replyTo = null;
    this.savedDraft = this.input.value;
    this.editing = { key: buf.key, msg: m };
    this.input.value = m.text;
    this.autosize();
    this.render();
    this.input.focus();
  }

  cancelCompose() {
    if (this.editing) { this.input.value = this.savedDraft || ''; this.autosize(); }
    this.editing = null;
    this.replyTo = null;
    this.render();
  }

  // ----------------------------------------------------------- members

  renderMembers(buf) {
    clear(this.membersEl);
    if (!buf || buf.kind !== 'channel' || !this.showMembers) return;
    const chat = this.chat;
    const groups = { ops: [], voiced: [], online: [], away: [] };
    for (const m of buf.members.values()) {
      if (/[~&@%]/.test(m.prefix)) groups.ops.push(m);
      else if (m.prefix.includes('+')) groups.voiced.push(m);
      else if (m.away) groups.away.push(m);
      else groups.online.push(m);
    }
    const sect = (title, arr) => {
      if (!arr.length) return null;
      arr.sort((a, b) => a.nick.localeCompare(b.nick));
      return h('div', { class: 'member-group' }, h('div', { class: 'side-title' }, h('span', { text: title + ' — ' + arr.length })),
        arr.map((m) => {
          const st = m.away ? 'away' : 'online';
          const role = /[~&@%]/.test(m.prefix) ? t('operator') : m.prefix.includes('+') ? t('voice') : '';
          const me = chat.isMe(m.nick);
          return h('button', { type: 'button', class: ['member', m.away && 'is-away'], dataset: { nick: m.nick },
            title: m.away ? t('statusAway', m.away) : m.nick, onclick: (e) => this.memberMenu(e.currentTarget, buf, m) },
          h('span', { class: 'lead' }, avatar(m.nick, 'small'), h('span', { class: 'dot ' + st })),
          h('span', { class: 'label', text: m.nick }), me ? h('span', { class: 'you', text: '(' + t('you') + ')' }) : null,
          role ? h('span', { class: 'role', text: role }) : null);
        }));
    };
    this.membersEl.append(
      h('div', { class: 'members-head' }, h('span', { text: t('members') }), iconButton('x', t('close'), () => this.toggleMembers(), 'close-members')),
      h('div', { class: 'members-list' }, sect(t('operators'), groups.ops), sect(t('voiced'), groups.voiced), sect(t('online'), groups.online), sect(t('away'), groups.away)));
  }

  memberMenu(anchor, buf, m) {
    const chat = this.chat;
    if (chat.isMe(m.nick)) return;
    const items = [[t('message'), () => { this.navOpen = false; if (phone()) this.showMembers = false; chat.openDM(m.nick); }]];
    if (chat.amOp(buf)) {
      const op = /[@]/.test(m.prefix);
      items.push([op ? t('removeOp') : t('makeOp'), () => chat.irc.send('MODE', [buf.name, op ? '-o' : '+o', m.nick])]);
      items.push([t('kick'), () => chat.irc.send('KICK', [buf.name, m.nick])]);
    }
    this.popover(anchor, h('div', { class: 'menu', role: 'menu' },
      h('div', { class: 'menu-head' }, avatar(m.nick, 'small'), h('b', { text: m.nick })),
      items.map(([label, fn]) => h('button', { type: 'button', role: 'menuitem', class: 'menu-item', text: label, onclick: () => { this.closePopover(); fn(); } }))));
  }

  // ------------------------------------------------ popovers and modals

  popover(anchor, content) {
    this.closePopover();
    const pop = h('div', { class: 'popover' }, content);
    document.body.append(pop);
    const r = anchor.getBoundingClientRect();
    const pw = pop.offsetWidth;
    const ph = pop.offsetHeight;
    let left = Math.min(r.left, window.innerWidth - pw - 8);
    let top = r.bottom + 6;
    if (top + ph > window.innerHeight - 8) top = Math.max(8, r.top - ph - 6);
    left = Math.max(8, left);
    pop.style.left = left + 'px';
    pop.style.top = top + 'px';
    this.pop = pop;
    setTimeout(() => {
      this.popCloser = (e) => { if (!pop.contains(e.target)) this.closePopover(); };
      document.addEventListener('pointerdown', this.popCloser);
    }, 0);
  }

  closePopover() {
    if (this.pop) { this.pop.remove(); this.pop = null; }
    if (this.popCloser) { document.removeEventListener('pointerdown', this.popCloser); this.popCloser = null; }
  }

  openEmoji(anchor, buf, m) {
    this.popover(anchor, h('div', { class: 'emoji-grid', role: 'menu' }, EMOJI.map((e) =>
      h('button', { type: 'button', class: 'emoji-btn', role: 'menuitem', text: e, 'aria-label': e, onclick: () => { this.closePopover(); this.chat.react(buf, m, e); } }))));
  }

  modal(title, body, cls = '') {
    this.closeModal();
    const box = h('div', { class: 'modal ' + cls, role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
      h('div', { class: 'modal-head' }, h('h3', { text: title }), iconButton('x', t('close'), () => this.closeModal(), 'modal-close')),
      body);
    const back = h('div', { class: 'modal-back', onclick: (e) => { if (e.target === back) this.closeModal(); } }, box);
    this.modalRoot.append(back);
    const f = box.querySelector('input, textarea, button.primary');
    if (f) setTimeout(() => f.focus(), 0);
    return box;
  }

  closeModal() { clear(this.modalRoot); }

  openJoin() {
    const name = h('input', { type: 'text', placeholder: '#' + (LANG === 'ru' ? 'отдел' : 'general'), 'aria-label': t('channelName'), spellcheck: false, autocapitalize: 'none', maxLength: 64 });
    const key = h('input', { type: 'text', placeholder: t('channelKey'), 'aria-label': t('channelKey'), autocomplete: 'off' });
    this.modal(t('newChannel'), h('form', { class: 'form', onsubmit: (e) => {
      e.preventDefault();
      let n = name.value.trim().replace(/\s+/g, '-');
      if (!n) return;
      if (!this.chat.isChannel(n)) n = '#' + n;
      this.chat.join(n, key.value.trim() || undefined);
      this.navOpen = false;
      this.closeModal();
    } }, h('label', { class: 'field' }, h('span', { text: t('channelName') }), name),
    h('label', { class: 'field' }, h('span', { text: t('channelKey') }), key),
    h('p', { class: 'hint', text: t('joinHint') }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary', text: t('join') }))), 'join-modal');
  }

  openNewDM() {
    const results = h('div', { class: 'people' });
    const q = h('input', { type: 'search', placeholder: t('findPeople'), 'aria-label': t('findPeople'), spellcheck: false, autocapitalize: 'none' });
    let seq = 0;
    const run = async () => {
      const my = ++seq;
      const list = await this.chat.findUsers(q.value);
      if (my !== seq) return;
      append(clear(results), [list.length ? list.map((n) => h('button', { type: 'button', class: 'person', dataset: { nick: n },
        onclick: () => { this.closeModal(); this.navOpen = false; this.chat.openDM(n); } }, avatar(n, 'small'), h('span', { text: n }))) :
        h('p', { class: 'hint', text: t('noPeople') })]);
    };
    q.addEventListener('input', () => { clearTimeout(this.findTimer); this.findTimer = setTimeout(run, 200); });
    q.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        const first = results.querySelector('.person');
        if (first) first.click();
        else if (q.value.trim()) { this.closeModal(); this.navOpen = false; this.chat.openDM(q.value.trim()); }
      }
    });
    this.modal(t('newDM'), h('div', { class: 'form' }, q, results), 'dm-modal');
    run();
  }

  openSettings(buf) {
    const chat = this.chat;
    const op = chat.amOp(buf);
    const topic = h('textarea', { rows: 3, 'aria-label': t('topic'), maxLength: 390 });
    topic.value = buf.topic;
    topic.disabled = !(op || (buf.joined && !buf.modes.t));
    const box = (f, label) => {
      const c = h('input', { type: 'checkbox', name: 'mode-' + f });
      c.checked = !!buf.modes[f];
      c.disabled = !op;
      return [c, h('label', { class: 'check' }, c, h('span', { text: label }))];
    };
    const [ci, li] = box('i', t('inviteOnly'));
    const [cm, lm] = box('m', t('moderated'));
    const [cn, ln] = box('n', t('noExternal'));
    const [ct, lt] = box('t', t('topicLock'));
    const [cs, ls] = box('s', t('secret'));
    const key = h('input', { type: 'text', name: 'mode-k', autocomplete: 'off', 'aria-label': t('key') });
    key.value = buf.modes.k || '';
    key.disabled = !op;
    const limit = h('input', { type: 'number', name: 'mode-l', min: 0, 'aria-label': t('limit') });
    limit.value = buf.modes.l || '';
    limit.disabled = !op;
    this.modal(t('settings') + ' · ' + buf.name, h('form', { class: 'form settings', onsubmit: (e) => {
      e.preventDefault();
      if (op) {
        chat.applySettings(buf, { topic: topic.value, i: ci.checked, m: cm.checked, n: cn.checked, t: ct.checked, s: cs.checked,
          k: key.value.trim(), l: +limit.value > 0 ? +limit.value : 0 });
      } else if (!topic.disabled && topic.value !== buf.topic) {
        chat.setTopic(buf, topic.value);
      }
      this.closeModal();
    } },
    h('label', { class: 'field' }, h('span', { text: t('topic') }), topic),
    h('fieldset', { class: 'modes' }, li, lm, ln, lt, ls),
    h('div', { class: 'row2' }, h('label', { class: 'field' }, h('span', { text: t('key') }), key),
      h('label', { class: 'field' }, h('span', { text: t('limit') }), limit)),
    op ? null : h('p', { class: 'hint', text: t('onlyOps') }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', text: t('cancel'), onclick: () => this.closeModal() }),
      h('button', { type: 'submit', class: 'btn primary', text: t('save') }))), 'settings-modal');
  }

  openSearch() {
    const chat = this.chat;
    const results = h('div', { class: 'results' });
    const q = h('input', { type: 'search', placeholder: t('searchPlaceholder'), 'aria-label': t('searchPlaceholder') });
    const form = h('form', { class: 'form', onsubmit: async (e) => {
      e.preventDefault();
      const text = q.value.trim();
      if (!text) return;
      clear(results).append(h('p', { class: 'hint', text: t('searching') }));
      const found = await chat.search(text);
      if (found === null) { clear(results).append(h('p', { class: 'hint', text: t('searchUnavailable') })); return; }
      append(clear(results), [found.length ? found.map((r) => h('button', { type: 'button', class: 'result', dataset: { msgid: r.msgid || '' },
        onclick: () => { this.closeModal(); this.navOpen = false; if (r.msgid) chat.jumpTo(r.target, r.msgid); } },
      h('div', { class: 'result-meta' }, nickSpan(r.nick), h('span', { class: 'muted-text', text: t('inThe', r.target) }), h('time', { class: 'time', text: fmtFull(r.time) })),
      h('div', { class: 'result-text' }, renderText(r.text, { nick: chat.me.nick })))) : h('p', { class: 'hint', text: t('noResults') })]);
    } }, q);
    this.modal(t('search'), h('div', {}, form, results), 'search-modal');
    if (!chat.canSearch()) results.append(h('p', { class: 'hint', text: t('searchUnavailable') }));
  }

  openViewer(url, info) {
    const img = h('img', { class: 'viewer-img', alt: info.name });
    img.src = url;
    const dl = safeLink(url, '');
    if (dl instanceof HTMLAnchorElement) {
      dl.className = 'btn';
      dl.setAttribute('download', info.name);
      dl.append(icon('download'), h('span', { text: t('download') }));
    }
    this.modal(info.name, h('div', { class: 'viewer' }, img, h('div', { class: 'viewer-foot' }, h('span', { class: 'muted-text', text: formatSize(info.size) }), dl)), 'viewer-modal');
  }

  confirmDelete(buf, m) {
    this.modal(t('delete'), h('div', { class: 'form' }, h('p', { text: t('deleteConfirm') }),
      h('blockquote', { class: 'quote-text', text: plainText(m.text).slice(0, 200) }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn', text: t('cancel'), onclick: () => this.closeModal() }),
        h('button', { type: 'button', class: 'btn danger primary', text: t('delete'), onclick: () => { this.closeModal(); this.chat.remove(buf, m); } }))), 'delete-modal');
  }

  openPrefs() {
    const ds = notify.desktopState();
    const state = ds === 'granted' ? t('enabled') : ds === 'denied' ? t('blocked') : ds === 'insecure' || ds === 'unsupported' ? t('notSecure') : null;
    const themeSel = h('select', { 'aria-label': t('theme') });
    for (const [v, l] of [['', t('themeSystem')], ['light', t('themeLight')], ['dark', t('themeDark')]]) {
      const o = h('option', { text: l });
      o.value = v;
      themeSel.append(o);
    }
    themeSel.value = localStorage.getItem('lanchat.theme') || '';
    themeSel.addEventListener('change', () => { this.setTheme(themeSel.value); this.render(); });
    const snd = h('input', { type: 'checkbox', checked: notify.soundOn() });
    snd.addEventListener('change', () => notify.setSound(snd.checked));
    this.modal(t('preferences'), h('div', { class: 'form prefs' },
      h('label', { class: 'field' }, h('span', { text: t('theme') }), themeSel),
      h('label', { class: 'check' }, snd, h('span', { text: t('sound') })),
      h('div', { class: 'field' }, h('span', { text: t('notifications') }),
        state ? h('span', { class: 'muted-text', text: state }) :
          h('button', { type: 'button', class: 'btn', text: t('enable'), onclick: async () => { await notify.askDesktop(); this.openPrefs(); } })),
      h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn danger', onclick: () => { this.closeModal(); this.chat.logout(); } }, icon('logout'), t('logout')))), 'prefs-modal');
  }

  // ------------------------------------------------------------ toasts

  toast(text, kind = 'info') {
    if (typeof text === 'object' && text) {
      const o = text;
      text = t(o.key, ...(o.args || []));
      if (o.join) {
        const el = h('div', { class: 'toast ' + kind }, h('span', { text }),
          h('button', { type: 'button', class: 'btn small', text: t('join'), onclick: () => { el.remove(); this.chat.join(o.join); } }));
        this.toasts.append(el);
        setTimeout(() => el.remove(), 15000);
        return;
      }
    }
    const el = h('div', { class: 'toast ' + kind, text: plainText(String(text)) });
    this.toasts.append(el);
    while (this.toasts.children.length > 4) this.toasts.firstChild.remove();
    setTimeout(() => el.remove(), 6000);
  }

  onNotify({ buf, msg }) {
    const chat = this.chat;
    const here = chat.active === buf.key && document.visibilityState === 'visible' && document.hasFocus();
    if (chat.isMuted(buf) || !msg.mention || here) return;
    notify.playSound();
    if (document.visibilityState !== 'visible' || !document.hasFocus()) {
      notify.desktop(buf.kind === 'dm' ? msg.nick : msg.nick + ' · ' + buf.name, msg.text, buf.key, () => { this.navOpen = false; chat.setActive(buf); });
    }
  }

  // ------------------------------------------------------------ themes

  isDark() {
    const th = document.documentElement.dataset.theme;
    if (th) return th === 'dark';
    return window.matchMedia('(prefers-color-scheme: dark)').matches;
  }

  setTheme(v) {
    if (v) { localStorage.setItem('lanchat.theme', v); document.documentElement.dataset.theme = v; } else {
      localStorage.removeItem('lanchat.theme');
      delete document.documentElement.dataset.theme;
    }
  }

  cycleTheme() { this.setTheme(this.isDark() ? 'light' : 'dark'); }
}
