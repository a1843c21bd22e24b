// Start the web client: theme and language, then the login screen, or
// straight into the chat when this device is remembered.
import { Chat } from './chat.js';
import { View } from './ui.js';
import { LANG } from './i18n.js';

const theme = localStorage.getItem('lanchat.theme');
if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
document.documentElement.lang = LANG;

const chat = new Chat();
const view = new View(document.getElementById('app'), chat);
window.lanchat = { chat, view };   // for the console and the tests

view.onLogin = async (cred) => {
  await chat.start(cred);
  view.showChat();
};

chat.addEventListener('auth', (e) => {
  if (e.detail.state !== 'out') return;
  view.showLogin({ error: e.detail.reason === 'logout' ? '' : view.authMessage(e.detail) });
});

const rem = chat.remembered();
if (rem) {
  // The chat at once (it says "connecting"); the login screen only if
  // the server no longer takes what this device remembered.
  chat.start(rem).catch((err) => view.showLogin({ error: view.authMessage(err), account: rem.account }));
  view.showChat();
} else {
  view.showLogin();
}
