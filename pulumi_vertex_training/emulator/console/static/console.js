// vertex-local console: live updates and Cancel. Plain JavaScript, no build step, no
// dependencies; served by the emulator. Pages work without it (static content only).
"use strict";

(function () {
  const MAX_LOG_CHARS = 2000000;

  // ---- polling: [data-poll] elements are refreshed with server-rendered HTML -------------
  const pollers = [];

  function startPolling(el) {
    const every = Number(el.dataset.every || 2000);
    const poller = { el: el, timer: null, busy: false };
    async function tick() {
      if (poller.busy || document.hidden) return;
      poller.busy = true;
      try {
        const answer = await fetch(el.dataset.poll, { headers: { Accept: "text/html" }, cache: "no-store" });
        if (answer.ok) {
          el.innerHTML = await answer.text();
          if (el.hasAttribute("data-until-terminal") && el.querySelector('[data-terminal="true"]')) {
            clearInterval(poller.timer);
          }
        }
      } catch (err) {
        // the emulator restarted or stopped: keep trying
      } finally {
        poller.busy = false;
      }
    }
    poller.tick = tick;
    if (el.hasAttribute("data-until-terminal") && el.querySelector('[data-terminal="true"]')) {
      return poller;
    }
    poller.timer = setInterval(tick, every);
    pollers.push(poller);
    return poller;
  }

  function refreshNow() {
    pollers.forEach(function (p) { p.tick(); });
  }

  // ---- Cancel: the REST API's own POST /v1/{name}:cancel, same origin, JSON ------------
  async function cancel(button) {
    const what = button.dataset.what || "this job";
    if (!window.confirm("Cancel " + what + "?")) return;
    const status = button.parentElement.querySelector(".cancel-result");
    button.disabled = true;
    try {
      const answer = await fetch(button.dataset.cancel, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      if (answer.ok) {
        if (status) status.textContent = "Cancelling…";
      } else {
        let message = answer.status + " " + answer.statusText;
        try { message = (await answer.json()).error.message; } catch (err) { /* not JSON */ }
        if (status) status.textContent = "Not cancelled: " + message;
        button.disabled = false;
      }
    } catch (err) {
      if (status) status.textContent = "Not cancelled: " + err;
      button.disabled = false;
    }
    refreshNow();
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-cancel]");
    if (button) {
      event.preventDefault();
      cancel(button);
    }
  });

  // ---- logs: one server-sent event stream for every replica of the job ----------------
  function append(pre, lines) {
    const box = pre;
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    box.appendChild(document.createTextNode(lines.join("\n") + "\n"));
    if (box.childNodes.length > 400) {
      box.textContent = box.textContent.slice(-MAX_LOG_CHARS);
    }
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function follow(logs) {
    if (logs.dataset.terminal === "true" || !window.EventSource) return;
    const live = logs.querySelectorAll("[data-live-for]");
    const url = logs.dataset.stream + "?after=" + encodeURIComponent(logs.dataset.after || "");
    const source = new EventSource(url);
    function mark(on) {
      live.forEach(function (el) {
        el.classList.toggle("on", on);
        el.textContent = on ? "live" : "";
      });
    }
    source.onopen = function () { mark(true); };
    source.onerror = function () { mark(false); };
    source.addEventListener("log", function (event) {
      const data = JSON.parse(event.data);
      const pre = logs.querySelector('pre[data-replica="' + CSS.escape(data.replica) + '"]');
      if (pre) append(pre, data.lines);
    });
    source.addEventListener("end", function () {
      source.close();
      mark(false);
      refreshNow();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(startPolling);
    document.querySelectorAll("pre[data-replica]").forEach(function (pre) {
      pre.scrollTop = pre.scrollHeight;
    });
    const logs = document.getElementById("logs");
    if (logs) follow(logs);
  });
})();
