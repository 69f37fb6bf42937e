/** Types shared by the model builders, the trainer, the artifact and the nodes. */

export type ModelType = 'lstm' | 'attention' | 'gca';

/** Every model type, in the order the docs list them. */
export const MODEL_TYPES: readonly ModelType[] = ['lstm', 'attention', 'gca'];

/** Architecture settings (part of the stored artifact). */
export interface ModelConfig {
  type: ModelType;
  /** LSTM units per layer (d). Default 32. */
  units: number;
  /** Recurrent layers for type 'lstm' (1 or 2). GCA always has two (encoder + gated layer). */
  layers: number;
  /** Attention units (da) for 'attention' and 'gca'. Default 16. */
  attentionUnits: number;
  /** GCA refinement iterations N (1-3). Default 2. */
  iterations: number;
  /** GCA: re-weight the features of each step by a softmax over features ("spatial" attention). */
  featureAttention: boolean;
  /** Linear autoregressive path beside the recurrent one (LSTNet "highway"). Default true. */
  highway: boolean;
  /** Seed of the weight initialisers and the shuffling. */
  seed: number;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  type: 'lstm',
  units: 32,
  layers: 1,
  attentionUnits: 16,
  iterations: 2,
  featureAttention: false,
  highway: true,
  seed: 42,
};
