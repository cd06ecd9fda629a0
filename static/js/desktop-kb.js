/* Help articles beside a conversation on the agent desktop: looked up from the customer's last
   messages as they arrive (GET /api/v1/kb/suggestions), or searched by the agent; "Send link" sends
   the article's help-center address to the customer in one click (added to the reply instead when
   the agent is writing one). Shown only for conversations that can be answered. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var box = $("kb-suggest"), list = $("kb-suggest-list"), note = $("kb-suggest-note"), q = $("kb-suggest-q");
  var current = null, timer = null, asked = 0;

  function load(query) {
    if (!current) return;
    var mine = ++asked, url = "/api/v1/kb/suggestions?interaction=" + current + (query ? "&q=" + encodeURIComponent(query) : "");
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (j) {
      if (!j || mine !== asked) return;
      list.innerHTML = "";
      j.results.forEach(function (a) {
        var li = document.createElement("li"), link = document.createElement("a"), b = document.createElement("button");
        link.href = a.url; link.target = "_blank"; link.rel = "noopener"; link.textContent = a.title; link.lang = a.locale;
        b.type = "button"; b.className = "button small"; b.textContent = list.dataset.send;
        b.addEventListener("click", function () { sendLink(a); });
        var snippet = document.createElement("span"); snippet.className = "muted small"; snippet.textContent = a.snippet;
        li.appendChild(link); li.appendChild(b); li.appendChild(snippet); list.appendChild(li);
      });
      note.textContent = j.results.length ? (query ? "" : note.dataset.auto) : (query ? note.dataset.none : "");
      box.hidden = !j.results.length && !query && !q.value;
    }, function () { /* suggestions are a help, never in the way */ });
  }
  function sendLink(a) {
    var input = $("reply-input"), text = a.title + " \u2014 " + a.url;
    if (input.value.trim()) {  // the agent is writing: the link joins the reply, to send with it
      input.value = input.value.replace(/\s*$/, "\n") + text; input.focus(); note.textContent = note.dataset.inserted;
      return;
    }
    input.value = text;
    $("reply").requestSubmit();
    note.textContent = note.dataset.sent;
  }
  document.addEventListener("ccaas:conversation", function (e) {
    var d = e.detail;
    current = d.status === "resolved" ? null : d.id;
    q.value = ""; list.innerHTML = ""; note.textContent = ""; box.hidden = true;
    if (current) load("");
  });
  document.addEventListener("ccaas:customer-message", function (e) {
    if (!current || e.detail.interaction !== current || q.value.trim()) return;
    clearTimeout(timer); timer = setTimeout(function () { load(""); }, 800);
  });
  $("kb-suggest-search").addEventListener("submit", function (e) { e.preventDefault(); load(q.value.trim()); });
  q.addEventListener("input", function () {
    clearTimeout(timer); timer = setTimeout(function () { load(q.value.trim()); }, 400);
  });
})();
