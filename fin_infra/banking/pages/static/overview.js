// The overview page: accounts grouped by institution with balances, net worth, a balance-history chart per account
// and for net worth (uPlot, served by this app), and the latest transactions with the documented filters.
// Every number comes from the banking JSON routes; amounts are added up in exact cents.
"use strict";
(function () {
  var P = window.finInfraPages;
  var NEGATIVE_TYPES = ["credit", "loan"];  // money owed: subtracted from net worth
  var HISTORY_DAYS = 90;  // the charts' window
  var since = (function () {
    var d = new Date();
    d.setDate(d.getDate() - HISTORY_DAYS);
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  })();
  var page = 1;
  var plots = [];
  var accountNames = {};

  function chart(container, label, points) {
    container.replaceChildren();
    if (!points.length) {
      container.appendChild(P.el("p", { class: "muted", text: "No balance history yet." }));
      container.dataset.points = "0";
      return;
    }
    var xs = points.map(function (p) { return Date.parse(p[0] + "T12:00:00Z") / 1000; });
    var ys = points.map(function (p) { return p[1] / 100; });  // display only: the exact values are in the table
    var width = Math.max(280, container.clientWidth || 600);
    var plot = new window.uPlot({
      width: width, height: 200, legend: { show: false },
      scales: { x: { time: true } },
      series: [{}, { label: label, stroke: "#0b4fb3", width: 2, fill: "rgba(11, 79, 179, 0.12)" }],
      axes: [{}, { size: 70 }]
    }, [xs, ys], container);
    plots.push({ plot: plot, container: container });
    container.dataset.points = String(points.length);
  }

  // net worth by day: each account's latest known balance on that day, owed amounts subtracted
  function netWorthSeries(histories) {
    var days = {};
    histories.forEach(function (h) { h.points.forEach(function (p) { days[p[0]] = true; }); });
    var sorted = Object.keys(days).sort();
    return sorted.map(function (day) {
      var total = 0;
      histories.forEach(function (h) {
        var last = null;
        h.points.forEach(function (p) { if (p[0] <= day) { last = p[1]; } });
        if (last !== null) { total += h.sign * last; }
      });
      return [day, total];
    });
  }

  async function loadAccounts() {
    var results = await Promise.all([P.call("GET", "/connections"), P.call("GET", "/accounts"), P.call("GET", "/balances?live=true")]);
    var connections = {};
    results[0].connections.forEach(function (c) { connections[c.id] = c; });
    var balances = {};
    results[2].balances.forEach(function (b) { balances[b.connection_id + "|" + b.account_id] = b; });
    var accounts = results[1].accounts;
    var groups = {};
    var order = [];
    var worth = 0;
    var select = document.getElementById("f-account");
    accounts.forEach(function (a) {
      var c = connections[a.connection_id] || {};
      var key = c.institution_name || c.institution_id || "Bank";
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push(a);
      accountNames[a.id] = a.name + (a.mask ? " ••" + a.mask : "");
      select.appendChild(P.el("option", { value: a.id, text: key + ": " + accountNames[a.id] }));
    });
    var box = document.getElementById("institutions");
    var histories = [];
    var pending = [];
    order.forEach(function (key) {
      var list = P.el("ul", { class: "accounts" });
      groups[key].forEach(function (a) {
        var b = balances[a.connection_id + "|" + a.id];
        var sign = NEGATIVE_TYPES.indexOf(a.type) >= 0 ? -1 : 1;
        var current = b && b.current != null ? b.current : null;
        if (current !== null) { worth += sign * P.cents(current); }
        var chartBox = P.el("div", { class: "chart", id: "chart-" + a.id, role: "img", "aria-label": "Balance history of " + accountNames[a.id] });
        chartBox.setAttribute("role", "img");
        var li = P.el("li", { class: "account", "data-account-id": a.id }, [
          P.el("div", {}, [P.el("strong", { text: a.name }), P.el("span", { class: "muted", text: " " + [a.subtype || a.type, a.mask ? "••" + a.mask : ""].join(" ") })]),
          P.el("div", { class: "amount balance", "data-value": current === null ? "" : current, "data-currency": (b && b.currency) || a.currency || "USD",
            text: current === null ? "n/a" : P.money(current, (b && b.currency) || a.currency) + (sign < 0 ? " owed" : "") }),
          b && b.available != null ? P.el("div", { class: "muted available", "data-value": b.available, text: "Available " + P.money(b.available, b.currency) }) : null,
          chartBox
        ]);
        list.appendChild(li);
        pending.push(P.call("GET", "/balance-history" + P.query({ account_id: a.id, connection_id: a.connection_id, start_date: since })).then(function (h) {
          var points = h.history.map(function (p) { return [p.date, P.cents(p.balance)]; });
          histories.push({ sign: sign, points: points });
          chart(chartBox, accountNames[a.id], points);
        }).catch(function (e) { chartBox.textContent = e.message; }));
      });
      box.appendChild(P.el("section", { class: "institution", "aria-label": key }, [P.el("h3", { text: key }), list]));
    });
    document.getElementById("no-accounts").hidden = accounts.length > 0;
    var nw = document.getElementById("networth");
    nw.dataset.value = P.decimal(worth);
    nw.textContent = P.moneyCents(worth, "USD");
    var errors = results[1].errors.concat(results[2].errors);
    if (errors.length) {
      P.fail(errors.map(function (e) {
        var c = connections[e.connection_id] || {};
        return (c.institution_name || "A bank") + ": " + P.words(e.code);
      }).join(" "));
    }
    await Promise.all(pending);
    chart(document.getElementById("chart-networth"), "Net worth", netWorthSeries(histories));
  }

  async function loadTransactions() {
    var form = document.getElementById("filters");
    var params = { page: page, page_size: 25 };
    new FormData(form).forEach(function (value, key) { params[key] = value; });
    var body = document.querySelector("#transactions tbody");
    try {
      var data = await P.call("GET", "/transactions" + P.query(params));
      body.replaceChildren.apply(body, data.transactions.map(function (t) {
        var c = P.cents(t.amount);
        return P.el("tr", { "data-transaction-id": t.id }, [
          P.el("td", { text: t.date }),
          P.el("td", { text: (t.merchant_name || t.description) + (t.pending ? " (pending)" : "") }),
          P.el("td", { text: t.category || "" }),
          P.el("td", { text: accountNames[t.account_id] || "" }),
          P.el("td", { class: "num " + (c < 0 ? "out" : "in"), "data-value": t.amount, text: P.money(t.amount, t.currency) })
        ]);
      }));
      var syncing = (data.connections || []).some(function (c) { return !c.last_synced_at && c.status === "ok"; });
      if (syncing) {  // a bank connected a moment ago: its first sync is still reading its transactions
        document.getElementById("transactions").dataset.syncing = "true";
        setTimeout(loadTransactions, 1500);
      } else {
        delete document.getElementById("transactions").dataset.syncing;
      }
      document.getElementById("txn-caption").textContent = syncing && !data.total
        ? "Reading your banks' transactions… (this takes a few seconds after connecting)"
        : data.total
        ? "Transactions " + ((data.page - 1) * data.page_size + 1) + "–" + ((data.page - 1) * data.page_size + data.count) +
          " of " + data.total + " (page " + data.page + " of " + data.total_pages + ")"
        : "No transactions match.";
      document.getElementById("prev").disabled = !data.has_previous;
      document.getElementById("next").disabled = !data.has_next;
      document.getElementById("transactions").dataset.total = String(data.total);
    } catch (e) {
      P.fail(e.message);
    }
  }

  var resizing = null;
  window.addEventListener("resize", function () {  // the charts follow the page's width
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      plots.forEach(function (p) { p.plot.setSize({ width: Math.max(280, p.container.clientWidth), height: 200 }); });
    }, 100);
  });

  document.addEventListener("DOMContentLoaded", async function () {
    var link = document.getElementById("connect-link");
    if (link) { link.href = (P.config.links || {}).connect; }
    document.getElementById("filters").addEventListener("submit", function (e) { e.preventDefault(); page = 1; P.fail(""); loadTransactions(); });
    document.getElementById("prev").addEventListener("click", function () { page = Math.max(1, page - 1); loadTransactions(); });
    document.getElementById("next").addEventListener("click", function () { page += 1; loadTransactions(); });
    P.say("Loading…");
    try {
      await loadAccounts();
      await loadTransactions();
      P.say("");
    } catch (e) {
      P.say("");
      P.fail(e.message);
    }
    document.body.dataset.loaded = "true";
  });
})();
