// sona.js: SRG's page tracker. Implements docs/tracking-protocol.md (version 1).
// Built into static/sona.js by static/build.mjs; keep the gzipped build under budget
// (static/tracker/size.test.mjs).
(function (w, d, nav, loc) {
  // const, so that the minifier inlines them
  const SESSION_IDLE = 18e5; // 30 minutes
  const CONFIG_TTL = 6e5; // 10 minutes
  var CAMPAIGN = /[?&](utm_\w+|gclid|gbraid|wbraid|fbclid|msclkid|li_fat_id|ttclid|twclid)=[^&#]*/g;
  // EMAIL is a plain address the server's stricter check also accepts.
  var EMAIL = /^[\w.+-]+@[\w-]+(\.[\w-]+)+$/;

  var key, base, cfg, vid, session, timer, retry, busy;
  var consent; // 1 granted, 0 denied, undefined not asked
  var held = []; // events not yet allowed out (no config or no consent yet), memory only
  var queue = []; // stamped events waiting to be sent, mirrored in localStorage
  var loaded = 0; // queue restored from storage and config cached
  var cachedConfig = 0;
  var tries = 0;
  var last; // URL of the last page view

  // safe wraps every entry point (API, listeners, timers) so the host page never sees
  // an exception from the tracker.
  function safe(f) {
    return function () {
      try {
        return f.apply(this, arguments);
      } catch (e) {}
    };
  }

  // localStorage keys are sona_<k>: sona_vid, sona_sid, sona_q, sona_consent,
  // sona_optout, sona_cfg. Storage may be missing or throw (privacy modes, sandboxed
  // frames): then it is off.
  var get = safe((k) => localStorage.getItem('sona_' + k));
  // set stores v under k, or removes k when v is undefined.
  var set = safe((k, v) => localStorage[v == null ? 'removeItem' : 'setItem']('sona_' + k, v));
  var parse = safe(JSON.parse);

  function on(target, type, f, capture) {
    target.addEventListener(type, safe(f), capture);
  }

  // cut bounds a string field; empty values are left out of the event.
  function cut(s, n = 2048) {
    return s ? String(s).slice(0, n) : void 0;
  }

  // rid makes a random id of 22 characters from [0-9a-v] (110 bits).
  function rid() {
    var a = new Uint8Array(22);
    try {
      crypto.getRandomValues(a);
    } catch (e) {
      a = a.map(() => Math.random() * 256);
    }
    return Array.from(a, (b) => (b & 31).toString(32)).join('');
  }

  function readCookie() {
    return (d.cookie.match(/(?:^|; )sona_vid=([^;]+)/) || [])[1];
  }

  // writeCookie sets the visitor cookie on the highest domain the browser accepts
  // (example.com for www.example.com, skipping public suffixes such as co.uk), falling
  // back to a host-only cookie. With age 0 it removes the cookie from every candidate.
  function writeCookie(v, age) {
    var h = loc.hostname.split('.');
    for (var i = 2; i <= h.length + 1; i++) {
      d.cookie =
        'sona_vid=' + v + ';path=/;max-age=' + age + ';samesite=lax' +
        (loc.protocol == 'https:' ? ';secure' : '') +
        (i > h.length ? '' : ';domain=' + h.slice(-i).join('.'));
      if (readCookie() == v) return;
    }
  }

  function dnt() {
    return nav.doNotTrack == '1' || nav.globalPrivacyControl;
  }

  // state: 0 drop everything, 1 hold events in memory, 2 store and send.
  // A denial or an opt-out drops events at once, even before the config has arrived.
  function state() {
    if (consent === 0 || get('optout')) return 0;
    if (!cfg) return 1;
    if (cfg.off || (cfg.honor_dnt && dnt())) return 0;
    return consent || !cfg.consent_required ? 2 : 1;
  }

  // campaign is the landing URL's campaign signature: its utm_* and click id parameters.
  function campaign(url) {
    return (url.match(CAMPAIGN) || []).join();
  }

  // stamp adds the visitor and session ids, starting a new session after 30 minutes
  // idle or when the page URL carries a campaign other than the session's.
  function stamp(e) {
    if (!vid) {
      vid = readCookie() || get('vid') || 'v.' + rid();
      writeCookie(vid, 63072000);
      set('vid', vid);
    }
    var s = parse(get('sid')) || session;
    var c = campaign(e.url);
    if (!s || e.ts - s.t > SESSION_IDLE || (c && c != s.c)) {
      s = { i: 's.' + rid(), c: c };
      e.ss = true;
    }
    s.t = e.ts;
    session = s;
    set('sid', JSON.stringify(s));
    e.vid = vid;
    e.sid = s.i;
    return e;
  }

  function save() {
    set('q', JSON.stringify((busy || []).concat(queue)));
  }

  function enqueue(e) {
    if (queue.push(e) > 200) queue.shift();
    save();
    queue.length < 10 ? schedule() : flush();
  }

  function schedule() {
    timer = timer || setTimeout(safe(flush), 1e3);
  }

  // release moves held events into the send queue once config and consent allow it.
  function release() {
    var s = state();
    if (s < 2) {
      if (!s) held = [];
      return;
    }
    if (!loaded) {
      loaded = 1;
      queue = parse(get('q')) || [];
      cachedConfig || set('cfg', JSON.stringify({ t: Date.now(), k: key, c: cfg }));
    }
    held.splice(0).forEach((e) => enqueue(stamp(e)));
  }

  // wipe forgets the visitor: cookie, ids, and every event not yet sent.
  function wipe() {
    held = [];
    queue = [];
    vid = session = 0;
    writeCookie('', 0);
    ['vid', 'sid', 'q'].forEach((k) => set(k));
  }

  // flush sends up to 50 events, one request at a time: with fetch, or on unload with
  // sendBeacon, batch after batch. While a request or a retry is pending, unload leaves
  // the events in storage for the next page rather than risk losing them.
  function flush(unload) {
    clearTimeout(timer);
    timer = 0;
    if (state() < 2 || retry || busy || !queue.length) return;
    busy = queue.splice(0, 50);
    // A text/plain body needs no CORS preflight.
    var body = new Blob([JSON.stringify({ v: 1, site: key, events: busy })], { type: 'text/plain' });
    var url = base + 't/collect';
    if (unload && nav.sendBeacon && nav.sendBeacon(url, body)) {
      busy = 0;
      save();
      flush(1);
    } else {
      fetch(url, { method: 'POST', body: body, keepalive: true }).then(
        (r) => sent(r.status),
        () => sent(0)
      );
    }
  }

  // sent handles a fetch answer: 429, 5xx and network errors put the batch back and
  // retry with backoff (1 s doubling to 60 s); anything else consumes it.
  var sent = safe((status) => {
    var batch = busy;
    busy = 0;
    if (state() < 2) return; // optout or consent denied meanwhile: drop
    if (status == 429 || status > 499 || !status) {
      queue = batch.concat(queue);
      retry = setTimeout(
        safe(() => {
          retry = 0;
          flush();
        }),
        Math.min(6e4, 1e3 * 2 ** tries++)
      );
    } else {
      tries = 0;
      if (queue.length) schedule();
    }
    save();
  });

  function event(type, e) {
    e.id = rid();
    e.type = type;
    e.ts = Date.now();
    e.url = cut(loc.href);
    held.push(e);
    release();
  }

  function pageview(spa) {
    var url = loc.href;
    if (url == last) return;
    event('pageview', {
      spa: spa,
      ref: cut(spa ? last : d.referrer),
      title: cut(d.title, 512),
      sw: screen.width,
      sh: screen.height,
      lang: nav.language,
      tz: Intl.DateTimeFormat().resolvedOptions().timeZone
    });
    last = url;
  }

  // navigated runs after the current task so that the SPA's router has set the title
  // and any pushState directly followed by replaceState yields one page view.
  function navigated() {
    setTimeout(safe(() => pageview(true)));
  }

  function click(e) {
    // closest throws when the target is no element, pathname is undefined on SVG links:
    // both are ignored.
    var a = e.target.closest('a');
    if (!a || (e.type == 'auxclick' && e.button != 1) || !/^http/.test(a.protocol)) return;
    var ext = (a.pathname.match(/\.(\w+)$/) || [])[1];
    var type =
      ext && cfg && (cfg.download_extensions || []).includes(ext.toLowerCase())
        ? 'download'
        : a.host != loc.host && 'outbound';
    if (type) event(type, { link: cut(a.href) });
  }

  // submit records a form: its email (a field of type email or named *email* wins) and
  // the fields allowed by form_fields. Passwords, hidden and card-like fields are never
  // read, whatever the allowlist says.
  function submit(e) {
    var f = e.target;
    var o = { form: {} };
    var fields = {};
    var best = 0;
    for (var k of ['id', 'name', 'action']) o.form[k] = f.getAttribute(k) || void 0;
    for (var el of f.elements) { // throws when f is no form: ignored
      var n = el.name;
      var t = el.type;
      var v = el.value; // a string, or undefined for fieldsets and objects
      if (
        !v ||
        /^(password|hidden)$/.test(t) ||
        /cc-|card|cvc|cvv|iban/i.test(n + el.autocomplete) ||
        (/^(checkbox|radio)$/.test(t) && !el.checked)
      )
        continue;
      var rank = t == 'email' || /email/i.test(n) ? 2 : 1;
      if (rank > best && EMAIL.test(v)) {
        o.email = v;
        best = rank;
      }
      if (n && ((cfg && cfg.form_fields) || []).includes(n)) {
        fields[n] = cut(v, 256);
        o.fields = fields;
      }
    }
    event('form', o);
  }

  // props keeps what the server accepts, so that one event cannot get its whole batch
  // rejected: a flat object of at most 50 keys, strings of at most 512 characters.
  function props(p) {
    var o = {};
    var n = 0;
    for (var k in p) {
      var v = p[k];
      if (n < 50 && /^(string|number|boolean)$/.test(typeof v)) {
        o[k] = v.slice ? v.slice(0, 512) : v;
        n++;
      }
    }
    return n ? o : void 0;
  }

  function api(cmd, a, b) {
    if (cmd == 'identify' && EMAIL.test(a)) event(cmd, { email: a, props: props(b) });
    if (cmd == 'track') event(cmd, { name: cut(a, 128), props: props(b) });
    if (cmd == 'consent') {
      consent = a == 'granted' ? 1 : 0;
      set('consent', consent || void 0);
      if (!consent) wipe();
      release();
    }
    if (cmd == 'optout') {
      set('optout', 1);
      wipe();
    }
    if (cmd == 'optin') {
      set('optout');
      release();
    }
  }

  function configured(c) {
    cfg = c || { off: 1 };
    release();
  }

  try {
    var me = d.currentScript || d.querySelector('script[src$="/sona.js"]');
    var stub = w.sona;
    key = me && me.getAttribute('data-site');
    if (!key || (stub && stub.real)) return;
    base = new URL('.', me.src).href;
    if (get('consent')) consent = 1;

    var cached = parse(get('cfg'));
    if (cached && cached.k == key && Date.now() - cached.t < CONFIG_TTL) {
      cachedConfig = 1;
      configured(cached.c);
    } else {
      // Anything but a 2xx JSON answer (404: unknown site) leaves the tracker silent.
      // Site keys are URL-safe ([A-Za-z0-9_-]); any other data-site is unknown anyway.
      fetch(base + 't/config/' + key)
        .then((r) => r.ok && r.json())
        .catch(() => 0)
        .then(safe(configured));
    }

    w.sona = safe(api);
    w.sona.real = 1;
    pageview();
    ((stub && stub.q) || []).forEach((args) => w.sona.apply(w, args));

    ['pushState', 'replaceState'].forEach((m) => {
      var orig = history[m];
      history[m] = function () {
        navigated();
        return orig.apply(this, arguments);
      };
    });
    on(w, 'popstate', navigated);
    on(w, 'hashchange', navigated);
    on(d, 'click', click, true);
    on(d, 'auxclick', click, true);
    on(d, 'submit', submit, true);
    on(d, 'visibilitychange', () => d.hidden && flush(1));
    on(w, 'pagehide', () => flush(1));
  } catch (e) {}
})(window, document, navigator, location);
