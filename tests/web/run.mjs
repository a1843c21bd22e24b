// End-to-end tests of the web client: the real lanchatd on 127.0.0.1,
// Debian's Chromium driven by playwright-core (never a downloaded
// browser), two browser users and one plain TCP IRC client in the same
// conversation.  The steps run in order and build on each other.
//
//   node tests/web/run.mjs            (LANCHATD=path/to/lanchatd)
//   WEB_ONLY=xss node tests/web/run.mjs   only steps whose name matches
//
// The last line is "web: N passed, N failed, N skipped".  Steps that
// need a server feature that is not there yet (edit, delete, search,
// uploads) are skipped with the reason.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { Server } from './lib/server.mjs';
import { IrcClient } from './lib/irc.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
// Screenshots go to a temporary folder unless asked for elsewhere
// (make web-shots writes the ones in docs/screenshots).
const SHOTS = process.env.WEB_SHOTS || path.join(os.tmpdir(), 'lanchat-web-shots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const ONLY = process.env.WEB_ONLY ? new RegExp(process.env.WEB_ONLY, 'i') : null;
const STEP_TIMEOUT = 60000;

// ------------------------------------------------------------ harness

class Skip extends Error {}
function skip(why) { throw new Skip(why); }
function assert(cond, what) { if (!cond) throw new Error('assertion failed: ' + what); }
function eq(a, b, what) { if (a !== b) throw new Error(what + ': expected ' + JSON.stringify(b) + ', got ' + JSON.stringify(a)); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(fn, what, timeout = 10000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) { last = e; }
    if (Date.now() > end) throw new Error('timed out waiting for ' + what + (last instanceof Error ? ': ' + last.message : ''));
    await sleep(100);
  }
}

const steps = [];
function step(name, fn, opts = {}) { steps.push({ name, fn, ...opts }); }

// ---------------------------------------------------------- browsers

const users = [];
const tmpDirs = [];

async function newUser(label, opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanchat-chromium-'));
  tmpDirs.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: opts.viewport || { width: 1280, height: 800 },
    deviceScaleFactor: opts.scale || 1,
    isMobile: !!opts.mobile,
    hasTouch: !!opts.mobile,
    locale: opts.locale || 'en-US',
    colorScheme: opts.colorScheme || 'light',
    timezoneId: 'Europe/Berlin',
    reducedMotion: 'reduce',
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const u = { label, ctx, page, errors: [], dialogs: [] };
  page.on('pageerror', (e) => u.errors.push('pageerror: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket connection to/.test(m.text())) u.errors.push('console: ' + m.text());
  });
  page.on('dialog', (d) => { u.dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
  page.setDefaultTimeout(10000);
  users.push(u);
  return u;
}

async function closeUser(u) {
  await u.ctx.close().catch(() => {});
  users.splice(users.indexOf(u), 1);
}

async function register(u, name, password) {
  await u.page.goto(server.url);
  await u.page.locator('.tab').nth(1).click();
  await u.page.fill('input[name=username]', name);
  await u.page.fill('input[name=password]', password);
  await u.page.fill('input[name=password2]', password);
  await u.page.click('.login-form button[type=submit]');
  await u.page.waitForSelector('.shell');
  await until(() => u.page.evaluate(() => window.lanchat.chat.state === 'online'), u.label + ' online');
  u.name = name;
}

async function login(u, name, password) {
  await u.page.goto(server.url);
  await u.page.fill('input[name=username]', name);
  await u.page.fill('input[name=password]', password);
  await u.page.click('.login-form button[type=submit]');
  await u.page.waitForSelector('.shell');
  await until(() => u.page.evaluate(() => window.lanchat.chat.state === 'online'), u.label + ' online');
  u.name = name;
}

const item = (u, key) => u.page.locator('.buf-item[data-key="' + key + '"]');

async function openBuffer(u, key) {
  await item(u, key).click();
  await u.page.waitForSelector('.main-head h2');
}

async function joinChannel(u, name) {
  await u.page.click('.add-channel');
  await u.page.fill('.join-modal input >> nth=0', name);
  await u.page.click('.join-modal button[type=submit]');
  await item(u, name.toLowerCase()).waitFor();
  await until(() => u.page.evaluate((n) => window.lanchat.chat.buffers.get(n)?.joined, name.toLowerCase()), u.label + ' joined ' + name);
}

async function send(u, text) {
  await u.page.fill('.input', text);
  await u.page.press('.input', 'Enter');
}

const msgs = (u, text) => u.page.locator('.messages .msg', { hasText: text });

async function seeMessage(u, text, timeout = 10000) {
  await msgs(u, text).first().waitFor({ timeout });
}

async function countText(u, text) {
  return u.page.evaluate((t) => [...document.querySelectorAll('.messages .msg .text')].filter((e) => e.textContent.includes(t)).length, text);
}

async function shot(u, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await u.page.evaluate(() => document.activeElement?.blur?.());
  await sleep(250);
  await u.page.screenshot({ path: path.join(SHOTS, name + '.png') });
}

// A small PNG (a gradient), made here so the tests need no files.
function makePng(w, h) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = 60 + (x * 150 / w) | 0; raw[o + 1] = 80 + (y * 120 / h) | 0; raw[o + 2] = 220;
    }
  }
  const crc = (buf) => { let c = ~0; for (const b of buf) { c ^= b; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); } return ~c >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// ------------------------------------------------------------- state

let server;
let alice;
let bob;
let carol;       // plain IRC over TCP

const PW = { alice: 'correct horse 1', bob: 'battery staple 2' };
const XSS = ['<img src=x onerror="alert(1)">', '<script>alert(2)</script>', '"><svg onload=alert(3)>', 'javascript:alert(4)'];
const feature = {};

// -------------------------------------------------------------- steps

step('the server starts and serves the client under its CSP', async () => {
  server = new Server();
  await server.start();
  const r = await fetch(server.url);
  eq(r.status, 200, 'GET /');
  const csp = r.headers.get('content-security-policy') || '';
  assert(/script-src 'self'/.test(csp) && /style-src 'self'/.test(csp), 'strict CSP: ' + csp);
  const html = await r.text();
  assert(!/<script(?![^>]*\bsrc=)/i.test(html), 'no inline script in index.html');
  assert(!/\sstyle=/i.test(html) && !/<style/i.test(html), 'no inline style in index.html');
  for (const f of ['/app.css', '/js/main.js', '/notify.wav', '/favicon.svg']) eq((await fetch(server.url.replace(/\/$/, '') + f)).status, 200, f);
  const c = new IrcClient(server.ircPort);
  await c.connect();
  await c.register('probe');
  feature.edit = c.caps.has('draft/message-edit');
  feature.redact = c.caps.has('draft/message-redaction');
  feature.search = c.caps.has('soju.im/search');
  feature.upload = c.isupport.has('DRAFT/FILEHOST') || c.isupport.has('SOJU.IM/FILEHOST');
  feature.token = (c.caps.get('sasl') || '').split(',').includes('X-LANCHAT-TOKEN');
  c.close();
  console.log('  server offers: ' + Object.entries(feature).map(([k, v]) => k + '=' + (v ? 'yes' : 'no')).join(' '));
});

step('two people register in two browsers', async () => {
  alice = await newUser('alice');
  bob = await newUser('bob');
  await alice.page.goto(server.url);
  await alice.page.waitForSelector('.login-card');
  await shot(alice, 'login');
  await register(alice, 'alice', PW.alice);
  await register(bob, 'bob', PW.bob);
  assert(await alice.page.locator('.me-nick', { hasText: 'alice' }).count() === 1, 'alice shown as herself');
});

step('a wrong password is refused with a message', async () => {
  const eve = await newUser('eve');
  try {
    await eve.page.goto(server.url);
    await eve.page.fill('input[name=username]', 'alice');
    await eve.page.fill('input[name=password]', 'not her password');
    await eve.page.click('.login-form button[type=submit]');
    await eve.page.locator('.form-error', { hasText: /wrong/i }).waitFor();
    eq(await eve.page.locator('.shell').count(), 0, 'no chat shown');
  } finally { await closeUser(eve); }
});

step('the protocol helpers: no line injection, tags round-trip', async () => {
  const page = alice.page;
  const r = await page.evaluate(async () => {
    const irc = await import('/js/irc.js');
    const fmt = await import('/js/format.js');
    const out = {};
    out.crlf = irc.buildLine('PRIVMSG', ['#a', 'hi\r\nQUIT :x\0']);
    out.mid = irc.buildLine('PRIVMSG', ['#a b', 'x']);
    out.tags = irc.buildLine('TAGMSG', ['#a'], { '+draft/react': 'a;b c\\d\r\n' });
    const back = irc.parseLine('@+draft/react=' + out.tags.split('=')[1].split(' ')[0] + ' :n!u@h TAGMSG #a');
    out.roundtrip = back.tags['+draft/react'];
    const p = irc.parseLine('@time=2020-01-02T03:04:05.678Z;msgid=abc :nick!user@host PRIVMSG #chan :hello  world ');
    out.parsed = [p.nick, p.user, p.host, p.command, p.params, p.time, p.msgid];
    out.empty = irc.parseLine(':srv 001 me :').params;
    out.plain = fmt.plainText('\x02b\x02 \x0304,05red\x03 \x04ff0000hex\x04 \x01x');
    const f = fmt.renderText('see https://a.example/x). and javascript:alert(1) <b>', { nick: 'me' });
    const d = document.createElement('div');
    d.append(f);
    out.html = d.innerHTML;
    return out;
  });
  assert(!/[\r\n\0]/.test(r.crlf), 'no CR/LF/NUL in a built line: ' + JSON.stringify(r.crlf));
  eq(r.mid, 'PRIVMSG #ab x', 'a middle parameter cannot hold a space');
  eq(r.roundtrip, 'a;b c\\d\r\n', 'tag value round-trip');
  eq(JSON.stringify(r.parsed), JSON.stringify(['nick', 'user', 'host', 'PRIVMSG', ['#chan', 'hello  world '], Date.parse('2020-01-02T03:04:05.678Z'), 'abc']), 'parse');
  eq(JSON.stringify(r.empty), JSON.stringify(['me', '']), 'empty trailing parameter');
  eq(r.plain, 'b red hex x', 'formatting stripped');
  eq(r.html, 'see <a href="https://a.example/x" target="_blank" rel="noopener noreferrer">https://a.example/x</a>). and javascript:alert(1) &lt;b&gt;', 'rendered text');
});

step('they join a channel and talk', async () => {
  await joinChannel(alice, '#lobby');
  await joinChannel(bob, '#lobby');
  await send(alice, 'Morning! Is the printer on the second floor fixed?');
  await seeMessage(bob, 'printer on the second floor');
  await send(bob, 'Yes, since yesterday. The toner was empty.');
  await send(bob, 'I put two spare cartridges in the cupboard.');
  await seeMessage(alice, 'spare cartridges');
  // Bob's two messages are one group: one header.
  const heads = await alice.page.locator('.messages .msg.head[data-nick="bob"]').count();
  eq(heads, 1, 'bob\'s consecutive messages grouped under one header');
  eq(await alice.page.locator('.new-line').count(), 0, 'no "new messages" line for what arrives while reading');
  await alice.page.locator('.members .member[data-nick="bob"]').waitFor();
});

step('a plain IRC client over TCP sees the same conversation', async () => {
  carol = new IrcClient(server.ircPort);
  await carol.connect();
  await carol.register('carol');
  const mark = carol.mark();
  carol.send('JOIN #lobby');
  await carol.wait((l) => l.command === '366', 8000, mark);
  await send(alice, 'Welcome carol, this is the office chat.');
  await carol.wait((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[1] === 'Welcome carol, this is the office chat.');
  carol.send('PRIVMSG #lobby :Thanks! Happy to be here.');
  await seeMessage(alice, 'Happy to be here');
  await seeMessage(bob, 'Happy to be here');
  await alice.page.locator('.members .member[data-nick="carol"]').waitFor();
});

step('typing shows on the other side', async () => {
  await bob.page.fill('.input', 'I am writing someth');
  await bob.page.type('.input', 'i');
  await alice.page.locator('.typing', { hasText: /bob is typing/ }).waitFor();
  await bob.page.fill('.input', '');
  await bob.page.type('.input', 'x');
  await bob.page.press('.input', 'Backspace');
  await until(async () => (await alice.page.locator('.typing').textContent()) === '', 'typing cleared');
});

step('unread counts, mentions, title and sound', async () => {
  await joinChannel(alice, '#random');
  await openBuffer(alice, '#random');
  await alice.page.bringToFront();
  await bob.page.bringToFront();
  await send(bob, 'Lunch at noon today?');
  await send(bob, 'alice: can you book the big room for Friday?');
  const badge = item(alice, '#lobby').locator('.badge.mention');
  await badge.waitFor();
  eq(await badge.textContent(), '1', 'one mention');
  await until(async () => /^\(\d+\) /.test(await alice.page.title()), 'unread count in the title');
  const sounds = await until(() => alice.page.evaluate(() => +(document.body.dataset.sounds || 0)), 'a sound for the mention');
  assert(sounds >= 1, 'sound played');
  assert((await alice.page.evaluate(() => document.body.dataset.badge)) !== '0/0', 'favicon badge drawn');
  await alice.page.bringToFront();
  await openBuffer(alice, '#lobby');
  await alice.page.locator('.new-line').waitFor();
  await until(async () => (await item(alice, '#lobby').locator('.badge').count()) === 0, 'badge cleared once read');
  await until(async () => !/^\(/.test(await alice.page.title()), 'title without count');
  await seeMessage(alice, 'book the big room');
  assert(await msgs(alice, 'book the big room').locator('.mention-me').count() === 1, 'mention highlighted');
  // A muted channel: no sound, no count.
  await joinChannel(bob, '#random');
  await openBuffer(alice, '#random');
  await alice.page.click('.mute-btn');
  await item(alice, '#random').locator('.mute-icon').waitFor();
  await openBuffer(alice, '#lobby');
  const before = await alice.page.evaluate(() => +(document.body.dataset.sounds || 0));
  await openBuffer(bob, '#random');
  await send(bob, 'alice: anything for the muted channel?');
  await until(() => alice.page.evaluate(() => window.lanchat.chat.buffers.get('#random').unread === 1), 'the message arrives');
  await sleep(300);
  eq(await alice.page.evaluate(() => +(document.body.dataset.sounds || 0)), before, 'no sound from a muted channel');
  eq(await item(alice, '#random').locator('.badge:not(.mention)').count(), 0, 'no unread count on a muted channel');
  await openBuffer(bob, '#lobby');
});

step('away and back show in the member list', async () => {
  await openBuffer(alice, '#lobby');
  carol.send('AWAY :at lunch');
  await alice.page.locator('.members .member.is-away[data-nick="carol"]').waitFor();
  carol.send('AWAY');
  await alice.page.locator('.members .member:not(.is-away)[data-nick="carol"]').waitFor();
});

step('the theme toggle switches light and dark', async () => {
  await alice.page.click('.theme-btn');
  eq(await alice.page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'dark after one click');
  const bg = await alice.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await alice.page.click('.theme-btn');
  eq(await alice.page.evaluate(() => document.documentElement.dataset.theme), 'light', 'light after two');
  assert(bg !== await alice.page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'the colours change');
  await alice.page.evaluate(() => { localStorage.removeItem('lanchat.theme'); delete document.documentElement.dataset.theme; });
});

step('the read marker is shared with the same user\'s other device', async () => {
  const alice2 = await newUser('alice-2');
  try {
    await login(alice2, 'alice', PW.alice);
    await item(alice2, '#lobby').waitFor();
    await until(() => alice2.page.evaluate(() => { const b = window.lanchat.chat.buffers.get('#lobby'); return b && b.historyLoaded && b.markerKnown; }), 'history and marker on the second device');
    await sleep(300);
    eq(await item(alice2, '#lobby').locator('.badge').count(), 0, 'no unread badge on the second device');
    await send(bob, 'Booked or not, I will bring cake.');
    await item(alice2, '#lobby').locator('.badge').waitFor();
  } finally { await closeUser(alice2); }
});

step('reply to a message', async () => {
  await openBuffer(bob, '#lobby');
  const target = msgs(bob, 'Is the printer on the second floor fixed');
  await target.hover();
  await target.locator('.reply-btn').click();
  await bob.page.locator('.compose-bar', { hasText: /Replying to alice/ }).waitFor();
  await send(bob, 'Also the scanner works again.');
  const reply = msgs(alice, 'scanner works again');
  await reply.waitFor();
  await reply.locator('.quote', { hasText: 'printer on the second floor' }).waitFor();
});

step('react with an emoji', async () => {
  const m = msgs(alice, 'I will bring cake');
  await m.hover();
  await m.locator('.react-btn').click();
  await alice.page.locator('.emoji-grid .emoji-btn', { hasText: '🎉' }).click();
  await msgs(bob, 'I will bring cake').locator('.reaction', { hasText: '🎉' }).waitFor();
  eq(await msgs(bob, 'I will bring cake').locator('.reaction .n').first().textContent(), '1', 'one reaction');
  await msgs(alice, 'I will bring cake').locator('.reaction.mine').waitFor();
  if (feature.redact) {
    // Taking it back (a REDACT of the reaction), then giving it again.
    await msgs(alice, 'I will bring cake').locator('.reaction.mine').click();
    await until(async () => (await msgs(bob, 'I will bring cake').locator('.reaction', { hasText: '🎉' }).count()) === 0, 'the reaction is taken back');
    const m2 = msgs(alice, 'I will bring cake');
    await m2.hover();
    await m2.locator('.react-btn').click();
    await alice.page.locator('.emoji-grid .emoji-btn', { hasText: '🎉' }).click();
    await msgs(bob, 'I will bring cake').locator('.reaction', { hasText: '🎉' }).waitFor();
  }
});

step('edit your own message', async () => {
  if (!feature.edit) skip('the server has no draft/message-edit yet');
  await send(alice, 'The meeting is at 3pm');
  await seeMessage(bob, 'The meeting is at 3pm');
  const m = msgs(alice, 'The meeting is at 3pm');
  await m.hover();
  await m.locator('.edit-btn').click();
  await alice.page.fill('.input', 'The meeting is at 4pm');
  await alice.page.press('.input', 'Enter');
  await msgs(bob, 'The meeting is at 4pm').locator('.edited').waitFor();
  eq(await countText(bob, 'The meeting is at 3pm'), 0, 'old text gone');
});

step('delete your own message', async () => {
  if (!feature.redact) skip('the server has no draft/message-redaction yet');
  await send(alice, 'Oops, wrong channel');
  await seeMessage(bob, 'Oops, wrong channel');
  const m = msgs(alice, 'Oops, wrong channel');
  await m.hover();
  await m.locator('.delete-btn').click();
  await alice.page.click('.delete-modal .btn.danger');
  await until(async () => (await countText(bob, 'Oops, wrong channel')) === 0, 'message gone on the other side');
  await until(async () => (await countText(alice, 'Oops, wrong channel')) === 0, 'message gone here');
});

step('operators change the topic and channel modes', async () => {
  await openBuffer(alice, '#lobby');
  await alice.page.click('.settings-btn');
  await alice.page.fill('.settings-modal textarea', 'Office chat · printer: 2nd floor · lunch 12:00');
  await alice.page.check('.settings-modal input[name=mode-m]');
  await alice.page.click('.settings-modal button[type=submit]');
  await carol.wait((l) => l.command === 'TOPIC' && l.params[1] === 'Office chat · printer: 2nd floor · lunch 12:00');
  await carol.wait((l) => l.command === 'MODE' && l.params[0] === '#lobby' && /\+[a-z]*m/.test(l.params[1] || ''));
  await bob.page.locator('.main-head .topic', { hasText: 'printer: 2nd floor' }).waitFor();
  // Unmoderate again, and voice bob so he can talk in any case.
  await alice.page.click('.settings-btn');
  await alice.page.uncheck('.settings-modal input[name=mode-m]');
  await alice.page.click('.settings-modal button[type=submit]');
  await carol.wait((l) => l.command === 'MODE' && l.params[0] === '#lobby' && /-[a-z]*m/.test(l.params[1] || ''));
  eq(await bob.page.locator('.settings-modal input[name=mode-m]').count(), 0, 'no dialog open for bob');
  await bob.page.click('.settings-btn');
  assert(await bob.page.locator('.settings-modal input[name=mode-m]').isDisabled(), 'a non-operator cannot change modes');
  await bob.page.click('.settings-modal .modal-close');
});

step('a direct message from the member list', async () => {
  await openBuffer(alice, '#lobby');
  await alice.page.click('.members .member[data-nick="bob"]');
  await alice.page.click('.menu-item >> text=Message');
  await alice.page.locator('.main-head h2', { hasText: 'bob' }).waitFor();
  await send(alice, 'Can you review my slides before Friday?');
  await item(bob, 'alice').locator('.badge.mention').waitFor();
  await openBuffer(bob, 'alice');
  await seeMessage(bob, 'review my slides');
  await send(bob, 'Sure, send them over.');
  await seeMessage(alice, 'send them over');
  assert(await alice.page.locator('.main-head .dot.online').count() === 1, 'bob shown online');
});

step('a direct message to someone found by name', async () => {
  await alice.page.click('.add-dm');
  await alice.page.fill('.dm-modal input', 'car');
  await alice.page.click('.dm-modal .person[data-nick="carol"]');
  await alice.page.locator('.main-head h2', { hasText: 'carol' }).waitFor();
  await send(alice, 'Hi carol, welcome aboard');
  await carol.wait((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[0] === 'carol' && l.params[1] === 'Hi carol, welcome aboard');
  carol.send('PRIVMSG alice :Thank you alice!');
  await seeMessage(alice, 'Thank you alice!');
  eq(await countText(alice, 'Hi carol, welcome aboard'), 1, 'own DM shown once');
});

step('screenshots: desktop and phone, light and dark', async () => {
  await openBuffer(alice, '#lobby');
  await alice.page.evaluate(() => { document.querySelector('.messages').scrollTop = 1e9; });
  await alice.page.mouse.move(640, 5);
  await shot(alice, 'desktop-light');
  await alice.page.emulateMedia({ colorScheme: 'dark' });
  await shot(alice, 'desktop-dark');
  await alice.page.emulateMedia({ colorScheme: 'light' });
  const phone = await newUser('phone-shots', { viewport: { width: 390, height: 844 }, mobile: true, scale: 2 });
  try {
    await login(phone, 'bob', PW.bob);
    await item(phone, '#lobby').waitFor();
    await item(phone, '#lobby').tap();
    await seeMessage(phone, 'scanner works again');
    await sleep(500);
    await shot(phone, 'phone-light');
    await phone.page.click('.back-btn');
    await phone.page.emulateMedia({ colorScheme: 'dark' });
    await shot(phone, 'phone-dark');
  } finally { await closeUser(phone); }
});

step('/me and IRC formatting', async () => {
  await openBuffer(alice, '#lobby');
  await openBuffer(bob, '#lobby');
  await send(alice, '/me waves at everyone');
  await msgs(bob, 'waves at everyone').locator('.action-nick').waitFor();
  carol.send('PRIVMSG #lobby :\x02bold\x02 and \x0304red\x03 and \x1ditalic\x1d done');
  const m = msgs(alice, 'italic');
  await m.waitFor();
  await m.locator('.f-b', { hasText: 'bold' }).waitFor();
  await m.locator('.fg4', { hasText: 'red' }).waitFor();
  const txt = await m.locator('.text').textContent();
  assert(!/[\x00-\x1f]/.test(txt), 'no control characters shown');
});

step('links are http(s) only and open apart', async () => {
  carol.send('PRIVMSG #lobby :docs at https://example.com/a?b=1 and javascript:alert(5) and data:text/html,hi');
  const m = msgs(alice, 'docs at');
  await m.waitFor();
  const links = await m.locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.rel, a.target]));
  eq(links.length, 1, 'one link');
  eq(links[0][0], 'https://example.com/a?b=1', 'the https URL');
  eq(links[0][1], 'noopener noreferrer', 'rel');
  eq(links[0][2], '_blank', 'target');
});

step('markup in messages, nicks, topics, kick reasons stays text', async () => {
  const mark = carol.mark();
  carol.send('JOIN #xss');
  await carol.wait((l) => l.command === '366', 8000, mark);
  await joinChannel(alice, '#xss');
  await joinChannel(bob, '#xss');
  for (const p of XSS) carol.send('PRIVMSG #xss :' + p);
  carol.send('TOPIC #xss :' + XSS[0] + XSS[2]);
  await alice.page.locator('.main-head .topic', { hasText: 'onerror' }).waitFor();
  for (const p of XSS) await seeMessage(alice, p);
  carol.send('KICK #xss bob :' + XSS[1] + XSS[2]);
  await bob.page.locator('.event.ev-kick', { hasText: 'onload' }).waitFor();
  // Nicks: the server refuses markup in nicks; whatever it takes is shown as text.
  const odd = new IrcClient(server.ircPort);
  await odd.connect();
  odd.send('CAP LS 302');
  odd.send('NICK <b>x</b>');
  const r = await odd.wait((l) => ['432', 'CAP'].includes(l.command));
  if (r.command === 'CAP') {
    // (a server that took it would be shown below as text)
  }
  odd.send('NICK [odd]{`}|^');
  odd.send('USER odd 0 * :<img src=x onerror=alert(6)>');
  odd.send('CAP END');
  await odd.wait((l) => l.command === '001');
  const oddNick = odd.lines.find((l) => l.command === '001').params[0];
  odd.send('JOIN #xss');
  odd.send('PRIVMSG #xss :<iframe src="javascript:alert(7)"></iframe>');
  await seeMessage(alice, '<iframe');
  await alice.page.locator('.msg[data-nick="' + oddNick + '"] .nick', { hasText: oddNick }).waitFor();
  odd.close();
  for (const u of [alice, bob]) {
    const bad = await u.page.evaluate(() => {
      const q = 'img[src="x"], script:not([src]), svg[onload], iframe, [onerror], [onload], a[href^="javascript:"], a[href^="data:"]';
      return [...document.querySelectorAll(q)].map((e) => e.outerHTML);
    });
    eq(bad.length, 0, u.label + ': injected elements ' + JSON.stringify(bad));
    eq(u.dialogs.length, 0, u.label + ': dialogs ' + JSON.stringify(u.dialogs));
  }
  await openBuffer(alice, '#lobby');
});

step('history loads on scroll, without duplicates', async () => {
  const mark = carol.mark();
  carol.send('JOIN #archive');
  await carol.wait((l) => l.command === '366', 8000, mark);
  for (let i = 1; i <= 80; i++) carol.send('PRIVMSG #archive :archive line ' + String(i).padStart(3, '0'));
  carol.send('PING :done');
  await carol.wait((l) => l.command === 'PONG' && l.params[l.params.length - 1] === 'done', 30000);
  await joinChannel(bob, '#archive');
  await openBuffer(bob, '#archive');
  await seeMessage(bob, 'archive line 080');
  eq(await countText(bob, 'archive line 001'), 0, 'the first page is the newest');
  for (let i = 0; i < 20 && (await countText(bob, 'archive line 001')) === 0; i++) {
    await bob.page.evaluate(() => { document.querySelector('.messages').scrollTop = 0; });
    await sleep(400);
  }
  await seeMessage(bob, 'archive line 001');
  const texts = await bob.page.evaluate(() => [...document.querySelectorAll('.messages .msg .text')].map((e) => e.textContent));
  const arch = texts.filter((x) => x.startsWith('archive line'));
  eq(arch.length, 80, 'every line once');
  eq(new Set(arch).size, 80, 'no duplicates');
  assert(arch.every((x, i) => i === 0 || x > arch[i - 1]), 'in order');
});

step('a reload keeps the session and the history', async () => {
  await openBuffer(alice, '#lobby');
  await alice.page.reload();
  await alice.page.waitForSelector('.shell');
  eq(await alice.page.locator('.login-card').count(), 0, 'no login screen after reload');
  await until(() => alice.page.evaluate(() => window.lanchat.chat.state === 'online'), 'online again');
  await seeMessage(alice, 'Is the printer on the second floor fixed');
  await seeMessage(alice, 'scanner works again');
  eq(await countText(alice, 'Welcome carol, this is the office chat.'), 1, 'no duplicates after reload');
  await item(alice, 'bob').waitFor();
  const stored = await alice.page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert(!stored.includes(PW.alice) || !feature.token, 'the password is not stored when tokens exist');
  assert(!(await alice.page.evaluate(() => JSON.stringify({ ...localStorage }))).includes(PW.alice), 'the password is never in localStorage');
});

step('the server restarts mid-conversation: reconnect, nothing lost or doubled', async () => {
  await openBuffer(alice, '#lobby');
  await openBuffer(bob, '#lobby');
  await send(bob, 'Before the restart');
  await seeMessage(alice, 'Before the restart');
  await alice.page.fill('.input', 'a draft I have not sent');
  carol.close();
  await server.restart();
  await alice.page.locator('.banner').waitFor();
  // Someone talks while the pages are still away: it comes from history.
  carol = new IrcClient(server.ircPort);
  await carol.connect();
  await carol.register('carol');
  const mark = carol.mark();
  carol.send('JOIN #lobby');
  await carol.wait((l) => l.command === '366', 8000, mark);
  carol.send('PRIVMSG #lobby :While you were reconnecting');
  await until(() => alice.page.evaluate(() => window.lanchat.chat.state === 'online'), 'alice back online', 30000);
  await until(() => bob.page.evaluate(() => window.lanchat.chat.state === 'online'), 'bob back online', 30000);
  await seeMessage(alice, 'While you were reconnecting', 15000);
  await seeMessage(bob, 'While you were reconnecting', 15000);
  eq(await alice.page.inputValue('.input'), 'a draft I have not sent', 'the draft survives');
  await alice.page.fill('.input', '');
  await send(alice, 'After the restart');
  await seeMessage(bob, 'After the restart');
  await carol.wait((l) => l.command === 'PRIVMSG' && l.params[1] === 'After the restart');
  for (const u of [alice, bob]) {
    for (const t of ['Before the restart', 'While you were reconnecting', 'After the restart', 'Happy to be here']) {
      eq(await countText(u, t), 1, u.label + ' sees "' + t + '" once');
    }
  }
  await alice.page.locator('.banner').waitFor({ state: 'hidden' });
});

step('a silent network drop: the page notices, reconnects, loses nothing', async () => {
  await openBuffer(alice, '#lobby');
  await openBuffer(bob, '#lobby');
  server.proc.kill('SIGSTOP');
  try {
    await until(() => alice.page.evaluate(() => window.lanchat.chat.state !== 'online'), 'alice notices the dead link', 45000);
    await alice.page.locator('.banner').waitFor();
  } finally {
    server.proc.kill('SIGCONT');
  }
  await until(() => alice.page.evaluate(() => window.lanchat.chat.state === 'online'), 'alice back online', 45000);
  await until(() => bob.page.evaluate(() => window.lanchat.chat.state === 'online'), 'bob back online', 45000);
  await send(bob, 'Back after the drop');
  await seeMessage(alice, 'Back after the drop');
  for (const u of [alice, bob]) eq(await countText(u, 'Back after the drop'), 1, u.label + ' sees it once');
  for (const u of [alice, bob]) eq(await countText(u, 'After the restart'), 1, u.label + ' no duplicates of older lines');
}, { timeout: 150000 });

step('search finds a message and jumps to it', async () => {
  if (!feature.search) skip('the server has no soju.im/search yet');
  await openBuffer(alice, '#random');
  await alice.page.click('.search-btn');
  await alice.page.fill('.search-modal input', 'cartridges');
  await alice.page.press('.search-modal input', 'Enter');
  const r = alice.page.locator('.search-modal .result', { hasText: 'cartridges' });
  await r.first().waitFor();
  await r.first().click();
  await alice.page.locator('.main-head h2', { hasText: 'lobby' }).waitFor();
  await msgs(alice, 'spare cartridges').waitFor();
});

// Until lanchatd takes uploads, the client's side of them (button,
// paste, drop, progress, the link, inline pictures, file cards, the
// viewer) runs against a stand-in file host inside the browsers.
step('uploads against a stand-in file host (while the server has none)', async () => {
  if (feature.upload) skip('the server takes uploads: the next step tests them for real');
  const files = new Map();
  const auths = [];
  let n = 0;
  const host = async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    if (req.method() === 'POST' && url.pathname === '/upload') {
      auths.push(req.headers().authorization || '');
      const id = '/files/f' + (++n) + 'x7Kq2';
      files.set(id, { body: req.postDataBuffer() || Buffer.alloc(0), type: req.headers()['content-type'], cd: req.headers()['content-disposition'] || '' });
      return route.fulfill({ status: 201, headers: { Location: id } });
    }
    const f = files.get(url.pathname);
    if (!f) return route.fulfill({ status: 404, body: 'no' });
    return route.fulfill({ status: 200, headers: { 'Content-Type': f.type, 'Content-Disposition': f.cd }, body: f.body });
  };
  for (const u of [alice, bob]) {
    await u.page.route('**/upload', host);
    await u.page.route('**/files/**', host);
    await u.page.evaluate(() => { window.lanchat.chat.irc.isupport.set('DRAFT/FILEHOST', '/upload'); window.lanchat.view.render(); });
  }
  try {
    await openBuffer(alice, '#lobby');
    await openBuffer(bob, '#lobby');
    assert(await alice.page.locator('.attach').isVisible(), 'the attach button shows');
    await alice.page.setInputFiles('.composer input[type=file]', { name: 'whiteboard.png', mimeType: 'image/png', buffer: makePng(320, 200) });
    await bob.page.locator('.messages .inline-img').last().waitFor();
    await until(() => bob.page.evaluate(() => { const i = [...document.querySelectorAll('.inline-img')].pop(); return i && i.complete && i.naturalWidth === 320; }), 'the picture loads on the other side');
    assert(/^(Basic|Bearer) /.test(auths[0]), 'the upload is authenticated: ' + auths[0]);
    await bob.page.locator('.inline-img').last().click();
    await bob.page.locator('.viewer-modal .viewer-img').waitFor();
    await bob.page.locator('.viewer-modal a[download]').waitFor();
    await bob.page.click('.viewer-modal .modal-close');
    // Paste and drop.
    await alice.page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['pasted text'], 'notes from paste.txt', { type: 'text/plain' }));
      document.querySelector('.input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    });
    await bob.page.locator('.file-card .file-name', { hasText: 'notes from paste.txt' }).waitFor();
    await alice.page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['x'.repeat(2048)], '<img src=x onerror=alert(8)>.txt', { type: 'text/plain' }));
      const main = document.querySelector('.main');
      main.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      main.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    const card = bob.page.locator('.file-card', { hasText: 'onerror' });
    await card.waitFor();
    eq(await card.locator('.file-size').textContent(), '2.0 KB', 'the size on the card');
    eq(await bob.page.locator('img[src="x"], [onerror]').count(), 0, 'the file name stays text');
    eq(await alice.page.locator('.drop-overlay').isVisible(), false, 'the drop overlay is gone');
    await shot(bob, 'desktop-files');
  } finally {
    for (const u of [alice, bob]) {
      await u.page.unroute('**/upload');
      await u.page.unroute('**/files/**');
      await u.page.evaluate(() => { window.lanchat.chat.irc.isupport.delete('DRAFT/FILEHOST'); window.lanchat.view.render(); });
    }
  }
});

step('a picture sent from one browser shows inline on the other', async () => {
  if (!feature.upload) skip('the server has no FILEHOST uploads yet');
  await openBuffer(alice, '#lobby');
  await openBuffer(bob, '#lobby');
  await alice.page.setInputFiles('.composer input[type=file]', { name: 'whiteboard.png', mimeType: 'image/png', buffer: makePng(320, 200) });
  await bob.page.locator('.messages .inline-img').last().waitFor({ timeout: 15000 });
  await until(() => bob.page.evaluate(() => { const i = [...document.querySelectorAll('.inline-img')].pop(); return i && i.complete && i.naturalWidth === 320; }), 'the picture loads');
  await alice.page.setInputFiles('.composer input[type=file]', { name: '<img src=x onerror=alert(8)>.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await bob.page.locator('.file-card .file-name', { hasText: 'onerror' }).waitFor({ timeout: 15000 });
  eq(await bob.page.locator('img[src="x"]').count(), 0, 'the file name stays text');
  await bob.page.locator('.inline-img').last().click();
  await bob.page.locator('.viewer-modal .viewer-img').waitFor();
  await bob.page.click('.viewer-modal .modal-close');
});

step('the phone layout at 390x844', async () => {
  const phone = await newUser('phone', { viewport: { width: 390, height: 844 }, mobile: true, scale: 2 });
  try {
    await login(phone, 'bob', PW.bob);
    await phone.page.locator('.sidebar').waitFor();
    let w = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    assert(w <= 390, 'no horizontal scroll: ' + w);
    await item(phone, '#lobby').waitFor();
    await item(phone, '#lobby').tap();
    await phone.page.locator('.main-head h2', { hasText: 'lobby' }).waitFor();
    assert(!(await phone.page.locator('.sidebar').isVisible()), 'the list gives way to the conversation');
    await seeMessage(phone, 'After the restart');
    assert(await phone.page.locator('.back-btn').isVisible(), 'a back button');
    assert(await phone.page.locator('.composer .input').isVisible(), 'the composer');
    w = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    assert(w <= 390, 'no horizontal scroll in a conversation: ' + w);
    const box = await phone.page.locator('.composer').boundingBox();
    assert(box && box.y + box.height <= 844 + 1, 'composer on screen');
    await until(() => phone.page.evaluate(() => { const l = document.querySelector('.messages'); return l.scrollHeight - l.scrollTop - l.clientHeight < 48; }),
      'the conversation opens at its newest message');
    await phone.page.locator('.msg', { hasText: 'After the restart' }).tap();
    await phone.page.locator('.msg.touched .tools').waitFor();
    await phone.page.click('.back-btn');
    await phone.page.locator('.sidebar').waitFor();
    eq(phone.errors.length, 0, 'phone errors: ' + phone.errors.join('; '));
  } finally { await closeUser(phone); }
});

step('the interface follows the browser\'s language (Russian)', async () => {
  const ru = await newUser('ru', { locale: 'ru-RU' });
  try {
    await ru.page.goto(server.url);
    await ru.page.locator('.login-form button[type=submit]', { hasText: 'Войти' }).waitFor();
    eq(await ru.page.evaluate(() => document.documentElement.lang), 'ru', 'lang attribute');
  } finally { await closeUser(ru); }
});

step('logging out forgets this device', async () => {
  await openBuffer(bob, 'alice');
  await bob.page.locator('.main-head .dot.online').waitFor();
  await alice.page.click('.logout-btn');
  await bob.page.locator('.main-head .dot.offline').waitFor();
  await alice.page.locator('.login-card').waitFor();
  await alice.page.reload();
  await alice.page.locator('.login-card').waitFor();
  const left = await alice.page.evaluate(() => localStorage.getItem('lanchat.login') || sessionStorage.getItem('lanchat.session'));
  eq(left, null, 'no login left on the device');
});

step('no script errors, CSP violations, dialogs, or server errors anywhere', async () => {
  for (const u of users) {
    eq(u.errors.length, 0, u.label + ': ' + u.errors.join(' | '));
    eq(u.dialogs.length, 0, u.label + ' dialogs: ' + u.dialogs.join(' | '));
  }
  // The server stops cleanly (sanitizer builds report leaks at exit).
  await server.stop();
  for (const mark of ['ERROR: AddressSanitizer', 'runtime error:', 'ERROR: LeakSanitizer', 'SUMMARY: UndefinedBehaviorSanitizer']) {
    assert(!server.log.includes(mark), 'sanitizer report in the server log:\n' + server.log.slice(-3000));
  }
  eq(server.exitCode, 0, 'lanchatd exit status after SIGTERM');
});

// ---------------------------------------------------------------- run

async function main() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let broken = false;
  for (const s of steps) {
    if (ONLY && !ONLY.test(s.name) && !/server starts|register/.test(s.name)) continue;
    if (broken) { console.log('FAIL  ' + s.name + ' (not run: the server did not start)'); failed++; continue; }
    const t0 = Date.now();
    try {
      await Promise.race([s.fn(), sleep(s.timeout || STEP_TIMEOUT).then(() => { throw new Error('step timed out'); })]);
      console.log('ok    ' + s.name + ' (' + (Date.now() - t0) + ' ms)');
      passed++;
    } catch (e) {
      if (e instanceof Skip) {
        console.log('skip  ' + s.name + ': ' + e.message);
        skipped++;
        continue;
      }
      failed++;
      console.log('FAIL  ' + s.name + '\n      ' + String(e.stack || e).split('\n').slice(0, 6).join('\n      '));
      for (const u of users) {
        const f = path.join(os.tmpdir(), 'lanchat-web-fail-' + u.label + '.png');
        await u.page.screenshot({ path: f }).catch(() => {});
        if (u.errors.length) console.log('      ' + u.label + ' errors: ' + u.errors.slice(-5).join(' | '));
      }
      if (!server?.proc && steps.indexOf(s) === 0) broken = true;
    }
  }
  for (const u of [...users]) await closeUser(u);
  if (carol) carol.close();
  if (server) {
    if (failed && process.env.WEB_LOG) console.log(server.log.slice(-4000));
    await server.cleanup();
  }
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  console.log('web: ' + passed + ' passed, ' + failed + ' failed, ' + skipped + ' skipped');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.log('FAIL  harness: ' + (e.stack || e)); console.log('web: 0 passed, 1 failed, 0 skipped'); process.exit(1); });
