// Message text to DOM: IRC formatting codes become classes (bold,
// italic, underline, strike, monospace, the 16 standard colours), http
// and https URLs become links, the user's own nick is highlighted.
// Everything else that is a control character is dropped.  Output is
// text nodes and spans only.
import { h, safeLink } from './dom.js';

const URL_RE = /\bhttps?:\/\/[^\s<>"'`\u0000-\u001f]+/giu;

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function mentionRe(nick) {
  if (!nick) return null;
  return new RegExp('(?<![\\p{L}\\p{N}_-])' + escapeRe(nick) + '(?![\\p{L}\\p{N}_])', 'iu');
}

// Text without any formatting or control characters.
export function plainText(text) {
  return String(text)
    .replace(/\x03(\d{1,2}(,\d{1,2})?)?/g, '')
    .replace(/\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

export function isMention(text, nick) {
  const re = mentionRe(nick);
  return !!re && re.test(plainText(text));
}

// Split a URL from trailing punctuation that is more likely prose.
function trimUrl(u) {
  let end = u.length;
  while (end > 0 && '.,;:!?\'"'.includes(u[end - 1])) end--;
  let s = u.slice(0, end);
  if (s.endsWith(')') && (s.split('(').length < s.split(')').length)) s = s.slice(0, -1);
  return s;
}

function linkify(text, mention, out) {
  let last = 0;
  URL_RE.lastIndex = 0;
  let m;
  while ((m = URL_RE.exec(text)) !== null) {
    const url = trimUrl(m[0]);
    if (!url.length) continue;
    if (m.index > last) mentions(text.slice(last, m.index), mention, out);
    out.push(safeLink(url));
    last = m.index + url.length;
    URL_RE.lastIndex = last;
  }
  if (last < text.length) mentions(text.slice(last), mention, out);
}

function mentions(text, re, out) {
  if (!re) { out.push(text); return; }
  let rest = text;
  let m;
  while (rest && (m = re.exec(rest)) !== null) {
    if (m.index > 0) out.push(rest.slice(0, m.index));
    out.push(h('span', { class: 'mention-me', text: m[0] }));
    rest = rest.slice(m.index + m[0].length);
  }
  if (rest) out.push(rest);
}

// A fragment for text, with options {nick}.
export function renderText(text, opts = {}) {
  const frag = document.createDocumentFragment();
  const mention = mentionRe(opts.nick);
  const st = { b: 0, i: 0, u: 0, s: 0, m: 0, fg: -1, bg: -1 };
  let buf = '';
  const flush = () => {
    if (!buf) return;
    const parts = [];
    linkify(buf, mention, parts);
    const cls = [];
    if (st.b) cls.push('f-b');
    if (st.i) cls.push('f-i');
    if (st.u) cls.push('f-u');
    if (st.s) cls.push('f-s');
    if (st.m) cls.push('f-m');
    if (st.fg >= 0 && st.fg < 16) cls.push('fg' + st.fg);
    if (st.bg >= 0 && st.bg < 16) cls.push('bg' + st.bg);
    if (cls.length) frag.append(h('span', { class: cls.join(' ') }, parts));
    else for (const p of parts) frag.append(p instanceof Node ? p : document.createTextNode(p));
    buf = '';
  };
  const s = String(text);
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const code = c.charCodeAt(0);
    if (code >= 0x20 && code !== 0x7f) { buf += c; continue; }
    if (c === '\t') { buf += ' '; continue; }
    flush();
    switch (c) {
      case '\x02': st.b ^= 1; break;
      case '\x1d': st.i ^= 1; break;
      case '\x1f': st.u ^= 1; break;
      case '\x1e': st.s ^= 1; break;
      case '\x11': st.m ^= 1; break;
      case '\x0f': Object.assign(st, { b: 0, i: 0, u: 0, s: 0, m: 0, fg: -1, bg: -1 }); break;
      case '\x03': {
        const m = /^(\d{1,2})(?:,(\d{1,2}))?/.exec(s.slice(i + 1));
        if (!m) { st.fg = -1; st.bg = -1; break; }
        st.fg = +m[1];
        if (m[2] !== undefined) st.bg = +m[2];
        i += m[0].length;
        break;
      }
      case '\x04': {
        const m = /^[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?/.exec(s.slice(i + 1));
        if (m) i += m[0].length;
        break;
      }
      default: break;   // other control characters: dropped
    }
  }
  flush();
  return frag;
}

// A stable hue for a nick, for avatars and names.
export function nickHue(nick) {
  let x = 0;
  for (const ch of String(nick).toLowerCase()) x = (x * 31 + ch.codePointAt(0)) >>> 0;
  return x % 360;
}

export function initials(nick) {
  const s = String(nick).replace(/^[^\p{L}\p{N}]+/u, '');
  return ([...s][0] || '?').toUpperCase();
}

export function formatSize(n) {
  if (!(n >= 0)) return '';
  const u = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + ' ' + u[i];
}
