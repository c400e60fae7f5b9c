/* groundqa chat widget: one script tag, no framework, no build step.
 *   <script src="https://qa.example.org/widget.js" data-endpoint="https://qa.example.org" defer></script>
 * Everything that comes from the server is rendered with textContent, never as HTML.
 * Theme it from the host page:  groundqa-widget { --gqa-accent: #0b57d0; --gqa-font: Georgia, serif; }
 */
(function () {
  "use strict";
  if (customElements.get("groundqa-widget")) return;
  var script = document.currentScript;
  var endpoint = ((script && script.dataset.endpoint) || (script && new URL(script.src).origin) || "").replace(/\/+$/, "");
  var title = (script && script.dataset.title) || "Ask the documents";
  var TIMEOUT_MS = 30000;

  var CSS = [
    ":host{all:initial;position:fixed;right:16px;bottom:16px;z-index:2147483000;display:block}",
    /* The host element can be hit by the page's own rules (even !important ones), and inner elements
       inherit from it: the wrapper breaks that chain. */
    ".gqa{all:initial;display:block;font:15px/1.45 var(--gqa-font,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif);",
    "color:var(--gqa-fg,#1f2328);letter-spacing:normal;word-spacing:normal;text-transform:none;text-align:left}",
    "*{box-sizing:border-box}",
    ".launcher{all:unset;cursor:pointer;width:56px;height:56px;border-radius:50%;background:var(--gqa-accent,#0b57d0);",
    "color:var(--gqa-accent-fg,#fff);display:grid;place-items:center;box-shadow:0 4px 14px rgba(0,0,0,.25);font-size:26px}",
    ".launcher:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid var(--gqa-focus,#f9ab00);outline-offset:2px}",
    ".panel{position:absolute;right:0;bottom:68px;width:min(380px,calc(100vw - 32px));height:min(560px,calc(100vh - 100px));",
    "background:var(--gqa-bg,#fff);border-radius:var(--gqa-radius,14px);box-shadow:0 10px 40px rgba(0,0,0,.3);",
    "display:flex;flex-direction:column;overflow:hidden}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;background:var(--gqa-accent,#0b57d0);color:var(--gqa-accent-fg,#fff)}",
    "header h2{all:unset;font-weight:600;font-size:16px}",
    ".close{all:unset;cursor:pointer;font-size:22px;line-height:1;padding:2px 6px;border-radius:6px}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:var(--gqa-log-bg,#f6f8fa)}",
    ".msg{max-width:92%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".user{align-self:flex-end;background:var(--gqa-accent,#0b57d0);color:var(--gqa-accent-fg,#fff)}",
    ".bot{align-self:flex-start;background:var(--gqa-bg,#fff);border:1px solid #d0d7de}",
    ".answer{font-weight:600;font-size:16px}",
    ".source{font-size:12.5px;color:var(--gqa-muted,#59636e);margin-top:4px}",
    ".context{margin-top:6px;font-size:13.5px;border-left:3px solid var(--gqa-accent,#0b57d0);padding-left:8px}",
    "mark{background:var(--gqa-highlight,#fff2a8);color:inherit;padding:0 1px;border-radius:2px}",
    ".cue{display:inline-block;font-size:11.5px;font-weight:600;border-radius:999px;padding:1px 8px;margin-left:6px;vertical-align:middle}",
    ".cue.high{background:#dafbe1;color:#116329}.cue.medium{background:#fff8c5;color:#7d4e00}.cue.low{background:#ffebe9;color:#a40e26}",
    ".notfound{color:var(--gqa-muted,#59636e);font-style:italic}",
    ".error{border-color:#cf222e;color:#a40e26}",
    ".status{color:var(--gqa-muted,#59636e);font-size:13px}",
    ".retry{all:unset;cursor:pointer;margin-top:6px;display:inline-block;font-weight:600;color:var(--gqa-accent,#0b57d0);text-decoration:underline}",
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #d0d7de;background:var(--gqa-bg,#fff)}",
    "input{all:unset;flex:1;min-width:0;border:1px solid #d0d7de;border-radius:8px;padding:8px 10px;font:inherit;color:inherit;background:#fff}",
    ".send{all:unset;cursor:pointer;padding:8px 14px;border-radius:8px;background:var(--gqa-accent,#0b57d0);color:var(--gqa-accent-fg,#fff);font-weight:600}",
    ".send[disabled]{opacity:.5;cursor:default}",
    "@media (max-width:480px){:host{right:8px;bottom:8px}.panel{width:calc(100vw - 16px);height:calc(100vh - 88px)}}"
  ].join("");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function cue(score) {
    var level = score >= 0.8 ? "high" : score >= 0.4 ? "medium" : "low";
    var label = { high: "High confidence", medium: "Medium confidence", low: "Low confidence" }[level];
    var node = el("span", "cue " + level, label);
    node.title = "score " + score.toFixed(2);
    return node;
  }

  /* The context with the answer span wrapped in <mark>, built from text nodes only. */
  function contextWithHighlight(citation) {
    var box = el("div", "context");
    var ctx = String(citation.context || "");
    var from = citation.start - citation.context_start, to = citation.end - citation.context_start;
    if (!(from >= 0 && to <= ctx.length && from < to)) { box.textContent = ctx; return box; }
    box.appendChild(document.createTextNode(ctx.slice(0, from)));
    box.appendChild(el("mark", "", ctx.slice(from, to)));
    box.appendChild(document.createTextNode(ctx.slice(to)));
    return box;
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
        var name = "message", data = "";
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) name = line.slice(6).trim();
          else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
        });
        onEvent(name, data ? JSON.parse(data) : {});
      }
    }
  }

  class GroundQAWidget extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      var root = this.attachShadow({ mode: "open" });
      var style = el("style"); style.textContent = CSS; root.appendChild(style);
      this.launcher = el("button", "launcher", "?");
      this.launcher.setAttribute("aria-label", "Open " + title);
      this.launcher.setAttribute("aria-expanded", "false");
      this.panel = el("section", "panel");
      this.panel.hidden = true;
      this.panel.setAttribute("role", "dialog");
      this.panel.setAttribute("aria-label", title);
      var header = el("header");
      header.appendChild(el("h2", "", title));
      var close = el("button", "close", "\u00d7");
      close.setAttribute("aria-label", "Close");
      header.appendChild(close);
      this.log = el("div", "log");
      this.log.setAttribute("role", "log");
      this.log.setAttribute("aria-live", "polite");
      this.form = el("form");
      this.input = el("input");
      this.input.type = "text";
      this.input.placeholder = "Ask a question\u2026";
      this.input.setAttribute("aria-label", "Your question");
      this.input.maxLength = 1000;
      this.send = el("button", "send", "Ask");
      this.send.type = "submit";
      this.form.appendChild(this.input); this.form.appendChild(this.send);
      this.panel.appendChild(header); this.panel.appendChild(this.log); this.panel.appendChild(this.form);
      var wrapper = el("div", "gqa");
      wrapper.appendChild(this.panel); wrapper.appendChild(this.launcher);
      root.appendChild(wrapper);

      var self = this;
      this.launcher.addEventListener("click", function () { self.toggle(self.panel.hidden); });
      close.addEventListener("click", function () { self.toggle(false); });
      this.panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.stopPropagation(); self.toggle(false); } });
      this.form.addEventListener("submit", function (e) {
        e.preventDefault();
        var question = self.input.value.trim();
        if (!question || self.busy) return;
        self.input.value = "";
        self.ask(question);
      });
    }

    toggle(open) {
      this.panel.hidden = !open;
      this.launcher.setAttribute("aria-expanded", String(open));
      if (open) this.input.focus(); else this.launcher.focus();
    }

    add(node) { this.log.appendChild(node); this.log.scrollTop = this.log.scrollHeight; return node; }

    async ask(question) {
      this.add(el("div", "msg user", question));
      var bubble = this.add(el("div", "msg bot"));
      var status = bubble.appendChild(el("div", "status", "Searching the documents\u2026"));
      this.busy = true; this.send.disabled = true;
      var controller = new AbortController();
      var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
      var slow = setTimeout(function () { status.textContent = "Still working \u2013 the service is slow right now\u2026"; }, 5000);
      var self = this, finished = false;
      try {
        var response = await fetch(endpoint + "/v1/ask/stream", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ question: question }), signal: controller.signal
        });
        if (!response.ok) {
          var body = await response.json().catch(function () { return {}; });
          throw new Error((body.error && body.error.message) || "The service answered " + response.status + ".");
        }
        await readEvents(response, function (name, data) {
          if (name === "passages") {
            var docs = new Set(data.passages.map(function (p) { return p.doc_id; })).size;
            status.textContent = "Reading " + data.passages.length + " passages from " + docs + (docs === 1 ? " document\u2026" : " documents\u2026");
          } else if (name === "answers") {
            finished = true; self.renderAnswer(bubble, data);
          } else if (name === "error") {
            throw new Error(data.error.message);
          }
        });
        if (!finished) throw new Error("The answer stream ended early.");
      } catch (err) {
        var message = err.name === "AbortError" ? "No answer after " + TIMEOUT_MS / 1000 + " seconds." : (err.message || "Could not reach the service.");
        if (err instanceof TypeError) message = "Could not reach the service.";
        this.renderError(bubble, message, question);
      } finally {
        clearTimeout(timer); clearTimeout(slow);
        this.busy = false; this.send.disabled = false;
      }
    }

    renderAnswer(bubble, data) {
      bubble.textContent = "";
      bubble.classList.add("answered");
      if (data.no_answer || !data.answers.length) {
        bubble.classList.add("notfound");
        bubble.textContent = "Not found in the documents.";
        return;
      }
      var best = data.answers[0], c = best.citation;
      var line = bubble.appendChild(el("div", "answer"));
      line.appendChild(el("span", "answer-text", best.text));
      line.appendChild(cue(best.score));
      bubble.appendChild(el("div", "source", "Source: " + (c.title || c.doc_id)));
      bubble.appendChild(contextWithHighlight(c));
    }

    renderError(bubble, message, question) {
      bubble.textContent = "";
      bubble.classList.add("error");
      bubble.appendChild(el("div", "", message));
      var retry = bubble.appendChild(el("button", "retry", "Retry"));
      var self = this;
      retry.addEventListener("click", function () { bubble.remove(); self.log.lastChild && self.log.lastChild.remove(); self.ask(question); });
    }
  }

  customElements.define("groundqa-widget", GroundQAWidget);
  function mount() { if (!document.querySelector("groundqa-widget")) document.body.appendChild(document.createElement("groundqa-widget")); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
