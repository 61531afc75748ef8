// The simulator page: sends what the resident types and shows the answers, each with
// what it would cost as SMS; or calls the voice line and answers it by keypad, playing
// its recordings and showing what the synthesised voice would say. No external scripts:
// it works without network access.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const compose = document.getElementById("compose");
  const input = document.getElementById("text");
  const language = document.getElementById("language");
  const phone = document.querySelector(".phone");
  const callButton = document.getElementById("call");
  const hangupButton = document.getElementById("hangup");
  const silenceButton = document.getElementById("silence");
  const keys = Array.from(document.querySelectorAll("#keypad .key"));
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

  // What a message would cost: names (GSM-7, SMS, WhatsApp) and the characters that
  // forced UCS-2 are data, marked translate="no"; the words around them are the page's.
  function badge(message, element) {
    function data(text) {
      const span = document.createElement("span");
      span.setAttribute("translate", "no");
      span.textContent = text;
      element.appendChild(span);
    }
    function said(text) { element.appendChild(document.createTextNode(text)); }
    if (!message.encoding) { data("WhatsApp"); return element; }
    data(message.encoding);
    said(" · " + message.segments + " ");
    data("SMS");
    said(" · " + message.characters + " " + words.characters);
    if (message.non_gsm && message.non_gsm.length) {
      said(" · " + words.ucs2Because + " ");
      data(message.non_gsm.join(" "));
    }
    return element;
  }

  // The flows' texts are content, in the conversation's language: marked as data, not
  // the interface's words (translate="no"), with their language for screen readers.
  function content(tag, text, lang) {
    const element = document.createElement(tag);
    element.className = "text";
    element.setAttribute("translate", "no");
    if (lang) element.lang = lang;
    element.textContent = text;
    return element;
  }

  function small(text, extra) {
    const element = document.createElement("small");
    element.className = "badge" + (extra ? " " + extra : "");
    element.textContent = text;
    return element;
  }

  function show(item) {
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function add(text, who, message) {
    const item = document.createElement("li");
    item.className = who;
    item.appendChild(content("span", text, null));
    if (message) item.appendChild(badge(message, small("", message.encoding === "UCS-2" ? "ucs2" : "")));
    return show(item);
  }

  function note(text, kind) {
    const item = document.createElement("li");
    item.className = "note " + (kind || "");
    item.textContent = text;
    return show(item);
  }

  // The service's failure: the page's words, then the HTTP status as data.
  function failed(error) {
    const item = note("(" + words.noAnswer + " ", "error");
    const detail = document.createElement("span");
    detail.setAttribute("translate", "no");
    detail.textContent = error.message;
    item.appendChild(detail);
    item.appendChild(document.createTextNode(")"));
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
      // What the answer says that is not so here (no number: no alert subscription).
      reply.notes.forEach((text) => note(text, "simulated"));
    } catch (error) {
      failed(error);
    }
    input.focus();
  });

  // -- the voice call ------------------------------------------------------------------

  // The call in progress: its id (the simulator's CallSid) and the state of the next
  // step, as the last answer gave it (a real call carries it in the signed URL).
  let call = null;
  let busy = false;
  let playing = [];

  function setCall(active) {
    callButton.disabled = active;
    hangupButton.disabled = !active;
    silenceButton.disabled = !active;
    keys.forEach((key) => { key.disabled = !active; });
  }

  function stopAudio() {
    playing.forEach((audio) => audio.pause());
    playing = [];
  }

  // One answer of the call: each sound in order, a recording as an <audio> element of
  // the audio route (played one after the other), speech as its text with a badge.
  function speak(reply) {
    const item = document.createElement("li");
    item.className = "bot call-turn";
    const audios = [];
    reply.sounds.forEach((sound) => {
      const part = document.createElement("div");
      if (sound.play) {
        part.className = "sound recorded";
        const audio = document.createElement("audio");
        audio.controls = true;
        audio.preload = "auto";
        audio.src = sound.play;
        part.appendChild(audio);
        if (sound.text) part.appendChild(content("p", sound.text, "es"));
        const label = small(words.recording + " · ", "recording");
        const name = document.createElement("span");
        name.setAttribute("translate", "no");  // a language's own name: data
        name.lang = sound.language;
        name.textContent = sound.language_name;
        label.appendChild(name);
        part.appendChild(label);
        audios.push(audio);
      } else {
        part.className = "sound synthesised";
        const lines = document.createElement("ul");
        sound.say.forEach((text) => lines.appendChild(content("li", text, "es")));
        part.appendChild(lines);
        part.appendChild(small(words.synthesised, "synthesised"));
      }
      item.appendChild(part);
    });
    show(item);
    // A key press is the user's gesture that lets the page play sound; the recordings
    // follow each other as on the phone (speech has no sound here: it is shown).
    stopAudio();
    playing = audios;
    audios.forEach((audio, n) => {
      if (n + 1 < audios.length) audio.addEventListener("ended", () => audios[n + 1].play().catch(() => {}));
    });
    if (audios.length) audios[0].play().catch(() => {});
    if (reply.state === null) endCall();
    else call.state = reply.state;
  }

  function endCall() {
    call = null;
    setCall(false);
    note(words.callEnded, "ended");
    callButton.focus();
  }

  async function step(digits) {
    if (!call || busy) return;
    busy = true;
    const body = { call: call.id, digits: digits };
    if (call.state) body.state = call.state;
    try {
      speak(await post("/simulator/call", body));
    } catch (error) {
      failed(error);
    } finally {
      busy = false;
    }
  }

  callButton.addEventListener("click", () => {
    call = { id: newId(), state: null };
    setCall(true);
    note(words.calling, "calling");
    step("");
    keys[0].focus();
  });

  hangupButton.addEventListener("click", () => {
    stopAudio();
    endCall();
  });

  function press(key) {
    if (!call || busy) return;
    add(words.pressed.replace("%s", key), "resident");
    step(key);
  }

  keys.forEach((button) => button.addEventListener("click", () => press(button.value)));
  silenceButton.addEventListener("click", () => {
    if (!call || busy) return;
    note(words.noKey, "silence");
    step("");
  });
  // The computer's keys press the keypad's, except while typing into a field.
  document.addEventListener("keydown", (event) => {
    if (channel() !== "voice" || !call || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.matches && event.target.matches("input[type=text], input:not([type]), select, textarea")) return;
    if (event.key.length === 1 && "0123456789*#".includes(event.key)) {
      event.preventDefault();
      press(event.key);
    }
  });

  // -- the page ---------------------------------------------------------------------

  async function reset() {
    stopAudio();
    if (call) { call = null; setCall(false); }
    await post("/simulator/reset", {});
    log.innerHTML = "";
    if (channel() !== "voice") input.focus();
  }

  function mode() {
    const voice = channel() === "voice";
    phone.classList.toggle("whatsapp", channel() === "whatsapp");
    phone.classList.toggle("voice", voice);
    document.body.classList.toggle("voice-mode", voice);
    // On a call the language is chosen by keypad, as on a real one.
    language.disabled = voice;
    if (!voice && call) { stopAudio(); endCall(); }
    (voice ? callButton : input).focus();
  }

  document.getElementById("reset").addEventListener("click", reset);
  language.addEventListener("change", reset);
  document.querySelectorAll('input[name="channel"]').forEach((radio) =>
    radio.addEventListener("change", mode));
  mode();
})();
