// The page's shell: sign-in, navigation and the hash router (#/jobs, #/jobs/<id>, #/sweeps,
// #/compare, #/new, ...).

import { api, ApiError, setSession } from "./api.js";
import { renderCompare } from "./compare.js";
import { renderJob } from "./job.js";
import { renderJobs } from "./jobs.js";
import { renderLibrary } from "./library.js";
import { renderNewJob } from "./newjob.js";
import { renderSweep } from "./sweep.js";
import { renderSweeps } from "./sweeps.js";
import { h, messageArea, replace } from "./ui.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const signOutButton = document.getElementById("sign-out");
let cleanup = null;
let signedIn = false;

const ROUTES = [
  [/^#\/jobs\/([\w-]+)$/, (match) => renderJob(main, match[1])],
  [/^#\/new$/, (match, query) => renderNewJob(main, query)],
  [/^#\/datasets$/, () => renderLibrary(main, "datasets")],
  [/^#\/models$/, () => renderLibrary(main, "models")],
  [/^#\/jobs$/, (match, query) => renderJobs(main, query)],
  [/^#\/sweeps\/([\w-]+)$/, (match) => renderSweep(main, match[1])],
  [/^#\/sweeps$/, () => renderSweeps(main)],
  [/^#\/compare$/, (match, query) => renderCompare(main, query)],
];

function route() {
  if (cleanup) cleanup();
  cleanup = null;
  if (!signedIn) return;
  const [path, search = ""] = (location.hash || "#/jobs").split("?");
  const query = new URLSearchParams(search);
  for (const link of nav.querySelectorAll("a")) {
    const current = path === link.getAttribute("href") || path.startsWith(`${link.getAttribute("href")}/`);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  // Keep focus on a control the new view has again (the status filter), else move it to the
  // content, so keyboard and screen reader users start at the new view.
  const focusedId = document.activeElement && document.activeElement.id;
  for (const [pattern, render] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      cleanup = render(match, query) || null;
      const again = focusedId && document.getElementById(focusedId);
      (again && main.contains(again) ? again : main).focus();
      return;
    }
  }
  location.replace("#/jobs");
}

function showSignedIn(session) {
  signedIn = true;
  setSession(session);
  who.textContent = `Signed in as ${session.tenant.name} (${session.key_prefix}…)`;
  nav.hidden = false;
  signOutButton.hidden = false;
  route();
}

function showSignIn(reason) {
  signedIn = false;
  setSession(null);
  if (cleanup) cleanup();
  cleanup = null;
  nav.hidden = true;
  signOutButton.hidden = true;
  who.textContent = "";
  const error = messageArea();
  const keyInput = h("input", {
    id: "api-key",
    name: "api_key",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "aria-describedby": "api-key-help api-key-error",
  });
  error.id = "api-key-error";
  const form = h(
    "form",
    { class: "panel sign-in", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in to Horn"),
    reason ? h("p", { class: "message info", role: "status" }, reason) : null,
    h("label", { for: "api-key" }, "API key"),
    keyInput,
    h(
      "p",
      { id: "api-key-help", class: "help" },
      "The key `horn up` printed, or one from `horn keys create --tenant NAME`. It is kept in an HttpOnly session cookie, not in this page.",
    ),
    error,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.show("");
    keyInput.removeAttribute("aria-invalid");
    try {
      const session = await api("POST", "/v1/session", { json: { api_key: keyInput.value } });
      keyInput.value = "";
      if (!location.hash) location.replace("#/jobs");
      showSignedIn(session);
    } catch (caught) {
      keyInput.setAttribute("aria-invalid", "true");
      error.show(caught instanceof ApiError ? caught.message : `Could not reach the server: ${caught.message}`);
      keyInput.focus();
    }
  });
  replace(main, form);
  keyInput.focus();
}

signOutButton.addEventListener("click", async () => {
  try {
    await api("DELETE", "/v1/session");
  } finally {
    showSignIn("You are signed out.");
  }
});

window.addEventListener("hashchange", route);
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault(); // the hash belongs to the router
  main.focus();
});
window.addEventListener("horn:unauthorized", (event) => {
  if (signedIn) showSignIn(event.detail.message);
});

async function start() {
  try {
    const session = await api("GET", "/v1/session");
    if (session.authenticated) showSignedIn(session);
    else showSignIn(null);
  } catch (caught) {
    showSignIn(`Could not reach the server: ${caught.message}`);
  }
}

start();
