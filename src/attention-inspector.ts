/**
 * attention-inspector: what a forecast attended to, and where its value came from (its attribution), from
 * lstm-predict's output; a forecast without attention (a plain lstm) is shown by its attribution alone.
 * Output 1: the numbers; output 2: Dashboard 2 chart points; output 3: an SVG heat map.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { describe } from './core/base/errors';
import { fail } from './core/base/messages';
import { inspectAttention, inspectAttribution, type AttributionSummary } from './core/analysis/attention-report';
import { MAX_TIME, type ForecastPayload } from './core/serve/forecast-message';
import { parseTime } from './core/base/time';
import { clip, onInput, refuse, statusText } from './glue/node-util';
import { MODEL_SETTINGS } from './core/settings/model';
import { WINDOWER_SETTINGS } from './core/settings/windower';
import { groupParser, parseAll } from './glue/node-settings';
import { INSPECTOR_NODE_SETTINGS, type InspectorNodeSettings } from './core/settings/inspector-node';

type InspectorNodeDef = NodeDef & Record<string, unknown>;

const parseSettings = groupParser(INSPECTOR_NODE_SETTINGS, 'attention-inspector setting');

type WithAttention = ForecastPayload & { attention: NonNullable<ForecastPayload['attention']> };
type WithAttribution = ForecastPayload & { attribution: NonNullable<ForecastPayload['attribution']> };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The forecast in msg.payload (or msg.forecast, as chart mode puts it): one with attention, else (a model without
 * attention, e.g. a plain lstm) one with an attribution when the node shows attributions.
 */
function forecastOf(msg: Record<string, unknown>, attribution: boolean): WithAttention | WithAttribution {
  const candidates = [msg.payload, msg.forecast].filter(isObject) as unknown as ForecastPayload[];
  const attended = candidates.find((f) => isObject(f.attention));
  if (attended) return attended as WithAttention;
  const attributed = candidates.find((f) => isObject(f.attribution));
  if (attributed && attribution) return attributed as WithAttribution;
  const p = msg.payload as ForecastPayload | undefined;
  if (attributed || (isObject(p) && Array.isArray(p.forecast))) {
    const f = attributed ?? (p as ForecastPayload);
    throw attributed
      ? fail('BAD_INPUT', 'inspectorNode.attributionOff', { model: String(f.model) }, 'no attention')
      : fail('BAD_INPUT', 'inspectorNode.noAttention', { model: String(f.model) }, 'no attention');
  }
  throw fail('BAD_INPUT', 'inspectorNode.notForecast', { got: describe(msg.payload) }, 'not a forecast');
}

/** The most iterations and steps a forecast's attention can have (the declared model and window bounds). */
const MAX_ITERATIONS = MODEL_SETTINGS.iterations.maximum;
const MAX_STEPS = WINDOWER_SETTINGS.window.maximum;
/** The most feature-attention cells (N x L x F) read: bounds the heat map and the output. */
const MAX_CELLS = 1e6;
/** Feature names copied to the output: bounded in count and length. */
const MAX_FEATURES = 1000;
const MAX_NAME = 200;
/** The status of every size limit below. */
const TOO_LARGE = 'attention too large';

/**
 * Checks what the inspector copies from the forecast into its output (numbers
 * must be finite, names texts) and the size of the attention, before any work.
 */
function checkForecast(f: WithAttention | WithAttribution): void {
  const p = f as unknown as Record<string, unknown>;
  for (const k of ['model', 'series', 'target']) {
    if (p[k] !== undefined && typeof p[k] !== 'string') {
      throw fail('BAD_INPUT', 'inspectorNode.notText', { k, got: describe(p[k]) }, 'not a forecast');
    }
  }
  for (const k of ['version', 'origin']) {
    if (p[k] !== undefined && !(typeof p[k] === 'number' && Number.isFinite(p[k]))) {
      throw fail('BAD_INPUT', 'inspectorNode.notNumber', { k, got: describe(p[k]) }, 'not a forecast');
    }
  }
  const at = (f as { attribution?: unknown }).attribution;
  // Without attention the attribution carries the window's times and the feature names.
  const { weights, featureWeights, timestamps, features } = isObject(f.attention)
    ? f.attention
    : {
        weights: undefined,
        featureWeights: undefined,
        timestamps: (at as { timestamps?: unknown }).timestamps as unknown[] | undefined,
        features: (at as { features?: unknown }).features as string[] | undefined,
      };
  const named = isObject(f.attention) ? featureWeights !== undefined : features !== undefined;
  if (Array.isArray(timestamps) && timestamps.length > MAX_STEPS)
    throw fail('LIMIT', 'inspectorNode.tooManySteps', { max: MAX_STEPS, got: timestamps.length }, TOO_LARGE);
  if (at !== undefined) {
    const { values, linear } = (at ?? {}) as { values?: unknown; linear?: unknown };
    for (const m of [values, linear]) {
      if (Array.isArray(m) && (m.length > MAX_STEPS || m.some((r) => Array.isArray(r) && r.length > MAX_FEATURES)))
        throw fail(
          'LIMIT',
          'inspectorNode.attributionTooLarge',
          { steps: MAX_STEPS, features: MAX_FEATURES },
          TOO_LARGE,
        );
    }
  }
  if (Array.isArray(timestamps)) {
    // parseTime takes any finite number; one beyond the Date range would print as NaN in the heat map.
    const i = timestamps.findIndex((t) => {
      const ms = parseTime(t);
      return ms !== undefined && !(Math.abs(ms) <= MAX_TIME);
    });
    if (i >= 0) {
      throw fail(
        'BAD_TIMESTAMP',
        'inspectorNode.badTimestamp',
        { max: MAX_TIME, got: describe(timestamps[i]), i },
        'bad timestamp',
      );
    }
  }
  if (
    named &&
    !(
      Array.isArray(features) &&
      features.length <= MAX_FEATURES &&
      features.every((n) => typeof n === 'string' && n.length <= MAX_NAME)
    )
  ) {
    const names = { max: MAX_FEATURES, chars: MAX_NAME, got: describe(features) };
    throw isObject(f.attention)
      ? fail('BAD_INPUT', 'inspectorNode.badAttentionNames', names, 'bad attention')
      : fail('BAD_INPUT', 'inspectorNode.badAttributionNames', names, 'bad attention');
  }
  if (Array.isArray(weights) && weights.length > MAX_ITERATIONS) {
    throw fail('LIMIT', 'inspectorNode.tooManyRows', { max: MAX_ITERATIONS, got: weights.length }, TOO_LARGE);
  }
  if (Array.isArray(weights) && weights.some((r) => Array.isArray(r) && r.length > MAX_STEPS)) {
    throw fail('LIMIT', 'inspectorNode.rowTooLong', { max: MAX_STEPS }, TOO_LARGE);
  }
  if (Array.isArray(featureWeights)) {
    let cells = 0;
    for (const n of featureWeights) {
      if (!Array.isArray(n)) continue;
      if (n.length > MAX_STEPS) throw fail('LIMIT', 'inspectorNode.featureStepsTooMany', { max: MAX_STEPS }, TOO_LARGE);
      for (const step of n) cells += Array.isArray(step) ? step.length : 1;
      if (cells > MAX_CELLS) throw fail('LIMIT', 'inspectorNode.featureCellsTooMany', { max: MAX_CELLS }, TOO_LARGE);
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

/** Output 1's attribution: the inspector's summary beside what the forecast carried (only finite numbers copied). */
function attributionOutput(
  summary: AttributionSummary,
  at: NonNullable<ForecastPayload['attribution']>,
): AttributionSummary & Record<string, unknown> {
  return {
    ...summary,
    values: at.values,
    linear: at.linear,
    baselineForecast: finiteList(at.baselineForecast),
    completenessError: finiteOrNull(at.completenessError),
    method: at.method,
    baseline: at.baseline,
  };
}

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

    /** A forecast without attention (e.g. a plain lstm): its attribution alone, on the same three outputs. */
    function explainByAttribution(
      f: WithAttribution,
      msg: NodeMessage,
      send: (msgs: Array<NodeMessage | null>) => void,
    ): void {
      const at = f.attribution;
      const report = inspectAttribution(
        {
          attribution: { values: at.values, linear: at.linear },
          timestamps: at.timestamps,
          values: at.windowValues,
          featureNames: at.features,
        },
        k,
        {
          title:
            settings.title ||
            clip(
              `Attribution of '${f.model}' v${f.version}${f.series ? ` (${f.series})` : ''}`,
              INSPECTOR_NODE_SETTINGS.title.maxLength,
            ),
        },
      );
      const summary = {
        model: f.model,
        version: f.version,
        series: f.series,
        target: f.target,
        origin: f.origin,
        attention: null,
        top: report.top,
        effectiveWidth: report.attribution.effectiveWidth,
        features: at.features,
        attribution: attributionOutput(report.attribution, at),
      };
      // Status from the catalogue, under 20 characters: the attribution's peak lag; its width and the rest are output.
      emit(
        msg,
        send,
        summary,
        'attribution',
        report,
        RED._('attention-inspector.status.attribution', { lag: report.attribution.peakLag }),
      );
    }

    /** The three outputs (numbers, chart points under `topic`, the SVG) and the green status `text`. */
    function emit(
      msg: NodeMessage,
      send: (msgs: Array<NodeMessage | null>) => void,
      summary: Record<string, unknown>,
      topic: string,
      report: { chart: unknown; svg: string },
      text: string,
    ): void {
      send([
        { ...msg, payload: summary } as NodeMessage,
        { ...msg, topic, payload: report.chart } as NodeMessage,
        { ...msg, payload: report.svg, format: 'svg' } as NodeMessage,
      ]);
      node.status({ fill: 'green', shape: 'dot', text: statusText(text) });
    }

    onInput(node, RED._, (msg, send, done) => {
      const found = forecastOf(msg, settings.attribution);
      checkForecast(found);
      if (!isObject(found.attention)) {
        explainByAttribution(found as WithAttribution, msg, send);
        done();
        return;
      }
      const f = found as WithAttention;
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
              attribution: attributionOutput(report.attribution, f.attribution),
            }
          : {}),
      };
      // From the catalogue and under 20 characters: the attention's peak lag and effective width, or with an
      // attribution both peak lags (attention / attribution); the widths and the rest are in the output.
      emit(
        msg as NodeMessage,
        send,
        summary,
        'attention',
        report,
        report.attribution
          ? RED._('attention-inspector.status.peakAttribution', {
              lag: last.peakLag,
              attrLag: report.attribution.peakLag,
            })
          : RED._('attention-inspector.status.peak', { lag: last.peakLag, width: last.effectiveWidth.toFixed(1) }),
      );
      done();
    });
  }

  RED.nodes.registerType('attention-inspector', AttentionInspectorNode);
};
