/* Help articles before a chat, inside the widget iframe: the customer searches the business's
   published articles (GET /api/v1/kb/search, same origin), reads one here, and says whether it
   answered the question. "Yes" counts as answered without an agent (the search is marked answered);
   "No" takes them to the message box with their question written in. Shown only while no
   conversation is open, and only once the business has published an article. */
(function () {
  "use strict";
  var C = window.CCAAS_WIDGET, me = document.currentScript.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var panel = $("help"), q = $("help-q"), list = $("help-results"), count = $("help-count"), art = $("help-article");
  var searchId = null, articleId = null, timer = null, asked = 0, open = false;
  window.ccaasHelp = {conversation: function (isOpen) { open = isOpen; panel.hidden = !C.kb || open; }};
  if (!C.kb) return;

  function getJson(url, options) {
    return fetch(url, options).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error((j.error && j.error.message) || me.failed); return j; });
    });
  }
  function showResults(on) { art.hidden = on; list.hidden = !on; count.hidden = !on; }
  function search(now) {
    var text = q.value.trim(), mine = ++asked;
    if (!text) { list.innerHTML = ""; count.textContent = ""; return; }
    if (!now && text.length < 2) return;
    getJson("/api/v1/kb/search?source=widget&q=" + encodeURIComponent(text)).then(function (j) {
      if (mine !== asked) return;  // an older answer arriving late
      searchId = j.search; showResults(true); list.innerHTML = "";
      j.results.forEach(function (r) {
        var li = document.createElement("li"), b = document.createElement("button"), small = document.createElement("small");
        b.type = "button"; b.textContent = r.title; b.dataset.id = r.id;
        small.textContent = r.snippet; b.appendChild(small);
        b.addEventListener("click", function () { read(r.id); });
        li.appendChild(b); list.appendChild(li);
      });
      var n = j.results.length;
      count.textContent = n === 0 ? me.none : n === 1 ? me.one : me.found.replace("%(n)s", n);
    }, function (e) { if (mine === asked) count.textContent = e.message; });
  }
  function read(id) {
    getJson("/api/v1/kb/public/" + id).then(function (a) {
      articleId = a.id;
      $("help-title").textContent = a.title;
      $("help-title").lang = a.locale;
      $("help-body").innerHTML = a.body;  // sanitised by the server (kb.text.clean_html), when saved and when served
      // A link in the article opens beside the page: followed inside the widget, it would replace the chat.
      Array.prototype.forEach.call($("help-body").querySelectorAll("a[href]"), function (link) {
        link.target = "_blank"; link.rel = "noopener noreferrer";
      });
      $("help-ask").hidden = false; $("help-thanks").hidden = true;
      showResults(false);
      $("help-title").tabIndex = -1; $("help-title").focus();
    }, function (e) { count.textContent = e.message; });
  }
  function vote(helpful) {
    return getJson("/api/v1/kb/articles/" + articleId + "/feedback", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({helpful: helpful, search: searchId})
    });
  }
  $("help-search").addEventListener("submit", function (e) { e.preventDefault(); clearTimeout(timer); search(true); });
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { search(false); }, 350); });
  $("help-back").addEventListener("click", function () { showResults(true); var first = list.querySelector("button"); (first || q).focus(); });
  art.addEventListener("keydown", function (e) { if (e.key === "Escape") $("help-back").click(); });
  $("help-yes").addEventListener("click", function () {
    vote(true).then(function () { $("help-ask").hidden = true; $("help-thanks").hidden = false; },
      function (e) { count.textContent = e.message; });
  });
  $("help-no").addEventListener("click", function () {
    var input = $("input");
    vote(false).catch(function () { /* the vote is a nicety; the chat is what they want now */ });
    panel.hidden = true;
    if (!input.value.trim()) input.value = q.value.trim();
    input.focus();
  });
  panel.hidden = open;
})();
