// Vigie's page scripts (plain JavaScript, no build step): the upload of export files with a
// progress bar and clear errors. Everything else works without JavaScript.
(function () {
  "use strict";

  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  window.vigieCSRF = csrfToken;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  window.vigieEl = el;

  function alertBox(kind, title, lines) {
    var box = el("div", { "class": "fr-alert fr-alert--" + kind + " fr-mb-2w", role: kind === "error" ? "alert" : "status" });
    box.appendChild(el("h3", { "class": "fr-alert__title" }, title));
    if (lines && lines.length) {
      var ul = el("ul");
      lines.forEach(function (l) { ul.appendChild(el("li", {}, l)); });
      box.appendChild(ul);
    }
    return box;
  }
  window.vigieAlert = alertBox;

  var form = document.getElementById("formulaire-depot");
  if (!form) { return; }
  var input = form.querySelector('input[type="file"]');
  var progressBox = form.querySelector(".vg-upload-progress");
  var progress = form.querySelector("progress");
  var result = document.getElementById("resultat-depot");

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    result.textContent = "";
    if (!input.files.length) {
      result.appendChild(alertBox("error", "Aucun fichier choisi", ["Choisissez un ou plusieurs fichiers d’export (.xml ou .zip)."]));
      input.focus();
      return;
    }
    var data = new FormData();
    Array.prototype.forEach.call(input.files, function (f) { data.append("file", f, f.name); });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-url"));
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    progressBox.hidden = false;
    progress.value = 0;
    progress.textContent = "0 %";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var pc = Math.round(100 * e.loaded / e.total);
        progress.value = pc;
        progress.textContent = pc + "\u202f%";
      }
    });
    xhr.addEventListener("load", function () {
      progressBox.hidden = true;
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status !== 200 || !body) {
        var msg = body && body.message ? body.message : "Le serveur a répondu " + xhr.status + ".";
        var lines = [msg];
        if (body && body.detail) { lines.push(body.detail); }
        if (body && body.request_id) { lines.push("Référence : " + body.request_id); }
        result.appendChild(alertBox("error", "Dépôt refusé", lines));
        return;
      }
      var ok = [], bad = [];
      body.files.forEach(function (f) {
        if (f.error) {
          // The reason usually names the file already (« fichier, ligne N : … »).
          bad.push(f.error.indexOf(f.file) === 0 ? f.error : f.file + " : " + f.error);
        } else {
          ok.push(f.file + " : " + (f.duplicate ? "déjà reçu, ignoré" : "accepté (" + (f.import.kind_label || f.import.kind) + ")"));
        }
      });
      if (ok.length) {
        result.appendChild(alertBox("success", ok.length + (ok.length > 1 ? " fichiers acceptés" : " fichier accepté"),
          ok.concat(["L’évaluation de la nuit en tiendra compte."])));
      }
      if (bad.length) {
        result.appendChild(alertBox("error", bad.length + (bad.length > 1 ? " fichiers refusés" : " fichier refusé"), bad));
      }
      input.value = "";
    });
    xhr.addEventListener("error", function () {
      progressBox.hidden = true;
      result.appendChild(alertBox("error", "Envoi interrompu", ["La connexion au serveur a été perdue. Réessayez."]));
    });
    xhr.send(data);
  });
})();
