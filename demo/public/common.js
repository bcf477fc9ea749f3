// Shared by the lobby and room pages: names, colours, websocket URLs, the status pill.
'use strict';
(function () {
  var NAME_KEY = 'switchyard-demo.name';

  function hueOf(text) {
    var h = 0;
    for (var i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
    return h % 360;
  }

  function storedName() {
    try {
      return sessionStorage.getItem(NAME_KEY) || localStorage.getItem(NAME_KEY) || '';
    } catch (e) {
      return '';
    }
  }

  function rememberName(name) {
    try {
      sessionStorage.setItem(NAME_KEY, name);
      localStorage.setItem(NAME_KEY, name);
    } catch (e) { /* private mode: the name lives in the URL */ }
  }

  function wsUrl(path) {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
  }

  // A round badge with the first letter, coloured by name.
  function avatar(name) {
    var el = document.createElement('span');
    el.className = 'avatar';
    el.textContent = (Array.from(name.trim())[0] || '?').toUpperCase();
    el.style.setProperty('--hue', String(hueOf(name.toLowerCase())));
    el.setAttribute('aria-hidden', 'true');
    return el;
  }

  function setStatus(state, text) {
    var pill = document.getElementById('status');
    if (!pill) return;
    pill.dataset.state = state;
    document.getElementById('status-text').textContent = text;
  }

  window.Demo = { hueOf: hueOf, storedName: storedName, rememberName: rememberName, wsUrl: wsUrl, avatar: avatar, setStatus: setStatus };
})();
