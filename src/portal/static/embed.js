// segl's embed script (docs/embedding.md). Include it from segl itself:
//   <script src="https://segl.example/embed.js"></script>
//   segl.embed(document.getElementById('sign'), taskUrl, { onEvent: function (e) { ... } });
// It frames the task URL (adding `parent=<this page's origin>`, which the service must allow with
// `segl service set NAME --frame-origin`) and calls onEvent with each event whose sender is that
// frame on segl's origin: { source: 'segl', version: 1, type, requestId, taskId, ... }.
(function (w) {
  'use strict';
  var me = document.currentScript;
  var seglOrigin = new URL(me && me.src ? me.src : w.location.href).origin;
  function embed(element, url, options) {
    var o = options || {};
    var u = new URL(url, seglOrigin);
    if (u.origin !== seglOrigin) throw new Error('segl.embed: the task URL must be on ' + seglOrigin);
    u.searchParams.set('parent', w.location.origin);
    var frame = document.createElement('iframe');
    frame.src = u.toString();
    frame.title = o.title || 'Signing';
    frame.style.width = '100%';
    frame.style.border = '0';
    frame.style.height = o.height || '720px';
    function onMessage(ev) {
      if (ev.origin !== seglOrigin || ev.source !== frame.contentWindow) return;
      var d = ev.data;
      if (!d || d.source !== 'segl' || d.version !== 1 || typeof d.type !== 'string') return;
      if (o.onEvent) o.onEvent(d);
    }
    w.addEventListener('message', onMessage);
    element.appendChild(frame);
    return {
      iframe: frame,
      destroy: function () {
        w.removeEventListener('message', onMessage);
        if (frame.parentNode) frame.parentNode.removeChild(frame);
      },
    };
  }
  w.segl = w.segl || {};
  w.segl.embed = embed;
})(window);
