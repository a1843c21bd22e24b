// Telling the person something happened: the count in the title and on
// the favicon, a short sound for messages to them, and desktop
// notifications where the browser allows them (a secure context and
// the person's consent).
import { plainText } from './format.js';

let lastIcon = '';
let audio = null;
let sounds = 0;

export function setTitle(total, mentions, where) {
  const n = total > 0 ? '(' + (total > 99 ? '99+' : total) + ') ' : '';
  document.title = n + (where ? where + ' · ' : '') + 'lanchat';
  drawFavicon(total, mentions);
}

function drawFavicon(total, mentions) {
  const key = total + '/' + mentions;
  if (key === lastIcon) return;
  lastIcon = key;
  const c = document.createElement('canvas');
  c.width = 64; c.height = 64;
  const g = c.getContext('2d');
  if (!g) return;
  g.fillStyle = '#4f46e5';
  g.beginPath();
  g.roundRect(4, 4, 56, 56, 14);
  g.fill();
  g.fillStyle = '#ffffff';
  g.beginPath();
  g.roundRect(15, 17, 34, 24, 7);
  g.fill();
  g.beginPath();
  g.moveTo(22, 39); g.lineTo(20, 49); g.lineTo(31, 40);
  g.fill();
  if (total > 0 || mentions > 0) {
    g.fillStyle = mentions > 0 ? '#ef4444' : '#f59e0b';
    g.beginPath();
    g.arc(48, 16, mentions > 0 ? 16 : 11, 0, Math.PI * 2);
    g.fill();
    if (mentions > 0) {
      g.fillStyle = '#ffffff';
      g.font = 'bold 22px sans-serif';
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      g.fillText(mentions > 9 ? '9+' : String(mentions), 48, 17);
    }
  }
  let link = document.getElementById('favicon');
  if (!link) {
    link = document.createElement('link');
    link.id = 'favicon';
    link.rel = 'icon';
    document.head.append(link);
  }
  link.type = 'image/png';
  link.href = c.toDataURL('image/png');
  document.body.dataset.badge = key;
}

export function soundOn() { return localStorage.getItem('lanchat.sound') !== 'off'; }
export function setSound(on) { localStorage.setItem('lanchat.sound', on ? 'on' : 'off'); }

export function playSound() {
  if (!soundOn()) return;
  sounds++;
  document.body.dataset.sounds = String(sounds);
  try {
    if (!audio) audio = new Audio('/notify.wav');
    audio.currentTime = 0;
    const p = audio.play();
    if (p && p.catch) p.catch(() => { /* no gesture yet: silent */ });
  } catch (e) { /* no audio here */ }
}

export function desktopState() {
  if (!('Notification' in window)) return 'unsupported';
  if (!window.isSecureContext) return 'insecure';
  return Notification.permission;   // default | granted | denied
}

export async function askDesktop() {
  if (desktopState() !== 'default') return desktopState();
  try { return await Notification.requestPermission(); } catch (e) { return 'denied'; }
}

export function desktop(title, body, tag, onclick) {
  if (desktopState() !== 'granted') return;
  try {
    const n = new Notification(title, { body: plainText(body).slice(0, 200), tag, icon: '/favicon.svg' });
    n.onclick = () => { window.focus(); onclick?.(); n.close(); };
  } catch (e) { /* some platforms only allow it from a service worker */ }
}
