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

  // room -> count, kept from the first `rooms` frame and each `rooms.diff` after it.
  var counts = new Map();

  function sorted() {
    var rooms = [];
    counts.forEach(function (count, room) {
      rooms.push({ room: room, count: count });
    });
    return rooms.sort(function (a, b) {
      return b.count - a.count || (a.room < b.room ? -1 : a.room > b.room ? 1 : 0);
    });
  }

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
    var socket = new WebSocket(Demo.wsUrl('/ws/lobby/?diff=1'));
    socket.onopen = function () {
      delay = 500;
      Demo.setStatus('open', 'Live');
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === 'rooms') {
        counts = new Map();
        data.rooms.forEach(function (r) {
          counts.set(r.room, r.count);
        });
      } else if (data.type === 'rooms.diff') {
        data.changed.forEach(function (r) {
          if (r.count > 0) counts.set(r.room, r.count);
          else counts.delete(r.room);
        });
      } else {
        return;
      }
      render(sorted());
    };
    socket.onclose = function () {
      Demo.setStatus('closed', 'Reconnecting…');
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
})();
