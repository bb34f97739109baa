(function () {
  "use strict";
  // Everything the server returns is drawn with textContent only: no response is ever parsed as HTML.
  // Offsets from the server count Unicode code points; JavaScript strings count UTF-16 units, so text
  // is handled as arrays of code points (Array.from) wherever offsets are used.
  var D = JSON.parse(document.getElementById("pg-data").textContent);
  var SEV = { low: 0, medium: 1, high: 2, critical: 3 };
  var LEVELS = ["none", "low", "medium", "high", "critical"];
  var SAFE_URL = /^https?:\/\//i;
  var SVGNS = "http://www.w3.org/2000/svg";
  var $ = function (id) { return document.getElementById(id); };
  var lang = D.lang || ((navigator.language || "").toLowerCase().indexOf("zh") === 0 ? "zh" : "en");
  var T = D.t[lang], L = D.labels[lang];

  var state = {
    files: [],            // [{file, url, name}]
    textFindings: [],     // from the latest text-only check
    textLevel: "none",
    imageReport: null,    // the post from the latest check with pictures
    textSeq: 0, imageSeq: 0, safeSeq: 0,
    checkedText: null,
    fix: null, fixedFor: null,
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(s, vars) {
    return s.replace(/\{(\w+)\}/g, function (m, k) { return k in vars ? String(vars[k]) : m; });
  }
  function cps(s) { return Array.from(s); }

  // -- the API ---------------------------------------------------------------------------------------
  function form(withImages) {
    var fd = new FormData();
    fd.append("text", $("draft").value);
    fd.append("platform", $("platform").value);
    fd.append("lang", lang);
    if (withImages) state.files.forEach(function (f) { fd.append("images", f.file, f.name); });
    return fd;
  }
  function api(path, fd) {
    var headers = {};
    if (D.token) headers["X-Postguard-Token"] = D.token;
    return fetch(path, { method: "POST", body: fd, headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return { error: r.status + " " + r.statusText }; })
          .then(function (body) {
            if (!r.ok) throw new Error(body && body.error ? body.error : String(r.status));
            return body;
          });
      });
  }
  function showError(e) {
    var s = $("status");
    s.replaceChildren(el("span", "err", fmt(T.server_error, { e: e.message || e })));
  }

  // -- checks ----------------------------------------------------------------------------------------
  var timer = null;
  function scheduleTextCheck() {
    clearTimeout(timer);
    timer = setTimeout(checkText, D.debounce);
    markStale();
  }
  function checkText() {
    var seq = ++state.textSeq;
    var text = $("draft").value;
    api("/api/check", form(false)).then(function (rep) {
      if (seq !== state.textSeq) return; // a newer keystroke already asked again
      var post = rep.posts[0];
      state.checkedText = text;
      state.textFindings = post.findings.filter(function (f) { return f.location.kind === "text"; });
      state.textLevel = post.risk.level;
      draw();
    }).catch(showError);
  }
  function checkImages() {
    if (!state.files.length) { state.imageReport = null; draw(); return; }
    var seq = ++state.imageSeq;
    $("status").replaceChildren(el("span", "muted", T.reading_images));
    api("/api/check", form(true)).then(function (rep) {
      if (seq !== state.imageSeq) return;
      state.imageReport = rep.posts[0];
      draw();
    }).catch(showError);
  }

  // -- drawing findings (the HTML report's presentation) ---------------------------------------------
  function allFindings() {
    var out = state.textFindings.slice();
    if (state.imageReport) {
      state.imageReport.findings.forEach(function (f) { if (f.location.kind !== "text") out.push(f); });
    }
    out.sort(function (a, b) {
      return (SEV[b.severity] - SEV[a.severity]) || ((a.location.start || 0) - (b.location.start || 0));
    });
    return out;
  }

  // marks nest when findings nest; a finding that crosses another is split, and only its first piece
  // carries the tag, as in the report
  function highlight(box, text, items) {
    var chars = cps(text);
    items = items.filter(function (it) { return it.n > it.s && it.n <= chars.length; });
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
      if (b > pos) { top().appendChild(document.createTextNode(chars.slice(pos, b).join(""))); pos = b; }
      if (ends(b)) {
        var reopen = [];
        while (ends(b)) { var e = stack.pop(); if (e.it.n !== b) reopen.unshift(e.it); }
        reopen.forEach(function (it) { open(it, true); });
      }
      while (k < items.length && items[k].s === b) { open(items[k], false); k++; }
    });
    if (pos < chars.length) box.appendChild(document.createTextNode(chars.slice(pos).join("")));
  }

  function where(f) {
    var loc = f.location;
    if (loc.kind === "text") return T.in_text + (loc.line ? " · L" + loc.line : "");
    if (loc.kind === "metadata") return T.in_metadata + " · " + loc.image + (loc.field ? " · " + loc.field : "");
    return T.in_image + " · " + loc.image;
  }
  function fixText(fix) {
    if (!fix) return null;
    var r = fix.replacement ? (fix.replacement[lang] || fix.replacement.en || fix.replacement.zh || "") : "";
    if (fix.action === "suggest") {
      return fix.suggestion ? (fix.suggestion[lang] || fix.suggestion.en || fix.suggestion.zh) : null;
    }
    var key = "fix_" + fix.action;
    return T[key] ? fmt(T[key], { r: r.replace("{age_range}", "…") }) : null;
  }

  function findingItem(f, n) {
    var li = el("li", "finding cat-" + f.category);
    li.setAttribute("data-fi", n);
    li.setAttribute("data-rule", f.rule);
    var head = el("div", "fhead");
    head.appendChild(el("span", "fnum", n));
    head.appendChild(el("span", "sev sev-" + f.severity, L.sev[f.severity] || f.severity));
    head.appendChild(el("span", "cat-chip", (L.tag[f.category] || "") + " · " + (L.cat[f.category] || f.category)));
    head.appendChild(el("code", "rule", f.rule));
    li.appendChild(head);
    li.appendChild(el("p", "msg", f.message));
    var dl = el("dl", "fdetail");
    function row(label, node, cls) {
      if (node === null || node === undefined || node === "") return;
      dl.appendChild(el("dt", null, label));
      var dd = el("dd", cls);
      if (typeof node === "string") dd.textContent = node; else dd.appendChild(node);
      dl.appendChild(dd);
    }
    row(T.evidence, el("span", "evidence", f.evidence));
    row(T.location, where(f));
    row(T.why, f.why);
    row(T.advice, f.advice, "advice");
    row(T.fix, fixText(f.fix));
    if (f.references && f.references.length) {
      var ul = el("ul", "refs");
      f.references.forEach(function (r) {
        var item = el("li");
        if (r.url && SAFE_URL.test(r.url)) {
          var a = el("a", null, r.title || r.url);
          a.href = r.url; a.rel = "noopener noreferrer"; a.target = "_blank";
          item.appendChild(a);
        } else {
          item.textContent = r.title;
        }
        ul.appendChild(item);
      });
      row(T.references, ul);
    }
    li.appendChild(dl);
    return li;
  }

  function imageInfo(name) {
    if (!state.imageReport) return null;
    var found = null;
    state.imageReport.images.forEach(function (im) { if (im.path === name) found = im; });
    return found;
  }

  function figure(entry, findings, numbers, src, removable, index) {
    var fig = el("figure", "img");
    var box = el("div", "thumb");
    var img = el("img");
    img.alt = entry.name;
    img.src = src;
    box.appendChild(img);
    var info = imageInfo(entry.name);
    var w = entry.width || (info && info.width), h = entry.height || (info && info.height);
    var boxes = findings.filter(function (f) {
      return f.location.kind === "image" && f.location.image === entry.name && f.location.bbox;
    });
    if (boxes.length && w && h) {
      var svg = document.createElementNS(SVGNS, "svg");
      svg.setAttribute("viewBox", "0 0 " + w + " " + h);
      svg.setAttribute("preserveAspectRatio", "none");
      boxes.forEach(function (f) {
        var b = f.location.bbox, g = document.createElementNS(SVGNS, "g");
        g.setAttribute("class", "cat-" + f.category);
        g.setAttribute("data-rule", f.rule);
        ["bg", "box"].forEach(function (cls) {
          var r = document.createElementNS(SVGNS, "rect");
          r.setAttribute("class", cls);
          r.setAttribute("x", b[0]); r.setAttribute("y", b[1]);
          r.setAttribute("width", b[2]); r.setAttribute("height", b[3]);
          g.appendChild(r);
        });
        var title = document.createElementNS(SVGNS, "title");
        title.textContent = (L.tag[f.category] || "") + " " + (numbers.get(f) || "") + " · " + f.rule + ": " + f.evidence;
        g.appendChild(title);
        svg.appendChild(g);
      });
      box.appendChild(svg);
    }
    fig.appendChild(box);
    var cap = el("figcaption");
    cap.appendChild(el("code", null, entry.name));
    if (removable) {
      var rm = el("button", "ghost", T.remove_image);
      rm.type = "button";
      rm.addEventListener("click", function () {
        URL.revokeObjectURL(state.files[index].url);
        state.files.splice(index, 1);
        checkImages();
      });
      cap.appendChild(rm);
    }
    fig.appendChild(cap);
    if (info && info.status !== "scanned") {
      fig.appendChild(el("div", "img-status",
        (info.status === "not_scanned" ? T.not_scanned : T.image_error) + (info.detail ? ": " + info.detail : "")));
    }
    return fig;
  }

  function draw() {
    var findings = allFindings();
    var numbers = new Map();
    findings.forEach(function (f, i) { numbers.set(f, i + 1); });
    // status line
    var level = state.textLevel;
    if (state.imageReport && LEVELS.indexOf(state.imageReport.risk.level) > LEVELS.indexOf(level)) {
      level = state.imageReport.risk.level;
    }
    var st = $("status");
    st.replaceChildren();
    st.appendChild(el("span", "badge lvl-" + level, L.lvl[level] || level));
    st.appendChild(el("span", null, findings.length ? fmt(T.findings_n, { n: findings.length }) : T.no_findings));
    st.appendChild(el("small", "muted", fmt(T.rules_n, { n: D.rules })));
    // the draft with highlights (of the text the findings were computed on)
    var text = state.checkedText !== null ? state.checkedText : $("draft").value;
    var items = [];
    findings.forEach(function (f) {
      if (f.location.kind !== "text") return;
      var n = numbers.get(f);
      items.push({ s: f.location.start, n: f.location.end, c: f.category, fi: n,
        tag: (L.tag[f.category] || "") + " " + n, title: (L.cat[f.category] || "") + " · " + f.rule });
    });
    var pv = $("preview");
    pv.replaceChildren();
    pv.lang = lang;
    highlight(pv, text, items);
    // findings, worst first
    var ol = $("findings");
    ol.replaceChildren();
    findings.forEach(function (f) { ol.appendChild(findingItem(f, numbers.get(f))); });
    // pictures with boxes over what OCR found
    var imgs = $("images");
    imgs.replaceChildren();
    state.files.forEach(function (f, i) {
      imgs.appendChild(figure({ name: f.name }, findings, numbers, f.url, true, i));
    });
  }

  // -- pictures --------------------------------------------------------------------------------------
  function addFiles(list) {
    var taken = {};
    state.files.forEach(function (f) { taken[f.name] = 1; });
    Array.prototype.forEach.call(list, function (file) {
      if (state.files.length >= D.maxImages) return;
      if (!/^image\//.test(file.type || "") && !/\.(heic|heif)$/i.test(file.name)) return;
      var name = file.name || "image", n = 2;
      while (taken[name]) { name = n + "-" + file.name; n++; }
      taken[name] = 1;
      state.files.push({ file: file, url: URL.createObjectURL(file), name: name });
    });
    markStale();
    checkImages();
  }
  var drop = $("drop");
  drop.addEventListener("click", function () { $("files").click(); });
  drop.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("files").click(); }
  });
  $("files").addEventListener("change", function () { addFiles($("files").files); $("files").value = ""; });
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) { if (e.dataTransfer) addFiles(e.dataTransfer.files); });

  // -- the safe version ------------------------------------------------------------------------------
  function applyChanges(original, changes, accepted) {
    var chars = cps(original), out = [], pos = 0;
    changes.filter(function (c) { return accepted[c.id]; })
      .sort(function (a, b) { return (a.start - b.start) || (a.end - b.end); })
      .forEach(function (c) {
        if (c.start < pos) return;
        out.push(chars.slice(pos, c.start).join(""), c.after);
        pos = c.end;
      });
    out.push(chars.slice(pos).join(""));
    return out.join("");
  }
  function refreshSafeText() {
    var fx = state.fix;
    $("safe-text").value = applyChanges(fx.original, fx.changes, fx.accepted);
  }
  function base64Blob(data, type) {
    var bin = atob(data), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type: type });
  }
  function drawSafe() {
    var fx = state.fix;
    $("safe").hidden = false;
    var ul = $("changes");
    ul.replaceChildren();
    if (!fx.changes.length) ul.appendChild(el("li", "muted", T.no_changes));
    fx.changes.forEach(function (c) {
      var li = el("li", "change cat-" + c.category + (fx.accepted[c.id] ? "" : " rejected"));
      li.setAttribute("data-change", c.id);
      var label = el("label");
      var box = el("input");
      box.type = "checkbox";
      box.checked = !!fx.accepted[c.id];
      box.setAttribute("aria-label", T.accept + " " + c.id);
      box.addEventListener("change", function () {
        fx.accepted[c.id] = box.checked;
        li.classList.toggle("rejected", !box.checked);
        refreshSafeText();
      });
      label.appendChild(box);
      label.appendChild(el("strong", null, T["kind_" + c.kind] || c.kind));
      if (c.before) label.appendChild(el("del", null, c.before));
      if (c.after) label.appendChild(el("ins", null, c.after.replace(/\n$/, "↵")));
      label.appendChild(el("code", "rule", c.rule));
      li.appendChild(label);
      li.appendChild(el("span", "reason", c.reason));
      ul.appendChild(li);
    });
    var notes = $("notes");
    notes.replaceChildren();
    fx.notes.forEach(function (n) {
      var li = el("li", "note-item cat-" + n.category);
      li.appendChild(el("code", "rule", n.rule));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "evidence", n.evidence));
      li.appendChild(el("div", null, n.text));
      notes.appendChild(li);
    });
    $("notes-box").hidden = !fx.notes.length;
    refreshSafeText();
    var imgs = $("safe-images");
    imgs.replaceChildren();
    fx.images.forEach(function (im) {
      if (!im.data) {
        var fig = el("figure", "img");
        fig.appendChild(el("code", null, im.name));
        fig.appendChild(el("div", "img-status", T.image_error + (im.detail ? ": " + im.detail : "")));
        imgs.appendChild(fig);
        return;
      }
      var url = URL.createObjectURL(base64Blob(im.data, im.media_type));
      var f = figure({ name: im.name, width: im.width, height: im.height }, [], new Map(), url, false, -1);
      f.classList.add("safe-image");
      f.appendChild(el("small", "muted", fmt(T.boxes_filled, { n: im.boxes.length })));
      var a = el("a", "dl", T.download_image);
      a.href = url;
      a.download = im.file;
      f.appendChild(a);
      imgs.appendChild(f);
    });
    $("safe-images-box").hidden = !fx.images.length;
    $("safe-stale").hidden = true;
  }
  function markStale() {
    if (state.fix && state.fixedFor !== snapshot()) $("safe-stale").hidden = false;
  }
  function snapshot() {
    return $("draft").value + "\u0000" + state.files.map(function (f) { return f.name; }).join("\u0000");
  }
  $("safe-btn").addEventListener("click", function () {
    var seq = ++state.safeSeq, snap = snapshot();
    var btn = $("safe-btn");
    btn.disabled = true;
    api("/api/fix", form(true)).then(function (fx) {
      if (seq !== state.safeSeq) return;
      fx.accepted = {};
      fx.changes.forEach(function (c) { fx.accepted[c.id] = true; });
      state.fix = fx;
      state.fixedFor = snap;
      drawSafe();
      $("safe").scrollIntoView({ block: "nearest" });
    }).catch(showError).then(function () { btn.disabled = false; });
  });
  $("copy").addEventListener("click", function () {
    var text = $("safe-text").value, btn = $("copy");
    function done() { btn.textContent = T.copied; setTimeout(function () { btn.textContent = T.copy; }, 1500); }
    function fallback() { var ta = $("safe-text"); ta.focus(); ta.select(); document.execCommand("copy"); done(); }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  });
  $("download").addEventListener("click", function () {
    var url = URL.createObjectURL(new Blob([$("safe-text").value], { type: "text/plain;charset=utf-8" }));
    var a = el("a");
    a.href = url;
    a.download = "post-safe.txt";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  });

  // -- highlights lead to their explanation ----------------------------------------------------------
  $("preview").addEventListener("click", function (e) {
    var m = e.target.closest && e.target.closest("mark[data-fi]");
    if (!m) return;
    var li = document.querySelector('#findings li[data-fi="' + m.getAttribute("data-fi") + '"]');
    if (!li) return;
    li.scrollIntoView({ block: "nearest" });
    li.classList.remove("flash");
    void li.offsetWidth;
    li.classList.add("flash");
  });

  // -- language --------------------------------------------------------------------------------------
  function applyLanguage() {
    T = D.t[lang]; L = D.labels[lang];
    document.documentElement.lang = lang;
    document.title = "postguard · " + T.title;
    Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (node) {
      node.textContent = T[node.getAttribute("data-t")];
    });
    $("draft").placeholder = T.placeholder;
    $("lang-switch").textContent = T.lang_switch;
    $("drop-hint").textContent = fmt(T.drop_hint, { n: D.maxImages, mb: D.maxImageMiB });
    var sel = $("platform"), value = sel.value;
    sel.replaceChildren();
    D.platforms.forEach(function (p) {
      var o = el("option", null, p[1][lang]);
      o.value = p[0];
      sel.appendChild(o);
    });
    sel.value = value || (lang === "zh" ? "wechat" : "x");
  }
  $("lang-switch").addEventListener("click", function () {
    lang = lang === "zh" ? "en" : "zh";
    applyLanguage();
    checkText();
    if (state.files.length) checkImages();
    if (state.fix) drawSafe();
  });

  $("draft").addEventListener("input", scheduleTextCheck);
  $("platform").addEventListener("change", function () { markStale(); checkText(); });
  applyLanguage();
  checkText();
  document.documentElement.setAttribute("data-ready", "1");
})();
