// The simulator page: sends what the resident types and shows the answers, each with
// what it would cost as SMS. No external scripts: it works without network access.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const compose = document.getElementById("compose");
  const input = document.getElementById("text");
  const language = document.getElementById("language");
  const phone = document.querySelector(".phone");
  // The page's words in the interface's language, from the template (see data-*).
  const words = document.getElementById("simulator").dataset;

  function channel() {
    return document.querySelector('input[name="channel"]:checked').value;
  }

  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function badge(message) {
    if (!message.encoding) return "WhatsApp";
    const why = message.non_gsm && message.non_gsm.length
      ? " · " + words.ucs2Because + " " + message.non_gsm.join(" ") : "";
    return message.encoding + " · " + message.segments + " SMS · " +
      message.characters + " " + words.characters + why;
  }

  function add(text, who, message) {
    const item = document.createElement("li");
    item.className = who;
    item.textContent = text;
    if (message) {
      const small = document.createElement("small");
      small.className = "badge" + (message.encoding === "UCS-2" ? " ucs2" : "");
      small.textContent = badge(message);
      item.appendChild(small);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Outreach-Simulator": "1" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  compose.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    add(text, "resident");
    try {
      const reply = await post("/simulator/messages", {
        id: newId(), text: text, channel: channel(), language: language.value,
      });
      reply.messages.forEach((m) => add(m.text, "bot", m));
    } catch (error) {
      add("(" + words.noAnswer + " " + error.message + ")", "bot");
    }
    input.focus();
  });

  async function reset() {
    await post("/simulator/reset", {});
    log.innerHTML = "";
    input.focus();
  }

  document.getElementById("reset").addEventListener("click", reset);
  language.addEventListener("change", reset);
  document.querySelectorAll('input[name="channel"]').forEach((radio) =>
    radio.addEventListener("change", () => phone.classList.toggle("whatsapp", channel() === "whatsapp")));
  input.focus();
})();
