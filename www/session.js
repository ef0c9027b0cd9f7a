// Connection and session: which server, the client for it, signing in (with a team choice), the
// saved token, the connection status in the top bar, and which of the three views shows.
//
// The first poll is the probe: main.js reports how it went (confirmed, requireSignIn, unreachable,
// troubled), so connecting costs no request of its own.

import { h, setAttr, setText } from "./dom.js";
import { Api, describeError } from "./api.js";

// The access token survives a reload (this tab only); a new sign-in is asked for when it expires.
const SESSION_KEY = "prefect-dashboard.session";

function savedSession(url) {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    return s && s.url === url && typeof s.token === "string" ? s : null;
  } catch {
    return null;
  }
}

function saveSession(url, token, who) {
  try {
    if (token) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ url, token, who }));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch { /* storage unavailable: sessions just do not survive a reload */ }
}

function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}

/** `?server=URL`, else the page's own origin (the dev server serves both). */
function defaultServer(location) {
  const param = new URLSearchParams(location.search).get("server");
  if (param) return param;
  return location.protocol.startsWith("http") ? location.origin : "http://127.0.0.1:4200";
}

/**
 * `loadClient()` resolves the client module; `onStart(api)` begins polling with a client,
 * `onStop()` stops it and clears the views.
 */
export function createSession(byId, { toasts, loadClient, onStart, onStop }) {
  const els = {
    serverForm: byId("server-form"), serverUrl: byId("server-url"), status: byId("connection-status"),
    user: byId("user"), userInfo: byId("user-info"), logout: byId("logout"),
    appView: byId("app-view"), loginView: byId("login-view"), offlineView: byId("offline-view"),
    loginForm: byId("login-form"), email: byId("login-email"), password: byId("login-password"), loginSubmit: byId("login-submit"),
    tenantForm: byId("tenant-form"), tenantOptions: byId("tenant-options"), tenantWho: byId("tenant-who"),
    tenantSubmit: byId("tenant-submit"), tenantBack: byId("tenant-back"),
    offlineDetail: byId("offline-detail"), retry: byId("retry"),
  };
  let api = null;
  let who = null;
  let fromSaved = false; // the client carries a saved token (a refusal means it expired)
  let generation = 0;
  let trouble = null; // the poll error shown now (shown once until it changes or clears)
  let pending = null; // { email, password, tenants } between the two steps of a team choice

  function setStatus(state, text, title) {
    els.status.dataset.state = state;
    setText(els.status.querySelector(".status-text"), text);
    setAttr(els.status, "title", title ?? null);
  }

  function show(view) {
    els.appView.hidden = view !== "app";
    els.loginView.hidden = view !== "login";
    els.offlineView.hidden = view !== "offline";
  }

  function showLoginStep(step) {
    els.loginForm.hidden = step !== "credentials";
    els.tenantForm.hidden = step !== "tenant";
  }

  async function connect({ forget = false } = {}) {
    const url = els.serverUrl.value.trim().replace(/\/+$/, "");
    if (forget) saveSession(url, null);
    const gen = ++generation;
    onStop();
    api = null;
    who = null;
    trouble = null;
    els.user.hidden = true;
    setStatus("connecting", `Connecting to ${hostOf(url)}…`);
    show("app");
    let mod;
    try {
      mod = await loadClient();
    } catch (err) {
      if (gen !== generation) return;
      setStatus("error", "Client not loaded");
      toasts.show({ kind: "error", code: "LOAD", message: `Could not load the prefect-wasm client: ${err?.message ?? err}` });
      return;
    }
    if (gen !== generation) return;
    const saved = savedSession(url);
    try {
      api = new Api(mod, url, saved?.token);
    } catch (err) {
      setStatus("error", "Bad server URL");
      toasts.error(err);
      return;
    }
    who = saved?.who ?? null;
    fromSaved = Boolean(saved);
    onStart(api);
  }

  /** The server answered a poll: connected (again). */
  function confirmed() {
    if (!api) return;
    if (els.status.dataset.state === "connected" && !trouble) return;
    trouble = null;
    setStatus("connected", `Connected · ${hostOf(api.url)}`);
    els.user.hidden = !who;
    setText(els.userInfo, who ?? "");
    show("app");
  }

  /** The server wants a signed-in client (`first`: on the first poll of this client). */
  function requireSignIn(err, { first }) {
    if (!api) return;
    onStop();
    if (fromSaved || !first) {
      saveSession(api.url, null);
      if (first) return connect(); // the saved token expired or was revoked: start over without it
      toasts.error(err, "Signed out");
    }
    fromSaved = false;
    setStatus("auth", `Sign in to ${hostOf(api.url)}`);
    showLoginStep("credentials");
    show("login");
    els.email.focus();
  }

  /** The first poll failed: the server is not there (or not a Prefect API). */
  function unreachable(err) {
    if (!api) return;
    onStop();
    const { code, message } = describeError(err);
    setStatus("error", `Cannot reach ${hostOf(api.url)}`, message);
    setText(els.offlineDetail, `${code}: ${message}`);
    show("offline");
    toasts.error(err, `Connecting to ${api.url}`);
  }

  /** A later poll failed: say so once per distinct error, and keep polling. */
  function troubled(err) {
    if (!api) return;
    const { code, message } = describeError(err);
    setStatus("error", `Connection problem (${code})`, message);
    const key = `${code}|${message}`;
    if (trouble !== key) toasts.error(err, "Updating");
    trouble = key;
  }

  function finishLogin(email, tenant) {
    pending = null;
    who = `${email} · ${tenant.name || tenant.slug}`;
    saveSession(api.url, api.client.token, who);
    els.password.value = "";
    showLoginStep("credentials");
    onStart(api);
  }

  async function busy(button, fn) {
    button.disabled = true;
    try {
      await fn();
    } finally {
      button.disabled = false;
    }
  }

  els.serverForm.addEventListener("submit", (event) => {
    event.preventDefault();
    connect();
  });
  els.retry.addEventListener("click", () => connect());
  els.logout.addEventListener("click", () => connect({ forget: true })); // a client without a token: the server asks again

  els.loginForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const client = api;
    if (!client) return;
    const email = els.email.value.trim();
    const password = els.password.value;
    busy(els.loginSubmit, async () => {
      try {
        const tenants = await client.login(email, password);
        if (client !== api) return;
        if (!Array.isArray(tenants) || tenants.length === 0) {
          toasts.show({ kind: "error", code: "NO_TENANT", message: `${email} belongs to no team on this server.` });
          return;
        }
        if (tenants.length === 1) {
          await client.login(email, password, { accountId: tenants[0].id });
          if (client === api) finishLogin(email, tenants[0]);
          return;
        }
        pending = { email, password, tenants };
        els.tenantOptions.replaceChildren(...tenants.map((t, i) =>
          h("label", { class: "tenant-option", dataset: { testid: "tenant-option", slug: t.slug } },
            h("input", { type: "radio", name: "tenant", value: t.id, checked: i === 0 }),
            h("span", { class: "tenant-name" }, t.name || t.slug),
            h("span", { class: "tenant-slug" }, t.slug))));
        setText(els.tenantWho, `Signed in as ${email}. This account belongs to ${tenants.length} teams.`);
        showLoginStep("tenant");
        els.tenantOptions.querySelector("input")?.focus();
      } catch (err) {
        toasts.error(err, "Sign in failed");
      }
    });
  });

  els.tenantForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const client = api;
    const { email, password, tenants } = pending ?? {};
    const id = els.tenantOptions.querySelector("input:checked")?.value;
    const tenant = tenants?.find((t) => t.id === id);
    if (!client || !tenant) return;
    busy(els.tenantSubmit, async () => {
      try {
        await client.login(email, password, { accountId: tenant.id });
        if (client === api) finishLogin(email, tenant);
      } catch (err) {
        toasts.error(err, "Switching team failed");
      }
    });
  });

  els.tenantBack.addEventListener("click", () => {
    pending = null;
    showLoginStep("credentials");
    els.email.focus();
  });

  els.serverUrl.value = defaultServer(els.serverUrl.ownerDocument.defaultView.location);

  return {
    connect,
    /** The list view shows (not sign-in, not the offline notice). */
    get showingApp() {
      return !els.appView.hidden;
    },
    confirmed,
    requireSignIn,
    unreachable,
    troubled,
    get api() {
      return api;
    },
    /** Keeps the freshest token (the client may have refreshed it) for a reload. */
    persistToken() {
      const saved = api && savedSession(api.url);
      if (saved && api.client.token) saveSession(api.url, api.client.token, saved.who);
    },
  };
}
