(function () {
  "use strict";
  // Posts arrive as JSON and are drawn a page at a time with textContent only: post content is never
  // parsed as HTML, and only http(s) URLs ever become links.
  var D = JSON.parse(document.getElementById("pg-data").textContent);
  var T = D.t, L = D.labels, S = D.s, REFS = D.refs, POSTS = D.posts;
  var SEV = { low: 0, medium: 1, high: 2, critical: 3 };
  var SAFE_URL = /^https?:\/\//i;
  var SVGNS = "http://www.w3.org/2000/svg";
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(s, vars) {
    return s.replace(/\{(\w+)\}/g, function (m, k) { return k in vars ? String(vars[k]) : m; });
  }

  // filter keys, computed once
  POSTS.forEach(function (p) {
    var hay = [p.i, p.a, p.p, p.x];
    p._cats = {};
    p._sev = -1;
    p.f.forEach(function (f) {
      p._cats[f.c] = true;
      p._sev = Math.max(p._sev, SEV[f.v]);
      hay.push(f.r, f.e, S[f.m]);
    });
    p.im.forEach(function (im) { hay.push(im.x, im.p); });
    p._hay = hay.join("\n").toLowerCase();
    // worst first within the post; position breaks ties
    p._order = p.f.map(function (f, i) { return i; }).sort(function (a, b) {
      var fa = p.f[a], fb = p.f[b];
      return (SEV[fb.v] - SEV[fa.v]) || ((fa.s || 0) - (fb.s || 0)) || (a - b);
    });
    p._num = {};
    p._order.forEach(function (fi, n) { p._num[fi] = n + 1; });
  });

  // Highlights: marks nest when findings nest; a finding that crosses another is split, and only its
  // first piece carries the tag, so every tagged mark's text is the finding's evidence.
  function highlight(box, text, items) {
    items = items.filter(function (it) { return it.n > it.s; });
    items.sort(function (a, b) { return (a.s - b.s) || (b.n - a.n); });
    var points = {};
    items.forEach(function (it) { points[it.s] = 1; points[it.n] = 1; });
    var stops = Object.keys(points).map(Number).sort(function (a, b) { return a - b; });
    var stack = [], pos = 0, k = 0;
    function top() { return stack.length ? stack[stack.length - 1].node : box; }
    function open(it, cont) {
      var m = el("mark", "hl cat-" + it.c + (cont ? " cont" : ""));
      if (!cont) { m.setAttribute("data-tag", it.tag); m.setAttribute("data-fi", it.fi); }
      m.title = it.title;
      top().appendChild(m);
      stack.push({ it: it, node: m });
    }
    function ends(b) { return stack.some(function (e) { return e.it.n === b; }); }
    stops.forEach(function (b) {
      if (b > pos) { top().appendChild(document.createTextNode(text.slice(pos, b))); pos = b; }
      if (ends(b)) {
        var reopen = [];
        while (ends(b)) { var e = stack.pop(); if (e.it.n !== b) reopen.unshift(e.it); }
        reopen.forEach(function (it) { open(it, true); });
      }
      while (k < items.length && items[k].s === b) { open(items[k], false); k++; }
    });
    if (pos < text.length) box.appendChild(document.createTextNode(text.slice(pos)));
  }

  function markItems(p, kind, image) {
    var out = [];
    p.f.forEach(function (f, fi) {
      if (f.k !== kind || f.s === undefined || (kind === "image" && f.g !== image)) return;
      out.push({ s: f.s, n: f.n, c: f.c, fi: fi, tag: L.tag[f.c] + " " + p._num[fi],
        title: L.cat[f.c] + " · " + f.r });
    });
    return out;
  }

  function metaItem(label, value) {
    var s = el("span", "meta-item", label + " ");
    s.appendChild(el("b", null, value));
    return s;
  }

  function imageFigure(p, im, gi) {
    var fig = el("figure", "img");
    var box = el("div", "thumb");
    if (im.w && im.h) box.style.aspectRatio = im.w + " / " + im.h;
    if (im.t) {
      var img = el("img");
      img.alt = im.p;
      img.src = im.t;
      box.appendChild(img);
    } else {
      var why = im.st === "not_scanned" ? T.not_scanned : im.st === "error" ? T.image_error : T.no_thumbnail;
      box.appendChild(el("div", "placeholder", why));
    }
    var boxes = p.f.map(function (f, fi) { return [f, fi]; })
      .filter(function (x) { return x[0].g === gi && x[0].b && x[0].b.length === 4; });
    if (boxes.length && im.w && im.h) {
      var svg = document.createElementNS(SVGNS, "svg");
      svg.setAttribute("viewBox", "0 0 " + im.w + " " + im.h);
      svg.setAttribute("preserveAspectRatio", "none");
      boxes.forEach(function (x) {
        var f = x[0], g = document.createElementNS(SVGNS, "g");
        g.setAttribute("class", "cat-" + f.c);
        g.setAttribute("data-fi", x[1]);
        ["bg", "box"].forEach(function (cls) {
          var r = document.createElementNS(SVGNS, "rect");
          r.setAttribute("class", cls);
          r.setAttribute("x", f.b[0]); r.setAttribute("y", f.b[1]);
          r.setAttribute("width", f.b[2]); r.setAttribute("height", f.b[3]);
          g.appendChild(r);
        });
        var title = document.createElementNS(SVGNS, "title");
        title.textContent = L.tag[f.c] + " " + p._num[x[1]] + " · " + f.r + ": " + f.e;
        g.appendChild(title);
        svg.appendChild(g);
      });
      box.appendChild(svg);
    }
    fig.appendChild(box);
    var cap = el("figcaption");
    cap.appendChild(el("code", null, im.p));
    if (im.st !== "scanned") {
      cap.appendChild(el("div", "img-status",
        (im.st === "not_scanned" ? T.not_scanned : T.image_error) + (im.d ? ": " + im.d : "")));
    }
    fig.appendChild(cap);
    if (im.x) {
      var det = el("details", "ocr");
      det.appendChild(el("summary", null, T.ocr_text));
      var ocr = el("div");
      highlight(ocr, im.x, markItems(p, "image", gi));
      det.appendChild(ocr);
      if (markItems(p, "image", gi).length) det.open = true;
      fig.appendChild(det);
    }
    return fig;
  }

  function where(p, f) {
    if (f.k === "text") return T.in_text + (f.ln ? " · L" + f.ln : "");
    var img = f.g !== undefined ? p.im[f.g].p : (f.gp || "");
    if (f.k === "metadata") return T.in_metadata + " · " + img + (f.fl ? " · " + T.field + " " + f.fl : "");
    return T.in_image + " · " + img;
  }

  function findingItem(p, f, fi) {
    var li = el("li", "finding cat-" + f.c);
    li.setAttribute("data-fi", fi);
    li.setAttribute("data-rule", f.r);
    var head = el("div", "fhead");
    head.appendChild(el("span", "fnum", p._num[fi]));
    head.appendChild(el("span", "sev sev-" + f.v, L.sev[f.v]));
    head.appendChild(el("span", "cat-chip", L.tag[f.c] + " · " + L.cat[f.c]));
    head.appendChild(el("code", "rule", f.r));
    li.appendChild(head);
    var msg = el("p", "msg", S[f.m]);
    msg.lang = p.lg;
    li.appendChild(msg);
    var dl = el("dl", "fdetail");
    function row(label, node, cls) {
      dl.appendChild(el("dt", null, label));
      var dd = el("dd", cls);
      if (typeof node === "string") dd.textContent = node; else dd.appendChild(node);
      dl.appendChild(dd);
    }
    row(T.evidence, el("span", "evidence", f.e));
    row(T.location, where(p, f));
    if (S[f.w]) row(T.why, S[f.w]);
    if (S[f.a]) row(T.advice, S[f.a], "advice");
    var refs = REFS[f.rf] || [];
    if (refs.length) {
      var ul = el("ul", "refs");
      refs.forEach(function (r) {
        var li2 = el("li");
        if (r[1] && SAFE_URL.test(r[1])) {
          var a = el("a", null, r[0] || r[1]);
          a.href = r[1];
          a.rel = "noopener noreferrer";
          a.target = "_blank";
          li2.appendChild(a);
        } else {
          li2.textContent = r[0];
        }
        ul.appendChild(li2);
      });
      row(T.references, ul);
    }
    li.appendChild(dl);
    return li;
  }

  function card(p) {
    var art = el("article", "post lvl-" + p.l + (p.f.length ? "" : " compliant"));
    art.setAttribute("data-id", p.i);
    art.setAttribute("data-account", p.a);
    var head = el("header", "post-head");
    var badge = el("span", "badge lvl-" + p.l, L.lvl[p.l]);
    head.appendChild(badge);
    head.appendChild(el("span", "score", T.risk + " " + p.sc));
    head.appendChild(el("span", "post-id", p.i));
    if (p.p) head.appendChild(metaItem(T.platform, p.p));
    if (p.a) head.appendChild(metaItem(T.account, p.a));
    if (p.d) head.appendChild(metaItem(T.date, p.d));
    if (p.src) head.appendChild(metaItem(T.source, p.src));
    if (p.u && SAFE_URL.test(p.u)) {
      var a = el("a", null, T.open_post);
      a.href = p.u; a.rel = "noopener noreferrer"; a.target = "_blank";
      head.appendChild(a);
    }
    art.appendChild(head);
    var body = el("div", "post-body");
    var main = el("div", "post-main");
    var text = el("div", "post-text");
    text.lang = p.lg;
    highlight(text, p.x, markItems(p, "text"));
    main.appendChild(text);
    if (p.im.length) {
      var imgs = el("div", "images");
      p.im.forEach(function (im, gi) { imgs.appendChild(imageFigure(p, im, gi)); });
      main.appendChild(imgs);
    }
    if (p.er.length) {
      var errs = el("div", "post-errors");
      errs.appendChild(el("strong", null, T.post_errors));
      var ul = el("ul");
      p.er.forEach(function (e) { ul.appendChild(el("li", null, e)); });
      errs.appendChild(ul);
      main.appendChild(errs);
    }
    body.appendChild(main);
    if (p.f.length) {
      var ol = el("ol", "findings");
      p._order.forEach(function (fi) { ol.appendChild(findingItem(p, p.f[fi], fi)); });
      body.appendChild(ol);
    }
    art.appendChild(body);
    return art;
  }

  // filtering and paging
  var state = { cat: "", sev: "", acc: "*", q: "", compliant: false, page: 0 };
  var shown = [];

  function matches(p) {
    if (!state.compliant && !p.f.length) return false;
    if (state.cat && !p._cats[state.cat]) return false;
    if (state.sev && p._sev < SEV[state.sev]) return false;
    if (state.acc !== "*" && "=" + p.a !== state.acc) return false;
    if (state.q && p._hay.indexOf(state.q) < 0) return false;
    return true;
  }

  function draw(all) {
    var list = $("post-list");
    var size = D.pageSize;
    var pages = Math.max(1, Math.ceil(shown.length / size));
    if (state.page >= pages) state.page = pages - 1;
    var from = all ? 0 : state.page * size;
    var to = all ? shown.length : Math.min(shown.length, from + size);
    var frag = document.createDocumentFragment();
    for (var i = from; i < to; i++) frag.appendChild(card(shown[i]));
    list.replaceChildren(frag);
    $("status").textContent = shown.length
      ? fmt(T.showing, { from: from + 1, to: to, total: shown.length })
      : T.no_match;
    var pager = $("pager");
    pager.hidden = all || pages < 2;
    $("page-info").textContent = fmt(T.page, { page: state.page + 1, pages: pages });
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
  }

  function apply() {
    state.cat = $("f-category").value;
    state.sev = $("f-severity").value;
    state.acc = $("f-account").value;
    state.q = $("f-search").value.trim().toLowerCase();
    state.compliant = $("f-compliant").checked;
    state.page = 0;
    shown = POSTS.filter(matches);
    draw(false);
  }

  ["f-category", "f-severity", "f-account", "f-compliant"].forEach(function (id) {
    $(id).addEventListener("change", apply);
  });
  $("f-search").addEventListener("input", apply);
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  $("prev").addEventListener("click", function () { state.page--; draw(false); window.scrollTo(0, $("posts").offsetTop); });
  $("next").addEventListener("click", function () { state.page++; draw(false); window.scrollTo(0, $("posts").offsetTop); });
  // a highlight leads to its explanation
  $("post-list").addEventListener("click", function (e) {
    var m = e.target.closest && e.target.closest("[data-fi]");
    var art = m && m.closest("article");
    if (!art || m.tagName === "LI") return;
    var li = art.querySelector('li[data-fi="' + m.getAttribute("data-fi") + '"]');
    if (!li) return;
    li.scrollIntoView({ block: "nearest" });
    li.classList.remove("flash");
    void li.offsetWidth;
    li.classList.add("flash");
  });
  // a printout shows every post that passes the filters, not just the current page
  window.addEventListener("beforeprint", function () { draw(true); });
  window.addEventListener("afterprint", function () { draw(false); });

  apply();
  document.documentElement.setAttribute("data-ready", "1");
})();
