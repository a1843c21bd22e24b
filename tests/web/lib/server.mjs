// Start lanchatd for the web tests: 127.0.0.1 only, a temporary data
// directory, fast password hashing.  The first start takes ports from
// the kernel; restarts reuse them, so pages can reconnect to the same
// address.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const LANCHATD = process.env.LANCHATD || path.join(ROOT, 'build', 'lanchatd');

export class Server {
  constructor(extra = []) {
    this.data = fs.mkdtempSync(path.join(os.tmpdir(), 'lanchat-web-'));
    this.extra = extra;
    this.ircPort = 0;
    this.httpPort = 0;
    this.proc = null;
    this.log = '';
  }

  get url() { return 'http://127.0.0.1:' + this.httpPort + '/'; }

  start() {
    const args = ['--data', this.data, '--listen', '127.0.0.1:' + this.ircPort, '--tls-listen', 'none',
      '--http-listen', '127.0.0.1:' + this.httpPort, '--name', 'web.test', '--password-cost', 'min',
      ...this.extra];
    const proc = spawn(LANCHATD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stderr.on('data', (d) => { this.log += d.toString(); if (this.log.length > 200000) this.log = this.log.slice(-100000); });
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error('lanchatd did not start: ' + out + this.log));
      }, 10000);
      proc.on('exit', (code) => { clearTimeout(timer); reject(new Error('lanchatd exited ' + code + ': ' + out + this.log)); });
      proc.stdout.on('data', (d) => {
        out += d.toString();
        const irc = /listening\s+irc\s+\S+:(\d+)/.exec(out);
        const http = /listening\s+http\s+\S+:(\d+)/.exec(out);
        if (irc && http && /Connect with/.test(out)) {
          this.ircPort = +irc[1];
          this.httpPort = +http[1];
          clearTimeout(timer);
          proc.removeAllListeners('exit');
          proc.on('exit', () => { if (this.proc === proc) this.proc = null; });
          resolve(this);
        }
      });
    });
  }

  stop() {
    const proc = this.proc;
    if (!proc) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      proc.once('exit', (code, sig) => { clearTimeout(t); this.proc = null; this.exitCode = sig ? sig : code; resolve(); });
      proc.kill('SIGTERM');
    });
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async cleanup() {
    await this.stop();
    fs.rmSync(this.data, { recursive: true, force: true });
  }
}
