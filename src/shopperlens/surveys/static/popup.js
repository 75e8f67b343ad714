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

  function bar() {
    var b = el("div", "position:fixed;top:0;left:0;right:0;z-index:2147483000;background:#1d2330;" +
      "color:#fff;font:15px system-ui,sans-serif;padding:.6rem 1rem;text-align:center");
    b.setAttribute("data-shopperlens", "bar");
    var a = el("a", "color:#fff;font-weight:600", cfg.text || "Help us improve: answer a short survey");
    a.href = base + "/s/" + encodeURIComponent(survey);
    a.addEventListener("click", function () { store("shopperlens:last", String(Date.now())); });
    var x = el("button", "margin-left:1rem;background:none;border:0;color:#fff;cursor:pointer", "\u00d7");
    x.setAttribute("aria-label", "close");
    x.addEventListener("click", function () {
      b.remove(); document.body.style.paddingTop = ""; store(KEY + ":done", "closed");
    });
    b.appendChild(a); b.appendChild(x);
    document.body.appendChild(b);
    document.body.style.paddingTop = b.offsetHeight + "px";   /* do not hide the page's top */
  }

  /* the pop-up's fixed texts: the survey definition's own (`texts:`), else these */
  var TEXTS = {popup_skip: "No thanks", popup_send: "Send", popup_thanks: "Thank you! That helps us a lot.",
               popup_check: "Please check your answer.", popup_error: "Could not send; please try again."};
  function says(def, key) {
    var own = (def && def.texts) || {};
    return typeof own[key] === "string" && own[key] !== "" ? own[key] : TEXTS[key];
  }

  function popup(q, def) {
    var box = el("div", "position:fixed;right:1.5rem;bottom:1.5rem;z-index:2147483000;max-width:22rem;" +
      "background:#fff;color:#1d2330;border:1px solid #d0d5dd;border-radius:10px;padding:1rem;" +
      "box-shadow:0 8px 30px rgba(0,0,0,.18);font:15px/1.4 system-ui,sans-serif");
    box.setAttribute("data-shopperlens", "popup");
    box.setAttribute("role", "dialog");
    box.lang = (def && def.language) || "en";
    var form = el("form");
    form.appendChild(el("p", "margin:0 0 .6rem;font-weight:600", q.text));
    var trap = el("input", "position:absolute;left:-9999px");       /* honeypot: bots fill it */
    trap.name = "website"; trap.tabIndex = -1; trap.autocomplete = "off";
    form.appendChild(trap);
    var field;
    if (q.kind === "single" || q.kind === "multi") {
      field = el("div");
      q.choices.forEach(function (c) {
        var lab = el("label", "display:block;margin:.15rem 0");
        var i = el("input"); i.type = q.kind === "single" ? "radio" : "checkbox"; i.name = "a"; i.value = c;
        lab.appendChild(i); lab.appendChild(document.createTextNode(" " + c.replace(/_/g, " ")));
        field.appendChild(lab);
      });
    } else if (q.kind === "text") {
      field = el("textarea", "width:100%;min-height:4rem;box-sizing:border-box");
      field.name = "a"; field.maxLength = q.max_length || 2000;
      field.dir = "auto";  /* Hebrew or Arabic answers run right to left */
    } else {
      field = el("input", "width:6rem"); field.type = "number"; field.name = "a";
      if (q.min != null) { field.min = q.min; } if (q.max != null) { field.max = q.max; }
    }
    form.appendChild(field);
    var row = el("div", "margin-top:.7rem;display:flex;gap:.5rem;justify-content:flex-end");
    var skip = el("button", "background:none;border:0;color:#5b6475;cursor:pointer", says(def, "popup_skip"));
    skip.type = "button";
    var send = el("button", "background:#2d6cdf;color:#fff;border:0;border-radius:6px;padding:.35rem .9rem;cursor:pointer", says(def, "popup_send"));
    send.type = "submit";
    row.appendChild(skip); row.appendChild(send); form.appendChild(row);
    var msg = el("p", "margin:.5rem 0 0;color:#5b6475;font-size:.9rem");
    form.appendChild(msg);
    box.appendChild(form);
    skip.addEventListener("click", function () { box.remove(); store(KEY + ":done", "skipped"); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var value;
      if (q.kind === "multi") {
        value = Array.prototype.filter.call(form.querySelectorAll("input[name=a]"), function (i) { return i.checked; })
          .map(function (i) { return i.value; });
      } else if (q.kind === "single") {
        var c = form.querySelector("input[name=a]:checked"); value = c ? c.value : "";
      } else if (q.kind === "text") { value = field.value; } else { value = field.value === "" ? "" : Number(field.value); }
      var answers = {}; answers[q.id] = value;
      send.disabled = true;
      fetch(base + "/s/" + encodeURIComponent(survey) + "/responses", {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({answers: answers, channel: "popup", visitor_id: visitorId(), website: trap.value})
      }).then(function (r) {
        return r.json().then(function (body) { return {ok: r.ok, body: body}; });
      }).then(function (res) {
        if (res.ok) {
          store(KEY + ":done", "answered");
          form.textContent = ""; form.appendChild(el("p", "margin:0", says(def, "popup_thanks")));
          box.setAttribute("data-state", "sent");
          setTimeout(function () { box.remove(); }, 2500);
        } else {
          send.disabled = false;
          msg.textContent = typeof res.body.detail === "string" ? res.body.detail : says(def, "popup_check");
        }
      }).catch(function () { send.disabled = false; msg.textContent = says(def, "popup_error"); });
    });
    document.body.appendChild(box);
  }

  function eligible() {
    /* the server knows what this browser cannot: answers given on another device or by
       e-mail link, and (behaviour targeting) whether the visitor is of a targeted type */
    var url = base + "/s/" + encodeURIComponent(survey) + "/eligible?visitor_id=" +
      encodeURIComponent(visitorId()) + (cfg.target ? "&target=" + encodeURIComponent(cfg.target) : "") +
      (mode === "bar" ? "&channel=link" : "");  /* the bar leads to the form: its quota */
    return fetch(url).then(function (r) { return r.json(); })
      .then(function (b) { return b.show === true; }, function () { return false; });
  }

  function show() {
    if (shown) { return; }
    shown = true;
    eligible().then(function (ok) {
      if (!ok) { return; }
      if (mode === "bar") { bar(); return; }    /* a bar counts once clicked, not when shown */
      store("shopperlens:last", String(Date.now()));
      fetch(base + "/s/" + encodeURIComponent(survey) + "/definition.json")
        .then(function (r) { return r.json(); })
        .then(function (def) {
          var q = def.questions.filter(function (x) { return x.id === cfg.question; })[0] || def.questions[0];
          popup(q, def);
        });
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
