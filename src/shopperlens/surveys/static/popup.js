/* shopperlens survey pop-up: one question at a set moment, or a welcome-bar link.
 * Vanilla JS, no dependencies, no third-party requests. Configure with data- attributes:
 *   data-survey="demo-profile"  data-question="what_stopped"
 *   data-trigger="delay|exit|cart|checkout_abandon"  data-delay="10" (seconds)
 *   data-cart-path="/cart"  data-checkout-path="/checkout"  data-complete-path="/thank"
 *   (address prefixes, several separated by commas; the order-complete pages of common shop
 *   platforms are recognised whatever data-complete-path says: see DONE)
 *   data-mode="popup|bar"  data-text="Help us improve: 2-minute survey"  data-days="30"
 *   data-target="looker,impulse.<signature>" (behaviour targeting: made and signed by
 *   `shopperlens survey popup-snippet --type …`)  data-visitor-id="<the shop's visitor id>"
 * Every answer is shown and sent as text only (textContent, JSON): nothing is injected as HTML.
 * The pop-up's own texts and its language come from the survey's definition (its `language`
 * and `texts:`), English by default.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.survey) { return; }
  var cfg = script.dataset;
  /* a tag made before targets were signed names its types in data-types, which the server no
     longer takes from the page: shown untargeted it would reach every visitor, so it stays
     hidden until it is made again with `shopperlens survey popup-snippet --type …` */
  if (cfg.types && !cfg.target) {
    if (window.console) { console.warn("shopperlens: regenerate this survey tag (data-types is no longer read)"); }
    return;
  }
  var base = (cfg.base || script.src.replace(/\/s\/popup\.js.*$/, "")).replace(/\/$/, "");
  var survey = cfg.survey;
  var mode = cfg.mode || "popup";
  var trigger = cfg.trigger || "delay";
  var delay = parseFloat(cfg.delay || (trigger === "delay" ? "10" : "1")) * 1000;
  var days = parseFloat(cfg.days || "30");
  var KEY = "shopperlens:" + survey;
  var shown = false;

  function store(key, value) {
    try { if (value === undefined) { return window.localStorage.getItem(key); }
          window.localStorage.setItem(key, value); } catch (e) { return null; }
    return null;
  }
  function forget(key) { try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ } }
  function visitorId() {
    var v = cfg.visitorId || store("shopperlens:vid");
    if (!v) { v = "v" + Math.random().toString(36).slice(2) + Date.now().toString(36); store("shopperlens:vid", v); }
    return v;
  }
  function tired() {
    if (store(KEY + ":done")) { return true; }            /* never the same survey twice */
    var last = parseFloat(store("shopperlens:last") || "0");
    return last && (Date.now() - last) < days * 86400000; /* at most one survey per N days */
  }
  function el(tag, css, text) {
    var e = document.createElement(tag);
    if (css) { e.style.cssText = css; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  /* order-complete pages of common shop platforms, by a whole path segment: WooCommerce
     /checkout/order-received/123/, Shopify /checkouts/cn/abc/thank-you, …/thank_you and the
     order status page …/orders/abc, BigCommerce and PrestaShop …/order-confirmation, Magento
     /checkout/onepage/success/, Shopware /checkout/finish. Several lie under the checkout
     address: taken for a checkout page, the page after a purchase asked what stopped it. */
  var DONE = /\/(order-received|thank-you|thank_you|thankyou|thanks|order-confirmation|orders)(\/|$)|\/onepage\/success(\/|$)|\/checkout\/finish(\/|$)/i;
  /* a path as the shop writes it: browsers give location.pathname percent-encoded
     (/warenkorb/%C3%BCbersicht for /warenkorb/übersicht), composed (NFC) so that a decomposed
     ü matches a composed one; a malformed escape (%E0%A4%A) leaves the path as it is */
  function plain(path) {
    var text = path;
    try { text = decodeURIComponent(path); } catch (e) { /* not percent-encoding: as it is */ }
    return text.normalize ? text.normalize("NFC") : text;
  }
  /* is this page under one of the comma-separated address prefixes (else the fallback)?
     Compared as written and decoded, so a prefix given either way matches */
  function under(prefixes, fallback) {
    var here = window.location.pathname, read = plain(here);
    return (prefixes || fallback).split(",").some(function (p) {
      p = p.trim(); return p !== "" && (here.indexOf(p) === 0 || read.indexOf(plain(p)) === 0);
    });
  }
  function completed() { return DONE.test(window.location.pathname) || under(cfg.completePath, "/thank"); }
  function onExit(fn) {
    document.addEventListener("mouseout", function (e) { if (!e.relatedTarget && e.clientY <= 0) { fn(); } });
  }

  /* The pop-up and the bar live in a shadow root: the shop's stylesheets (a theme that hides
     native checkboxes, `button{width:100%}`, `form p{display:none}`) cannot reach inside, and
     the host element is reset (`all:initial`) so inherited fonts and colours stop at it too.
     It is the first element of the body, so a keyboard user reaches it before the shop's
     links, not after all of them. */
  var STYLE =
    ".sl{box-sizing:border-box;font:15px/1.4 system-ui,sans-serif;color:#1d2330;text-align:start}" +
    ".sl *{box-sizing:border-box;font:inherit;color:inherit;letter-spacing:normal;text-transform:none}" +
    ".box{max-width:22em;background:#fff;border:1px solid #d0d5dd;border-radius:10px;padding:1em;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.18)}" +
    ".box:focus{outline:none}" +
    ".q{display:block;margin:0 0 .6em;padding:0;font-weight:600}" +
    "fieldset{margin:0;padding:0;border:0;min-width:0}" +
    ".choice{display:flex;align-items:center;gap:.4em;margin:.15em 0;min-height:24px;cursor:pointer}" +
    ".choice input{margin:0;width:18px;height:18px;flex:none}" +
    "textarea{display:block;width:100%;min-height:4em;padding:.3em;border:1px solid #8a93a3;border-radius:4px;background:#fff}" +
    "input[type=number]{width:6em;padding:.2em .3em;border:1px solid #8a93a3;border-radius:4px;background:#fff}" +
    ".trap{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}" +
    ".row{margin-top:.7em;display:flex;gap:.5em;justify-content:flex-end}" +
    "button{min-width:24px;min-height:24px;cursor:pointer;margin:0}" +
    ".skip{background:none;border:0;color:#4a5263;padding:.35em .5em}" +
    ".send{background:#2d6cdf;color:#fff;border:0;border-radius:6px;padding:.35em .9em}" +
    ".send[aria-disabled=true]{opacity:.6;cursor:progress}" +
    ".msg{margin:.5em 0 0;color:#4a5263;font-size:.9em}.msg:empty{margin:0}" +
    ".bar{background:#1d2330;color:#fff;padding:.6em 1em;text-align:center}" +
    ".bar a{color:#fff;font-weight:600}" +
    ".close{margin-left:1em;width:32px;height:32px;vertical-align:middle;background:none;" +
    "border:0;color:#fff;font-size:20px;line-height:1}";

  /* a constructed style sheet is not inline CSS: a shop whose Content-Security-Policy has no
     'unsafe-inline' in style-src still shows the pop-up styled (a <style> element it blocks) */
  function styled(root) {
    if ("adoptedStyleSheets" in root) {
      try { var sheet = new CSSStyleSheet(); sheet.replaceSync(STYLE); root.adoptedStyleSheets = [sheet]; return; }
      catch (e) { /* an older browser: a <style> element */ }
    }
    root.appendChild(el("style", "", STYLE));
  }
  function shell(kind, css, def) {
    var host = el("div", "all:initial;display:block;z-index:2147483000;" + css);
    host.setAttribute("data-shopperlens-root", kind);
    host.lang = (def && def.language) || "en";
    var root = host.attachShadow ? host.attachShadow({mode: "open"}) : host;
    styled(root);
    var top = el("div"); top.className = "sl"; top.lang = host.lang; root.appendChild(top);
    return {host: host, top: top};
  }
  function place(host) { document.body.insertBefore(host, document.body.firstChild); }
  function button(cls, type, text) { var b = el("button", "", text); b.className = cls; b.type = type; return b; }

  /* the welcome bar: its link carries the visitor id, so the form's answer is this visitor's
     (a second one is refused as from a pop-up), and the browser remembers it was opened */
  function bar(def) {
    var s = shell("bar", "position:fixed;top:0;left:0;right:0", def);
    var b = el("div"); b.className = "bar"; b.setAttribute("data-shopperlens", "bar"); s.top.appendChild(b);
    var a = el("a", "", cfg.text || "Help us improve: answer a short survey");
    a.href = base + "/s/" + encodeURIComponent(survey) + "?visitor_id=" + encodeURIComponent(visitorId());
    function opened() { store(KEY + ":done", "opened"); store("shopperlens:last", String(Date.now())); }
    a.addEventListener("click", opened);
    a.addEventListener("auxclick", opened);
    var x = button("close", "button", "\u00d7");
    x.setAttribute("aria-label", says(def, "popup_skip"));
    function close() {
      s.host.remove(); document.body.style.paddingTop = ""; store(KEY + ":done", "closed");
    }
    x.addEventListener("click", close);
    b.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
    b.appendChild(a); b.appendChild(x);
    place(s.host);
    document.body.style.paddingTop = s.host.offsetHeight + "px";   /* do not hide the page's top */
  }

  /* the pop-up's fixed texts: the survey definition's own (`texts:`), else these */
  var TEXTS = {popup_skip: "No thanks", popup_send: "Send", popup_thanks: "Thank you! That helps us a lot.",
               popup_check: "Please check your answer.", popup_error: "Could not send; please try again.",
               closed: "This survey is closed: it has all the answers it needs. Thank you!",
               too_long: "Your answers are too long to send: please shorten the longest and send again.",
               too_many: "Many answers were just sent from your network: please wait a minute and send again."};
  function says(def, key) {
    var own = (def && def.texts) || {};
    return typeof own[key] === "string" && own[key] !== "" ? own[key] : TEXTS[key];
  }
  /* what a visitor reads for a refused answer: the survey's own words by status, never the
     server's `detail` (English, written for the shop; it goes to the console) */
  var REFUSED = {422: "popup_check", 413: "too_long", 429: "too_many"};

  /* the question as the dialog's name and its field's label (a legend for a choice group) */
  function field(q, form) {
    var f;
    if (q.kind === "single" || q.kind === "multi") {
      f = el("fieldset");
      var legend = el("legend", "", q.text); legend.className = "q"; legend.id = "sl-q";
      f.appendChild(legend);
      q.choices.forEach(function (c) {
        var lab = el("label"); lab.className = "choice";
        var i = el("input"); i.type = q.kind === "single" ? "radio" : "checkbox"; i.name = "a"; i.value = c;
        lab.appendChild(i); lab.appendChild(document.createTextNode(c.replace(/_/g, " ")));
        f.appendChild(lab);
      });
      form.appendChild(f);
      return f;
    }
    var label = el("label", "", q.text); label.className = "q"; label.id = "sl-q"; label.htmlFor = "sl-a";
    form.appendChild(label);
    if (q.kind === "text") {
      f = el("textarea"); f.maxLength = q.max_length || 2000;
      f.dir = "auto";  /* Hebrew or Arabic answers run right to left */
    } else {
      f = el("input"); f.type = "number";
      if (q.min != null) { f.min = q.min; } if (q.max != null) { f.max = q.max; }
    }
    f.name = "a"; f.id = "sl-a";
    form.appendChild(f);
    return f;
  }
  function valueOf(q, form, f) {
    if (q.kind === "multi") {
      return Array.prototype.filter.call(form.querySelectorAll("input[name=a]"), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    if (q.kind === "single") { var c = form.querySelector("input[name=a]:checked"); return c ? c.value : ""; }
    if (q.kind === "text") { return f.value; }
    return f.value === "" ? "" : Number(f.value);
  }

  /* a dialog with its question as name: focus moves into it when it shows and back to where
     it was when it goes; Escape dismisses it as "No thanks" does */
  function popup(q, def) {
    var s = shell("popup", "position:fixed;right:24px;bottom:24px;max-width:calc(100vw - 48px)", def);
    var box = el("div"); box.className = "box"; box.setAttribute("data-shopperlens", "popup"); box.lang = s.host.lang;
    box.setAttribute("role", "dialog"); box.setAttribute("aria-labelledby", "sl-q"); box.tabIndex = -1;
    s.top.appendChild(box);
    var form = el("form"); box.appendChild(form);
    var f = field(q, form);
    var trap = el("label", "", "Leave this empty ");                 /* honeypot: bots fill it */
    trap.className = "trap"; trap.setAttribute("aria-hidden", "true");
    var bait = el("input"); bait.name = "website"; bait.tabIndex = -1; bait.autocomplete = "off";
    trap.appendChild(bait); form.appendChild(trap);
    var row = el("div"); row.className = "row";
    var skip = button("skip", "button", says(def, "popup_skip"));
    var send = button("send", "submit", says(def, "popup_send"));
    row.appendChild(skip); row.appendChild(send); form.appendChild(row);
    var msg = el("p"); msg.className = "msg"; msg.id = "sl-m"; msg.setAttribute("role", "alert");
    form.appendChild(msg);
    f.setAttribute("aria-describedby", "sl-m");
    var before = document.activeElement;

    function gone() {
      var inside = document.activeElement === s.host || document.activeElement === document.body;
      s.host.remove();
      if (inside && before && before !== document.body && before.isConnected && before.focus) { before.focus(); }
    }
    /* sending: a second press sends nothing; the button stays focusable (a disabled one
       would drop the keyboard's focus out of the dialog) */
    var busy = false;
    function idle() { busy = false; send.removeAttribute("aria-disabled"); }
    function dismiss() { store(KEY + ":done", "skipped"); gone(); }
    function last(text) {          /* a closing word in place of the question; then it goes */
      var p = el("p", "margin:0", text); p.setAttribute("role", "status"); p.tabIndex = -1;
      var refocus = document.activeElement === s.host || document.activeElement === document.body;
      form.textContent = ""; form.appendChild(p);
      if (refocus) { p.focus(); }
      setTimeout(gone, 2500);
    }
    function sent() { store(KEY + ":done", "answered"); box.setAttribute("data-state", "sent"); last(says(def, "popup_thanks")); }
    function refused(status, detail) {
      if (window.console) { console.warn("shopperlens: the answer was refused (" + status + "): " + JSON.stringify(detail)); }
      if (status === 409) { sent(); return; }                   /* this visitor's answer is there */
      if (status === 410) { box.setAttribute("data-state", "closed"); last(says(def, "closed")); return; }
      idle();
      msg.textContent = says(def, REFUSED[status] || "popup_error");
    }

    skip.addEventListener("click", dismiss);
    box.addEventListener("keydown", function (e) {
      if (e.key === "Escape" || e.key === "Esc") { e.stopPropagation(); dismiss(); }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var answers = {}; answers[q.id] = valueOf(q, form, f);
      if (busy) { return; }
      busy = true; send.setAttribute("aria-disabled", "true"); msg.textContent = "";
      fetch(base + "/s/" + encodeURIComponent(survey) + "/responses", {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({answers: answers, channel: "popup", visitor_id: visitorId(), website: bait.value})
      }).then(function (r) {
        if (r.ok) { sent(); return null; }
        return r.json().then(function (b) { return b && b.detail; }, function () { return null; })
          .then(function (detail) { refused(r.status, detail); });
      }).catch(function () { idle(); msg.textContent = says(def, "popup_error"); });
    });
    place(s.host);
    box.focus({preventScroll: true});
  }

  function eligible() {
    /* the server knows what this browser cannot: answers given on another device or by
       e-mail link, and (behaviour targeting) whether the visitor is of a targeted type */
    var url = base + "/s/" + encodeURIComponent(survey) + "/eligible?visitor_id=" +
      encodeURIComponent(visitorId()) + (cfg.target ? "&target=" + encodeURIComponent(cfg.target) : "") +
      (mode === "bar" ? "&channel=link" : "");  /* the bar leads to the form: its quota */
    return fetch(url).then(function (r) { return r.json(); })
      .then(function (b) { return !!b && b.show === true; }, function () { return false; });
  }

  /* the survey's questions and texts; a failed or garbled answer rejects (nothing shows) */
  function definition() {
    return fetch(base + "/s/" + encodeURIComponent(survey) + "/definition.json")
      .then(function (r) {
        if (!r.ok) { throw new Error("definition.json answered " + r.status); }
        return r.json();
      })
      .then(function (def) {
        if (!def || !Array.isArray(def.questions) || !def.questions.length) { throw new Error("definition.json holds no questions"); }
        return def;
      });
  }

  /* the visitor counts as surveyed only once something is on the screen: a server that
     failed to give the questions costs them nothing, and the shop's page sees no error */
  function show() {
    if (shown) { return; }
    shown = true;
    eligible().then(function (ok) {
      if (!ok) { return null; }
      return definition().then(function (def) {
        if (mode === "bar") { bar(def); return; }   /* a bar counts once clicked, not when shown */
        var q = def.questions.filter(function (x) { return x.id === cfg.question; })[0] || def.questions[0];
        popup(q, def);
        store("shopperlens:last", String(Date.now()));
      });
    }).catch(function (e) {
      if (window.console) { console.warn("shopperlens: survey not shown: " + (e && e.message)); }
    });
  }

  /* checkout_abandon: a checkout page marks the visit; the next page that is neither checkout
     nor order-complete shows the question. Order-complete is asked first: it may lie under the
     checkout address, and a buyer who just paid must not be asked what stopped them. */
  function abandon() {
    var mark = KEY + ":checkout";
    if (completed()) { forget(mark); return; }
    if (under(cfg.checkoutPath, "/checkout")) { store(mark, String(Date.now())); onExit(show); return; }
    if (store(mark)) { forget(mark); setTimeout(show, delay); }
  }

  function arm() {
    if (tired()) { return; }
    if (mode === "bar") { show(); return; }
    if (trigger === "delay") { setTimeout(show, delay); }
    else if (trigger === "exit") { onExit(show); }
    else if (trigger === "cart") { if (under(cfg.cartPath, "/cart")) { setTimeout(show, delay); } }
    else if (trigger === "checkout_abandon") { abandon(); }
  }

  window.shopperlens = window.shopperlens || {};
  window.shopperlens[survey] = {show: show};
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", arm); } else { arm(); }
})();
