// In the integrator's frame (src/portal/embed.ts, docs/embedding.md): posts this page's events to the
// parent window, only to the one allowed origin the task URL named (`parent`, kept for the next pages of
// this frame), never to '*'. Every page sends `loaded`; a page may also announce authenticated, signed,
// declined, postponed or error, and the sealing page signed (each once per task and frame, error every time).
(function () {
  'use strict';
  var box = document.getElementById('segl-embed');
  // "Continuing…" (embed.ts interstitial): the events first, then on to the service's URL, framed or not
  var next = document.getElementById('segl-next');
  if (box && window.parent !== window) events(box);
  if (next) window.location.replace(next.href);

  function events(box) {
    var attr = function (n) {
      return box.getAttribute('data-' + n) || '';
    };
    var origins = attr('origins').split(' ').filter(Boolean);
    var store = null;
    try {
      store = window.sessionStorage;
    } catch (_e) {
      store = null;
    }
    var get = function (k) {
      try {
        return store ? store.getItem(k) : null;
      } catch (_e) {
        return null;
      }
    };
    var put = function (k, v) {
      try {
        if (store) store.setItem(k, v);
      } catch (_e) {
        /* storage refused: events of later pages need the parameter again */
      }
    };
    var parent = attr('parent');
    if (parent) put('segl.parent', parent);
    else parent = get('segl.parent') || '';
    if (!parent || origins.indexOf(parent) < 0) return;
    // where the browser says who the parent is, it must be that origin
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length && ancestors[0] !== parent) return;
    var requestId = attr('request-id');
    var taskId = attr('task-id');
    function post(type, extra) {
      var m = { source: 'segl', version: 1, type: type, requestId: requestId || null, taskId: taskId || null };
      for (var k in extra) if (extra[k]) m[k] = extra[k];
      window.parent.postMessage(m, parent);
    }
    post('loaded', { title: document.title });
    var states = [attr('state')];
    // "Signed, being sealed" (portal/pages/sealing.ts), whichever eID method showed it
    if (document.getElementById('seal-status')) states.push('signed');
    states.forEach(function (state) {
      if (!state) return;
      var key = 'segl.sent.' + requestId + '/' + taskId + '/' + state;
      if (state === 'error' || !get(key)) {
        post(state, { code: attr('code'), reference: attr('reference') });
        put(key, '1');
      }
    });
  }
})();
