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
