// The InkSign drawing pad (src/portal/ink.ts): Pointer Events on a canvas (mouse, touch, pen; pressure when the
// device gives it). Strokes are kept in coordinates normalised to 0..1 of the pad and redrawn whenever the pad
// changes size (resize, rotation), so the drawing stays where it was drawn. On Next the strokes, the drawing
// rendered as a PNG of a fixed size, the pointer type and the screen size go into the form's hidden fields.
(function () {
  'use strict';
  var pad = document.getElementById('ink-pad');
  var form = document.getElementById('ink-form');
  if (!pad || !form || !pad.getContext) return;
  var MAX_POINTS = 5000;
  var PNG_W = 750;
  var PNG_H = 300;
  var strokes = [];
  var current = null;
  var t0 = null;
  var lastPointer = '';
  var total = 0;

  function width(p, scale) {
    var w = 2.5 * scale;
    return p === undefined ? w : w * (0.5 + p);
  }
  function drawStroke(ctx, s, w, h, scale) {
    var pts = s.points;
    ctx.strokeStyle = '#111';
    ctx.fillStyle = '#111';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    if (pts.length === 1) {
      ctx.beginPath();
      ctx.arc(pts[0][0] * w, pts[0][1] * h, width(pts[0][3], scale) / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    for (var i = 1; i < pts.length; i++) {
      ctx.lineWidth = width(pts[i][3], scale);
      ctx.beginPath();
      ctx.moveTo(pts[i - 1][0] * w, pts[i - 1][1] * h);
      ctx.lineTo(pts[i][0] * w, pts[i][1] * h);
      ctx.stroke();
    }
  }
  function paint(canvas, w, h, scale) {
    var ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (var i = 0; i < strokes.length; i++) drawStroke(ctx, strokes[i], w, h, scale);
  }
  // the canvas's pixels follow its box (and the device's pixel ratio); the strokes are redrawn into it
  function fit() {
    var r = pad.getBoundingClientRect();
    var dpr = window.devicePixelRatio || 1;
    pad.width = Math.max(1, Math.round(r.width * dpr));
    pad.height = Math.max(1, Math.round(r.height * dpr));
    paint(pad, pad.width, pad.height, dpr * (r.width / 375 || 1));
  }
  function point(e) {
    var r = pad.getBoundingClientRect();
    var clamp = function (v) {
      return Math.min(1, Math.max(0, v));
    };
    var x = Math.round(clamp((e.clientX - r.left) / r.width) * 10000) / 10000;
    var y = Math.round(clamp((e.clientY - r.top) / r.height) * 10000) / 10000;
    if (t0 === null) t0 = e.timeStamp;
    var p = [x, y, Math.max(0, Math.round(e.timeStamp - t0))];
    // mice report 0.5 while pressed (no pressure); pens and some touch screens give a real value
    if (e.pointerType !== 'mouse' && typeof e.pressure === 'number' && e.pressure > 0 && e.pressure !== 0.5) {
      p.push(Math.round(e.pressure * 1000) / 1000);
    }
    return p;
  }
  function add(e) {
    if (!current || total >= MAX_POINTS) return;
    var p = point(e);
    var last = current.points[current.points.length - 1];
    if (last && Math.abs(last[0] - p[0]) < 0.002 && Math.abs(last[1] - p[1]) < 0.002) return;
    if (last && p[2] < last[2]) p[2] = last[2];
    current.points.push(p);
    total++;
  }
  pad.addEventListener('pointerdown', function (e) {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    if (pad.setPointerCapture) pad.setPointerCapture(e.pointerId);
    lastPointer = e.pointerType || 'mouse';
    current = { pointerType: lastPointer, points: [] };
    strokes.push(current);
    add(e);
    fit();
  });
  pad.addEventListener('pointermove', function (e) {
    if (!current) return;
    e.preventDefault();
    var list = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    if (!list.length) list = [e];
    for (var i = 0; i < list.length; i++) add(list[i]);
    fit();
  });
  function end(e) {
    if (!current) return;
    add(e);
    if (!current.points.length) strokes.pop();
    current = null;
    fit();
  }
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  document.getElementById('ink-undo').addEventListener('click', function () {
    var s = strokes.pop();
    if (s) total -= s.points.length;
    fit();
  });
  document.getElementById('ink-clear').addEventListener('click', function () {
    strokes = [];
    total = 0;
    t0 = null;
    fit();
  });
  window.addEventListener('resize', fit);
  window.addEventListener('orientationchange', fit);
  if (window.ResizeObserver) new ResizeObserver(fit).observe(pad);
  form.addEventListener('submit', function () {
    var out = document.createElement('canvas');
    out.width = PNG_W;
    out.height = PNG_H;
    paint(out, PNG_W, PNG_H, 2);
    document.getElementById('ink-strokes').value = JSON.stringify(
      strokes.map(function (s) {
        return { pointerType: s.pointerType, points: s.points };
      }),
    );
    document.getElementById('ink-png').value = out.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
    document.getElementById('ink-pointer').value = lastPointer || 'mouse';
    document.getElementById('ink-screen').value = screen.width + 'x' + screen.height;
  });
  fit();
})();
