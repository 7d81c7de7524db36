// The policy editor: CodeMirror with the Rego mode on the module's textarea; « Vérifier »
// puts the compile errors and strict-mode warnings at their lines (gutter marker, line
// highlight and a list of links to the lines), « Enregistrer » saves the draft through the
// authoring API (its check adds lint findings and the tests), « Lancer les tests » runs the
// Rego tests, « Aperçu de l'impact » lists the schools whose outcome the draft changes,
// « Publier » and « Revenir à la version » publish or roll back with a message.
(function () {
  "use strict";
  var form = document.getElementById("editeur-regles");
  var area = document.getElementById("source");
  if (!form || !area || !window.CodeMirror) { return; }
  var el = window.vigieEl, alertBox = window.vigieAlert;
  var readOnly = area.hasAttribute("readonly");
  var cm = CodeMirror.fromTextArea(area, {
    mode: "rego", lineNumbers: true, indentUnit: 4, indentWithTabs: true, readOnly: readOnly,
    inputStyle: "contenteditable", // a focusable, labelled editing area for screen readers and axe
    gutters: ["vg-markers", "CodeMirror-linenumbers"],
    extraKeys: { "Esc": function (ed) { ed.getInputField().blur(); } },
    screenReaderLabel: "Source Rego du module " + form.getAttribute("data-module")
  });
  cm.getInputField().setAttribute("aria-label", "Source Rego du module " + form.getAttribute("data-module"));
  cm.getInputField().setAttribute("id", "source-editeur");
  var marked = [];
  var dataEl = document.getElementById("donnees-brouillon");
  var draft = dataEl ? JSON.parse(dataEl.textContent) : null;
  var editable = form.getAttribute("data-editable") === "true";
  var module = form.getAttribute("data-module");
  var loaded = cm.getValue();

  function clearMarkers() {
    marked.forEach(function (m) { cm.removeLineClass(m, "background", "vg-line-error"); cm.removeLineClass(m, "background", "vg-line-warning"); });
    marked = [];
    cm.clearGutter("vg-markers");
  }

  function showMarkers(markers) {
    clearMarkers();
    markers.forEach(function (m) {
      if (!m.line) { return; }
      var line = m.line - 1;
      var g = el("span", { "class": "vg-marker vg-marker--" + m.severity, title: m.message }, m.severity === "error" ? "✗" : "!");
      cm.setGutterMarker(line, "vg-markers", g);
      cm.addLineClass(line, "background", m.severity === "error" ? "vg-line-error" : "vg-line-warning");
      marked.push(line);
    });
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": window.vigieCSRF() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (b) { return { status: r.status, body: b }; }, function () { return { status: r.status, body: {} }; });
    });
  }

  function failure(box, title, res) {
    var b = res.body || {};
    var lines = [(b.message || ("Réponse " + res.status)) + (b.detail ? " " + b.detail : "")];
    if (b.request_id) { lines.push("Référence : " + b.request_id); }
    box.appendChild(alertBox("error", title, lines));
  }

  // draftBody is the draft as saved: its files with the edited module, and the check modes.
  function draftBody() {
    cm.save();
    var files = {};
    Object.keys(draft.files || {}).forEach(function (k) { files[k] = draft.files[k]; });
    var text = cm.getValue();
    if (text !== loaded || Object.prototype.hasOwnProperty.call(files, module)) { files[module] = text; }
    var overrides = JSON.parse(JSON.stringify(draft.overrides || {}));
    var modes = document.querySelectorAll("select.vg-mode");
    if (modes.length) {
      var checks = overrides.checks || {};
      Array.prototype.forEach.call(modes, function (sel) {
        var id = sel.getAttribute("data-check");
        var entry = checks[id] || {};
        if (sel.value) { entry.mode = sel.value; } else { delete entry.mode; }
        if (Object.keys(entry).length) { checks[id] = entry; } else { delete checks[id]; }
      });
      if (Object.keys(checks).length) { overrides.checks = checks; } else { delete overrides.checks; }
    }
    return { title: draft.title, files: files, overrides: overrides, revision: draft.revision };
  }

  // save saves the draft and shows its check; it resolves to true when saved.
  function save(box) {
    box.textContent = "";
    box.appendChild(el("p", { "class": "fr-text--sm", role: "status" }, "Enregistrement et vérification du brouillon…"));
    return api("PUT", draft.api, draftBody()).then(function (res) {
      box.textContent = "";
      if (res.status !== 200) { failure(box, "Brouillon non enregistré", res); return false; }
      draft.revision = res.body.draft.revision;
      draft.files = res.body.draft.files || {};
      draft.overrides = res.body.draft.overrides || {};
      loaded = cm.getValue();
      var c = res.body.check || {};
      var markers = [];
      (c.problems || []).forEach(function (p) { markers.push({ line: p.line, column: p.column, severity: "error", code: p.code, message: p.message, module: p.module }); });
      (c.strict || []).concat(c.lint || []).forEach(function (p) { markers.push({ line: p.line, column: p.column, severity: "warning", code: p.code || p.rule, message: p.message, module: p.module }); });
      var here = markers.filter(function (m) { return m.module === module; });
      showMarkers(here);
      var t = c.tests;
      var title = "Brouillon enregistré (révision " + draft.revision + "). " +
        (c.compiles ? "Le jeu compile" : "Le jeu ne compile pas") +
        (t ? " ; tests : " + t.passed + " réussis, " + t.failed + " en échec, " + t.errored + " en erreur" : "") +
        (c.ok ? " : publiable." : " : pas encore publiable.");
      box.appendChild(alertBox(c.ok ? "success" : (c.compiles ? "warning" : "error"), title, []));
      if (markers.length) { box.appendChild(markerList(markers, "Erreurs, avertissements et remarques de style")); }
      return true;
    }).catch(function () {
      box.textContent = "";
      box.appendChild(alertBox("error", "Serveur injoignable", ["Réessayez dans un instant."]));
      return false;
    });
  }

  function post(url, done, box, busy) {
    cm.save();
    box.textContent = "";
    box.appendChild(el("p", { "class": "fr-text--sm", role: "status" }, busy));
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": window.vigieCSRF() },
      body: JSON.stringify({ module: module, text: cm.getValue(), draft: draft ? draft.id : 0 })
    }).then(function (r) {
      return r.json().then(function (b) { return { status: r.status, body: b }; });
    }).then(function (res) {
      box.textContent = "";
      if (res.status !== 200) {
        box.appendChild(alertBox("error", "Erreur", [res.body.message + (res.body.detail ? " " + res.body.detail : "")]));
        return;
      }
      done(res.body, box);
    }).catch(function () {
      box.textContent = "";
      box.appendChild(alertBox("error", "Serveur injoignable", ["Réessayez dans un instant."]));
    });
  }

  function markerList(markers, title) {
    var wrap = el("div", { "class": "fr-mt-2w" });
    wrap.appendChild(el("h3", { "class": "fr-h6" }, title));
    var ul = el("ul", { "class": "vg-markers-list" });
    markers.forEach(function (m) {
      var li = el("li", { "class": "vg-markers-list__" + m.severity });
      var label = (m.severity === "error" ? "Erreur" : "Avertissement") + (m.line ? " ligne " + m.line : "") + " (" + m.code + ") : " + m.message;
      if (m.line && m.module === form.getAttribute("data-module")) {
        var a = el("a", { href: "#source" }, label);
        a.addEventListener("click", function (e) { e.preventDefault(); cm.focus(); cm.setCursor({ line: m.line - 1, ch: Math.max(0, (m.column || 1) - 1) }); });
        li.appendChild(a);
      } else {
        li.textContent = (m.module ? m.module + " — " : "") + label;
      }
      ul.appendChild(li);
    });
    wrap.appendChild(ul);
    return wrap;
  }

  var check = document.getElementById("bouton-verifier");
  if (check) {
    check.addEventListener("click", function () {
      post(form.getAttribute("data-check-url"), function (b, box) {
        showMarkers(b.markers);
        if (b.ok && !b.warnings) {
          box.appendChild(alertBox("success", "Le jeu de règles compile sans erreur ni avertissement.", []));
        } else if (b.ok) {
          box.appendChild(alertBox("warning", "Le jeu de règles compile, avec " + b.warnings + " avertissement" + (b.warnings > 1 ? "s" : "") + ".", []));
        } else {
          box.appendChild(alertBox("error", b.errors + " erreur" + (b.errors > 1 ? "s" : "") + " : le jeu de règles ne compile pas.", []));
        }
        if (b.markers.length) { box.appendChild(markerList(b.markers, "Dans ce module")); }
        if (b.others.length) { box.appendChild(markerList(b.others, "Dans d’autres modules")); }
      }, document.getElementById("resultat-verification"), "Vérification en cours…");
    });
  }

  var tests = document.getElementById("bouton-tests");
  if (tests) {
    tests.addEventListener("click", function () {
      post(form.getAttribute("data-test-url"), function (b, box) {
        if (b.problems.length) {
          showMarkers(b.problems.filter(function (m) { return m.module === form.getAttribute("data-module"); }));
          box.appendChild(alertBox("error", "Les tests ne peuvent pas tourner : le jeu de règles ne compile pas.", []));
          box.appendChild(markerList(b.problems, "Erreurs"));
          return;
        }
        var title = b.passed + " test" + (b.passed > 1 ? "s" : "") + " réussi" + (b.passed > 1 ? "s" : "") +
          ", " + b.failed + " en échec, " + b.errored + " en erreur.";
        box.appendChild(alertBox(b.ok ? "success" : "error", title, b.results.map(function (r) {
          return r.module + " ligne " + r.line + " — " + r.name + " : " + (r.outcome === "fail" ? "échec" : "erreur") + (r.message ? " (" + r.message + ")" : "");
        })));
      }, document.getElementById("resultat-tests"), "Tests en cours…");
    });
  }

  var saveBtn = document.getElementById("bouton-enregistrer");
  if (saveBtn && draft) {
    saveBtn.addEventListener("click", function () { save(document.getElementById("resultat-enregistrement")); });
  }

  // renderPreview shows the authoring service's preview: counts, then the schools that change
  // with a link to each school's page.
  function renderPreview(p, box) {
    var base = form.getAttribute("data-base").replace(/\/regles$/, "");
    var words = { ready: "Prêt", at_risk: "À risque", not_ready: "Non prêt", "": "—" };
    var title = p.changed + " établissement" + (p.changed > 1 ? "s" : "") + " sur " + p.schools + " changeraient" +
      (p.pupils_affected ? " (" + p.pupils_affected + " élèves concernés)" : "") + ".";
    var lines = [
      "Prêts : " + p.status_before.ready + " → " + p.status_after.ready,
      "À risque : " + p.status_before.at_risk + " → " + p.status_after.at_risk,
      "Non prêts : " + p.status_before.not_ready + " → " + p.status_after.not_ready,
      "Aperçu du brouillon enregistré, comparé aux règles publiées : les deux évalués maintenant sur le dernier instantané de chaque établissement."
    ].concat(p.warnings || []);
    box.appendChild(alertBox(p.changed ? "warning" : "success", title, lines));
    if (!p.school_changes || !p.school_changes.length) { return; }
    var wrap = el("div", { "class": "fr-table fr-table--sm fr-table--bordered" });
    var t = el("table", { id: "tableau-impact" });
    t.appendChild(el("caption", {}, "Établissements dont le résultat changerait"));
    var head = el("tr");
    ["Établissement", "Statut actuel", "Statut avec le brouillon", "Élèves concernés", "Contrôles modifiés"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    var thead = el("thead"); thead.appendChild(head); t.appendChild(thead);
    var tbody = el("tbody");
    p.school_changes.forEach(function (r) {
      var tr = el("tr");
      var td = el("td"); td.appendChild(el("a", { href: base + "/etablissements/" + r.uai }, (r.name || r.uai) + " (" + r.uai + ")")); tr.appendChild(td);
      tr.appendChild(el("td", {}, words[r.status_before] || r.status_before));
      tr.appendChild(el("td", {}, words[r.status_after] || r.status_after));
      tr.appendChild(el("td", {}, String(r.pupils_affected || 0)));
      var det = el("td");
      if (r.changes && r.changes.length) {
        var d = el("details"); d.appendChild(el("summary", {}, r.changes.length + " contrôle" + (r.changes.length > 1 ? "s" : "")));
        var ul = el("ul");
        r.changes.forEach(function (c) {
          var txt = c.check + " : " + (c.before.status || "—") + (c.before.mode === "monitor" ? " (surveillance)" : "") + " → " +
            (c.after.status || "—") + (c.after.mode === "monitor" ? " (surveillance)" : "");
          if (c.new_count) { txt += ", " + c.new_count + " nouveaux éléments"; }
          if (c.closed_count) { txt += ", " + c.closed_count + " éléments résolus"; }
          ul.appendChild(el("li", {}, txt));
        });
        d.appendChild(ul); det.appendChild(d);
      }
      tr.appendChild(det);
      tbody.appendChild(tr);
    });
    t.appendChild(tbody); wrap.appendChild(t); box.appendChild(wrap);
  }

  var preview = document.getElementById("bouton-apercu");
  if (preview && draft) {
    preview.addEventListener("click", function () {
      var box = document.getElementById("resultat-apercu");
      var saved = editable ? save(document.getElementById("resultat-enregistrement")) : Promise.resolve(true);
      saved.then(function (ok) {
        if (!ok) { return; }
        box.textContent = "";
        box.appendChild(el("p", { "class": "fr-text--sm", role: "status" }, "Évaluation du brouillon sur chaque établissement…"));
        api("POST", draft.api + "/preview", {}).then(function (res) {
          box.textContent = "";
          if (res.status !== 200) { failure(box, "Aperçu impossible", res); return; }
          renderPreview(res.body, box);
        });
      });
    });
  } else if (preview) {
    preview.addEventListener("click", function () {
      post(form.getAttribute("data-preview-url"), function (b, box) {
        if (b.problems.length) {
          box.appendChild(alertBox("error", "Aperçu impossible : le jeu de règles ne compile pas.", []));
          box.appendChild(markerList(b.problems, "Erreurs"));
          return;
        }
        var words = b.status_for || {};
        var summary = b.changed + " établissement" + (b.changed > 1 ? "s" : "") + " sur " + b.schools + " changeraient (calcul en " + b.duration + ").";
        box.appendChild(alertBox(b.changed ? "warning" : "success", summary, [b.previewed]));
        if (!b.rows.length) { return; }
        var wrap = el("div", { "class": "fr-table fr-table--sm fr-table--bordered" });
        var t = el("table", { id: "tableau-impact" });
        t.appendChild(el("caption", {}, "Établissements dont le résultat changerait"));
        var head = el("tr");
        ["Établissement", "Statut actuel", "Statut avec le brouillon", "Contrôles modifiés"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
        var thead = el("thead"); thead.appendChild(head); t.appendChild(thead);
        var tbody = el("tbody");
        b.rows.forEach(function (r) {
          var tr = el("tr");
          var td = el("td"); var a = el("a", { href: r.href }, r.name + " (" + r.uai + ")"); td.appendChild(a); tr.appendChild(td);
          tr.appendChild(el("td", {}, words[r.before] || r.before));
          tr.appendChild(el("td", {}, words[r.after] || r.after));
          var det = el("td");
          if (r.changed && r.changed.length) {
            var d = el("details"); d.appendChild(el("summary", {}, r.changed.length + " contrôle" + (r.changed.length > 1 ? "s" : "")));
            var ul = el("ul"); r.changed.forEach(function (c) { ul.appendChild(el("li", {}, c)); }); d.appendChild(ul); det.appendChild(d);
          }
          tr.appendChild(det);
          tbody.appendChild(tr);
        });
        t.appendChild(tbody); wrap.appendChild(t); box.appendChild(wrap);
      }, document.getElementById("resultat-apercu"), "Évaluation du brouillon sur chaque établissement…");
    });
  }

  var pub = document.getElementById("formulaire-publier");
  if (pub && draft) {
    pub.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = document.getElementById("resultat-publication");
      var message = document.getElementById("message-publication").value.trim();
      box.textContent = "";
      if (!message) { box.appendChild(alertBox("error", "Message requis", ["Dites ce qui change et pourquoi."])); return; }
      save(document.getElementById("resultat-enregistrement")).then(function (ok) {
        if (!ok) { return; }
        box.appendChild(el("p", { "class": "fr-text--sm", role: "status" }, "Publication en cours (vérification, tests, aperçu)…"));
        api("POST", pub.getAttribute("data-url"), { message: message }).then(function (res) {
          box.textContent = "";
          if (res.status !== 200 && res.status !== 201) { failure(box, "Publication refusée", res); return; }
          window.location.assign(form.getAttribute("data-base") + "?ok=publie#versions");
        });
      });
    });
  }
})();

// Outside the editor: a new draft, and the rollback forms of the version history.
(function () {
  "use strict";
  var el = window.vigieEl, alertBox = window.vigieAlert;
  function send(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": window.vigieCSRF() },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }, function () { return { status: r.status, body: {} }; }); });
  }
  function refused(box, title, res) {
    var b = res.body || {};
    box.appendChild(alertBox("error", title, [(b.message || ("Réponse " + res.status)) + (b.detail ? " " + b.detail : "")]));
  }
  var create = document.getElementById("nouveau-brouillon");
  if (create) {
    create.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = document.getElementById("resultat-brouillon");
      box.textContent = "";
      send(create.getAttribute("data-api"), { title: document.getElementById("titre-brouillon").value.trim() }).then(function (res) {
        if (res.status !== 201 && res.status !== 200) { refused(box, "Brouillon non créé", res); return; }
        var id = (res.body.draft || res.body).id;
        window.location.assign(create.getAttribute("data-base") + "?brouillon=" + id + "&module=" + encodeURIComponent(create.getAttribute("data-module")));
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form.vg-rollback"), function (f) {
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = f.querySelector(".vg-rollback__result");
      box.textContent = "";
      box.appendChild(el("p", { "class": "fr-text--sm", role: "status" }, "Retour en cours (vérification, tests)…"));
      send(f.getAttribute("data-url"), { message: f.querySelector("input[name=message]").value.trim() }).then(function (res) {
        box.textContent = "";
        if (res.status !== 200 && res.status !== 201) { refused(box, "Retour refusé", res); return; }
        window.location.assign(window.location.pathname + "?ok=retour#versions");
      });
    });
  });
})();
