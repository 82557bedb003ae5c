// Label keys that never lose a press (st.components.v2, inline, no iframe).
//
// Streamlit merges button triggers that arrive while a rerun is running, so three
// fast presses of "2" could store two labels. Here every press gets a sequence
// number and stays pending until the server echoes it back (data.ack); each
// trigger carries all pending presses, so a merged trigger still delivers them all.
// The listener lives on the document once; typing in inputs is left alone.

const TEXT_INPUTS = "input:not([type]), input[type=text], input[type=search], input[type=number], " +
  "input[type=password], input[type=email], input[type=url], textarea, select, [contenteditable='true']";

function typing(target, key) {
  // Keys typed into a text field stay there; a focused toggle or button does not swallow them.
  // The NER span annotator handles its own keys, all but "?" (the page's keyboard help).
  if (!target || !target.closest) return false;
  return !!target.closest(TEXT_INPUTS) || (key !== "?" && !!target.closest(".ner-root"));
}

// Until the server has echoed every press, send the pending ones again now and then: a trigger
// Streamlit merged away or dropped is delivered late rather than never (the server dedups by seq).
const RETRY_MS = 400;
const MAX_RETRIES = 25;

function retry(st) {
  if (st.timer) return;
  let tries = 0;
  st.timer = setInterval(() => {
    tries += 1;
    if (!st.pending.length || tries > MAX_RETRIES || !st.send) {
      clearInterval(st.timer);
      st.timer = null;
      return;
    }
    st.send("press", { presses: st.pending.slice() });
  }, RETRY_MS);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let st = parentElement.__keys;
  if (!st) {
    st = { seq: 0, pending: [], keys: [], send: null, timer: null };
    parentElement.__keys = st;
    st.onKey = (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || typing(e.target, e.key)) return;
      if (!st.keys.includes(e.key)) return;
      e.preventDefault();
      e.stopPropagation();
      st.seq += 1;
      st.pending.push({ seq: st.seq, key: e.key });
      if (st.send) st.send("press", { presses: st.pending.slice() });
      retry(st);
    };
    document.addEventListener("keydown", st.onKey, true);
  }
  st.send = setTriggerValue;
  // Streamlit calls this on unmount (not between redraws): no listener may outlive the element.
  const cleanup = () => {
    document.removeEventListener("keydown", st.onKey, true);
    if (st.timer) clearInterval(st.timer);
    parentElement.__keys = null;
  };
  if (!data) return cleanup;
  st.keys = data.keys || [];
  const ack = typeof data.ack === "number" ? data.ack : 0;
  if (st.seq < ack) st.seq = ack;  // a redrawn page continues the count
  st.pending = st.pending.filter((p) => p.seq > ack);
  if (st.pending.length) retry(st);
  parentElement.textContent = "";
  return cleanup;
}
