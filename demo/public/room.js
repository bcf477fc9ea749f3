// A chat room page: the message log, the composer and the live presence list,
// over Phoenix Channels with the phoenix.js client (topic room:<room>, Presence).
// switchyard-channels/client keeps the last message's position and sends it on
// every rejoin, so a page that lost its connection gets what it missed.
import { Socket, Presence } from '/static/vendor/phoenix.mjs';
import { RecoveringChannel } from '/static/vendor/switchyard-client.mjs';

(function () {
  var Demo = window.Demo;
  var MAX_LOG = 500;          // older lines are dropped: a busy room stays light
  var MAX_LISTED = 300;       // presence entries drawn; the rest are counted
  var MAX_LENGTH = 2000;
  var GROUP_MS = 5 * 60 * 1000;

  var room = decodeURIComponent(location.pathname.split('/')[2] || '');
  var log = document.getElementById('log');
  var input = document.getElementById('message');
  var sendButton = document.getElementById('send');
  var form = document.getElementById('composer');
  var counter = document.getElementById('counter');
  var errorBox = document.getElementById('error');
  var membersList = document.getElementById('members');
  var countBadge = document.getElementById('count');
  var more = document.getElementById('more');

  document.getElementById('room-name').textContent = room;
  document.title = '#' + room + ' · Switchyard chat';
  input.placeholder = 'Message #' + room + ' · Enter to send · /help for commands';

  var me = null;               // {id, name} from the welcome frame
  var members = new Map();     // id -> {id, name, connections}
  var drawScheduled = false;
  var socket = null;
  var errorTimer = 0;
  var last = { author: null, time: 0 };

  // ---------------------------------------------------------------- the log

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function append(li) {
    var stick = nearBottom();
    log.append(li);
    while (log.childElementCount > MAX_LOG) log.firstElementChild.remove();
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function clock(date) {
    return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function addMessage(frame) {
    var author = String(frame.author || 'anonymous');
    var date = new Date(frame.time || Date.now());
    if (isNaN(date.getTime())) date = new Date();
    var li = document.createElement('li');
    li.className = 'msg';
    if (me && author.toLowerCase() === me.id) li.classList.add('mine');
    if (author === 'bot') li.classList.add('bot');
    if (author === 'shell') li.classList.add('shell');
    if (frame.private) li.classList.add('private');
    var grouped = !frame.private && last.author === author && date - last.time < GROUP_MS && log.lastElementChild &&
      log.lastElementChild.classList.contains('msg');
    if (grouped) li.classList.add('cont');
    li.append(Demo.avatar(author));
    var body = document.createElement('div');
    body.className = 'body';
    var meta = document.createElement('div');
    meta.className = 'meta';
    var who = document.createElement('span');
    who.className = 'author';
    who.textContent = author;
    var time = document.createElement('time');
    time.dateTime = date.toISOString();
    time.textContent = clock(date);
    meta.append(who, time);
    if (frame.private) {
      var note = document.createElement('span');
      note.className = 'note';
      note.textContent = 'only you can see this';
      meta.append(note);
    }
    var text = document.createElement('p');
    text.className = 'text';
    text.textContent = String(frame.message);
    body.append(meta, text);
    li.append(body);
    append(li);
    last = frame.private ? { author: null, time: 0 } : { author: author, time: date.getTime() };
  }

  function addNotice(text, kind) {
    var li = document.createElement('li');
    li.className = 'notice';
    if (kind) li.classList.add(kind);
    li.textContent = text;
    append(li);
    last = { author: null, time: 0 };
  }

  // ----------------------------------------------------------- presence

  function scheduleDraw() {
    if (drawScheduled) return;
    drawScheduled = true;
    requestAnimationFrame(draw);
  }

  // Redrawn at most once per frame, however many changes arrived.
  function draw() {
    drawScheduled = false;
    var all = Array.from(members.values()).sort(function (a, b) {
      if (me && a.id === me.id) return -1;
      if (me && b.id === me.id) return 1;
      return a.name.localeCompare(b.name);
    });
    var fragment = document.createDocumentFragment();
    all.slice(0, MAX_LISTED).forEach(function (m) {
      var li = document.createElement('li');
      li.dataset.id = m.id;
      li.append(Demo.avatar(m.name));
      var name = document.createElement('span');
      name.className = 'name';
      name.textContent = m.name;
      li.append(name);
      if (me && m.id === me.id) {
        var you = document.createElement('span');
        you.className = 'tag';
        you.textContent = 'you';
        li.append(you);
      }
      if (m.connections > 1) {
        var tabs = document.createElement('span');
        tabs.className = 'tabs';
        tabs.textContent = m.connections + ' tabs';
        li.append(tabs);
      }
      fragment.append(li);
    });
    membersList.replaceChildren(fragment);
    countBadge.textContent = String(all.length);
    more.hidden = all.length <= MAX_LISTED;
    more.textContent = 'and ' + (all.length - MAX_LISTED) + ' more';
  }

  // Joins and leaves of one sync are announced when they are few (not the first list).
  var pendingNotices = [];
  var firstSync = true;

  function fromPresence(presence) {
    var next = new Map();
    presence.list(function (key, entry) {
      var metas = entry.metas || [];
      var name = (metas[0] && typeof metas[0].name === 'string') ? metas[0].name : key;
      next.set(key.toLowerCase(), { id: key.toLowerCase(), name: name, connections: metas.length });
    });
    members = next;
    if (!firstSync && pendingNotices.length <= 3) pendingNotices.forEach(addNotice);
    pendingNotices = [];
    firstSync = false;
    scheduleDraw();
  }

  // --------------------------------------------------------------- errors

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(hideError, 8000);
  }

  function hideError() {
    errorBox.hidden = true;
  }

  // ----------------------------------------------------------- the socket

  function onLine(payload) {
    addMessage({ message: payload.body, author: payload.name, time: payload.time, private: payload.private === true });
  }

  function setOpen(open) {
    input.disabled = !open;
    sendButton.disabled = !open;
    if (open) input.focus();
  }

  var channel = null;

  function connect(name) {
    Demo.setStatus('connecting', 'Connecting…');
    socket = new Socket('/socket', { params: { name: name } });
    socket.onError(function () {
      setOpen(false);
      Demo.setStatus('closed', 'Reconnecting…');
    });
    socket.onClose(function (event) {
      setOpen(false);
      members.clear();
      scheduleDraw();
      var why = event && event.code === 1008 ? 'Too many messages. ' : '';
      Demo.setStatus('closed', why + 'Reconnecting…');
    });
    var recovering = new RecoveringChannel(socket, 'room:' + room, {});
    channel = recovering.channel;
    // A rejoin that could not replay everything (the history was lost or the gap was too long).
    recovering.onJoin(function (outcome) {
      if (!outcome.recovered) addNotice('Some messages sent while you were away could not be recovered.', 'lost');
    });
    var presence = new Presence(channel);
    presence.onJoin(function (key, current, joined) {
      if (!current) pendingNotices.push((joined.metas[0] && joined.metas[0].name || key) + ' joined');
    });
    presence.onLeave(function (key, current, left) {
      if (current.metas.length === 0) pendingNotices.push((left.metas[0] && left.metas[0].name || key) + ' left');
    });
    presence.onSync(function () {
      fromPresence(presence);
    });
    channel.on('new_msg', onLine);
    recovering.join()
      .receive('ok', function (reply) {
        me = { id: reply.name.toLowerCase(), name: reply.name };
        document.getElementById('me').textContent = reply.name;
        firstSync = true;
        Demo.setStatus('open', 'Connected');
        setOpen(true);
      })
      .receive('error', function (reply) {
        Demo.setStatus('closed', String(reply && reply.reason || 'Cannot join this room'));
      });
    socket.connect();
  }

  function send() {
    var text = input.value;
    if (text === '' || !channel || !socket.isConnected()) return;
    // Checked by the server (trimmed, not empty, at most 2000): its error reply is shown.
    channel.push('new_msg', { body: text })
      .receive('error', function (reply) {
        showError(String(reply && reply.reason || 'not sent'));
      })
      .receive('timeout', function () {
        showError('not sent: no answer from the server');
      });
    input.value = '';
    updateCounter();
  }

  function updateCounter() {
    var n = Array.from(input.value).length;
    counter.hidden = n < MAX_LENGTH * 0.9;
    counter.textContent = n + '/' + MAX_LENGTH;
    counter.classList.toggle('over', n > MAX_LENGTH);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    send();
  });
  input.addEventListener('input', function () {
    updateCounter();
  });

  // ------------------------------------------------------------- the name

  function start(name) {
    Demo.rememberName(name);
    document.getElementById('gate').hidden = true;
    connect(name);
  }

  var name = new URLSearchParams(location.search).get('name') || Demo.storedName();
  if (name && name.trim()) {
    start(name.trim());
  } else {
    var gate = document.getElementById('gate');
    gate.hidden = false;
    document.getElementById('gate-name').focus();
    document.getElementById('gate-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var chosen = document.getElementById('gate-name').value.trim();
      if (chosen) start(chosen);
    });
  }
})();
