// "Signed, being sealed" (src/portal/pages/sealing.ts): asks the seal-status route every two seconds
// and shows the outcome in place, without reloading; follows the task's complete redirect when it has one.
(function () {
  'use strict';
  var box = document.getElementById('seal-status');
  if (!box) return;
  var url = box.getAttribute('data-status-url');
  var main = box.parentNode;
  var h1 = main.querySelector('h1');
  var lead = main.querySelector('p.lead');
  function show(s) {
    if (h1) {
      h1.textContent = s.title;
      h1.className = 'status ' + s.cls;
    }
    if (lead) lead.textContent = s.body;
    document.title = s.title;
    box.textContent = '';
    if (s.state === 'refused' || s.state === 'open') {
      var p = document.createElement('p');
      var a = document.createElement('a');
      a.href = s.taskUrl;
      a.textContent = s.link;
      p.appendChild(a);
      box.appendChild(p);
    }
    box.setAttribute('data-state', s.state);
  }
  function ask() {
    fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (s) {
        if (!s || s.state === 'sealing') return setTimeout(ask, 2000);
        if (s.state === 'completed' && s.redirect) return location.assign(s.redirect);
        show(s);
      })
      .catch(function () {
        setTimeout(ask, 4000);
      });
  }
  setTimeout(ask, 1000);
})();
