// grpo4j dashboard and report.html: the same code draws both. window.GRPO4J.mode is "live" (data
// from the dashboard's /api, polled for new rows) or "static" (data embedded by the report writer).
(function () {
  'use strict';
  const G = window.GRPO4J || { mode: 'live' };
  const PAGE = 64, MAX_POINTS = 1500, POLL_MS = 2000;
  const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
  // Curves in this order first; then any other numeric metric the runs log.
  const PREFERRED = ['reward/mean', 'success_rate', 'eval/success_rate', 'eval/reward_per_prompt', 'kl/forward', 'kl/reverse',
    'kl/lambda', 'kl/scale', 'entropy', 'loss/policy', 'loss/total', 'clip_ratio', 'logprob_mismatch/mean', 'logprob_mismatch/max', 'adv/token_abs_mean', 'adv/token_mean',
    'completion_len/mean', 'tokens_per_s', 'lr', 'grad_norm', 'reward/std', 'frac_zero_std_groups'];
  const HIDDEN = new Set(['time/rollout_s', 'time/train_s']);

  const get = (url) => fetch(url).then((r) => {
    if (!r.ok) return r.text().then((t) => { throw new Error(url + ': ' + r.status + ' ' + t); });
    return r.json();
  });
  const api = G.mode === 'live' ? {
    runs: () => get('api/runs'),
    version: () => get('api/version'),
    metrics: (i) => get('api/metrics?run=' + i + '&max=' + MAX_POINTS),
    steps: (i) => get('api/steps?run=' + i),
    rollouts: (i, step, from) => get('api/rollouts?run=' + i + '&step=' + step + '&from=' + from + '&limit=' + PAGE),
    summary: (i) => get('api/summary?run=' + i),
  } : {
    runs: () => Promise.resolve(G.data.runs),
    version: () => Promise.resolve('static'),
    metrics: (i) => Promise.resolve(G.data.metrics[i]),
    steps: (i) => Promise.resolve(G.data.steps[i]),
    rollouts: (i, step) => Promise.resolve(G.data.rollouts[i][String(step)] || { step: step, total: 0, from: 0, groups: [] }),
    summary: (i) => Promise.resolve(G.data.summary[i]),
  };

  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k);
    return e;
  };
  // Fixed decimals, except for tiny non-zero values, which get an exponent instead of a row of zeros.
  const fmt = (v, d) => {
    if (v === null || v === undefined || Number.isNaN(v)) return '\u2014';
    const a = Math.abs(v);
    return a !== 0 && a < 5e-5 ? Number(v).toExponential(2) : Number(v).toFixed(d === undefined ? 4 : d);
  };
  // Axis ticks: three significant digits, an exponent for very small or large values.
  const tick = (v) => {
    if (v === null) return '';
    const a = Math.abs(v);
    if (a === 0) return '0';
    return a < 1e-3 || a >= 1e5 ? v.toExponential(1) : String(parseFloat(v.toPrecision(3)));
  };
  const STEP_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000];

  const SMOOTHING_KEY = 'grpo4j.smoothing', SMOOTHING = 0.6;
  const state = { runs: [], metrics: [], visible: [], charts: {}, version: null, rollRun: 0, step: null, from: 0, colourBy: 'adv', page: null,
    smoothing: storedSmoothing() };
  window.grpo4j = state; // read by the end-to-end test

  function colour(i) { return COLOURS[i % COLOURS.length]; }
  // The same colour, faint: the raw line behind a smoothed one.
  function faint(i) {
    const c = colour(i);
    return 'rgba(' + [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16)).join(',') + ',0.25)';
  }

  function storedSmoothing() {
    try {
      const v = parseFloat(window.localStorage.getItem(SMOOTHING_KEY));
      return Number.isFinite(v) && v >= 0 && v <= 0.99 ? v : SMOOTHING;
    } catch (e) { return SMOOTHING; } // file:// pages may have no storage
  }

  // TensorBoard's smoothing: an exponential moving average s_k = w s_{k-1} + (1 - w) y_k from
  // s_0 = 0, divided by 1 - w^n (n points so far) so the start is not pulled towards 0; missing
  // and non-finite points are skipped (they stay gaps).
  function ema(ys, w) {
    let last = 0, n = 0;
    return ys.map((v) => {
      if (v === null || v === undefined || !Number.isFinite(v)) return null;
      last = last * w + (1 - w) * v;
      n++;
      return last / (1 - Math.pow(w, n));
    });
  }
  window.grpo4jEma = ema; // read by the end-to-end test

  // ---------- curves ----------
  function metricNames() {
    const names = new Set();
    state.metrics.forEach((m) => m && Object.keys(m.columns).forEach((k) => {
      if (!HIDDEN.has(k) && m.columns[k].some((v) => v !== null)) names.add(k);
    }));
    const ordered = PREFERRED.filter((n) => names.has(n));
    const rest = [...names].filter((n) => !PREFERRED.includes(n)).sort();
    return ordered.concat(rest);
  }

  // Held-out evaluations come every few steps: their points are drawn as they are.
  const smoothed = (name) => !name.startsWith('eval/');

  // [step, raw run 0, smoothed run 0, raw run 1, ...]: each run smoothed along its own points
  // ([step, run 0, run 1, ...] for the eval/* charts).
  function chartData(name) {
    const w = state.smoothing;
    const tables = state.runs.map((r, i) => {
      const m = state.metrics[i];
      const ys = m && m.columns[name] ? m.columns[name] : [];
      const raw = m ? m.step.map((_, k) => (ys[k] === undefined ? null : ys[k])) : [];
      return smoothed(name) ? [m ? m.step : [], raw, ema(raw, w)] : [m ? m.step : [], raw];
    });
    return uPlot.join(tables);
  }

  function drawCharts() {
    const box = $('#charts');
    const names = metricNames();
    const every = Math.max(1, ...state.metrics.map((m) => (m ? m.every : 1)));
    $('#curves-hint').textContent = (every > 1 ? 'Each point is the mean of ' + every + ' steps. ' : '') +
      'Drag to zoom, double-click to reset, click a legend entry to hide a line; hover shows values (raw and smoothed;' +
      ' eval/* points are not smoothed).';
    for (const name of names) {
      const data = chartData(name);
      let c = state.charts[name];
      if (c) { c.setData(data, true); continue; }
      const div = el('div', { class: 'chart', 'data-metric': name }, el('h3', { text: name }));
      box.append(div);
      const sparse = name.startsWith('eval/') || data[0].length < 60;
      const opts = {
        width: Math.max(380, div.clientWidth - 12), height: 210,
        scales: { x: { time: false } },
        axes: [{ label: 'step', size: 36, incrs: STEP_INCRS }, { size: 64, values: (u, vals) => vals.map(tick) }],
        cursor: { drag: { x: true, y: false } },
        series: [{ label: 'step', value: (u, v) => (v === null ? '\u2014' : v) }].concat(state.runs.flatMap((r, i) => (smoothed(name) ? [{
          label: r.name + ' (raw)', stroke: faint(i), width: 1, spanGaps: true, show: state.visible[i],
          points: { show: sparse, size: 5 }, value: (u, v) => fmt(v),
        }, {
          label: r.name + ' (smoothed)', stroke: colour(i), width: 1.5, spanGaps: true, show: state.visible[i],
          points: { show: false }, value: (u, v) => fmt(v),
        }] : [{
          label: r.name, stroke: colour(i), width: 1.5, spanGaps: true, show: state.visible[i],
          points: { show: sparse, size: 5 }, value: (u, v) => fmt(v),
        }]))),
      };
      state.charts[name] = new uPlot(opts, data, div);
    }
  }

  function drawRunToggles() {
    const box = $('#runs');
    box.innerHTML = '';
    state.runs.forEach((r, i) => {
      const cb = el('input', { type: 'checkbox', 'data-run': String(i) });
      cb.checked = state.visible[i];
      cb.addEventListener('change', () => {
        state.visible[i] = cb.checked;
        Object.entries(state.charts).forEach(([name, u]) => {
          if (!smoothed(name)) { u.setSeries(i + 1, { show: cb.checked }); return; }
          u.setSeries(2 * i + 1, { show: cb.checked });
          u.setSeries(2 * i + 2, { show: cb.checked });
        });
      });
      const sw = el('span', { class: 'swatch' });
      sw.style.background = colour(i);
      box.append(el('label', { title: r.dir }, cb, sw, r.name));
    });
  }

  function wireSmoothing() {
    const input = $('#smoothing');
    const show = () => { $('#smoothing-value').textContent = state.smoothing.toFixed(2); };
    input.value = String(state.smoothing);
    show();
    input.addEventListener('input', () => {
      state.smoothing = Math.min(0.99, Math.max(0, parseFloat(input.value) || 0));
      show();
      try { window.localStorage.setItem(SMOOTHING_KEY, String(state.smoothing)); } catch (e) { /* no storage */ }
      drawCharts();
    });
  }

  // ---------- eval table ----------
  function drawEval(summaries) {
    const box = $('#eval');
    box.innerHTML = '';
    let any = false;
    summaries.forEach((s, i) => {
      if (!s) return;
      // Columns: the summary's evaluation blocks (objects holding a success_rate), e.g. sft and grpo.
      const cols = Object.keys(s).filter((k) => s[k] && typeof s[k] === 'object' && typeof s[k].success_rate === 'number');
      if (!cols.length) return;
      any = true;
      const rows = [];
      cols.forEach((c) => Object.keys(s[c]).forEach((k) => { if (typeof s[c][k] === 'number' && !rows.includes(k)) rows.push(k); }));
      const head = el('tr', {}, el('th', { text: 'metric' }), ...cols.map((c) => el('th', { text: c })));
      if (cols.length === 2) head.append(el('th', { text: cols[1] + ' \u2212 ' + cols[0] }));
      const t = el('table', { class: 'eval', 'data-run': String(i) }, head);
      rows.forEach((k) => {
        const tr = el('tr', {}, el('td', { text: k }), ...cols.map((c) => el('td', { text: fmt(s[c][k]) })));
        if (cols.length === 2) tr.append(el('td', { text: (s[cols[1]][k] - s[cols[0]][k] >= 0 ? '+' : '') + fmt(s[cols[1]][k] - s[cols[0]][k]) }));
        t.append(tr);
      });
      box.append(el('h3', { text: state.runs[i].name + ' \u2014 held-out evaluation (' + (s.eval_size || '?') + ' problems)' }), t);
    });
    if (!any) box.append(el('p', { class: 'hint', text: 'No summary.json with evaluation results in these runs (quickstart writes one).' }));
  }

  // ---------- rollouts ----------
  const FIELDS = { adv: 'advantage A_t', r: 'token reward r_t', entropy: 'entropy', logprob: 'log-prob' };

  // Whether token k of a completion was written by an environment (an episode's observation).
  const isObs = (c, k) => !!(c.observation && c.observation[k]);

  function scaleFor(groups) {
    let m = 0;
    groups.forEach((g) => g.completions.forEach((c) => (c.values[state.colourBy] || []).forEach((v, k) => {
      if (v !== null && !isObs(c, k)) m = Math.max(m, Math.abs(v));
    })));
    return m > 0 ? m : 1;
  }

  // Diverging (blue - white - red) for signed values, sequential for entropy (white - purple) and
  // log-prob (white at 0 - orange for unlikely tokens).
  function tokenColour(v, s) {
    if (v === null || v === undefined) return '#e6e6e6';
    const t = Math.sqrt(Math.min(1, Math.abs(v) / s)); // square-root scale: small values stay visible
    const mix = (c) => 'rgb(' + c.map((x) => Math.round(255 + (x - 255) * t)).join(',') + ')';
    if (state.colourBy === 'entropy') return mix([118, 42, 131]);
    if (state.colourBy === 'logprob') return mix([230, 97, 1]);
    return v >= 0 ? mix([202, 0, 32]) : mix([5, 113, 176]);
  }

  function drawScale(s) {
    const bar = $('#scale-bar');
    const signed = state.colourBy === 'adv' || state.colourBy === 'r';
    const ends = signed ? [tokenColour(-s, s), '#fff', tokenColour(s, s)] : ['#fff', tokenColour(s, s)];
    bar.style.background = 'linear-gradient(to right,' + ends.join(',') + ')';
    $('#scale-lo').textContent = signed ? fmt(-s, 3) : (state.colourBy === 'logprob' ? '0' : '0');
    $('#scale-hi').textContent = state.colourBy === 'logprob' ? fmt(-s, 3) : fmt(s, 3);
  }

  function showTip(ev, g, c, k) {
    const tip = $('#tip');
    const val = (f) => (c.values[f] ? c.values[f][k] : null);
    const rows = isObs(c, k)
      ? [['token', el('code', { text: JSON.stringify(c.tokens[k]) })], ['position', String(k)],
        ['from', 'the environment: an observation, in the context but not trained on (no loss, advantage or KL)']]
      : [['token', el('code', { text: JSON.stringify(c.tokens[k]) })], ['position', String(k)],
        ['log-prob', fmt(val('logprob'))], ['entropy', fmt(val('entropy'))], ['r_t', fmt(val('r'))], ['A_t', fmt(val('adv'))],
        ['reward R', fmt(c.reward)], ['group baseline', fmt(g.baseline)], ['group rewards', g.rewards.map((x) => fmt(x, 3)).join(' ')],
        ['reason', c.reason || '\u2014']];
    tip.innerHTML = '';
    const t = el('table');
    rows.forEach(([a, b]) => t.append(el('tr', { 'data-field': a }, el('td', { text: a }), el('td', {}, b))));
    tip.append(t);
    tip.style.display = 'block';
    const x = Math.min(ev.clientX + 14, window.innerWidth - 370);
    tip.style.left = x + 'px';
    tip.style.top = (ev.clientY + 16) + 'px';
  }

  function drawRollouts() {
    const page = state.page;
    const box = $('#groups');
    box.innerHTML = '';
    if (!page) { box.append(el('p', { class: 'hint', text: 'No samples.jsonl rows in this run.' })); return; }
    const has = new Set();
    page.groups.forEach((g) => g.completions.forEach((c) => Object.keys(c.values).forEach((f) => has.add(f))));
    document.querySelectorAll('#colour-by option').forEach((o) => {
      o.disabled = !has.has(o.value);
      o.textContent = FIELDS[o.value] + (has.has(o.value) ? '' : ' (not logged)');
    });
    const s = scaleFor(page.groups);
    drawScale(s);
    $('#page-info').textContent = 'rows ' + (page.from + 1) + '\u2013' + (page.from + page.groups.reduce((a, g) => a + g.completions.length, 0)) + ' of ' + page.total;
    $('#prev-page').disabled = page.from === 0;
    $('#next-page').disabled = page.from + PAGE >= page.total;
    page.groups.forEach((g) => {
      const gd = el('div', { class: 'group', 'data-group': String(g.group) },
        el('div', { class: 'ginfo', text: 'group ' + g.group + ' \u00b7 ' + g.logged + ' completion(s) logged \u00b7 baseline (mean reward) ' + fmt(g.baseline, 3) + ' \u00b7 rewards ' + g.rewards.map((x) => fmt(x, 3)).join(', ') }),
        el('div', { class: 'prompt', text: g.prompt }));
      g.completions.forEach((c) => {
        const meta = el('div', { class: 'meta' }, el('span', { class: c.success ? 'ok' : 'bad', text: c.success ? '\u2713 success' : '\u2717 fail' }),
          ' \u00b7 #' + c.index + (c.observation ? ' \u00b7 ' + c.turns + ' turn' + (c.turns === 1 ? '' : 's') : '') +
          ' \u00b7 reward ' + fmt(c.reward, 3) + ' \u00b7 ' + (c.reason || ''));
        const toks = el('div', { class: 'tokens' });
        const vals = c.values[state.colourBy] || [];
        // An episode is drawn turn by turn: the model's turns inline and coloured, each observation
        // a block of its own, uncoloured.
        let box = toks, turn = 0;
        c.tokens.forEach((t, k) => {
          const obs = isObs(c, k);
          if (c.observation && (k === 0 || obs !== isObs(c, k - 1))) {
            if (obs) {
              box = el('div', { class: 'obs', 'data-turn': String(turn) }, el('span', { class: 'obs-label', text: 'environment' }));
            } else {
              turn++;
              box = el('span', { class: 'turn', 'data-turn': String(turn) }, el('span', { class: 'turn-label', text: 'turn ' + turn }));
            }
            toks.append(box);
          }
          const nl = t.endsWith('\n');
          const span = el('span', { class: 'tok' + (nl ? ' nl' : '') + (obs ? ' obs-tok' : ''), 'data-k': String(k), text: nl ? t.slice(0, -1) : t });
          if (!obs) span.style.background = tokenColour(vals[k], s);
          span.addEventListener('mouseenter', (ev) => showTip(ev, g, c, k));
          span.addEventListener('mouseleave', () => { $('#tip').style.display = 'none'; });
          box.append(span);
          if (nl) box.append('\n');
        });
        gd.append(el('div', { class: 'completion', 'data-index': String(c.index) }, meta, toks));
      });
      box.append(gd);
    });
  }

  function loadRollouts() {
    if (state.step === null) { state.page = null; drawRollouts(); return Promise.resolve(); }
    return api.rollouts(state.rollRun, state.step, state.from).then((p) => { state.page = p; drawRollouts(); });
  }

  function loadSteps(keepStep) {
    return api.steps(state.rollRun).then((s) => {
      const sel = $('#step');
      const prev = keepStep ? state.step : null;
      sel.innerHTML = '';
      s.steps.forEach((st, k) => sel.append(el('option', { value: String(st), text: 'step ' + st + ' (' + s.rows[k] + ' rows)' })));
      state.steps = s.steps;
      state.step = s.steps.length ? (prev !== null && s.steps.includes(prev) ? prev : s.steps[s.steps.length - 1]) : null;
      if (state.step !== null) sel.value = String(state.step);
    });
  }

  function wireRollouts() {
    const runSel = $('#roll-run');
    state.runs.forEach((r, i) => runSel.append(el('option', { value: String(i), text: r.name })));
    runSel.addEventListener('change', () => { state.rollRun = +runSel.value; state.from = 0; loadSteps(false).then(loadRollouts); });
    $('#step').addEventListener('change', () => { state.step = +$('#step').value; state.from = 0; loadRollouts(); });
    const move = (d) => {
      const k = state.steps.indexOf(state.step) + d;
      if (k < 0 || k >= state.steps.length) return;
      state.step = state.steps[k]; state.from = 0; $('#step').value = String(state.step); loadRollouts();
    };
    $('#prev-step').addEventListener('click', () => move(-1));
    $('#next-step').addEventListener('click', () => move(1));
    $('#prev-page').addEventListener('click', () => { state.from = Math.max(0, state.from - PAGE); loadRollouts(); });
    $('#next-page').addEventListener('click', () => { state.from += PAGE; loadRollouts(); });
    $('#colour-by').addEventListener('change', () => { state.colourBy = $('#colour-by').value; drawRollouts(); });
  }

  // ---------- live polling ----------
  function poll() {
    api.version().then((v) => {
      if (v.version === state.version) return;
      state.version = v.version;
      return Promise.all(state.runs.map((r, i) => api.metrics(i))).then((ms) => {
        state.metrics = ms; drawCharts();
        $('#live').textContent = 'live \u00b7 updated ' + new Date().toLocaleTimeString();
        return loadSteps(true);
      });
    }).catch((e) => { $('#live').textContent = 'live \u00b7 ' + e.message; })
      .finally(() => setTimeout(poll, POLL_MS));
  }

  function start() {
    api.runs().then((runs) => {
      state.runs = runs;
      state.visible = runs.map(() => true);
      drawRunToggles();
      return Promise.all([Promise.all(runs.map((r, i) => api.metrics(i))), Promise.all(runs.map((r, i) => (r.summary ? api.summary(i) : null))),
        G.mode === 'live' ? api.version() : Promise.resolve({ version: 'static' })]);
    }).then(([ms, sums, v]) => {
      state.metrics = ms;
      state.version = v.version;
      wireSmoothing();
      drawCharts();
      drawEval(sums);
      wireRollouts();
      return loadSteps(false).then(loadRollouts);
    }).then(() => {
      document.body.setAttribute('data-ready', 'true');
      if (G.mode === 'live') { $('#live').textContent = 'live \u00b7 polling every ' + POLL_MS / 1000 + ' s'; setTimeout(poll, POLL_MS); }
      else $('#live').textContent = 'report written ' + (G.data.written || '');
    }).catch((e) => {
      $('#error').textContent = String(e && e.message ? e.message : e);
      document.body.setAttribute('data-ready', 'error');
    });
  }

  document.addEventListener('DOMContentLoaded', start);
})();
