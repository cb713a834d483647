// The side navigation folds into a menu on narrow screens (app.css): the "Menu" button
// opens and closes it. Without scripts the navigation simply stays open.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-toggle");
  const nav = document.getElementById("sidenav");
  if (!button || !nav) return;
  button.addEventListener("click", () => {
    const open = nav.classList.toggle("open");
    button.setAttribute("aria-expanded", String(open));
  });
});

// Pickers (web/pickers.py): htmx fills the list of matches as one types; here the
// keyboard and the mouse choose one. The chosen id goes into the hidden input (a
// "change" event on it, for the forms that react); typing again clears it, so that
// only the text is posted (and looked up by the server) until a match is chosen.
(() => {
  const parts = (element) => {
    const picker = element.closest("[data-picker]");
    return picker && {
      picker,
      input: picker.querySelector("[role=combobox]"),
      hidden: picker.querySelector("[data-picker-value]"),
      list: picker.querySelector("[role=listbox]"),
    };
  };
  const options = (p) => [...p.list.querySelectorAll("[role=option]")];
  const close = (p) => {
    p.list.classList.remove("open");
    p.input.setAttribute("aria-expanded", "false");
    p.input.removeAttribute("aria-activedescendant");
  };
  const activate = (p, index) => {
    const all = options(p);
    all.forEach((o, i) => o.setAttribute("aria-selected", String(i === index)));
    if (all[index]) {
      p.input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    }
  };
  const choose = (p, option) => {
    p.input.value = option.dataset.label;
    p.hidden.value = option.dataset.value;
    close(p);
    p.hidden.dispatchEvent(new Event("change", { bubbles: true }));
  };
  document.addEventListener("htmx:afterSwap", (event) => {
    const p = parts(event.target);
    if (!p || event.target !== p.list) return;
    options(p).forEach((o, i) => { o.id = `${p.list.id}-${i}`; });
    const open = p.list.children.length > 0 && document.activeElement === p.input;
    p.list.classList.toggle("open", open);
    p.input.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("input", (event) => {
    const p = parts(event.target);
    if (p && event.target === p.input) p.hidden.value = "";
  });
  document.addEventListener("keydown", (event) => {
    const p = parts(event.target);
    if (!p || event.target !== p.input) return;
    const all = options(p);
    const current = all.findIndex((o) => o.getAttribute("aria-selected") === "true");
    const open = p.list.classList.contains("open");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) return;
      event.preventDefault();
      p.list.classList.add("open");
      p.input.setAttribute("aria-expanded", "true");
      const step = event.key === "ArrowDown" ? 1 : -1;
      activate(p, (current + step + all.length) % all.length);
    } else if (event.key === "Enter" && open && all.length) {
      event.preventDefault(); // choose (the first when none is active), do not submit
      choose(p, all[Math.max(current, 0)]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close(p);
    }
  });
  document.addEventListener("mousedown", (event) => {
    const option = event.target.closest("[role=option]");
    const p = option && parts(option);
    if (p) {
      event.preventDefault(); // keep the focus in the input
      choose(p, option);
    }
  });
  document.addEventListener("focusout", (event) => {
    const p = parts(event.target);
    if (p && event.target === p.input) close(p);
  });
})();

// Bank reconciliation review (encaisse/bank/review.html): keyboard-driven. j/k or ↓/↑
// move through the lines, Enter opens one (its panel via htmx), a accepts the best
// proposal, 1-9 pick candidate n, / searches another invoice, s splits, c assigns to an
// account, i ignores, u undoes, ? shows the shortcuts. Keys are ignored while typing in
// a field (Escape leaves it). Without scripts every action is a plain form.
(() => {
  const root = () => document.querySelector("[data-review]");
  const rows = () => [...document.querySelectorAll("[data-review] tr[data-line]")];
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const select = (row) => {
    rows().forEach((r) => { r.classList.toggle("selected", r === row); r.setAttribute("aria-selected", String(r === row)); });
    if (row) row.scrollIntoView({ block: "nearest" });
  };
  const open = (row) => {
    const link = row && row.querySelector(".review-open");
    if (link) link.click();
  };
  const panel = () => document.getElementById("panel");
  const openForm = (name) => {
    const details = panel() && panel().querySelector(`details[data-form="${name}"]`);
    if (!details) return false;
    panel().querySelectorAll("details[data-form]").forEach((d) => { if (d !== details) d.open = false; });
    details.open = true;
    const field = details.querySelector("input:not([type=hidden]), textarea, select");
    if (field) { field.focus(); if (field.select) field.select(); }
    return true;
  };
  const press = (selector) => {
    const button = panel() && panel().querySelector(selector);
    if (button) { button.click(); return true; }
    return false;
  };
  // The split form: what is left to spread, as one types (the server checks again).
  const amount = (text) => {
    const cleaned = String(text || "").replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".");
    return cleaned === "" ? 0 : Number(cleaned);
  };
  const rest = (form) => {
    const total = Number(form.dataset.split);
    let sum = 0;
    form.querySelectorAll("[data-split-amount]").forEach((i) => { sum += amount(i.value); });
    const out = form.querySelector("[data-split-rest]");
    if (!out) return;
    if (Number.isNaN(sum)) { out.textContent = "montant illisible"; return; }
    const left = Math.round((total - sum) * 100) / 100;
    out.textContent = left.toLocaleString("fr-FR", { style: "currency", currency: "EUR" });
    out.classList.toggle("error", left !== 0);
  };
  document.addEventListener("input", (event) => {
    const form = event.target.closest("form[data-split]");
    if (form) rest(form);
    const score = event.target.closest("[data-bulk-score]");
    const label = score && document.querySelector("[data-bulk-label]");
    if (label) label.textContent = score.value;
  });
  document.addEventListener("click", (event) => {
    const row = event.target.closest("[data-review] tr[data-line]");
    if (row) select(row);
  });
  document.addEventListener("htmx:afterSwap", () => {
    document.querySelectorAll("form[data-split]").forEach(rest);
    const form = panel() && panel().querySelector("details[data-form][open]");
    const invalid = form && form.querySelector("[aria-invalid=true], input:not([type=hidden])");
    if (invalid) invalid.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (!root() || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (typing(target)) {
      if (event.key === "Escape" && !target.closest("[data-picker] [aria-expanded=true]")) target.blur();
      return;
    }
    const all = rows();
    const current = all.findIndex((r) => r.classList.contains("selected"));
    const key = event.key;
    let done = true;
    // Moving opens the line too: the panel (and what a, 1-9, s, c, i, u act on) is
    // always the selected line's.
    const move = (row) => { if (row && row !== all[current]) { select(row); open(row); } };
    if (key === "j" || key === "ArrowDown") move(all[Math.min(current + 1, all.length - 1)] || all[0]);
    else if (key === "k" || key === "ArrowUp") move(all[Math.max(current - 1, 0)]);
    else if (key === "Enter" && target.tagName !== "A" && target.tagName !== "BUTTON" && target.tagName !== "SUMMARY") {
      if (panel()) panel().scrollIntoView({ block: "start" });
    }
    else if (key === "a") done = press("[data-key-best]");
    else if (/^[1-9]$/.test(key)) done = press(`button[data-key="${key}"]`);
    else if (key === "/") done = openForm("search");
    else if (key === "s") done = openForm("split");
    else if (key === "c") done = openForm("assign");
    else if (key === "i") done = openForm("ignore");
    else if (key === "u") done = press('button[data-key="u"]');
    else if (key === "?") { const help = document.querySelector("[data-help]"); if (help) help.open = !help.open; }
    else if (key === "Escape") { const help = document.querySelector("[data-help]"); if (help) help.open = false; }
    else done = false;
    if (done) event.preventDefault();
  });
})();
