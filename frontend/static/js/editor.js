// The policy editor: CodeMirror with the Rego mode on the module's textarea; « Vérifier »
// puts the compile errors and strict-mode warnings at their lines (gutter marker, line
// highlight and a list of links to the lines), « Lancer les tests » runs the Rego tests,
// « Aperçu de l'impact » lists the schools whose outcome the draft changes.
(function () {
  "use strict";
  var form = document.getElementById("editeur-regles");
  var area = document.getElementById("source");
  if (!form || !area || !window.CodeMirror) { return; }
  var el = window.vigieEl, alertBox = window.vigieAlert;
  var readOnly = area.hasAttribute("readonly");
  var cm = CodeMirror.fromTextArea(area, {
    mode: "rego", lineNumbers: true, indentUnit: 4, indentWithTabs: true, readOnly: readOnly,
    gutters: ["vg-markers", "CodeMirror-linenumbers"],
    extraKeys: { "Esc": function (ed) { ed.getInputField().blur(); } },
    screenReaderLabel: "Source Rego du module " + form.getAttribute("data-module")
  });
  cm.getInputField().setAttribute("aria-label", "Source Rego du module " + form.getAttribute("data-module"));
  cm.getInputField().setAttribute("id", "source-editeur");
  var marked = [];

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

  function post(url, done, box, busy) {
    cm.save();
    box.textContent = "";
    box.appendChild(el("p", { "class": "fr-text--sm", role: "status" }, busy));
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": window.vigieCSRF() },
      body: JSON.stringify({ module: form.getAttribute("data-module"), text: cm.getValue() })
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
      var label = (m.severity === "error" ? "Erreur" : "Avertissement") + (m.line ? " ligne " + m.line : "") + " (" + m.code + ") : " + m.message;
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
          box.appendChild(alertBox("error", b.errors + " erreur" + (b.errors > 1 ? "s" : "") + " : le jeu de règles ne compile pas.", []));
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
          box.appendChild(alertBox("error", "Les tests ne peuvent pas tourner : le jeu de règles ne compile pas.", []));
          box.appendChild(markerList(b.problems, "Erreurs"));
          return;
        }
        var title = b.passed + " test" + (b.passed > 1 ? "s" : "") + " réussi" + (b.passed > 1 ? "s" : "") +
          ", " + b.failed + " en échec, " + b.errored + " en erreur.";
        box.appendChild(alertBox(b.ok ? "success" : "error", title, b.results.map(function (r) {
          return r.module + " ligne " + r.line + " — " + r.name + " : " + (r.outcome === "fail" ? "échec" : "erreur") + (r.message ? " (" + r.message + ")" : "");
        })));
      }, document.getElementById("resultat-tests"), "Tests en cours…");
    });
  }

  var preview = document.getElementById("bouton-apercu");
  if (preview) {
    preview.addEventListener("click", function () {
      post(form.getAttribute("data-preview-url"), function (b, box) {
        if (b.problems.length) {
          box.appendChild(alertBox("error", "Aperçu impossible : le jeu de règles ne compile pas.", []));
          box.appendChild(markerList(b.problems, "Erreurs"));
          return;
        }
        var words = b.StatusFor || {};
        var summary = b.changed + " établissement" + (b.changed > 1 ? "s" : "") + " sur " + b.schools + " changeraient (calcul en " + b.duration + ").";
        box.appendChild(alertBox(b.changed ? "warning" : "success", summary, []));
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
})();
