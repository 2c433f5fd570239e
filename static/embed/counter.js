/* VoIP Down counter embed. Served as /embed/<slug>.js with the counter's texts in
 * place of DATA below; this file alone draws nothing.
 *
 * Safe by design: one closure and no global name; everything it draws lives in a
 * shadow root appended where the tag stands (or in a corner), styled by a
 * constructable stylesheet that a strict style-src allows; text set with textContent,
 * never innerHTML; no cookie, no storage, no request but the badge image (and, for a
 * live tally, its JSON, conditionally, once an interval while the page is visible).
 * Options, as data- attributes of the script tag: lang (fr, ar, zgh, en), position
 * (bottom-left, bottom-right, inline), theme (light, dark, auto), tally (a tally's name:
 * shows it live instead of the count). The tally code is sent only in a counter's tally
 * script, /embed/COUNTER/tallies.js: a page showing the count never downloads it. */
(function (data) {
  'use strict';
  // Said once, in the console, when the counter cannot be drawn: the blogger's only clue.
  var warn = function (why) {
    try { if (window.console && console.warn) console.warn('VoIP Down counter: ' + why); } catch (ignored) {}
  };
  var tag = document.currentScript;
  if (!data) return warn('no counter data (use the script the service serves at /embed/COUNTER.js)');
  if (!tag || !tag.parentNode) return warn('load it with its own script tag, not from another script');
  if (!Element.prototype.attachShadow) return warn('this browser is too old to draw it (no shadow DOM)');
  try {
    var opt = tag.dataset;
    // A tally asked of the count's script (which has no tally code): the counter's tally
    // script takes this tag's place, and its options.
    if (opt.tally && data.live) {
      var live = document.createElement('script');
      Array.prototype.forEach.call(tag.attributes, function (a) { live.setAttribute(a.name, a.value); });
      live.nonce = tag.nonce;
      live.src = data.live;
      return tag.parentNode.replaceChild(live, tag);
    }
    if (opt.tally && !data.tallies) warn('this counter has no tallies: the count is shown');
    var pageLang = (document.documentElement.lang || '').toLowerCase().split('-')[0];
    var lang = [opt.lang, pageLang, data.lang].filter(function (l) { return Object.prototype.hasOwnProperty.call(data.texts, l); })[0];
    var text = data.texts[lang];
    // The count of the reader's present day in the counter's zone: the script's own, or one
    // of the next days it carries (a copy kept past midnight still turns); past them, the
    // last one it knows, with its day, never a count that may be wrong.
    var message = text.message;
    var status = data.status;
    var ahead = 0;
    //DAYS{ (only in the script of a count that changes: embed_code.py)
    try {
      var now = {};
      var built = data.date.split('-');
      new Intl.DateTimeFormat('en-US', { timeZone: data.zone, year: 'numeric', month: 'numeric', day: 'numeric' })
        .formatToParts(new Date()).forEach(function (part) { now[part.type] = +part.value; });
      ahead = Math.round((Date.UTC(now.year, now.month - 1, now.day) - Date.UTC(built[0], built[1] - 1, built[2])) / 864e5) || 0;
    } catch (ignored) {} // no time zone support: the script's own day
    if (ahead > 0) {
      var day = data.days[Math.min(ahead, data.days.length) - 1];
      message = ahead > data.days.length ? text.stale : day.texts[lang];
      status = day.status;
    }
    //}DAYS
    var position = ['bottom-left', 'bottom-right', 'inline'].indexOf(opt.position) >= 0 ? opt.position : 'bottom-left';
    var theme = ['light', 'dark', 'auto'].indexOf(opt.theme) >= 0 ? opt.theme : 'auto';

    var make = function (name, cls, content) {
      var node = document.createElement(name);
      if (cls) node.className = cls;
      if (content) node.textContent = content;
      return node;
    };
    // A custom element name: no host rule for div, a, span or img can reach it; and
    // inline !important styles (set through the CSSOM, which a strict CSP allows) win over
    // any the host may still aim at it.
    var host = document.createElement('voipdown-counter');
    host.style.setProperty('all', 'initial', 'important');
    host.style.setProperty('display', position === 'inline' ? 'inline' : 'contents', 'important');
    var root = host.attachShadow({ mode: 'open' });
    if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(data.css);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(make('style', '', data.css));
    }

    var box = make('span', 'vd ' + theme + ' ' + status + (position === 'inline' ? ' inline' : ' corner ' + position));
    box.lang = lang;
    box.dir = text.dir;
    var link = make('a', 'link');
    link.href = text.page;
    link.setAttribute('aria-label', text.label + ': ' + message); // as texts.label_and_message
    box.appendChild(link);
    root.appendChild(box);

    var tally = null;
    //TALLY{ (only in the tally script, /embed/COUNTER/tallies.js: embed_code.py)
    tally = opt.tally && data.tallies ? data.tallies[opt.tally] : null;
    if (opt.tally && !tally) warn('this counter has no tally named "' + opt.tally + '": the count is shown');
    //}TALLY
    if (position === 'inline') {
      // The count's badge, unless a tally is shown in its place: never downloaded for nothing.
      // On another day than the script's, the badge says the old count: its words instead.
      if (!tally && ahead > 0) {
        link.appendChild(make('span', 'text', text.label + ': ' + message));
      } else if (!tally) {
        var image = make('img');
        image.src = text.badge;
        image.width = text.width;
        image.height = text.height;
        image.alt = '';
        link.appendChild(image);
      }
      var fallback = tag.previousElementSibling;
      var held = fallback && fallback.hasAttribute('data-voipdown') && fallback.querySelector('img');
      if (held) {
        // Take exactly the place the fallback held, whatever the host's CSS made of it:
        // the same inline box (font, line height, alignment, side spacing) around a box
        // of the image's size, so that nothing on the page moves.
        var outer = getComputedStyle(fallback);
        var inner = getComputedStyle(held);
        var rect = held.getBoundingClientRect();
        ['font-family', 'font-size', 'line-height', 'vertical-align', 'margin-left', 'margin-right',
          'padding-left', 'padding-right', 'border-left-width', 'border-right-width', 'letter-spacing', 'word-spacing'].forEach(function (name) {
          host.style.setProperty(name, outer.getPropertyValue(name), 'important');
        });
        host.style.setProperty('border-style', 'solid', 'important');
        host.style.setProperty('border-color', 'transparent', 'important');
        box.style.width = rect.width + parseFloat(inner.marginLeft) + parseFloat(inner.marginRight) + 'px';
        box.style.height = rect.height + parseFloat(inner.marginTop) + parseFloat(inner.marginBottom) + 'px';
        box.style.verticalAlign = inner.verticalAlign;
        fallback.parentNode.replaceChild(host, fallback);
      } else {
        tag.parentNode.insertBefore(host, tag);
      }
    } else {
      link.appendChild(make('span', 'title', text.label));
      link.appendChild(make('span', 'message', message));
      var close = make('button', 'close', '\u00d7');
      close.type = 'button';
      close.setAttribute('aria-label', text.close);
      close.addEventListener('click', function () { host.remove(); });
      box.appendChild(close);
      (document.body || document.documentElement).appendChild(host);
    }
    //TALLY{
    if (tally) {
      var words = tally.texts[lang];
      var value = make('span', 'message', words.message || '\u2026');
      var show = function (said) {
        value.textContent = said.message;
        link.setAttribute('aria-label', said.label + ': ' + said.message);
      };
      if (position === 'inline' && held) {
        // In the place the fallback image held, at its size: one line, cut short if need be.
        box.className = 'vd pill ' + theme;
        link.style.lineHeight = box.style.height;
      } else if (position === 'inline') {
        // Its own line, of a fixed height: a new value never moves the host page.
        host.style.setProperty('display', 'block', 'important');
        box.className = 'vd live ' + theme;
        box.removeAttribute('style');
      }
      link.href = words.page;
      link.textContent = '';
      link.appendChild(make('span', 'title', words.label));
      link.appendChild(value);
      show({ label: words.label, message: value.textContent });
      // Its call to action, a link of its own beside the card's (not on a one-line pill).
      if (words.action && tally.url && box.className.indexOf('pill') < 0) {
        var act = make('a', 'action', words.action);
        act.href = tally.url;
        act.target = '_blank';
        act.rel = 'noopener';
        box.appendChild(act);
      }
      var wait = tally.interval * 1000;
      var timer = 0;
      var last = 0;
      var failed = 0;
      // A closed tally: its value came with the script, and it is never asked for.
      var stopped = !!words.message;
      if (!stopped && !window.fetch) {
        stopped = true;
        warn('this browser cannot read the tally (no fetch)');
      }
      var next = function (delay) {
        clearTimeout(timer);
        timer = document.hidden || stopped ? 0 : setTimeout(poll, delay);
      };
      var poll = function () {
        // Closed with its button: asked no more.
        if (!host.isConnected) return;
        last = Date.now();
        // no-cache: the browser asks again with the ETag it has, and a 304 costs a few bytes.
        fetch(words.api, { cache: 'no-cache', credentials: 'omit' }).then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          // Asked again no sooner than its host keeps it (a static host: GitHub Pages' ten minutes).
          var kept = /max-age=(\d+)/.exec(response.headers.get('Cache-Control') || '');
          wait = Math.max(tally.interval, kept ? +kept[1] : 0) * 1000;
          return response.json();
        }).then(function (said) {
          failed = 0;
          show(said);
          stopped = said.closed;
          // No sample for a while: asked less often.
          next(said.stale ? 4 * wait : wait);
        }, function (error) {
          if (!failed++) warn('the tally could not be read: ' + error.message);
          next(Math.min(failed + 1, 8) * wait);
        });
      };
      document.addEventListener('visibilitychange', function () {
        if (document.hidden) next(0);
        else if (!timer) next(Math.max(0, last + wait - Date.now()));
      });
      next(0);
    }
    //}TALLY
  } catch (error) {
    // Never break the host page: whatever failed, the fallback image (if any) stays.
    warn('could not draw: ' + (error && error.message ? error.message : error));
  }
})(/*DATA*/null);
