/**
 * The window message: the pack's central contract. The sequence windower
 * produces it; LSTM train and LSTM predict consume it. See README "The window
 * message" and the windower's help text, which describe the same shape.
 */

/** Fields shared by a single window and a dataset of windows. */
export interface WindowMeta {
  /** Series key (the `msg.topic` the readings came with; "" when none). */
  series: string;
  /** Input feature names, in column order of `inputs`. */
  features: string[];
  /** Name of the forecast target; always one of `features`. */
  target: string;
  /** Window length L (rows of `inputs`). */
  window: number;
  /** Forecast horizon H (rows of `targets`); 0 when not set. */
  horizon: number;
  /** Typical interval between readings in ms (median of the differences), or 0 if unknown. */
  step: number;
}

/** One window: L readings x F features, optionally the H target values that followed. */
export interface WindowPayload extends WindowMeta {
  type: 'window';
  /** [L][F] input matrix, oldest row first. */
  inputs: number[][];
  /** [L] epoch ms of each input row. */
  timestamps: number[];
  /** [H][1] target values after the window, when known (training windows). */
  targets?: number[][];
  /** [H] epoch ms of each target row, when known. */
  targetTimestamps?: number[];
}

/** Many windows of one series (batch mode): the training dataset. */
export interface DatasetPayload extends WindowMeta {
  type: 'dataset';
  /** Number of windows N. */
  count: number;
  /** [N][L][F] input windows. */
  inputs: number[][][];
  /** [N][L] epoch ms. */
  timestamps: number[][];
  /** [N][H][1] targets (present when horizon > 0). */
  targets?: number[][][];
  /** [N][H] epoch ms of the targets. */
  targetTimestamps?: number[][];
}

export type WindowLike = WindowPayload | DatasetPayload;
