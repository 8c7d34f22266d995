// filmroom uploads: drag and drop files or folders, one XMLHttpRequest per
// recording to POST /api/v1/recordings (so each has its own progress bar),
// with its companion files (a transcript named like it) in the same request;
// then live job states over server-sent events.
(function () {
  "use strict";
  var drop = document.getElementById("drop");
  if (!drop) { return; }
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var maxBytes = parseInt(drop.dataset.maxBytes, 10);
  // The registered kinds' extensions (".replay,.mp4"): files of a dropped
  // folder are kept by them; none listed keeps every file.
  var extensions = (drop.dataset.extensions || "").toLowerCase().split(",").filter(Boolean);
  function wanted(name) {
    var lower = name.toLowerCase();
    return extensions.length === 0 || extensions.some(function (e) { return lower.endsWith(e); });
  }
  // Companion extensions (".vtt,.srt"): such a file goes up with the
  // recording of the same name, so both are sent in one request.
  var companions = (drop.dataset.companions || "").toLowerCase().split(",").filter(Boolean);
  function isCompanion(name) {
    var lower = name.toLowerCase();
    return companions.some(function (e) { return lower.endsWith(e); });
  }
  // The name without folders and extension, lower case: what pairs files.
  function stem(name) {
    var base = name.split(/[\/\\]/).pop().toLowerCase();
    var dot = base.lastIndexOf(".");
    return dot > 0 ? base.slice(0, dot) : base;
  }
  var list = document.getElementById("progress");
  var jobsBody = document.querySelector("#jobs tbody");
  var queue = [];
  // With JavaScript each file goes up on its own as soon as it is chosen; the
  // form's own submit button is the fallback without it.
  var plain = document.getElementById("plain-upload");
  if (plain) { plain.style.display = "none"; }
  drop.addEventListener("submit", function (e) { e.preventDefault(); });
  var active = 0;
  var PARALLEL = 3;
  // Groups not sent yet, by stem: a recording and its companions.
  var pending = {};
  // Files of one drop arrive one callback at a time: sending waits until
  // none has come for a moment, so a transcript finds its recording.
  var timer = null;
  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { timer = null; pending = {}; next(); }, 150);
  }

  function row(name) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    var status = document.createElement("span");
    status.className = "status";
    status.textContent = "waiting";
    li.appendChild(label); li.appendChild(bar); li.appendChild(status);
    list.appendChild(li);
    return { bar: bar, status: status, li: li };
  }

  function next() {
    while (active < PARALLEL && queue.length > 0) {
      var item = queue.shift();
      active += 1;
      send(item);
    }
  }

  function mark(ui, text, state) {
    ui.status.textContent = text;
    if (state) { ui.li.className = state; }
  }

  function send(group) {
    var tooLarge = group.files.filter(function (f) { return f.file.size > maxBytes; });
    if (tooLarge.length > 0) {
      group.files.forEach(function (f) {
        mark(f.ui, f.file.size > maxBytes ? "too large" : "not sent: a file with it is too large", "failed");
      });
      active -= 1; next();
      return;
    }
    var form = new FormData();
    group.files.forEach(function (f) { form.append("files", f.file, f.file.name); });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/recordings");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        group.files.forEach(function (f) { f.ui.bar.value = Math.round(e.loaded / e.total * 100); });
      }
    };
    xhr.onload = function () {
      active -= 1;
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      if (body && body.recordings) {
        // One outcome per file, in the order they were sent.
        body.recordings.forEach(function (outcome, i) {
          var f = group.files[i];
          if (!f) { return; }
          f.ui.bar.value = 100;
          if (outcome.status === "stored") {
            mark(f.ui, outcome.newly_stored ? "uploaded, queued" : "already uploaded", "uploaded");
            f.ui.li.dataset.game = outcome.recording_id;
          } else if (outcome.status === "attached") {
            mark(f.ui, "stored as the " + outcome.purpose, "uploaded");
          } else {
            mark(f.ui, outcome.error.message, "failed");
          }
        });
      } else {
        var message = (body && body.error) ? body.error.message : ("failed (" + xhr.status + ")");
        group.files.forEach(function (f) { mark(f.ui, message, "failed"); });
      }
      next();
    };
    xhr.onerror = function () {
      active -= 1;
      group.files.forEach(function (f) { mark(f.ui, "network error", "failed"); });
      next();
    };
    xhr.send(form);
  }

  function add(file) {
    var entry = { file: file, ui: row(file.webkitRelativePath || file.name) };
    var key = stem(file.name);
    var group = pending[key];
    // A recording starts its own group (two recordings of one name are sent
    // apart); a companion joins the group of its name.
    if (!group || (!isCompanion(file.name) && group.media)) {
      group = { files: [], media: false };
      pending[key] = group;
      queue.push(group);
    }
    if (!isCompanion(file.name)) { group.media = true; }
    group.files.push(entry);
  }

  function walk(entry) {
    if (entry.isFile) {
      entry.file(function (f) { if (wanted(f.name)) { add(f); schedule(); } });
    } else if (entry.isDirectory) {
      var reader = entry.createReader();
      var read = function () {
        reader.readEntries(function (entries) {
          if (entries.length === 0) { return; }
          entries.forEach(walk);
          read();
        });
      };
      read();
    }
  }

  drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    drop.classList.remove("over");
    var items = e.dataTransfer.items;
    if (items && items.length && items[0].webkitGetAsEntry) {
      for (var i = 0; i < items.length; i += 1) {
        var entry = items[i].webkitGetAsEntry();
        if (entry) { walk(entry); }
      }
    } else {
      Array.prototype.forEach.call(e.dataTransfer.files, add);
    }
    schedule();
  });
  ["files", "folder"].forEach(function (id) {
    var input = document.getElementById(id);
    if (!input) { return; }
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, function (f) {
        if (id === "files" || wanted(f.name)) { add(f); }
      });
      input.value = "";
      schedule();
    });
  });

  // Live job states: one table row per job, created or updated as events arrive.
  function cell(text) { var td = document.createElement("td"); td.textContent = text; return td; }
  function showJob(job) {
    var tr = document.getElementById("job-" + job.job_id);
    if (!tr) {
      tr = document.createElement("tr");
      tr.id = "job-" + job.job_id;
      var name = document.createElement("td");
      var a = document.createElement("a");
      a.href = "/games/" + encodeURIComponent(job.game_id);
      a.textContent = job.filename;
      name.appendChild(a);
      tr.appendChild(name);
      tr.appendChild(cell(new Date(job.uploaded_at * 1000).toISOString().slice(0, 16).replace("T", " ")));
      tr.appendChild(cell(""));
      tr.appendChild(cell(""));
      jobsBody.insertBefore(tr, jobsBody.firstChild);
    }
    tr.dataset.game = job.game_id;
    tr.children[2].textContent = job.state;
    tr.children[2].className = "state state-" + job.state;
    tr.children[3].textContent = job.error || "";
    document.querySelectorAll('#progress li[data-game="' + job.game_id + '"] .status').forEach(function (s) {
      s.textContent = job.state === "done" ? "analysed" : job.state;
    });
  }
  if (window.EventSource) {
    var events = new EventSource("/api/v1/events");
    events.addEventListener("job", function (e) {
      try { showJob(JSON.parse(e.data)); } catch (err) { /* ignore a malformed event */ }
    });
  }
}());
