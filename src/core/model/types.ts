/** The shapes a graph is built for and what a model type's builder returns. */
import type * as TF from '../base/tfjs';
import type { ModelConfig } from '../settings/model';

/** Shapes a graph is built for. */
export interface GraphSpec {
  /** Window length L (time steps). */
  window: number;
  /** Number of input features F. */
  features: number;
  /** Forecast horizon H. */
  horizon: number;
}

export interface ForecastGraph {
  train: TF.LayersModel;
  serve: TF.LayersModel;
  /** Refinement iterations N (rows of the train output and of the attention). */
  iterations: number;
  /** True when `serve` has a second output: attention [B, N, L]. */
  hasAttention: boolean;
}

export type GraphBuilder = (spec: GraphSpec, cfg: ModelConfig) => ForecastGraph;
