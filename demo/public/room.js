// A chat room page: the message log, the composer and the live presence list,
// all over /ws/chat/<room>/?events=1.
'use strict';
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
  var retryDelay = 500;
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

  function addNotice(text) {
    var li = document.createElement('li');
    li.className = 'notice';
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

  function applyDiff(frame) {
    var small = frame.joins.length + frame.leaves.length <= 3;
    frame.joins.forEach(function (m) {
      if (small && !members.has(m.id)) addNotice(m.name + ' joined');
      members.set(m.id, m);
    });
    frame.leaves.forEach(function (id) {
      var gone = members.get(id);
      if (small && gone) addNotice(gone.name + ' left');
      members.delete(id);
    });
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

  function onFrame(event) {
    var data;
    try {
      data = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    switch (data.type) {
      case 'chat.message':
        addMessage(data);
        return;
      case 'welcome':
        me = data.you;
        document.getElementById('me').textContent = data.you.name;
        return;
      case 'presence.state':
        members = new Map(data.members.map(function (m) { return [m.id, m]; }));
        scheduleDraw();
        return;
      case 'presence.diff':
        applyDiff(data);
        return;
      case 'error':
        showError(data.detail || data.code);
        return;
      default:
        if (typeof data.message === 'string') addMessage(data); // a plain {"message"} frame
    }
  }

  function setOpen(open) {
    input.disabled = !open;
    sendButton.disabled = !open;
    if (open) input.focus();
  }

  function connect(name) {
    Demo.setStatus('connecting', 'Connecting…');
    socket = new WebSocket(Demo.wsUrl('/ws/chat/' + encodeURIComponent(room) + '/?events=1&name=' + encodeURIComponent(name)));
    socket.onopen = function () {
      retryDelay = 500;
      Demo.setStatus('open', 'Connected');
      setOpen(true);
    };
    socket.onmessage = onFrame;
    socket.onclose = function (event) {
      setOpen(false);
      members.clear();
      scheduleDraw();
      var why = event.code === 1008 ? 'Too many messages. ' : '';
      Demo.setStatus('closed', why + 'Reconnecting…');
      setTimeout(function () { connect(name); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    };
  }

  function send() {
    var text = input.value;
    if (text === '' || !socket || socket.readyState !== WebSocket.OPEN) return;
    // Checked by the server (trimmed, not empty, at most 2000): its error frame is shown.
    socket.send(JSON.stringify({ message: text }));
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
