/* groundqa chat widget: one script tag, no framework, no build step.
 *   <script src="https://qa.example.org/widget.js" data-endpoint="https://qa.example.org" defer></script>
 * Optional: data-collection (a named collection; default: the default one), data-title, data-greeting,
 * data-suggestions (a JSON array, or questions separated by "|");
 * without them the greeting and example questions come from the server (GET /v1/widget/config).
 * Everything that comes from the server is rendered with textContent, never as HTML.
 * Theme it from the host page:  groundqa-widget { --gqa-accent: #0b57d0; --gqa-font: Georgia, serif; }
 */
(function () {
  "use strict";
  if (customElements.get("groundqa-widget")) return;
  var script = document.currentScript, data = (script && script.dataset) || {};
  var endpoint = (data.endpoint || (script && new URL(script.src).origin) || "").replace(/\/+$/, "");
  var title = data.title || "Ask the documents";
  var TIMEOUT_MS = 30000, KEPT = 40, LONG_ANSWER = 80, HISTORY = 3;
  var api = endpoint + (data.collection ? "/v1/collections/" + encodeURIComponent(data.collection) : "/v1");
  var STORE_KEY = "groundqa:" + api;

  var CSS = [
    ":host{all:initial;position:fixed;right:16px;bottom:16px;z-index:2147483000;display:block}",
    /* The host element can be hit by the page's own rules (even !important ones), and inner elements
       inherit from it: the wrapper breaks that chain. */
    ".gqa{all:initial;display:block;font:15px/1.45 var(--gqa-font,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif);",
    "color:var(--gqa-fg,#1f2328);letter-spacing:normal;word-spacing:normal;text-transform:none;text-align:left}",
    "*{box-sizing:border-box}",
    ".launcher{all:unset;cursor:pointer;width:56px;height:56px;border-radius:50%;background:var(--gqa-accent,#0b57d0);",
    "color:var(--gqa-accent-fg,#fff);display:grid;place-items:center;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".launcher svg{width:28px;height:28px;fill:currentColor}",
    ".launcher:focus-visible,button:focus-visible,input:focus-visible,a:focus-visible,summary:focus-visible{outline:3px solid var(--gqa-focus,#f9ab00);outline-offset:2px}",
    ".panel{position:absolute;right:0;bottom:68px;width:min(380px,calc(100vw - 32px));height:min(560px,calc(100vh - 100px));",
    "background:var(--gqa-bg,#fff);border-radius:var(--gqa-radius,14px);box-shadow:0 10px 40px rgba(0,0,0,.3);",
    "display:flex;flex-direction:column;overflow:hidden}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;background:var(--gqa-accent,#0b57d0);color:var(--gqa-accent-fg,#fff)}",
    "header h2{all:unset;font-weight:600;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".close{all:unset;cursor:pointer;font-size:22px;line-height:1;padding:2px 6px;border-radius:6px}",
    ".new{all:unset;cursor:pointer;font-size:12.5px;font-weight:600;padding:3px 8px;margin-left:auto;margin-right:6px;border:1px solid currentColor;border-radius:6px;white-space:nowrap;flex:none}",
    ".resolved{font-size:12.5px;color:var(--gqa-muted,#59636e);margin-top:6px;font-style:italic}",
    ".log{position:relative;flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:var(--gqa-log-bg,#f6f8fa)}",
    ".msg{max-width:92%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".user{align-self:flex-end;background:var(--gqa-accent,#0b57d0);color:var(--gqa-accent-fg,#fff)}",
    ".bot{align-self:flex-start;background:var(--gqa-bg,#fff);border:1px solid #d0d7de}",
    ".answer{font-weight:600;font-size:16px}.answer.long{font-weight:400;font-size:15px}",
    ".source{font-size:12.5px;color:var(--gqa-muted,#59636e);margin-top:4px}",
    "a{color:var(--gqa-accent,#0b57d0)}",
    ".context{margin-top:6px;font-size:13.5px;border-left:3px solid var(--gqa-accent,#0b57d0);padding-left:8px}",
    "mark{background:var(--gqa-highlight,#fff2a8);color:inherit;padding:0 1px;border-radius:2px}",
    ".cue{display:inline-block;font-size:11.5px;font-weight:600;border-radius:999px;padding:1px 8px;margin-left:6px;vertical-align:middle}",
    ".cue.high{background:#dafbe1;color:#116329}.cue.medium{background:#fff8c5;color:#7d4e00}.cue.low{background:#ffebe9;color:#a40e26}",
    ".notfound{color:var(--gqa-muted,#59636e);font-style:italic}",
    ".error{border-color:#cf222e;color:#a40e26}",
    ".status{color:var(--gqa-muted,#59636e);font-size:13px}",
    ".retry{all:unset;cursor:pointer;margin-top:6px;display:inline-block;font-weight:600;color:var(--gqa-accent,#0b57d0);text-decoration:underline}",
    "details{margin-top:8px;font-size:13.5px}summary{cursor:pointer;color:var(--gqa-accent,#0b57d0);font-weight:600}",
    ".other{margin-top:8px;padding-top:6px;border-top:1px dashed #d0d7de}",
    ".rate{display:flex;align-items:center;gap:4px;margin-top:6px;font-size:12.5px;color:var(--gqa-muted,#59636e);font-style:normal}",
    ".thumb{all:unset;cursor:pointer;padding:2px 6px;border-radius:6px;border:1px solid #d0d7de;display:inline-grid;place-items:center}",
    ".thumb svg{width:15px;height:15px;fill:var(--gqa-muted,#59636e)}",
    ".thumb:hover{background:#eef1f4}",
    ".note{display:flex;gap:4px;margin-top:6px}.note input{padding:4px 8px;font-size:13px}",
    ".small{all:unset;cursor:pointer;padding:4px 10px;border-radius:8px;background:var(--gqa-accent,#0b57d0);color:var(--gqa-accent-fg,#fff);font-size:13px;font-weight:600}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}",
    ".chip{all:unset;cursor:pointer;font-size:13px;padding:4px 10px;border-radius:999px;border:1px solid var(--gqa-accent,#0b57d0);color:var(--gqa-accent,#0b57d0);background:#fff}",
    "form.ask{display:flex;gap:6px;padding:10px;border-top:1px solid #d0d7de;background:var(--gqa-bg,#fff)}",
    "input{all:unset;flex:1;min-width:0;border:1px solid #d0d7de;border-radius:8px;padding:8px 10px;font:inherit;color:inherit;background:#fff}",
    ".send{all:unset;cursor:pointer;padding:8px 14px;border-radius:8px;background:var(--gqa-accent,#0b57d0);color:var(--gqa-accent-fg,#fff);font-weight:600}",
    ".send[disabled]{opacity:.5;cursor:default}",
    "@media (max-width:480px){:host{right:12px;bottom:12px}.panel{position:fixed;inset:0;width:100vw;height:100vh;height:100dvh;border-radius:0}",
    ".gqa.open .launcher{display:none}}"
  ].join("");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function button(className, text, label) {
    var node = el("button", className, text);
    node.type = "button";
    if (label) node.setAttribute("aria-label", label);
    return node;
  }

  var CHAT = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z";
  var THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

  /* Icons are drawn, not emoji: emoji fonts are missing on many systems. */
  function icon(d, upsideDown) {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg"), path = document.createElementNS(ns, "path");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("aria-hidden", "true");
    if (upsideDown) svg.setAttribute("transform", "rotate(180)");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }

  function cue(score) {
    var level = score >= 0.8 ? "high" : score >= 0.4 ? "medium" : "low";
    var node = el("span", "cue " + level, { high: "High", medium: "Medium", low: "Low" }[level] + " confidence");
    node.title = "score " + score.toFixed(2);
    return node;
  }

  /* The document's own link when it has one (http(s) only, checked by the server), else the
     server's viewer with the cited span highlighted. */
  function sourceLink(c) {
    var href = c.url || api + "/view/" + encodeURIComponent(c.doc_id) + "?start=" + c.start + "&end=" + c.end;
    var link = el("a", "", (c.title || c.doc_id) + (c.section && c.section !== c.title ? " \u203a " + c.section : ""));
    link.href = href; link.target = "_blank"; link.rel = "noopener noreferrer";
    var line = el("div", "source", "Source: ");
    line.appendChild(link);
    return line;
  }

  /* The context with the answer span wrapped in <mark>, built from text nodes only. */
  function contextWithHighlight(c) {
    var box = el("div", "context"), ctx = String(c.context || "");
    var from = c.start - c.context_start, to = c.end - c.context_start;
    if (!(from >= 0 && to <= ctx.length && from < to)) { box.textContent = ctx; return box; }
    box.appendChild(document.createTextNode(ctx.slice(0, from)));
    box.appendChild(el("mark", "", ctx.slice(from, to)));
    box.appendChild(document.createTextNode(ctx.slice(to)));
    return box;
  }

  function suggestionsOf(raw) {
    if (!raw) return null;
    try { var parsed = JSON.parse(raw); if (Array.isArray(parsed)) return parsed.map(String); } catch (e) { /* "|"-separated */ }
    return raw.split("|").map(function (s) { return s.trim(); }).filter(Boolean);
  }

  /* Minimal server-sent-events reader over a fetch body (EventSource cannot POST). */
  async function readEvents(response, onEvent) {
    var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        var block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
        var name = "message", payload = "";
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) name = line.slice(6).trim();
          else if (line.indexOf("data:") === 0) payload += line.slice(5).trim();
        });
        onEvent(name, payload ? JSON.parse(payload) : {});
      }
    }
  }

  /* The conversation survives a reload of the page (sessionStorage: this tab only). */
  function loadState() {
    try { return JSON.parse(sessionStorage.getItem(STORE_KEY)) || { open: false, turns: [] }; }
    catch (e) { return { open: false, turns: [] }; }
  }

  class GroundQAWidget extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      var root = this.attachShadow({ mode: "open" });
      var style = el("style"); style.textContent = CSS; root.appendChild(style);
      this.launcher = button("launcher", null, "Open " + title);
      this.launcher.appendChild(icon(CHAT));
      this.launcher.setAttribute("aria-expanded", "false");
      this.panel = el("section", "panel");
      this.panel.hidden = true;
      this.panel.setAttribute("role", "dialog");
      this.panel.setAttribute("aria-label", title);
      var header = el("header");
      header.appendChild(el("h2", "", title));
      var close = button("close", "\u00d7", "Close");
      var fresh = button("new", "New", "Start a new conversation");
      fresh.title = "New conversation";
      header.appendChild(fresh); header.appendChild(close);
      this.log = el("div", "log");
      this.log.setAttribute("role", "log");
      this.log.setAttribute("aria-live", "polite");
      this.form = el("form", "ask");
      this.input = el("input");
      this.input.type = "text";
      this.input.placeholder = "Ask a question\u2026";
      this.input.setAttribute("aria-label", "Your question");
      this.input.maxLength = 1000;
      this.send = el("button", "send", "Ask");
      this.send.type = "submit";
      this.form.appendChild(this.input); this.form.appendChild(this.send);
      this.panel.appendChild(header); this.panel.appendChild(this.log); this.panel.appendChild(this.form);
      this.wrapper = el("div", "gqa");
      this.wrapper.appendChild(this.panel); this.wrapper.appendChild(this.launcher);
      root.appendChild(this.wrapper);

      var self = this;
      this.launcher.addEventListener("click", function () { self.toggle(self.panel.hidden); });
      close.addEventListener("click", function () { self.toggle(false); });
      fresh.addEventListener("click", function () { if (!self.busy) self.restart(); });
      this.panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.stopPropagation(); self.toggle(false); } });
      this.form.addEventListener("submit", function (e) {
        e.preventDefault();
        var question = self.input.value.trim();
        if (!question || self.busy) return;
        self.input.value = "";
        self.ask(question);
      });
      this.state = loadState();
      this.greet();
      this.state.turns.forEach(function (turn) { self.replay(turn); });
      if (this.state.open) this.toggle(true, true);
    }

    save() {
      this.state.turns = this.state.turns.slice(-KEPT);
      try { sessionStorage.setItem(STORE_KEY, JSON.stringify(this.state)); } catch (e) { /* storage full or blocked */ }
    }

    /* A new conversation: earlier turns are no longer sent as history, nor shown. */
    restart() {
      this.state.turns = []; this.save();
      Array.prototype.slice.call(this.log.children).forEach(function (node) {
        if (!node.classList.contains("greeting")) node.remove();
      });
      this.input.focus();
    }

    /* The last turns, for the server to resolve a follow-up ("and on Sundays?") against. */
    history() {
      return this.state.turns.slice(-HISTORY).map(function (turn) {
        var best = !turn.result.no_answer && turn.result.answers[0];
        return { question: turn.resolved || turn.question, answer: best ? best.text.slice(0, 1000) : "" };
      });
    }

    toggle(open, quietly) {
      this.panel.hidden = !open;
      this.wrapper.classList.toggle("open", open);
      this.launcher.setAttribute("aria-expanded", String(open));
      this.state.open = open; this.save();
      if (quietly) return;
      if (open) { this.input.focus(); this.log.scrollTop = this.log.scrollHeight; } else this.launcher.focus();
    }

    /* The greeting and example questions: the page's data-* attributes, else the server's. */
    async greet() {
      var bubble = this.log.insertBefore(el("div", "msg bot greeting"), this.log.firstChild);
      var config = { greeting: data.greeting, suggestions: suggestionsOf(data.suggestions) };
      if (config.greeting == null || config.suggestions == null) {
        var served = await fetch(endpoint + "/v1/widget/config").then(function (r) { return r.ok ? r.json() : {}; }).catch(function () { return {}; });
        if (config.greeting == null) config.greeting = served.greeting;
        if (config.suggestions == null) config.suggestions = served.suggestions;
      }
      bubble.textContent = config.greeting || "Ask a question about the documents.";
      var chips = bubble.appendChild(el("div", "chips")), self = this;
      (config.suggestions || []).slice(0, 6).forEach(function (question) {
        var chip = chips.appendChild(button("chip", question));
        chip.addEventListener("click", function () { if (!self.busy) self.ask(question); });
      });
    }

    add(node) { this.log.appendChild(node); return node; }

    /* The newest question at the top of the log if its answer is long, else everything to the bottom. */
    reveal(question) { this.log.scrollTop = Math.max(0, question.offsetTop - 8); }

    replay(turn) {
      var question = this.add(el("div", "msg user", turn.question));
      this.renderAnswer(this.add(el("div", "msg bot")), turn);
      this.reveal(question);
    }

    async ask(question) {
      var asked = this.add(el("div", "msg user", question));
      var bubble = this.add(el("div", "msg bot"));
      var status = bubble.appendChild(el("div", "status", "Searching the documents\u2026"));
      this.reveal(asked);
      this.busy = true; this.send.disabled = true;
      var controller = new AbortController();
      var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
      var slow = setTimeout(function () { status.textContent = "Still working \u2013 the service is slow right now\u2026"; }, 5000);
      var self = this, result = null;
      try {
        var response = await fetch(api + "/ask/stream", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ question: question, history: this.history() }), signal: controller.signal
        });
        if (!response.ok) {
          var body = await response.json().catch(function () { return {}; });
          throw new Error((body.error && body.error.message) || "The service answered " + response.status + ".");
        }
        await readEvents(response, function (name, event) {
          if (name === "passages") {
            var docs = new Set(event.passages.map(function (p) { return p.doc_id; })).size;
            status.textContent = "Reading " + event.passages.length + " passages from " + docs + (docs === 1 ? " document\u2026" : " documents\u2026");
          } else if (name === "answers") {
            result = { no_answer: event.no_answer, answers: event.answers, resolved: event.resolved_question };
          } else if (name === "error") {
            throw new Error(event.error.message);
          }
        });
        if (!result) throw new Error("The answer stream ended early.");
        var turn = { question: question, resolved: result.resolved || question, result: result, rated: {} };
        this.state.turns.push(turn); this.save();
        this.renderAnswer(bubble, turn);
      } catch (err) {
        var message = err.name === "AbortError" ? "No answer after " + TIMEOUT_MS / 1000 + " seconds." : (err.message || "Could not reach the service.");
        if (err instanceof TypeError) message = "Could not reach the service.";
        this.renderError(bubble, message, question);
      } finally {
        clearTimeout(timer); clearTimeout(slow);
        this.busy = false; this.send.disabled = false;
        this.reveal(asked);
      }
    }

    renderAnswer(bubble, turn) {
      var result = turn.result;
      bubble.textContent = "";
      bubble.classList.add("answered");
      if (result.no_answer || !result.answers.length) {
        bubble.classList.add("notfound");
        bubble.appendChild(el("div", "", "Not found in the documents."));
      } else {
        this.renderOne(bubble, turn, 0);
        var others = result.answers.slice(1);
        if (others.length) {
          var details = bubble.appendChild(el("details"));
          details.appendChild(el("summary", "", "Other answers (" + others.length + ")"));
          for (var i = 1; i < result.answers.length; i++) this.renderOne(details.appendChild(el("div", "other")), turn, i);
        }
      }
      /* A follow-up is answered as the standalone question the server made of it: say which. */
      if (turn.resolved && turn.resolved.trim() !== turn.question.trim()) {
        bubble.appendChild(el("div", "resolved", "Understood as: " + turn.resolved));
      }
      if (result.no_answer || !result.answers.length) bubble.appendChild(this.rating(turn, "none", null));
    }

    renderOne(box, turn, index) {
      var answer = turn.result.answers[index], c = answer.citation;
      var line = box.appendChild(el("div", "answer" + (answer.text.length > LONG_ANSWER ? " long" : "")));
      line.appendChild(el("span", "answer-text", answer.text));
      line.appendChild(cue(answer.score));
      box.appendChild(sourceLink(c));
      if (answer.kind === "passage") box.appendChild(el("div", "source", "The steps:"));
      box.appendChild(contextWithHighlight(c));
      box.appendChild(this.rating(turn, String(index), answer));
    }

    /* Thumbs up / down, an optional note on "down"; sent to POST /v1/feedback. */
    rating(turn, slot, answer) {
      var row = el("div", "rate");
      if (turn.rated[slot]) { row.textContent = "Thanks for your feedback."; return row; }
      row.appendChild(el("span", "", answer ? "Right answer?" : "Should it be here?"));
      var up = row.appendChild(button("thumb up", null, answer ? "Right answer" : "Right, it is not in the documents"));
      var down = row.appendChild(button("thumb down", null, answer ? "Wrong answer" : "It is in the documents"));
      up.appendChild(icon(THUMB)); down.appendChild(icon(THUMB, true));
      var self = this;
      up.addEventListener("click", function () { self.sendFeedback(row, turn, slot, answer, "correct", ""); });
      down.addEventListener("click", function () {
        var verdict = answer ? "wrong" : "not_found_but_should";
        var note = el("form", "note"), box = el("input"), go = el("button", "small", "Send");
        box.placeholder = answer ? "What was wrong? (optional)" : "Where is the answer? (optional)";
        box.setAttribute("aria-label", "What was wrong");
        box.maxLength = 2000; go.type = "submit";
        note.appendChild(box); note.appendChild(go);
        row.textContent = ""; row.appendChild(note); box.focus();
        note.addEventListener("submit", function (e) { e.preventDefault(); self.sendFeedback(row, turn, slot, answer, verdict, box.value.trim()); });
      });
      return row;
    }

    async sendFeedback(row, turn, slot, answer, verdict, note) {
      var body = { question: turn.resolved || turn.question, verdict: verdict };
      if (answer) {
        body.answer = answer.text; body.doc_id = answer.citation.doc_id;
        body.start = answer.citation.start; body.end = answer.citation.end;
      }
      if (note) body.note = note;
      row.textContent = "Sending\u2026";
      try {
        var response = await fetch(api + "/feedback", {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
        });
        if (!response.ok) throw new Error(String(response.status));
        turn.rated[slot] = verdict; this.save();
        row.textContent = "Thanks for your feedback.";
      } catch (e) {
        row.textContent = "Could not send the feedback.";
      }
    }

    renderError(bubble, message, question) {
      bubble.textContent = "";
      bubble.classList.add("error");
      bubble.appendChild(el("div", "", message));
      var retry = bubble.appendChild(button("retry", "Retry"));
      var self = this;
      retry.addEventListener("click", function () { bubble.previousSibling && bubble.previousSibling.remove(); bubble.remove(); self.ask(question); });
    }
  }

  customElements.define("groundqa-widget", GroundQAWidget);
  function mount() { if (!document.querySelector("groundqa-widget")) document.body.appendChild(document.createElement("groundqa-widget")); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
