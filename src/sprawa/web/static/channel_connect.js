// Connecting an Allegro account (OAuth device flow): start, show the code and the link, ask the server
// every `interval` seconds whether the seller confirmed, then reload to show the connected account.
(function () {
  "use strict";
  const S = window.Sprawa;
  const box = document.getElementById("allegro-connect");
  if (!box) return;
  const base = `/api/v1/channels/${box.dataset.channel}/allegro`;
  const texts = document.getElementById("allegro-texts").dataset;
  const problem = document.getElementById("allegro-problem");

  function fail(message) {
    document.getElementById("allegro-flow").hidden = true;
    problem.textContent = message;
    problem.hidden = false;
  }

  async function check(interval, deadline) {
    if (Date.now() > deadline) return fail(texts.denied);
    let answer;
    try {
      answer = await S.api(`${base}/connect/check`, { method: "POST" });
    } catch (error) { return fail(error.message); }
    if (answer.status === "connected") {
      S.toast(texts.connected);
      setTimeout(() => location.reload(), 400);
    } else if (answer.status === "denied") {
      fail(texts.denied);
    } else {
      const next = answer.status === "slow_down" ? interval + 5 : interval;
      setTimeout(() => check(next, deadline), next * 1000);
    }
  }

  const start = document.getElementById("allegro-start");
  if (start) {
    start.addEventListener("click", async () => {
      problem.hidden = true;
      start.disabled = true;
      let flow;
      try {
        flow = await S.api(`${base}/connect`, { method: "POST" });
      } catch (error) { start.disabled = false; return fail(error.message); }
      document.getElementById("allegro-code").textContent = flow.user_code || "";
      const link = document.getElementById("allegro-link");
      link.href = flow.verification_uri_complete;
      document.getElementById("allegro-flow").hidden = false;
      const interval = Math.max(1, Number(flow.interval) || 5);
      const deadline = Date.now() + (Number(flow.expires_in) || 600) * 1000;
      setTimeout(() => check(interval, deadline), interval * 1000);
    });
  }

  const disconnect = document.getElementById("allegro-disconnect");
  if (disconnect) {
    // Asked on the page itself (no window.confirm): the second button does it.
    disconnect.addEventListener("click", () => { document.getElementById("allegro-confirm").hidden = false; });
    document.getElementById("allegro-disconnect-yes").addEventListener("click", async () => {
      try {
        await S.api(`${base}/disconnect`, { method: "POST" });
        S.toast(texts.disconnected);
        setTimeout(() => location.reload(), 400);
      } catch (error) { fail(error.message); }
    });
  }
})();
