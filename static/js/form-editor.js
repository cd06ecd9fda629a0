/* The evaluation form editor: sections and questions built on the page from the form's JSON, written
   back to the (visible on demand) JSON field on every change; the server checks it and says where a
   mistake is (sections[0].questions[2].weight), which is marked beside its field here. */
(function () {
  "use strict";
  var root = document.getElementById("sections"), field = document.getElementById("definition");
  var editor = document.getElementById("form-editor");
  if (!root || !field || !editor) return;
  var L = JSON.parse(document.getElementById("form-labels").textContent);
  var errors = JSON.parse(document.getElementById("form-errors").textContent);
  var state = JSON.parse(document.getElementById("form-definition").textContent);
  if (!state || !Array.isArray(state.sections)) state = {sections: []};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k in node && k !== "list") node[k] = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function sync() { field.value = JSON.stringify(state, null, 2); }
  function usedIds() {
    var ids = {};
    state.sections.forEach(function (s) { s.questions.forEach(function (q) { ids[q.id] = true; }); });
    return ids;
  }
  function newId() {
    var ids = usedIds(), n = 1;
    while (ids["q" + n]) n += 1;
    return "q" + n;
  }
  function mark(path, input) {
    input.dataset.path = path;
    if (errors[path]) {
      input.setAttribute("aria-invalid", "true");
      return el("p", {className: "error", text: errors[path].join(" "), "data-field": path});
    }
    return null;
  }
  function labelled(text, input, path) {
    var id = "f-" + path.replace(/[^a-z0-9]+/gi, "-");
    input.id = id;
    return el("span", {className: "editor-field"}, [el("label", {htmlFor: id, text: text}), input, mark(path, input)]);
  }
  function move(list, i, by) {
    var j = i + by;
    if (j < 0 || j >= list.length) return;
    var item = list.splice(i, 1)[0];
    list.splice(j, 0, item);
    render();
  }
  function button(text, label, onClick) {
    var b = el("button", {type: "button", className: "button small", text: text});
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }
  function numberInput(value, onValue) {
    var input = el("input", {inputMode: "decimal", size: 4, value: value === undefined ? "" : String(value)});
    input.addEventListener("input", function () {
      var raw = input.value.trim().replace(",", ".");
      onValue(raw === "" || isNaN(Number(raw)) ? raw : Number(raw));
      sync();
    });
    return input;
  }
  function question(s, qi, q) {
    var path = "sections[" + s + "].questions[" + qi + "]", section = state.sections[s];
    var text = el("input", {value: q.text || "", size: 50, maxLength: 500});
    text.addEventListener("input", function () { q.text = text.value; sync(); });
    var kind = el("select", {}, L.kinds.map(function (k) { return el("option", {value: k[0], text: k[1], selected: q.kind === k[0]}); }));
    kind.addEventListener("change", function () {
      q.kind = kind.value;
      if (q.kind === "scale" && !q.scale_max) q.scale_max = 5;
      if (q.kind === "choice" && !Array.isArray(q.options)) q.options = [{label: "", points: 100}, {label: "", points: 0}];
      if (q.kind !== "scale") delete q.scale_max;
      if (q.kind !== "choice") delete q.options;
      if (q.kind !== "yes_no") delete q.auto;
      render();
      document.getElementById("f-" + (path + ".kind").replace(/[^a-z0-9]+/gi, "-")).focus();
    });
    var weight = numberInput(q.weight === undefined ? 1 : q.weight, function (v) { q.weight = v; });
    var critical = el("input", {type: "checkbox", checked: !!q.critical});
    critical.addEventListener("change", function () { q.critical = critical.checked; sync(); });
    var na = el("input", {type: "checkbox", checked: !!q.allow_na});
    na.addEventListener("change", function () { q.allow_na = na.checked; sync(); });
    var box = el("div", {className: "editor-question card", "data-question": q.id}, [
      el("div", {className: "filters"}, [
        labelled(L.question + " " + (qi + 1), text, path + ".text"),
        labelled(L.kind, kind, path + ".kind"),
        q.kind === "text" ? null : labelled(L.weight, weight, path + ".weight")
      ]),
      el("div", {className: "filters"}, [
        q.kind === "text" ? null : labelled(L.critical, critical, path + ".critical"),
        labelled(L.allow_na, na, path + ".allow_na")
      ])
    ]);
    if (q.kind === "scale") {
      box.appendChild(el("div", {className: "filters"}, [labelled(L.scale_max, numberInput(q.scale_max, function (v) { q.scale_max = v; }), path + ".scale_max")]));
    }
    if (q.kind === "choice") {
      var list = el("ol", {className: "editor-options"});
      var optionsPath = path + ".options";
      q.options.forEach(function (o, oi) {
        var label = el("input", {value: o.label || "", maxLength: 200});
        label.addEventListener("input", function () { o.label = label.value; sync(); });
        var n = oi + 1;
        list.appendChild(el("li", {className: "filters"}, [
          labelled(L.option + " " + n, label, optionsPath + "[" + oi + "].label"),
          labelled(L.points, numberInput(o.points, function (v) { o.points = v; }), optionsPath + "[" + oi + "]"),
          button("✕", L.remove_option + " " + n, function () { q.options.splice(oi, 1); render(); })
        ]));
      });
      var optionsError = errors[optionsPath] ? el("p", {className: "error", text: errors[optionsPath].join(" "), "data-field": optionsPath}) : null;
      box.appendChild(el("div", {}, [el("p", {className: "small", text: L.options}), list, optionsError,
        button(L.add_option, L.add_option, function () { q.options.push({label: "", points: 0}); render(); })]));
    }
    if (q.kind === "yes_no") box.appendChild(autoRule(q, path + ".auto"));
    var n = qi + 1;
    box.appendChild(el("p", {className: "actions"}, [
      button("↑", L.move_up + " " + n, function () { move(section.questions, qi, -1); }),
      button("↓", L.move_down + " " + n, function () { move(section.questions, qi, 1); }),
      button(L.remove, L.remove_question + " " + n, function () { section.questions.splice(qi, 1); render(); })
    ]));
    var idError = errors[path + ".id"] || errors[path];
    if (idError) box.appendChild(el("p", {className: "error", text: idError.join(" "), "data-field": path}));
    return box;
  }
  // A yes / no question answered from interaction analytics when an evaluation starts (the evaluator
  // can change it): a phrase a party said or wrote (within N seconds), or a party's sentiment.
  function autoRule(q, path) {
    var A = L.auto, rule = q.auto || null;
    var kind = el("select", {}, [["", A.none], ["phrase", A.phrase], ["sentiment", A.sentiment]].map(function (k) {
      return el("option", {value: k[0], text: k[1], selected: (rule ? rule.kind : "") === k[0]});
    }));
    kind.addEventListener("change", function () {
      if (!kind.value) delete q.auto;
      else if (kind.value === "phrase") q.auto = {kind: "phrase", party: "agent", phrases: [], within_seconds: 60};
      else q.auto = {kind: "sentiment", party: "customer", at_least: 0, of: "overall"};
      render();
      document.getElementById("f-" + (path + ".kind").replace(/[^a-z0-9]+/gi, "-")).focus();
    });
    var row = el("div", {className: "filters editor-auto"}, [labelled(A.label, kind, path + ".kind")]);
    if (!rule) return row;
    var party = el("select", {}, [["agent", A.agent], ["customer", A.customer]].map(function (k) {
      return el("option", {value: k[0], text: k[1], selected: rule.party === k[0]});
    }));
    party.addEventListener("change", function () { rule.party = party.value; sync(); });
    row.appendChild(labelled(A.party, party, path + ".party"));
    if (rule.kind === "phrase") {
      var phrases = el("input", {value: (rule.phrases || []).join(", "), size: 30});
      phrases.addEventListener("input", function () {
        rule.phrases = phrases.value.split(",").map(function (x) { return x.trim(); }).filter(Boolean); sync();
      });
      row.appendChild(labelled(A.phrases, phrases, path + ".phrases"));
      row.appendChild(labelled(A.within, numberInput(rule.within_seconds, function (v) {
        if (v === "") delete rule.within_seconds; else rule.within_seconds = v; }), path + ".within_seconds"));
    } else {
      row.appendChild(labelled(A.at_least, numberInput(rule.at_least, function (v) { rule.at_least = v; }), path + ".at_least"));
      var of = el("select", {}, [["overall", A.overall], ["end", A.end]].map(function (k) {
        return el("option", {value: k[0], text: k[1], selected: (rule.of || "overall") === k[0]});
      }));
      of.addEventListener("change", function () { rule.of = of.value; sync(); });
      row.appendChild(labelled(A.of, of, path + ".of"));
    }
    var err = errors[path];
    if (err) row.appendChild(el("p", {className: "error", text: err.join(" "), "data-field": path}));
    return row;
  }
  function render() {
    root.textContent = "";
    state.sections.forEach(function (s, si) {
      if (!Array.isArray(s.questions)) s.questions = [];
      var path = "sections[" + si + "]", n = si + 1;
      var title = el("input", {value: s.title || "", size: 40, maxLength: 200});
      title.addEventListener("input", function () { s.title = title.value; sync(); });
      var box = el("fieldset", {className: "section editor-section", "data-section": String(si)}, [
        el("legend", {text: L.section + " " + n}),
        labelled(L.section_title, title, path + ".title")
      ]);
      s.questions.forEach(function (q, qi) { box.appendChild(question(si, qi, q)); });
      var questionsError = errors[path + ".questions"];
      if (questionsError) box.appendChild(el("p", {className: "error", text: questionsError.join(" "), "data-field": path + ".questions"}));
      box.appendChild(el("p", {className: "actions"}, [
        button(L.add_question, L.add_question + " (" + L.section + " " + n + ")", function () {
          s.questions.push({id: newId(), text: "", kind: "yes_no", weight: 1, allow_na: false, critical: false});
          render();
          var inputs = box.ownerDocument.querySelectorAll('[data-section="' + si + '"] .editor-question input');
          if (inputs.length) inputs[inputs.length - 1].closest(".editor-question").querySelector("input").focus();
        }),
        button("↑", L.move_up + " (" + L.section + " " + n + ")", function () { move(state.sections, si, -1); }),
        button("↓", L.move_down + " (" + L.section + " " + n + ")", function () { move(state.sections, si, 1); }),
        button(L.remove_section, L.remove_section + " " + n, function () { state.sections.splice(si, 1); render(); })
      ]));
      root.appendChild(box);
    });
    sync();
  }
  document.getElementById("add-section").addEventListener("click", function () {
    state.sections.push({title: "", questions: [{id: newId(), text: "", kind: "yes_no", weight: 1, allow_na: false, critical: false}]});
    render();
    var legends = root.querySelectorAll(".editor-section input");
    if (legends.length) root.lastElementChild.querySelector("input").focus();
  });
  // The JSON typed by hand (the API's format) takes over the editor when it reads.
  field.addEventListener("change", function () {
    try {
      var parsed = JSON.parse(field.value);
      if (parsed && Array.isArray(parsed.sections)) { state = parsed; render(); }
    } catch (e) { /* left as typed: the server says what is wrong */ }
  });
  render();
})();
