// The front page: the join form and the live list of rooms (from /ws/lobby/).
'use strict';
(function () {
  var Demo = window.Demo;
  var form = document.getElementById('join');
  var nameInput = document.getElementById('join-name');
  var roomInput = document.getElementById('join-room');
  var list = document.getElementById('rooms');
  var empty = document.getElementById('no-rooms');

  nameInput.value = Demo.storedName();
  var preset = new URLSearchParams(location.search).get('room');
  if (preset) roomInput.value = preset;

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var name = nameInput.value.trim();
    var room = roomInput.value.trim().toLowerCase();
    if (!name || !/^[a-z0-9_-]{1,48}$/.test(room)) return;
    Demo.rememberName(name);
    location.href = '/chat/' + encodeURIComponent(room) + '/?name=' + encodeURIComponent(name);
  });

  function render(rooms) {
    list.replaceChildren();
    rooms.forEach(function (r) {
      var li = document.createElement('li');
      li.dataset.room = r.room;
      var a = document.createElement('a');
      a.href = '/chat/' + encodeURIComponent(r.room) + '/';
      var name = document.createElement('span');
      name.className = 'room-name';
      name.textContent = '#' + r.room;
      var count = document.createElement('span');
      count.className = 'room-count';
      count.textContent = r.count + (r.count === 1 ? ' person' : ' people');
      a.append(name, count);
      li.append(a);
      list.append(li);
    });
    empty.hidden = rooms.length > 0;
  }

  var delay = 500;
  function connect() {
    var socket = new WebSocket(Demo.wsUrl('/ws/lobby/'));
    socket.onopen = function () {
      delay = 500;
      Demo.setStatus('open', 'Live');
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === 'rooms') render(data.rooms);
    };
    socket.onclose = function () {
      Demo.setStatus('closed', 'Reconnecting…');
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
})();
