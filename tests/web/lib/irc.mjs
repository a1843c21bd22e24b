// A plain IRC client over TCP for the web tests: the third participant,
// who must see the same conversation the browsers do.
import net from 'node:net';

export function parse(raw) {
  const m = { raw, tags: {}, source: null, nick: null, command: '', params: [] };
  let rest = raw;
  if (rest.startsWith('@')) {
    const sp = rest.indexOf(' ');
    for (const t of rest.slice(1, sp).split(';')) {
      const eq = t.indexOf('=');
      m.tags[eq < 0 ? t : t.slice(0, eq)] = eq < 0 ? '' : t.slice(eq + 1);
    }
    rest = rest.slice(sp + 1);
  }
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    m.source = rest.slice(1, sp);
    m.nick = m.source.split('!')[0];
    rest = rest.slice(sp + 1);
  }
  while (rest.length) {
    if (rest.startsWith(':') && m.command) { m.params.push(rest.slice(1)); break; }
    const sp = rest.indexOf(' ');
    const w = sp < 0 ? rest : rest.slice(0, sp);
    if (!m.command) m.command = w.toUpperCase(); else m.params.push(w);
    rest = sp < 0 ? '' : rest.slice(sp + 1);
  }
  return m;
}

export class IrcClient {
  constructor(port) {
    this.port = port;
    this.lines = [];
    this.waiters = [];
    this.buf = '';
    this.caps = new Map();
    this.isupport = new Map();
  }

  connect() {
    return new Promise((resolve, reject) => {
      this.sock = net.connect(this.port, '127.0.0.1', resolve);
      this.sock.on('error', reject);
      this.sock.setEncoding('utf8');
      this.sock.on('data', (d) => {
        this.buf += d;
        let i;
        while ((i = this.buf.indexOf('\n')) >= 0) {
          const line = this.buf.slice(0, i).replace(/\r$/, '');
          this.buf = this.buf.slice(i + 1);
          const m = parse(line);
          if (m.command === 'PING') this.send('PONG :' + (m.params[0] || ''));
          this.lines.push(m);
          for (const w of [...this.waiters]) if (w.pred(m)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(m); }
        }
      });
    });
  }

  send(line) { this.sock.write(line + '\r\n'); }

  // The first line (already seen or still to come) that pred accepts.
  wait(pred, timeout = 8000, from = 0) {
    const seen = this.lines.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) { this.waiters.splice(i, 1); reject(new Error('IRC: timed out; last lines:\n' + this.lines.slice(-8).map((l) => l.raw).join('\n'))); }
      }, timeout);
    });
  }

  mark() { return this.lines.length; }

  async register(nick, caps = []) {
    this.nick = nick;
    this.send('CAP LS 302');
    this.send('NICK ' + nick);
    this.send('USER ' + nick + ' 0 * :' + nick);
    const ls = [];
    for (;;) {
      const m = await this.wait((l) => l.command === 'CAP' && l.params[1] === 'LS' && !ls.includes(l));
      ls.push(m);
      for (const c of (m.params[m.params.length - 1] || '').split(' ')) {
        const eq = c.indexOf('=');
        if (c) this.caps.set(eq < 0 ? c : c.slice(0, eq), eq < 0 ? '' : c.slice(eq + 1));
      }
      if (m.params[2] !== '*') break;
    }
    const want = caps.filter((c) => this.caps.has(c));
    if (want.length) {
      this.send('CAP REQ :' + want.join(' '));
      await this.wait((l) => l.command === 'CAP' && (l.params[1] === 'ACK' || l.params[1] === 'NAK'));
    }
    this.send('CAP END');
    await this.wait((l) => l.command === '001');
    await this.wait((l) => l.command === '376' || l.command === '422');
    for (const l of this.lines) {
      if (l.command !== '005') continue;
      for (const tok of l.params.slice(1, -1)) {
        const eq = tok.indexOf('=');
        this.isupport.set((eq < 0 ? tok : tok.slice(0, eq)).toUpperCase(), eq < 0 ? '' : tok.slice(eq + 1));
      }
    }
    return this;
  }

  close() { try { this.sock.end('QUIT :bye\r\n'); } catch (e) { /* gone */ } this.sock.destroy(); }
}
