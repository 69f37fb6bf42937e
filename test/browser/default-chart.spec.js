'use strict';
// Dashboard 2's ui-chart as the palette creates it (every setting at the default its ui_chart.html declares, only
// the group set) must draw our chart outputs as separate lines, with no chart setting changed: lstm-train's
// progress output (loss, validation loss per epoch) and lstm-predict's `chart` output (the next step and the
// interval bands, per forecast). Real Node-RED (scripts/start.js, the pack linked, Dashboard 2), real headless
// chromium; the lines are read from the chart library's (ECharts) instance in the page.
//
// Dashboard 2 registers each chart component in window.uiCharts when window.Cypress exists (its own test hook);
// the spec sets that before the dashboard loads to reach the ECharts instance, whose options hold the drawn series.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const vm = require('vm');
const { ROOT, requireChromium, freePort, startDemo, stopDemo, launchBrowser } = require('../helpers/browser');

const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'browser');
const DATA = path.join(ROOT, 'node_modules', 'vega-datasets', 'data', 'seattle-weather-hourly-normals.csv');
const WINDOW = 24;
const EPOCHS = 3;
/** Readings streamed to lstm-predict after training: WINDOW + FORECASTS - 1 of them give FORECASTS windows. */
const FORECASTS = 5;
/** All lines must be on the charts within this time of Node-RED listening (training takes seconds). */
const DRAWN_MS = 120000;

/** Node ids: unique hex ones, as the editor makes (Node-RED reads a property equal to a config node's id as a reference). */
const ID = Object.fromEntries(
  [
    'tab',
    'base',
    'theme',
    'page',
    'gLoss',
    'gForecast',
    'history',
    'windows',
    'train',
    'replay',
    'stream',
    'predict',
    'lossChart',
    'forecastChart',
  ].map((k, i) => [k, `dc${(i + 1).toString(16).padStart(14, '0')}`]),
);

/** The defaults ui-chart declares in the installed Dashboard 2's editor file, as the palette gives a new node. */
function chartDefaults() {
  const file = require.resolve('@flowfuse/node-red-dashboard/nodes/widgets/ui_chart.html', { paths: [ROOT] });
  const html = fs.readFileSync(file, 'utf8');
  const at = html.indexOf('defaults:', html.indexOf("registerType('ui-chart'"));
  assert.ok(at > 0, `no ui-chart defaults in ${file}`);
  const open = html.indexOf('{', at);
  let depth = 0;
  let end = open;
  for (; end < html.length; end++) {
    if (html[end] === '{') depth++;
    else if (html[end] === '}' && --depth === 0) break;
  }
  // The validators are only called by the editor; stubs let the object literal evaluate.
  const sandbox = {
    numberValidator: () => true,
    RED: { validators: { number: () => () => true } },
    $: () => ({ val: () => undefined, toggleClass: () => undefined }),
  };
  const declared = vm.runInNewContext(`(${html.slice(open, end + 1)})`, sandbox, { timeout: 1000 });
  const out = {};
  for (const [key, d] of Object.entries(declared)) if ('value' in d) out[key] = structuredClone(d.value);
  return out;
}

/** Hourly Seattle temperature normals (vega-datasets, NOAA): `count` rows from the first. */
function rows(count) {
  return fs
    .readFileSync(DATA, 'utf8')
    .trim()
    .split('\n')
    .slice(1, count + 1)
    .map((l) => l.split(','))
    .map(([date, , temperature]) => ({ date, temperature: Number(temperature) }));
}

/** The flow: history -> batch windower -> lstm-train (progress -> chart 1); report -> stream -> predict -> chart 2. */
function chartFlow(predictOutput) {
  const all = rows(300 + WINDOW + FORECASTS - 1);
  const history = all.slice(0, 300);
  const live = all.slice(300).map((r) => ({ timestamp: Date.parse(`${r.date}Z`), temperature: r.temperature }));
  const defaults = chartDefaults();
  const chart = (id, group, y) => ({ ...defaults, id, type: 'ui-chart', z: ID.tab, group, x: 700, y, wires: [[]] });
  return [
    { id: ID.tab, type: 'tab', label: 'default charts', disabled: false, info: '', env: [] },
    { id: ID.base, type: 'ui-base', name: 'charts', path: '/dashboard', includeClientData: true },
    { id: ID.theme, type: 'ui-theme', name: 'theme', colors: { surface: '#ffffff', primary: '#0d74ce' } },
    { id: ID.page, type: 'ui-page', name: 'Charts', ui: ID.base, path: '/charts', layout: 'grid', theme: ID.theme },
    { id: ID.gLoss, type: 'ui-group', name: 'loss', page: ID.page, width: '6', height: '1', order: 1 },
    { id: ID.gForecast, type: 'ui-group', name: 'forecast', page: ID.page, width: '6', height: '1', order: 2 },
    {
      id: ID.history,
      type: 'inject',
      z: ID.tab,
      props: [{ p: 'payload' }],
      payload: JSON.stringify(history),
      payloadType: 'json',
      once: true,
      onceDelay: '0.5',
      repeat: '',
      wires: [[ID.windows]],
    },
    {
      id: ID.windows,
      type: 'sequence-windower',
      z: ID.tab,
      mode: 'batch',
      window: WINDOW,
      stride: 2,
      horizon: 3,
      features: 'temperature',
      target: 'temperature',
      timeField: 'date',
      interval: 3600000,
      wires: [[], [ID.train]],
    },
    {
      id: ID.train,
      type: 'lstm-train',
      z: ID.tab,
      model: 'chart-demo',
      scope: 'flow',
      modelType: 'lstm',
      units: 4,
      epochs: EPOCHS,
      patience: EPOCHS,
      seed: 7,
      batchSize: 32,
      validationFraction: 0.2,
      wires: [[ID.replay], [ID.lossChart]],
    },
    {
      id: ID.replay,
      type: 'function',
      z: ID.tab,
      name: 'stream the next readings',
      func: `const live = ${JSON.stringify(live)};\nreturn [live.map((r) => ({ topic: 'seattle', timestamp: r.timestamp, payload: { temperature: r.temperature } }))];`,
      outputs: 1,
      wires: [[ID.stream]],
    },
    {
      id: ID.stream,
      type: 'sequence-windower',
      z: ID.tab,
      mode: 'stream',
      window: WINDOW,
      horizon: 0,
      features: 'temperature',
      target: 'temperature',
      interval: 3600000,
      wires: [[ID.predict], []],
    },
    {
      id: ID.predict,
      type: 'lstm-predict',
      z: ID.tab,
      model: 'chart-demo',
      scope: 'flow',
      output: predictOutput,
      wires: [[ID.forecastChart], []],
    },
    chart(ID.lossChart, ID.gLoss, 100),
    chart(ID.forecastChart, ID.gForecast, 200),
  ];
}

/** Per chart id: the series ECharts draws, each with its name and the number of points, and the legend's shown. */
function drawn(page, ids) {
  return page.evaluate((wanted) => {
    const out = {};
    for (const id of wanted) {
      const c = window.uiCharts && window.uiCharts[id];
      const instance = c && c.chart && (typeof c.chart.getOption === 'function' ? c.chart : c.chart.value);
      if (!instance) continue;
      const option = instance.getOption();
      const series = (option.series || []).map((s) => {
        const ys = (s.data || []).map((d) => (Array.isArray(d) ? d[1] : d && typeof d === 'object' ? d.y : d));
        return { name: s.name, points: ys.length, finite: ys.every((y) => Number.isFinite(Number(y))) };
      });
      const legend = (option.legend || [])[0];
      out[id] = { series, legend: !!legend && legend.show !== false };
    }
    return out;
  }, ids);
}

describe('Dashboard 2 ui-chart at its defaults in the browser (lstm-train progress, lstm-predict chart)', function () {
  this.timeout(60000);
  let tmp;
  let demo;
  let context;
  let page;
  let failed = false;

  before(async function () {
    this.timeout(150000);
    requireChromium();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-chart-browser-'));
    const userDir = path.join(tmp, 'node-red');
    fs.mkdirSync(userDir, { recursive: true });
    // start.js keeps a flows.json it finds: this flow is deployed instead of the demo.
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(chartFlow('chart'), null, 2));
    const port = await freePort();
    demo = startDemo(port, userDir);
    await demo.started;
    ({ context, page } = await launchBrowser(path.join(tmp, 'chromium')));
    await page.addInitScript(() => {
      window.Cypress = window.Cypress || {};
    });
    await page.goto(`http://127.0.0.1:${port}/dashboard/charts`, { waitUntil: 'domcontentloaded' });
  });

  after(async function () {
    this.timeout(60000);
    if (context) await context.close().catch(() => undefined);
    if (demo) await stopDemo(demo.child);
    if (failed && demo) console.log(`--- Node-RED output (last lines) ---\n${demo.output.join('').slice(-4000)}`);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest.state !== 'failed') return;
    failed = true;
    if (page) {
      await page
        .screenshot({
          path: path.join(ARTIFACTS, `failed-default-chart-${this.currentTest.title.replace(/\W+/g, '-')}.png`),
        })
        .catch(() => undefined);
    }
  });

  it('the flow uses ui-chart exactly as the palette creates it', function () {
    const defaults = chartDefaults();
    // The defaults this spec relies on: series from msg.topic, a number payload plotted at its arrival time.
    assert.deepStrictEqual(
      {
        category: defaults.category,
        categoryType: defaults.categoryType,
        xAxisPropertyType: defaults.xAxisPropertyType,
        yAxisProperty: defaults.yAxisProperty,
        action: defaults.action,
      },
      {
        category: 'topic',
        categoryType: 'msg',
        xAxisPropertyType: 'timestamp',
        yAxisProperty: 'payload',
        action: 'append',
      },
    );
    for (const n of chartFlow('chart').filter((x) => x.type === 'ui-chart')) {
      for (const [key, value] of Object.entries(defaults)) assert.deepStrictEqual(n[key], value, `${n.id}.${key}`);
    }
  });

  it('draws loss and validation loss as two lines, and the forecast and its bands as one line each', async function () {
    this.timeout(DRAWN_MS + 30000);
    const ids = [ID.lossChart, ID.forecastChart];
    const want = {
      [ID.lossChart]: [
        { name: 'loss', points: EPOCHS, finite: true },
        { name: 'validation loss', points: EPOCHS, finite: true },
      ],
      [ID.forecastChart]: ['forecast', '80% lower', '80% upper', '95% lower', '95% upper'].map((line) => ({
        name: `temperature ${line}`,
        points: FORECASTS,
        finite: true,
      })),
    };
    const total = (d) => (d ? d.series.reduce((a, s) => a + s.points, 0) : 0);
    const until = Date.now() + DRAWN_MS;
    let seen = {};
    // Wait until every point has arrived (or more than expected: then the assertion below says how they were split).
    for (;;) {
      seen = await drawn(page, ids);
      if (ids.every((id) => total(seen[id]) >= total({ series: want[id] })) || Date.now() > until) break;
      await page.waitForTimeout(500);
    }
    await page.waitForTimeout(1000); // a straggler would show as an extra point
    seen = await drawn(page, ids);
    await page.screenshot({ path: path.join(ARTIFACTS, 'default-charts.png'), fullPage: true });
    for (const id of ids) {
      assert.ok(seen[id], `chart ${id} was drawn (got ${JSON.stringify(seen)})`);
      assert.ok(seen[id].legend, `chart ${id} shows its legend`);
      const byName = (list) => [...list].sort((a, b) => a.name.localeCompare(b.name));
      assert.deepStrictEqual(
        byName(seen[id].series),
        byName(want[id]),
        `chart ${id}: one line per series with all its points`,
      );
    }
  });
});
