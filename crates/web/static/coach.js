// filmroom coach: sends the question to POST /api/v1/coach/chat and reads the
// server-sent events from the response body as they arrive (EventSource cannot
// POST): tool activity, text deltas, then `done` with the citations or `error`.
(function () {
  "use strict";
  var form = document.getElementById("ask");
  if (!form) { return; }
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var list = document.getElementById("messages");
  var errorBox = document.getElementById("ask-error");
  var send = document.getElementById("send");
  // [rec:ID@m:ss] since the coach reads stored rows; [game:...] in older answers.
  var CITATION = /\[(?:rec|game):([0-9a-fA-F-]{36})@(\d+):(\d{2})\]/g;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // Replaces [rec:ID@m:ss] (and older [game:...]) markers with links to the game page at that moment.
  function renderText(target, text) {
    target.textContent = "";
    var last = 0, m;
    CITATION.lastIndex = 0;
    while ((m = CITATION.exec(text)) !== null) {
      target.appendChild(document.createTextNode(text.slice(last, m.index)));
      var seconds = parseInt(m[2], 10) * 60 + parseInt(m[3], 10);
      var a = el("a", "citation", m[2] + ":" + m[3]);
      a.href = "/games/" + m[1] + "?tab=timeline&t=" + seconds;
      target.appendChild(a);
      last = m.index + m[0].length;
    }
    target.appendChild(document.createTextNode(text.slice(last)));
  }

  function readImages() {
    var input = document.getElementById("images");
    var files = input ? Array.prototype.slice.call(input.files) : [];
    return Promise.all(files.map(function (file) {
      return new Promise(function (resolve, reject) {
        var reader = new FileReader();
        reader.onload = function () {
          var url = String(reader.result);
          resolve({ media_type: file.type, data_base64: url.slice(url.indexOf(",") + 1) });
        };
        reader.onerror = function () { reject(new Error("Could not read " + file.name)); };
        reader.readAsDataURL(file);
      });
    }));
  }

  // Splits a server-sent event stream into {event, data} records.
  function parseEvents(buffer, onEvent) {
    var parts = buffer.split("\n\n");
    var rest = parts.pop();
    parts.forEach(function (block) {
      var name = "message", data = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) { name = line.slice(6).trim(); }
        else if (line.indexOf("data:") === 0) { data.push(line.slice(5).replace(/^ /, "")); }
      });
      if (data.length) {
        try { onEvent(name, JSON.parse(data.join("\n"))); } catch (e) { /* keep-alive or partial */ }
      }
    });
    return rest;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var box = document.getElementById("message");
    var text = box.value.trim();
    if (!text) { return; }
    errorBox.textContent = "";
    send.disabled = true;
    var question = el("li", "message user");
    question.appendChild(el("div", "text", text));
    list.appendChild(question);
    var answer = el("li", "message assistant streaming");
    var tools = el("p", "tools");
    var body = el("div", "text");
    answer.appendChild(tools); answer.appendChild(body);
    list.appendChild(answer);
    var full = "";

    readImages().then(function (attachments) {
      var payload = { message: text, attachments: attachments };
      if (form.dataset.conversation) { payload.conversation_id = form.dataset.conversation; }
      var profile = document.getElementById("profile");
      if (profile) { payload.profile = profile.value; }
      return fetch("/api/v1/coach/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "text/event-stream" },
        body: JSON.stringify(payload),
        credentials: "same-origin"
      });
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (j) {
          throw new Error(j && j.error ? j.error.message : "The coach could not answer.");
        });
      }
      box.value = "";
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { return; }
          buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), onEvent);
          return pump();
        });
      }
      return pump();
    }).catch(function (err) {
      errorBox.textContent = err.message;
      answer.remove();
    }).then(function () {
      send.disabled = false;
      answer.classList.remove("streaming");
    });

    function onEvent(name, data) {
      if (name === "conversation") {
        if (!form.dataset.conversation) {
          form.dataset.conversation = data.conversation_id;
          history.replaceState(null, "", "/coach/" + data.conversation_id);
        }
        answer.id = "m-" + data.answer_id;
      } else if (name === "tool_started") {
        var t = el("span", "tool running", data.name);
        t.id = "tool-" + data.id;
        tools.appendChild(t);
      } else if (name === "tool_finished") {
        var done = document.getElementById("tool-" + data.id);
        if (done) { done.className = data.is_error ? "tool failed" : "tool"; }
      } else if (name === "delta") {
        full += data.text;
        body.textContent = full;
      } else if (name === "done") {
        renderText(body, full);
        var f = el("p", "meta", (data.tokens.input + data.tokens.output) + " tokens · $" + (data.cost_micros / 1e6).toFixed(4));
        answer.appendChild(f);
      } else if (name === "error") {
        renderText(body, full);
        answer.appendChild(el("p", "error", data.message));
      } else if (name === "warning") {
        var w = document.getElementById("budget-warning") || el("p", "note warning");
        w.id = "budget-warning";
        w.textContent = data.message;
        form.parentNode.insertBefore(w, list);
      }
    }
  });
})();
