// Study page logic.  Data: window.STUDY (study.js, written by `python -m userstudy kit`).
// State lives in localStorage under one key per study build, so a reload resumes where the
// participant was; answers of finished participants stay until exported and cleared.
(function () {
  "use strict";
  var S = window.STUDY;
  var KEY = "userstudy:" + S.study + ":" + S.build;
  var LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  var state = load();
  var shownItem = -1; // which item's videos are on screen (avoid restarting them on every click)

  function $(id) { return document.getElementById(id); }

  function load() {
    try {
      var s = JSON.parse(window.localStorage.getItem(KEY));
      if (s && Array.isArray(s.archive)) return s;
    } catch (e) { /* corrupt or missing: start fresh */ }
    return { archive: [], current: null };
  }

  function save() { window.localStorage.setItem(KEY, JSON.stringify(state)); }

  // FNV-1a 32-bit over UTF-8 bytes; must match userstudy.kit.build.fnv1a_32.
  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }

  function csvCell(value) {
    value = String(value);
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  function allAnswers() {
    return state.archive.concat(state.current ? state.current.answers : []);
  }

  function csvText() {
    var lines = [S.columns.join(",")];
    allAnswers().forEach(function (row) {
      lines.push(S.columns.map(function (c) { return csvCell(row[c]); }).join(","));
    });
    return lines.join("\n") + "\n";
  }

  function csvUrl() {
    return URL.createObjectURL(new Blob([csvText()], { type: "text/csv" }));
  }

  function show(screen) {
    ["start-screen", "trial-screen", "done-screen"].forEach(function (id) { $(id).hidden = id !== screen; });
    $("download-partial").hidden = screen !== "trial-screen";
  }

  function currentSlots() {
    var cur = state.current;
    var layout = S.layouts[cur.layout];
    var itemIndex = layout.order[cur.index];
    var item = S.items[itemIndex];
    var slots = layout.positions[itemIndex].map(function (p) {
      return { method: item.methods[p], video: item.videos[p] };
    });
    return { itemIndex: itemIndex, item: item, slots: slots };
  }

  function render() {
    $("title").textContent = S.title;
    document.title = S.title;
    $("build-label").textContent = "study " + S.study + " · build " + S.build +
      (state.current ? " · layout " + state.current.layout : "");
    var cur = state.current;
    $("rater-label").textContent = cur ? "Participant: " + cur.rater : "";
    if (!cur) {
      $("progress").textContent = "";
      $("instructions").textContent = S.instructions || "";
      shownItem = -1;
      show("start-screen");
      return;
    }
    var total = S.layouts[cur.layout].order.length;
    if (cur.index >= total) {
      $("progress").textContent = total + " of " + total + " done";
      var csv = csvText();
      $("csv-output").value = csv;
      $("download").href = csvUrl();
      $("download").setAttribute("download", "answers-" + S.study + ".csv");
      var raters = {};
      allAnswers().forEach(function (r) { raters[r.rater] = true; });
      $("n-raters").textContent = Object.keys(raters).length;
      $("n-answers").textContent = allAnswers().length;
      shownItem = -1;
      document.querySelectorAll("#videos video").forEach(function (v) { v.pause(); });
      show("done-screen");
      return;
    }
    $("progress").textContent = "Trial " + (cur.index + 1) + " of " + total;
    var view = currentSlots();
    $("question").textContent = S.questions[view.item.question];
    if (shownItem !== view.itemIndex) renderVideos(view);
    renderSelection(view);
    show("trial-screen");
  }

  function renderVideos(view) {
    var box = $("videos");
    box.textContent = "";
    view.slots.forEach(function (slot, k) {
      var card = document.createElement("div");
      card.className = "candidate";
      card.id = "candidate-" + k;
      card.setAttribute("data-slot", String(k));
      var video = document.createElement("video");
      video.src = slot.video;
      video.muted = true;
      video.setAttribute("muted", "");
      video.loop = true;
      video.autoplay = true;
      video.playsInline = true;
      card.appendChild(video);
      var label = document.createElement("span");
      label.className = "label";
      label.textContent = S.kind === "pairwise" ? (k === 0 ? "Left" : "Right") : LETTERS.charAt(k);
      card.appendChild(label);
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.hidden = true;
      card.appendChild(badge);
      if (S.kind === "ranking") card.addEventListener("click", function () { pick(k); });
      box.appendChild(card);
      var playing = video.play();
      if (playing && playing.catch) playing.catch(function () { /* autoplay refused: controls below */ });
    });
    shownItem = view.itemIndex;
    $("ranking-controls").hidden = S.kind !== "ranking";
    $("pairwise-controls").hidden = S.kind !== "pairwise";
    $("hint").textContent = S.kind === "ranking"
      ? "Click the videos from best to worst. Reset to start this trial's order again."
      : "Which video is better? Choose \"Equally good\" if you cannot tell.";
  }

  function renderSelection(view) {
    if (S.kind !== "ranking") return;
    var partial = state.current.partial;
    view.slots.forEach(function (slot, k) {
      var card = $("candidate-" + k);
      var rank = partial.indexOf(k);
      card.classList.toggle("ranked", rank >= 0);
      var badge = card.querySelector(".badge");
      badge.hidden = rank < 0;
      badge.textContent = rank >= 0 ? String(rank + 1) : "";
    });
    $("next").disabled = partial.length !== view.slots.length;
  }

  function pick(k) {
    var partial = state.current.partial;
    if (partial.indexOf(k) >= 0) return;
    partial.push(k);
    save();
    render();
  }

  function record(row) {
    var cur = state.current;
    var item = currentSlots().item;
    row.rater = cur.rater;
    row.question = item.question;
    row.trial = item.trial;
    cur.answers.push(row);
    cur.index += 1;
    cur.partial = [];
    save();
    render();
  }

  $("start").addEventListener("click", function () {
    var rater = $("rater-id").value.trim();
    var used = {};
    state.archive.forEach(function (r) { used[r.rater] = true; });
    if (!rater) { $("start-error").textContent = "Please enter your participant ID."; return; }
    if (used[rater]) { $("start-error").textContent = "This ID has already done the study in this browser."; return; }
    $("start-error").textContent = "";
    state.current = { rater: rater, layout: fnv1a(rater) % S.layouts.length, index: 0, answers: [], partial: [] };
    save();
    render();
  });

  $("reset").addEventListener("click", function () { state.current.partial = []; save(); render(); });

  $("next").addEventListener("click", function () {
    var view = currentSlots();
    if (state.current.partial.length !== view.slots.length) return;
    record({ ranking: state.current.partial.map(function (k) { return view.slots[k].method; }).join(">") });
  });

  ["left", "right", "tie"].forEach(function (choice) {
    $("choose-" + choice).addEventListener("click", function () {
      var slots = currentSlots().slots;
      record({ left: slots[0].method, right: slots[1].method, choice: choice });
    });
  });

  $("new-rater").addEventListener("click", function () {
    state.archive = allAnswers();
    state.current = null;
    $("rater-id").value = "";
    save();
    render();
  });

  $("download-partial").addEventListener("click", function () {
    this.href = csvUrl();
    this.setAttribute("download", "answers-" + S.study + "-partial.csv");
  });

  render();
})();
