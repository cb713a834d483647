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
