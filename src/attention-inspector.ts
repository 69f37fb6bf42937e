/**
 * attention-inspector: what a forecast attended to, from lstm-predict's output.
 * Output 1: the numbers; output 2: Dashboard 2 chart points; output 3: an SVG heat map.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ForecastError, describe } from './core/base/errors';
import { inspectAttention } from './core/analysis/attention-report';
import type { ForecastPayload } from './core/serve/forecast-message';
import { onInput, refuse } from './glue/node-util';
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
      refuse(node, err);
      return;
    }
    const k = settings.topK;
    node.status({});

    onInput(node, (msg, send, done) => {
      const f = forecastOf(msg);
      const a = f.attention;
      const report = inspectAttention(
        {
          weights: a.weights,
          timestamps: a.timestamps,
          values: a.values,
          featureNames: a.features,
          featureMap: a.featureWeights,
        },
        k,
        { title: settings.title || `Attention of '${f.model}' v${f.version}${f.series ? ` (${f.series})` : ''}` },
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
      };
      send([
        { ...msg, payload: summary } as NodeMessage,
        { ...msg, topic: 'attention', payload: report.chart } as NodeMessage,
        { ...msg, payload: report.svg, format: 'svg' } as NodeMessage,
      ]);
      node.status({
        fill: 'green',
        shape: 'dot',
        text: `peak lag ${last.peakLag}, width ${last.effectiveWidth.toFixed(1)} of ${a.weights[0].length}`,
      });
      done();
    });
  }

  RED.nodes.registerType('attention-inspector', AttentionInspectorNode);
};
