// The interface in English or Russian, chosen by the browser's language.
// t('key', arg0, arg1) fills {0} {1}; plural keys take a count first.

const EN = {
  appName: 'lanchat',
  signIn: 'Sign in', createAccount: 'Create account', name: 'Name', password: 'Password',
  passwordAgain: 'Password again', passwordsDiffer: 'The passwords differ.',
  signingIn: 'Signing in…', creating: 'Creating your account…',
  loginTagline: 'The chat of this network. No install: just a name and a password.',
  rememberNote: 'This device stays signed in until you sign out.',
  badLogin: 'Wrong name or password.', tokenExpired: 'Your session has ended. Please sign in again.',
  accountExists: 'That name is taken. Pick another, or sign in.', badName: 'That name cannot be used: {0}',
  weakPassword: 'Choose a longer password.', registerFailed: 'The account could not be created: {0}',
  noRegister: 'This server does not let people create accounts here.',
  verifyNeeded: 'The account needs to be verified: {0}', nickInUse: 'That name is in use right now.',
  locked: 'That account is locked.', cannotConnect: 'Cannot reach the server.',
  loginRequired: 'This server needs an account.',
  channels: 'Channels', directMessages: 'Direct messages', newChannel: 'Join or create a channel',
  newDM: 'New message', search: 'Search', members: 'Members', settings: 'Channel settings',
  mute: 'Mute', unmute: 'Unmute', muted: 'Muted', leave: 'Leave', close: 'Close',
  logout: 'Sign out', theme: 'Theme', themeSystem: 'System', themeLight: 'Light', themeDark: 'Dark',
  notifications: 'Desktop notifications', enable: 'Enable', enabled: 'On', blocked: 'Blocked by the browser',
  notSecure: 'Needs HTTPS', sound: 'Sound for messages to you', on: 'On', off: 'Off',
  preferences: 'Preferences',
  messageTo: 'Message {0}', send: 'Send', attach: 'Attach a file', replyingTo: 'Replying to {0}',
  editing: 'Editing your message', cancel: 'Cancel', save: 'Save', edited: '(edited)',
  deleted: 'Message deleted', reply: 'Reply', react: 'React', edit: 'Edit', delete: 'Delete',
  deleteConfirm: 'Delete this message? This cannot be undone.',
  typing1: '{0} is typing…', typing2: '{0} and {1} are typing…', typingMany: 'Several people are typing…',
  today: 'Today', yesterday: 'Yesterday', newMessages: 'New messages',
  beginning: 'This is the beginning of {0}.', loadingOlder: 'Loading older messages…',
  jumpLatest: 'Jump to latest', reconnecting: 'Connection lost. Reconnecting…',
  connecting: 'Connecting…', retryNow: 'Retry now', offline: 'Offline',
  joined: '{0} joined', left: '{0} left', leftReason: '{0} left ({1})', quit: '{0} quit',
  quitReason: '{0} quit ({1})', kicked: '{0} was removed by {1}', kickedReason: '{0} was removed by {1} ({2})',
  nickChange: '{0} is now known as {1}', topicSet: '{0} changed the topic to: {1}', topicCleared: '{0} cleared the topic',
  modeSet: '{0} set mode {1}', noTopic: 'No topic', setTopic: 'Set a topic',
  topic: 'Topic', inviteOnly: 'Invite only (+i)', key: 'Key / password (+k)', limit: 'User limit (+l)',
  moderated: 'Moderated: only voiced people talk (+m)', noExternal: 'No messages from outside (+n)',
  topicLock: 'Only operators change the topic (+t)', secret: 'Secret: not listed (+s)',
  onlyOps: 'Only channel operators can change these.',
  channelName: 'Channel name', channelKey: 'Key (if it has one)', join: 'Join', joinHint: 'A channel that does not exist yet is created, and you become its operator.',
  findPeople: 'Find people by name', noPeople: 'Nobody found.', message: 'Message',
  searchPlaceholder: 'Search messages', searching: 'Searching…', noResults: 'Nothing found.',
  searchUnavailable: 'This server cannot search yet.',
  operators: 'Operators', voiced: 'Voiced', online: 'Online', away: 'Away', offlineStatus: 'Offline',
  operator: 'operator', voice: 'voice', makeOp: 'Make operator', removeOp: 'Remove operator',
  kick: 'Remove from channel', you: 'you',
  uploading: 'Uploading {0}', uploadFailed: 'Upload of {0} failed.', uploadTooBig: '{0} is too large for this server.',
  noUploads: 'This server does not take files yet.', dropFiles: 'Drop files to send them',
  download: 'Download', picture: 'Picture', openPicture: 'Open picture',
  invited: '{0} invites you to {1}', unknownCommand: 'Unknown command {0}',
  deleteFailed: 'Could not delete: {0}', editFailed: 'Could not edit: {0}',
  notJoined: 'You are not in this channel.', rejoin: 'Join again',
  pickConversation: 'Pick a channel or a person on the left, or start something new.',
  welcome: 'Welcome, {0}', emptySidebar: 'No channels yet.',
  unreadCount: ['{0} unread', '{0} unread'], membersCount: ['{0} member', '{0} members'],
  mentionsCount: ['{0} mention', '{0} mentions'],
  toggleTheme: 'Switch theme', back: 'Back', openMenu: 'Conversations', userMenu: 'You',
  inThe: 'in {0}', resultsFor: 'Results', status_online: 'online', status_away: 'away', status_offline: 'offline', status_unknown: '',
  statusAway: 'away: {0}',
};

const RU = {
  appName: 'lanchat',
  signIn: 'Войти', createAccount: 'Создать учётную запись', name: 'Имя', password: 'Пароль',
  passwordAgain: 'Пароль ещё раз', passwordsDiffer: 'Пароли не совпадают.',
  signingIn: 'Входим…', creating: 'Создаём учётную запись…',
  loginTagline: 'Чат этой сети. Ничего не нужно ставить: только имя и пароль.',
  rememberNote: 'Это устройство останется в системе, пока вы не выйдете.',
  badLogin: 'Неверное имя или пароль.', tokenExpired: 'Сеанс закончился. Войдите снова.',
  accountExists: 'Это имя занято. Выберите другое или войдите.', badName: 'Это имя нельзя использовать: {0}',
  weakPassword: 'Выберите пароль подлиннее.', registerFailed: 'Не удалось создать учётную запись: {0}',
  noRegister: 'На этом сервере нельзя создать учётную запись.',
  verifyNeeded: 'Учётную запись нужно подтвердить: {0}', nickInUse: 'Это имя сейчас занято.',
  locked: 'Учётная запись заблокирована.', cannotConnect: 'Сервер недоступен.',
  loginRequired: 'На этом сервере нужна учётная запись.',
  channels: 'Каналы', directMessages: 'Личные сообщения', newChannel: 'Войти в канал или создать',
  newDM: 'Новое сообщение', search: 'Поиск', members: 'Участники', settings: 'Настройки канала',
  mute: 'Без звука', unmute: 'Включить звук', muted: 'Без звука', leave: 'Выйти', close: 'Закрыть',
  logout: 'Выйти из учётной записи', theme: 'Тема', themeSystem: 'Как в системе', themeLight: 'Светлая', themeDark: 'Тёмная',
  notifications: 'Уведомления на рабочем столе', enable: 'Включить', enabled: 'Включены', blocked: 'Запрещены браузером',
  notSecure: 'Нужен HTTPS', sound: 'Звук для сообщений вам', on: 'Вкл.', off: 'Выкл.',
  preferences: 'Настройки',
  messageTo: 'Сообщение для {0}', send: 'Отправить', attach: 'Прикрепить файл', replyingTo: 'Ответ для {0}',
  editing: 'Изменение сообщения', cancel: 'Отмена', save: 'Сохранить', edited: '(изменено)',
  deleted: 'Сообщение удалено', reply: 'Ответить', react: 'Реакция', edit: 'Изменить', delete: 'Удалить',
  deleteConfirm: 'Удалить это сообщение? Его нельзя будет вернуть.',
  typing1: '{0} печатает…', typing2: '{0} и {1} печатают…', typingMany: 'Несколько человек печатают…',
  today: 'Сегодня', yesterday: 'Вчера', newMessages: 'Новые сообщения',
  beginning: 'Здесь начинается {0}.', loadingOlder: 'Загружаем более ранние сообщения…',
  jumpLatest: 'К последним', reconnecting: 'Связь потеряна. Подключаемся снова…',
  connecting: 'Подключение…', retryNow: 'Повторить сейчас', offline: 'Нет связи',
  joined: '{0} входит в канал', left: '{0} выходит из канала', leftReason: '{0} выходит из канала ({1})', quit: '{0} отключается',
  quitReason: '{0} отключается ({1})', kicked: '{1} удаляет {0} из канала', kickedReason: '{1} удаляет {0} из канала ({2})',
  nickChange: '{0} теперь зовётся {1}', topicSet: '{0} меняет тему: {1}', topicCleared: '{0} убирает тему',
  modeSet: '{0} ставит режим {1}', noTopic: 'Без темы', setTopic: 'Задать тему',
  topic: 'Тема', inviteOnly: 'Только по приглашению (+i)', key: 'Ключ-пароль (+k)', limit: 'Предел участников (+l)',
  moderated: 'Модерация: говорят только с голосом (+m)', noExternal: 'Без сообщений извне (+n)',
  topicLock: 'Тему меняют только операторы (+t)', secret: 'Секретный: не виден в списке (+s)',
  onlyOps: 'Это могут менять только операторы канала.',
  channelName: 'Название канала', channelKey: 'Ключ (если есть)', join: 'Войти', joinHint: 'Если канала ещё нет, он будет создан, и вы станете его оператором.',
  findPeople: 'Найти людей по имени', noPeople: 'Никого не нашлось.', message: 'Написать',
  searchPlaceholder: 'Поиск по сообщениям', searching: 'Ищем…', noResults: 'Ничего не нашлось.',
  searchUnavailable: 'Этот сервер пока не умеет искать.',
  operators: 'Операторы', voiced: 'С голосом', online: 'В сети', away: 'Отошли', offlineStatus: 'Не в сети',
  operator: 'оператор', voice: 'голос', makeOp: 'Сделать оператором', removeOp: 'Снять оператора',
  kick: 'Удалить из канала', you: 'вы',
  uploading: 'Загрузка {0}', uploadFailed: 'Не удалось загрузить {0}.', uploadTooBig: '{0} слишком велик для этого сервера.',
  noUploads: 'Этот сервер пока не принимает файлы.', dropFiles: 'Отпустите файлы, чтобы отправить',
  download: 'Скачать', picture: 'Картинка', openPicture: 'Открыть картинку',
  invited: '{0} приглашает вас в {1}', unknownCommand: 'Неизвестная команда {0}',
  deleteFailed: 'Не удалось удалить: {0}', editFailed: 'Не удалось изменить: {0}',
  notJoined: 'Вы не в этом канале.', rejoin: 'Войти снова',
  pickConversation: 'Выберите канал или человека слева или начните новый разговор.',
  welcome: 'Добро пожаловать, {0}', emptySidebar: 'Пока нет каналов.',
  unreadCount: ['{0} непрочитанное', '{0} непрочитанных', '{0} непрочитанных'],
  membersCount: ['{0} участник', '{0} участника', '{0} участников'],
  mentionsCount: ['{0} упоминание', '{0} упоминания', '{0} упоминаний'],
  toggleTheme: 'Сменить тему', back: 'Назад', openMenu: 'Разговоры', userMenu: 'Вы',
  inThe: 'в {0}', resultsFor: 'Найдено', status_online: 'в сети', status_away: 'отошёл', status_offline: 'не в сети', status_unknown: '',
  statusAway: 'отошёл: {0}',
};

const langs = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en']);
export const LANG = langs.some((l, i) => i === 0 && /^ru\b/i.test(l)) ? 'ru' : 'en';
const TABLE = LANG === 'ru' ? RU : EN;

function fill(s, args) {
  return s.replace(/\{(\d)\}/g, (_, i) => (args[+i] ?? ''));
}

function pluralIndex(n) {
  if (LANG === 'ru') {
    const m10 = n % 10;
    const m100 = n % 100;
    if (m10 === 1 && m100 !== 11) return 0;
    if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return 1;
    return 2;
  }
  return n === 1 ? 0 : 1;
}

export function t(key, ...args) {
  let s = TABLE[key] ?? EN[key] ?? key;
  if (Array.isArray(s)) s = s[Math.min(pluralIndex(args[0]), s.length - 1)];
  return fill(s, args);
}

const timeFmt = new Intl.DateTimeFormat(LANG, { hour: 'numeric', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(LANG, { weekday: 'long', day: 'numeric', month: 'long' });
const dayYearFmt = new Intl.DateTimeFormat(LANG, { day: 'numeric', month: 'long', year: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(LANG, { dateStyle: 'medium', timeStyle: 'short' });

export function fmtTime(ms) { return timeFmt.format(new Date(ms)); }
export function fmtFull(ms) { return fullFmt.format(new Date(ms)); }

export function dayKey(ms) {
  const d = new Date(ms);
  return d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate();
}

export function fmtDay(ms) {
  const now = new Date();
  const k = dayKey(ms);
  if (k === dayKey(now.getTime())) return t('today');
  if (k === dayKey(now.getTime() - 86400000)) return t('yesterday');
  const s = new Date(ms).getFullYear() === now.getFullYear() ? dayFmt.format(new Date(ms)) : dayYearFmt.format(new Date(ms));
  return s.charAt(0).toUpperCase() + s.slice(1);
}
