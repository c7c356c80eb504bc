// The search page's script: loads the index the build wrote beside the page
// (search/index.json, see foldpress/search.py), finds the posts that have every word
// typed (the last one as a prefix, as you type), ranks title matches first, then
// topic matches, then newest, and shows each post's title, date and a snippet with the
// match marked. No library, no server: it works from any static host.
(function () {
  "use strict";

  var MAX_RESULTS = 50;
  var SNIPPETS_FETCHED = 10; // body matches get a snippet from the post's Markdown copy
  var input = document.getElementById("search-query");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  // The site's root, so that it works under a sub-path too: this page is ROOT/search/.
  var root = location.pathname.replace(/search\/(index\.html)?$/, "");
  var index = null;
  var keys = null; // the index's words, for prefix matches
  var decoded = {}; // word -> post numbers
  var generation = 0; // a newer search makes older snippet fetches moot

  function words(text) {
    var plain = text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
    return plain.match(/[\p{L}\p{N}]+/gu) || [];
  }

  function postings(word) {
    if (!(word in decoded)) {
      var n = 0;
      decoded[word] = index.words[word].split(".").map(function (gap) {
        n += parseInt(gap, 36);
        return n;
      });
    }
    return decoded[word];
  }

  // The posts holding a word that is `term` (exactly, or starting with it if `prefix`).
  function matching(term, prefix) {
    var found = new Set();
    var hits = prefix ? keys.filter(function (w) { return w.startsWith(term); }) : [term];
    hits.forEach(function (word) {
      if (word in index.words) {
        postings(word).forEach(function (n) { found.add(n); });
      }
    });
    return found;
  }

  function search(query) {
    var terms = words(query);
    if (!terms.length) {
      return { terms: terms, results: [] };
    }
    var sets = terms.map(function (term, i) { return matching(term, i === terms.length - 1); });
    sets.sort(function (a, b) { return a.size - b.size; });
    var candidates = Array.from(sets[0]).filter(function (n) {
      return sets.every(function (set) { return set.has(n); });
    });
    var scored = candidates.map(function (n) {
      var post = index.posts[n];
      var title = words(post[0]);
      var topics = words(post[3]);
      var inTitle = 0;
      var inTopics = 0;
      terms.forEach(function (term) {
        if (title.some(function (w) { return w.startsWith(term); })) inTitle += 1;
        if (topics.some(function (w) { return w.startsWith(term); })) inTopics += 1;
      });
      return { n: n, inTitle: inTitle, inTopics: inTopics };
    });
    scored.sort(function (a, b) {
      // Posts are numbered newest first, so a lower number is a newer post.
      return b.inTitle - a.inTitle || b.inTopics - a.inTopics || a.n - b.n;
    });
    return { terms: terms, results: scored };
  }

  // `text` as nodes, with each word that starts with one of `terms` in a <mark>.
  function marked(text, terms) {
    var fragment = document.createDocumentFragment();
    var pattern = new RegExp("[\\p{L}\\p{N}]+", "gu");
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var word = words(match[0])[0] || "";
      if (!terms.some(function (term) { return word.startsWith(term); })) continue;
      fragment.append(text.slice(last, match.index));
      var mark = document.createElement("mark");
      mark.textContent = match[0];
      fragment.append(mark);
      last = match.index + match[0].length;
    }
    fragment.append(text.slice(last));
    return fragment;
  }

  // A snippet of the post's text around the first word matching `terms`: from its
  // Markdown copy, with the markup that would show as symbols taken out.
  function snippetFrom(markdown, terms) {
    var body = markdown.split("\n\n").slice(2).join(" ");
    var text = body
      .replace(/```[\s\S]*?```/g, " ")
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]+>/g, " ")
      .replace(/[*_`#>|]+/g, " ")
      .replace(/\s+/g, " ");
    var pattern = new RegExp("[\\p{L}\\p{N}]+", "gu");
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var word = words(match[0])[0] || "";
      if (terms.some(function (term) { return word.startsWith(term); })) {
        var start = Math.max(0, text.lastIndexOf(" ", Math.max(0, match.index - 80)));
        var end = text.indexOf(" ", match.index + 120);
        var snippet = text.slice(start, end < 0 ? undefined : end).trim();
        return (start > 0 ? "… " : "") + snippet + (end < 0 ? "" : " …");
      }
    }
    return null;
  }

  function show(query) {
    generation += 1;
    var mine = generation;
    var found = search(query);
    list.replaceChildren();
    if (!found.terms.length) {
      status.textContent = "Type a word to search " + index.posts.length + " posts.";
      return;
    }
    var count = found.results.length;
    status.textContent = count === 0
      ? "No posts match “" + query.trim() + "”."
      : count + (count === 1 ? " post matches" : " posts match") + " “" + query.trim() + "”"
        + (count > MAX_RESULTS ? "; the first " + MAX_RESULTS + " are shown." : ".");
    found.results.slice(0, MAX_RESULTS).forEach(function (result, rank) {
      var post = index.posts[result.n];
      var item = document.createElement("li");
      var heading = document.createElement("h2");
      var link = document.createElement("a");
      link.href = root + post[1].replace(/^\//, "");
      link.append(marked(post[0], found.terms));
      heading.append(link);
      var meta = document.createElement("p");
      meta.className = "post-meta";
      meta.textContent = post[2] + (post[3] ? " · " + post[3] : "");
      var snippet = document.createElement("p");
      snippet.className = "snippet";
      snippet.append(marked(post[4], found.terms));
      item.append(heading, meta, snippet);
      list.append(item);
      var inSummary = snippet.querySelector("mark") !== null;
      if (!inSummary && rank < SNIPPETS_FETCHED) {
        fetch(link.href + "index.html.md")
          .then(function (response) { return response.ok ? response.text() : ""; })
          .then(function (markdown) {
            var text = markdown && snippetFrom(markdown, found.terms);
            if (text && mine === generation) {
              snippet.replaceChildren(marked(text, found.terms));
            }
          })
          .catch(function () {});
      }
    });
  }

  function run() {
    var query = input.value;
    var url = new URL(location.href);
    if (query.trim()) url.searchParams.set("q", query); else url.searchParams.delete("q");
    history.replaceState(null, "", url);
    show(query);
  }

  status.textContent = "Loading the search index…";
  fetch("index.json")
    .then(function (response) {
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      return response.json();
    })
    .then(function (data) {
      index = data;
      keys = Object.keys(index.words);
      input.disabled = false;
      input.value = new URLSearchParams(location.search).get("q") || "";
      input.addEventListener("input", run);
      input.form.addEventListener("submit", function (event) {
        event.preventDefault();
        run();
      });
      show(input.value);
      input.focus();
    })
    .catch(function (error) {
      status.textContent = "The search index could not be loaded (" + error.message + ").";
    });
})();
