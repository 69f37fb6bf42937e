/**
 * Builds the forecasting networks. Every model type yields two Keras-style models
 * sharing the same layers:
 * - `serve`: input [B, L, F] (scaled, window-relative) -> forecast [B, H]
 *   (scaled, window-relative), plus attention [B, N, L] as a second output for
 *   the attention types. This is the one that is saved in the artifact.
 * - `train`: the same input -> [B, N, H], the forecast of every refinement
 *   iteration (N = 1 except for GCA), so every iteration is supervised: fit it
 *   against the targets tiled N times.
 */
import type { ModelConfig, ModelType } from '../settings/model';
import { buildAttentionGraph } from './attention';
import { buildGcaGraph } from './gca';
import { buildLstmGraph } from './lstm';
import type { ForecastGraph, GraphBuilder, GraphSpec } from './types';

export type { ForecastGraph, GraphBuilder, GraphSpec } from './types';

/**
 * The one registry of model types: every type the settings declare has a
 * builder here (the Record type makes a missing one a compile error). Importing
 * the builders also registers their custom layers for `tf.models.modelFromJSON`.
 */
const BUILDERS: Readonly<Record<ModelType, GraphBuilder>> = {
  lstm: buildLstmGraph,
  attention: buildAttentionGraph,
  gca: buildGcaGraph,
};

/** Builds the train and serve models of `cfg.type`. */
export function buildGraph(spec: GraphSpec, cfg: ModelConfig): ForecastGraph {
  const builder = (BUILDERS as Partial<Record<string, GraphBuilder>>)[cfg.type];
  if (!builder)
    throw new Error(`unknown model type '${cfg.type}' (expected one of ${Object.keys(BUILDERS).join(', ')})`);
  return builder(spec, cfg);
}
