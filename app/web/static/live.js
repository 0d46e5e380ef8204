// Follows a submission while it waits and runs: polls its status every 1.5 s and, once it
// is graded, puts the report in place without a reload. HTML comes from the server's own
// templates (escaped there); nothing here builds markup from data.
"use strict";
(function () {
  const live = document.getElementById("live");
  if (!live || live.dataset.final === "yes") return;
  const report = document.getElementById("report");
  const url = live.dataset.liveUrl;
  const intervalMs = 1500;
  const giveUpAfterMs = 30 * 60 * 1000;
  const started = Date.now();

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const answer = await response.json();
        live.innerHTML = answer.status_html;
        if (answer.final) {
          report.innerHTML = answer.report_html;
          live.dataset.final = "yes";
          return;
        }
      }
    } catch (ignored) {
      // A dropped connection: try again on the next tick.
    }
    if (Date.now() - started < giveUpAfterMs) setTimeout(poll, intervalMs);
  }
  setTimeout(poll, intervalMs);
})();
