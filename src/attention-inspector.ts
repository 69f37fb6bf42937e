/**
 * attention-inspector: what a forecast attended to, from lstm-predict's output.
 * Output 1: the numbers; output 2: Dashboard 2 chart points; output 3: an SVG heat map.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ForecastError, describe } from './core/base/errors';
import { inspectAttention } from './core/analysis/attention-report';
import { MAX_TIME, type ForecastPayload } from './core/serve/forecast-message';
import { parseTime } from './core/base/time';
import { clip, onInput, refuse, statusText } from './glue/node-util';
import { MODEL_SETTINGS } from './core/settings/model';
import { WINDOWER_SETTINGS } from './core/settings/windower';
import { groupParser, parseAll } from './glue/node-settings';
import { INSPECTOR_NODE_SETTINGS, type InspectorNodeSettings } from './core/settings/inspector-node';

type InspectorNodeDef = NodeDef & Record<string, unknown>;

const parseSettings = groupParser(INSPECTOR_NODE_SETTINGS, 'attention-inspector setting');

/** The forecast with attention in msg.payload (or msg.forecast, as chart mode puts it). */
function forecastOf(
  msg: Record<string, unknown>,
): ForecastPayload & { attention: NonNullable<ForecastPayload['attention']> } {
  const candidates = [msg.payload, msg.forecast];
  for (const c of candidates) {
    const f = c as ForecastPayload | undefined;
    if (f && typeof f === 'object' && !Array.isArray(f) && f.attention && typeof f.attention === 'object')
      return f as never;
  }
  const p = msg.payload as ForecastPayload | undefined;
  if (p && typeof p === 'object' && !Array.isArray(p) && Array.isArray(p.forecast)) {
    throw new ForecastError(
      'BAD_INPUT',
      `expected a forecast with attention weights (train the model with type 'attention' or 'gca'), got a forecast of model '${p.model}' without attention`,
      'no attention',
    );
  }
  throw new ForecastError(
    'BAD_INPUT',
    `expected msg.payload to be one forecast from lstm-predict with payload.attention ({weights: [N][L], timestamps, values}), got ${describe(msg.payload)}`,
    'not a forecast',
  );
}

/** The most iterations and steps a forecast's attention can have (the declared model and window bounds). */
const MAX_ITERATIONS = MODEL_SETTINGS.iterations.maximum;
const MAX_STEPS = WINDOWER_SETTINGS.window.maximum;
/** The most feature-attention cells (N x L x F) read: bounds the heat map and the output. */
const MAX_CELLS = 1e6;
/** Feature names copied to the output: bounded in count and length. */
const MAX_FEATURES = 1000;
const MAX_NAME = 200;

const limit = (message: string) => new ForecastError('LIMIT', message, 'attention too large');

/**
 * Checks what the inspector copies from the forecast into its output (numbers
 * must be finite, names texts) and the size of the attention, before any work.
 */
function checkForecast(f: ForecastPayload & { attention: NonNullable<ForecastPayload['attention']> }): void {
  const p = f as unknown as Record<string, unknown>;
  for (const k of ['model', 'series', 'target']) {
    if (p[k] !== undefined && typeof p[k] !== 'string') {
      throw new ForecastError(
        'BAD_INPUT',
        `expected payload.${k} to be a text, got ${describe(p[k])}`,
        'not a forecast',
      );
    }
  }
  for (const k of ['version', 'origin']) {
    if (p[k] !== undefined && !(typeof p[k] === 'number' && Number.isFinite(p[k]))) {
      throw new ForecastError(
        'BAD_INPUT',
        `expected payload.${k} to be a finite number, got ${describe(p[k])}`,
        'not a forecast',
      );
    }
  }
  const { weights, featureWeights, timestamps, features } = f.attention;
  const at = (f as { attribution?: unknown }).attribution;
  if (at !== undefined) {
    const { values, linear } = (at ?? {}) as { values?: unknown; linear?: unknown };
    for (const m of [values, linear]) {
      if (Array.isArray(m) && (m.length > MAX_STEPS || m.some((r) => Array.isArray(r) && r.length > MAX_FEATURES)))
        throw limit(`expected an attribution of at most ${MAX_STEPS} steps x ${MAX_FEATURES} features`);
    }
  }
  if (Array.isArray(timestamps)) {
    // parseTime takes any finite number; one beyond the Date range would print as NaN in the heat map.
    const i = timestamps.findIndex((t) => {
      const ms = parseTime(t);
      return ms !== undefined && !(Math.abs(ms) <= MAX_TIME);
    });
    if (i >= 0) {
      throw new ForecastError(
        'BAD_TIMESTAMP',
        `expected attention timestamps within the Date range (|t| <= ${MAX_TIME} ms), got ${describe(timestamps[i])} at step ${i}`,
        'bad timestamp',
      );
    }
  }
  if (
    featureWeights !== undefined &&
    !(
      Array.isArray(features) &&
      features.length <= MAX_FEATURES &&
      features.every((n) => typeof n === 'string' && n.length <= MAX_NAME)
    )
  ) {
    throw new ForecastError(
      'BAD_INPUT',
      `expected attention.features to be the feature names (at most ${MAX_FEATURES} texts of at most ${MAX_NAME} characters) beside featureWeights, got ${describe(features)}`,
      'bad attention',
    );
  }
  if (Array.isArray(weights) && weights.length > MAX_ITERATIONS) {
    throw limit(`expected at most ${MAX_ITERATIONS} attention rows (iterations), got ${weights.length}`);
  }
  if (Array.isArray(weights) && weights.some((r) => Array.isArray(r) && r.length > MAX_STEPS)) {
    throw limit(`expected at most ${MAX_STEPS} attention weights per row (window steps)`);
  }
  if (Array.isArray(featureWeights)) {
    let cells = 0;
    for (const n of featureWeights) {
      if (!Array.isArray(n)) continue;
      if (n.length > MAX_STEPS) throw limit(`expected at most ${MAX_STEPS} steps of feature attention`);
      for (const step of n) cells += Array.isArray(step) ? step.length : 1;
      if (cells > MAX_CELLS) throw limit(`expected at most ${MAX_CELLS} feature attention weights`);
    }
  }
}

/** The finite numbers of a list from the message (a non-finite number never leaves the node). */
function finiteList(v: unknown): number[] | null {
  return Array.isArray(v) && v.length <= MAX_STEPS && v.every((x) => typeof x === 'number' && Number.isFinite(x))
    ? (v as number[])
    : null;
}

const finiteOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export = function (RED: NodeAPI): void {
  function AttentionInspectorNode(this: Node, def: InspectorNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: InspectorNodeSettings;
    try {
      ({ settings } = parseAll<{ settings: InspectorNodeSettings }>('attention-inspector', {
        settings: () => parseSettings(def),
      }));
    } catch (err) {
      refuse(node, err, RED._);
      return;
    }
    const k = settings.topK;
    node.status({});

    onInput(node, RED._, (msg, send, done) => {
      const f = forecastOf(msg);
      checkForecast(f);
      const a = f.attention;
      const report = inspectAttention(
        {
          weights: a.weights,
          timestamps: a.timestamps,
          values: a.values,
          featureNames: a.features,
          featureMap: a.featureWeights,
          ...(settings.attribution && f.attribution
            ? { attribution: { values: f.attribution.values, linear: f.attribution.linear } }
            : {}),
        },
        k,
        {
          // Names in the default title come from the message: bounded like the title setting.
          title:
            settings.title ||
            clip(
              `Attention of '${f.model}' v${f.version}${f.series ? ` (${f.series})` : ''}`,
              INSPECTOR_NODE_SETTINGS.title.maxLength,
            ),
        },
      );
      const last = report.iterations[report.iterations.length - 1];
      const summary = {
        model: f.model,
        version: f.version,
        series: f.series,
        target: f.target,
        origin: f.origin,
        iterations: a.weights.length,
        weights: a.weights,
        top: report.top,
        effectiveWidth: last.effectiveWidth,
        perIteration: report.iterations,
        ...(a.featureWeights ? { features: a.features, featureWeights: a.featureWeights } : {}),
        ...(report.attribution && f.attribution
          ? {
              attribution: {
                ...report.attribution,
                values: f.attribution.values,
                linear: f.attribution.linear,
                baselineForecast: finiteList(f.attribution.baselineForecast),
                completenessError: finiteOrNull(f.attribution.completenessError),
                method: f.attribution.method,
                baseline: f.attribution.baseline,
              },
            }
          : {}),
      };
      send([
        { ...msg, payload: summary } as NodeMessage,
        { ...msg, topic: 'attention', payload: report.chart } as NodeMessage,
        { ...msg, payload: report.svg, format: 'svg' } as NodeMessage,
      ]);
      node.status({
        fill: 'green',
        shape: 'dot',
        // From the catalogue and under 20 characters: the attention's peak lag and effective width, or with an
        // attribution both peak lags (attention / attribution); the widths and the rest are in the output.
        text: statusText(
          report.attribution
            ? RED._('attention-inspector.status.peakAttribution', {
                lag: last.peakLag,
                attrLag: report.attribution.peakLag,
              })
            : RED._('attention-inspector.status.peak', { lag: last.peakLag, width: last.effectiveWidth.toFixed(1) }),
        ),
      });
      done();
    });
  }

  RED.nodes.registerType('attention-inspector', AttentionInspectorNode);
};
