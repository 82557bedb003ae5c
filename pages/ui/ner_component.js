// NER span annotator (st.components.v2, inline, no build step).
//
// Offsets are CODE POINTS into the original text (what Python's str indexes), not
// UTF-16 units: the text is handled as Array.from(text) so emoji do not shift spans.
// Dataset text is only ever inserted with textContent, never innerHTML.
//
// Streamlit calls this function again whenever `data` changes but keeps the same
// parentElement, and it does not call the previous cleanup in between; so the
// root element, its listeners and the interaction state live on the element and
// are created once.

const HELP = "Drag over words or use \u2190/\u2192 (Shift extends) \u00b7 1\u20139 label the selection \u00b7 " +
  "click a span (or Del) to remove it \u00b7 Enter accepts suggestions \u00b7 Esc clears";

function overlaps(a, b) {
  return a.start < b.end && b.start < a.end;
}

function sortSpans(spans) {
  return spans.slice().sort((a, b) => a.start - b.start || a.end - b.end);
}

function createRoot(parentElement) {
  const root = document.createElement("div");
  root.className = "ner-root";
  root.tabIndex = 0;
  root.setAttribute("data-testid", "ner-annotator");
  root.setAttribute("role", "application");
  root.setAttribute("aria-label", "Entity annotator. " + HELP);
  const legend = document.createElement("div");
  legend.className = "ner-legend";
  const text = document.createElement("div");
  text.className = "ner-text";
  const msg = document.createElement("div");
  msg.className = "ner-msg";
  msg.setAttribute("role", "status");
  msg.setAttribute("data-testid", "ner-message");
  const help = document.createElement("div");
  help.className = "ner-help";
  help.textContent = HELP;
  root.append(legend, text, msg, help);
  parentElement.appendChild(root);

  const st = {
    root, legend, textEl: text, msg, data: null, cps: [], tokens: [], spans: [], suggested: [],
    anchor: null, focus: null, cursor: null, dragging: false, pressedMark: null, tokEls: [],
    setTriggerValue: null, seq: 0,
  };
  root.__ner = st;

  root.addEventListener("keydown", (e) => onKey(st, e));
  text.addEventListener("mousedown", (e) => onMouseDown(st, e));
  text.addEventListener("mouseover", (e) => onMouseOver(st, e));
  // Listening on the document only while a button is down: the release may land
  // outside the component, and no listener outlives a press.
  st.onDocMouseUp = (e) => {
    document.removeEventListener("mouseup", st.onDocMouseUp);
    onMouseUp(st, e);
  };
  legend.addEventListener("click", (e) => {
    const chip = e.target.closest("[data-label-index]");
    if (chip) applyLabel(st, Number(chip.getAttribute("data-label-index")));
  });
  return st;
}

function say(st, text, kind) {
  st.msg.textContent = text || "";
  st.msg.className = "ner-msg" + (kind ? " ner-msg-" + kind : "");
}

function tokenAt(el) {
  const tok = el && el.closest ? el.closest("[data-t]") : null;
  return tok ? Number(tok.getAttribute("data-t")) : null;
}

function selection(st) {
  if (st.anchor === null || st.focus === null) return null;
  return [Math.min(st.anchor, st.focus), Math.max(st.anchor, st.focus)];
}

function selectedRange(st) {
  const sel = selection(st);
  if (!sel) return null;
  return { start: st.tokens[sel[0]][0], end: st.tokens[sel[1]][1] };
}

function spanText(st, span) {
  return st.cps.slice(span.start, span.end).join("");
}

function commit(st, spans, note) {
  st.spans = sortSpans(spans);
  st.anchor = st.focus = null;
  render(st);
  if (note) say(st, note, "ok");
  st.seq += 1;
  if (st.setTriggerValue) {
    st.setTriggerValue("edit", {
      spans: st.spans.map((s) => ({ start: s.start, end: s.end, label: s.label })),
      text_length: st.cps.length,
      seq: st.seq,
    });
  }
}

function applyLabel(st, index) {
  const labels = st.data.labels;
  if (index < 0 || index >= labels.length) return;
  const range = selectedRange(st);
  if (!range) {
    say(st, "Select some words first (drag with the mouse, or \u2190/\u2192 with Shift).", "warn");
    return;
  }
  const clash = st.spans.find((s) => overlaps(s, range));
  if (clash) {
    say(st, "Refused: overlaps \u201c" + spanText(st, clash) + "\u201d (" + clash.label +
      "). Spans must not overlap; remove that span first.", "error");
    return;
  }
  const span = { start: range.start, end: range.end, label: labels[index] };
  commit(st, st.spans.concat([span]), "Added \u201c" + spanText(st, span) + "\u201d as " + span.label + ".");
}

function acceptSuggestions(st) {
  let spans = st.spans.slice();
  let added = 0;
  let refused = 0;
  for (const s of sortSpans(st.suggested)) {
    if (spans.some((t) => overlaps(t, s))) {
      if (!spans.some((t) => t.start === s.start && t.end === s.end && t.label === s.label)) refused += 1;
      continue;
    }
    spans.push({ start: s.start, end: s.end, label: s.label });
    added += 1;
  }
  if (!added) {
    say(st, refused ? "No suggestion accepted: all " + refused + " overlap existing spans." : "No suggestions to accept.",
      refused ? "error" : "warn");
    return;
  }
  let note = "Accepted " + added + " suggested span" + (added === 1 ? "" : "s") + ".";
  if (refused) note += " Refused " + refused + " that overlap existing spans.";
  commit(st, spans, note);
}

function removeSpan(st, span) {
  const spans = st.spans.filter((s) => !(s.start === span.start && s.end === span.end && s.label === span.label));
  commit(st, spans, "Removed \u201c" + spanText(st, span) + "\u201d (" + span.label + ").");
}

function removeSelected(st) {
  const range = selectedRange(st);
  if (!range) {
    say(st, "Select the span to remove first.", "warn");
    return;
  }
  const keep = st.spans.filter((s) => !overlaps(s, range));
  if (keep.length === st.spans.length) {
    say(st, "No span in the selection.", "warn");
    return;
  }
  commit(st, keep, "Removed " + (st.spans.length - keep.length) + " span(s).");
}

function moveCursor(st, delta, extend) {
  const n = st.tokens.length;
  if (!n) return;
  let cur = st.cursor === null ? (delta > 0 ? -1 : n) : (extend && st.focus !== null ? st.focus : st.cursor);
  if (cur === null) cur = 0;
  const next = Math.max(0, Math.min(n - 1, cur + delta));
  if (extend && st.anchor !== null) {
    st.focus = next;
  } else {
    st.anchor = st.focus = next;
  }
  st.cursor = next;
  paintSelection(st);
  announceSelection(st);
}

function announceSelection(st) {
  const range = selectedRange(st);
  if (range) say(st, "Selected \u201c" + spanText(st, range) + "\u201d \u2014 press a label's key to label it.");
}

function onKey(st, e) {
  if (e.ctrlKey || e.metaKey || e.altKey || !st.data) return;
  const k = e.key;
  let handled = true;
  if (k === "ArrowRight" || k === "ArrowLeft") {
    moveCursor(st, k === "ArrowRight" ? 1 : -1, e.shiftKey);
  } else if (k === "Home" || k === "End") {
    moveCursor(st, k === "End" ? st.tokens.length : -st.tokens.length, e.shiftKey);
  } else if (k.length === 1 && (st.data.keys || []).indexOf(k) >= 0) {
    applyLabel(st, st.data.keys.indexOf(k));
  } else if (k === "Enter" && st.suggested.length) {
    acceptSuggestions(st);
  } else if (k === "Delete" || k === "Backspace") {
    removeSelected(st);
  } else if (k === "Escape" && selection(st)) {
    st.anchor = st.focus = null;
    paintSelection(st);
    say(st, "");
  } else {
    handled = false;
  }
  if (handled) {
    // Keep page-level shortcuts (st.button(shortcut=...)) from also firing.
    e.preventDefault();
    e.stopPropagation();
  }
}

function onMouseDown(st, e) {
  if (e.button !== 0) return;
  // Native text selection would fight ours; focus is set by hand instead.
  e.preventDefault();
  st.root.focus({ preventScroll: true });
  document.addEventListener("mouseup", st.onDocMouseUp);
  const mark = e.target.closest(".ner-span");
  if (mark) {
    st.pressedMark = mark;
    return;
  }
  const t = tokenAt(e.target);
  if (t === null) return;
  st.anchor = st.focus = st.cursor = t;
  st.dragging = true;
  say(st, "");
  paintSelection(st);
}

function onMouseOver(st, e) {
  if (!st.dragging) return;
  const t = tokenAt(e.target);
  if (t === null || t === st.focus) return;
  st.focus = st.cursor = t;
  paintSelection(st);
}

function onMouseUp(st, e) {
  const path = e.composedPath ? e.composedPath() : [];
  if (st.pressedMark) {
    const mark = st.pressedMark;
    st.pressedMark = null;
    if (path.includes(mark)) {
      const span = st.spans[Number(mark.getAttribute("data-span-index"))];
      if (span) removeSpan(st, span);
    }
    return;
  }
  if (!st.dragging) return;
  st.dragging = false;
  const t = path.length ? tokenAt(path[0]) : null;
  if (t !== null && t !== st.focus) {
    st.focus = st.cursor = t;
    paintSelection(st);
  }
  announceSelection(st);
}

function paintSelection(st) {
  const sel = selection(st);
  st.tokEls.forEach((els, i) => {
    const inSel = sel !== null && i >= sel[0] && i <= sel[1];
    for (const el of els) {
      el.classList.toggle("ner-sel", inSel);
      el.classList.toggle("ner-cur", i === st.cursor);
    }
  });
}

// Text [a, b) into `parent`, one element per token piece so the mouse and the
// cursor can address tokens; whitespace between tokens stays a plain text node.
function emitPlain(st, parent, a, b, ti) {
  let pos = a;
  while (ti.i < st.tokens.length && st.tokens[ti.i][1] <= a) ti.i += 1;
  let i = ti.i;
  while (i < st.tokens.length && st.tokens[i][0] < b) {
    const s = Math.max(st.tokens[i][0], a);
    const e = Math.min(st.tokens[i][1], b);
    if (s > pos) parent.appendChild(document.createTextNode(st.cps.slice(pos, s).join("")));
    const el = document.createElement("span");
    el.className = "ner-tok";
    el.setAttribute("data-t", String(i));
    el.textContent = st.cps.slice(s, e).join("");
    parent.appendChild(el);
    st.tokEls[i].push(el);
    pos = e;
    if (st.tokens[i][1] > b) break;
    i += 1;
  }
  if (b > pos) parent.appendChild(document.createTextNode(st.cps.slice(pos, b).join("")));
}

function render(st) {
  const d = st.data;
  const labelIndex = new Map(d.labels.map((l, i) => [l, i]));
  st.legend.replaceChildren();
  d.labels.forEach((label, i) => {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.tabIndex = -1;
    chip.className = "ner-chip";
    chip.setAttribute("data-label-index", String(i));
    chip.style.setProperty("--c", d.colors[i]);
    const shortcut = (d.keys || [])[i];
    if (shortcut) {
      const key = document.createElement("kbd");
      key.textContent = shortcut;
      chip.appendChild(key);
    }
    chip.appendChild(document.createTextNode(label));
    st.legend.appendChild(chip);
  });

  // Suggestions are drawn only where they do not clash with a real span.
  const marks = st.spans.map((s, i) => ({ ...s, kind: "span", index: i }));
  for (const s of sortSpans(st.suggested)) {
    if (!marks.some((m) => overlaps(m, s))) marks.push({ ...s, kind: "suggested" });
  }
  marks.sort((a, b) => a.start - b.start);

  st.textEl.replaceChildren();
  st.tokEls = st.tokens.map(() => []);
  const ti = { i: 0 };
  let pos = 0;
  for (const m of marks) {
    emitPlain(st, st.textEl, pos, m.start, ti);
    const el = document.createElement("mark");
    const color = d.colors[labelIndex.get(m.label)] || "#888";
    el.className = m.kind === "span" ? "ner-span" : "ner-suggested";
    el.style.setProperty("--c", color);
    el.setAttribute("data-label", m.label);
    el.setAttribute("data-start", String(m.start));
    el.setAttribute("data-end", String(m.end));
    if (m.kind === "span") {
      el.setAttribute("data-span-index", String(m.index));
      el.title = m.label + " \u2014 click to remove";
    } else {
      el.title = "suggested " + m.label + " \u2014 Enter accepts all suggestions";
    }
    emitPlain(st, el, m.start, m.end, ti);
    const tag = document.createElement("span");
    tag.className = "ner-tag";
    tag.textContent = m.label;
    el.appendChild(tag);
    st.textEl.appendChild(el);
    pos = m.end;
  }
  emitPlain(st, st.textEl, pos, st.cps.length, ti);
  paintSelection(st);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let st = parentElement.querySelector(".ner-root")?.__ner;
  if (!st) st = createRoot(parentElement);
  st.setTriggerValue = setTriggerValue;
  if (!data) return () => {};
  if (st.data === null && typeof data.seq === "number") st.seq = data.seq;  // a redrawn root continues the count
  const sameText = st.data !== null && st.data.text === data.text;
  // A rerun that has not yet seen our latest edit (fast keys, slow server) must not
  // undo it: keep the local spans until the server echoes that edit's seq.
  const behind = sameText && typeof data.seq === "number" && data.seq < st.seq;
  const key = (spans) => (spans || []).map((x) => x.start + ":" + x.end + ":" + x.label).join("|");
  const before = key(st.spans);
  st.data = data;
  st.cps = Array.from(data.text);
  st.tokens = data.tokens;
  if (!behind) st.spans = sortSpans(data.spans || []);
  // spans the server changed on its own (an undo, a colleague's save): the last message no longer holds
  const changedElsewhere = sameText && !behind && key(st.spans) !== before;
  st.suggested = data.suggested || [];
  if (!sameText) {
    // A new record: forget the old cursor and message.
    st.anchor = st.focus = st.cursor = null;
    say(st, "");
  } else if (data.error) {
    say(st, data.error, "error");
  } else if (changedElsewhere) {
    say(st, "");
  }
  if (st.anchor !== null && st.anchor >= st.tokens.length) st.anchor = st.focus = st.cursor = null;
  render(st);
  if (data.autofocus && (!document.activeElement || document.activeElement === document.body)) {
    st.root.focus({ preventScroll: true });
  }
  return () => {
    document.removeEventListener("mouseup", st.onDocMouseUp);
    st.dragging = false;
  };
}
