/**
 * Moving a model out of the pack and back in, as a standard TensorFlow.js layers
 * model: `model.json` (topology + weights manifest, the format
 * `tf.loadLayersModel` reads and `tensorflowjs_converter` turns into Keras) and
 * `weights.bin` (the float32 weights, concatenated in manifest order), plus
 * `forecast-settings.json`: everything else the artifact holds (window settings,
 * scaler, model settings, report), without which the network's numbers mean
 * nothing, and a `preprocessing` text saying how inputs are scaled and outputs
 * turned back into real units.
 *
 * import(export(a)) gives `a` back. An import may also bring weights changed
 * elsewhere (e.g. fine-tuned in Keras and converted back) as long as the
 * topology still matches the settings: weights are matched by name, shapes
 * checked, and the result goes through the artifact's full validation.
 *
 * The 'lstm' type uses only built-in layers and loads in plain tfjs; the
 * attention and GCA types use the pack's own layer classes, which must be
 * registered (load this pack's model code) before `tf.loadLayersModel`.
 */
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import { decodeFloat32, encodeFloat32, validateArtifact, type ModelArtifact } from './artifact';

export const EXPORT_SETTINGS_FORMAT = 'lstm-forecast-export';
export const WEIGHTS_FILE = 'weights.bin';
export const MODEL_FILE = 'model.json';
export const SETTINGS_FILE = 'forecast-settings.json';

/** One entry of a tfjs weights manifest. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** The `model.json` of a tfjs layers model. */
export interface LayersModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

/** `forecast-settings.json`: the artifact without topology and weights. */
export type ExportSettings = Omit<ModelArtifact, 'topology' | 'weights' | 'format'> & {
  format: typeof EXPORT_SETTINGS_FORMAT;
  artifactFormat: ModelArtifact['format'];
  preprocessing: string;
};

/** The three files of an export. */
export interface ExportedModel {
  modelJson: LayersModelJson;
  weightsBin: Uint8Array;
  settings: ExportSettings;
}

const PREPROCESSING =
  'Inputs: a window of `spec.window` rows x `spec.features` columns in real units, oldest first. ' +
  "Scale each column f: z = (x - scaler.mean[f]) / scaler.std[f]. Level: the last row's scaled target " +
  '(column spec.targetIndex); subtract it from every scaled target of the window. The network maps the ' +
  '[1, window, features] tensor to `spec.horizon` scaled values r_h (the first output; attention models ' +
  'have a second output, the attention weights). Forecast in real units: (r_h + ref_h) * std[t] + mean[t], ' +
  'where ref_h is the level, or with scaler.reference "seasonal" the level plus the mean over ' +
  'scaler.seasons past seasons k of (y[o+h-m*k] - y[o-m*k]) / std[t] (o the last row, m = scaler.season, ' +
  'k from ceil(h/m)); other references (seasonal-naive, holt-winters, and combination: the scaler.mix weights times ' +
  "their parts' references) in src/core/data/scaler.ts; a holt-winters reference with scaler.hw.series forecasts a " +
  "window of series id k from that series' profile and trend.";

/** Exports a stored artifact as a tfjs layers model plus its settings. */
export function exportArtifact(artifact: unknown): ExportedModel {
  const a = validateArtifact(artifact);
  const chunks = a.weights.map((w) => decodeFloat32(w.data));
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const weightsBin = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    weightsBin.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at += c.byteLength;
  }
  const modelJson: LayersModelJson = {
    format: 'layers-model',
    generatedBy: `@lstm-forecast/node-red-lstm-forecast ${a.packageVersion}`,
    convertedBy: null,
    modelTopology: JSON.parse(JSON.stringify(a.topology)),
    weightsManifest: [
      {
        paths: [WEIGHTS_FILE],
        weights: a.weights.map((w) => ({ name: w.name, shape: w.shape.slice(), dtype: w.dtype })),
      },
    ],
  };
  const { topology: _t, weights: _w, format, ...rest } = a;
  void _t;
  void _w;
  const settings: ExportSettings = {
    ...JSON.parse(JSON.stringify(rest)),
    format: EXPORT_SETTINGS_FORMAT,
    artifactFormat: format,
    preprocessing: PREPROCESSING,
  };
  return { modelJson, weightsBin, settings };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** The weight specs of a model.json, in the order of the bytes in its one weights file. */
function manifestOf(modelJson: Record<string, unknown>): WeightSpec[] {
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw fail('BAD_ARTIFACT', 'export.noManifest', { got: describe(manifest) }, 'bad import');
  }
  const specs: WeightSpec[] = [];
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.weights)) {
      throw fail('BAD_ARTIFACT', 'export.noWeightsArray', { got: describe(group) }, 'bad import');
    }
    for (const w of group.weights) {
      const ok =
        isObject(w) &&
        typeof w.name === 'string' &&
        Array.isArray(w.shape) &&
        w.shape.every((d) => Number.isInteger(d) && (d as number) >= 0);
      if (!ok) throw fail('BAD_ARTIFACT', 'export.badWeightSpec', { got: describe(w) }, 'bad import');
      if (w.dtype !== 'float32')
        throw fail('BAD_ARTIFACT', 'export.badDtype', { wName: String(w.name), got: describe(w.dtype) }, 'bad import');
      specs.push({ name: w.name as string, shape: (w.shape as number[]).slice(), dtype: 'float32' });
    }
  }
  return specs;
}

/**
 * Rebuilds an artifact from an export's three parts (the files' parsed JSON and
 * the weights' bytes; several manifest paths must be concatenated in manifest
 * order by the caller). Throws BAD_ARTIFACT naming what does not fit.
 */
export function importExported(modelJson: unknown, weightsBin: Uint8Array, settings: unknown): ModelArtifact {
  if (!isObject(modelJson))
    throw fail('BAD_ARTIFACT', 'export.modelJsonNotObject', { got: describe(modelJson) }, 'bad import');
  if (!isObject(modelJson.modelTopology)) {
    throw fail('BAD_ARTIFACT', 'export.noTopology', { got: describe(modelJson.modelTopology) }, 'bad import');
  }
  if (!isObject(settings) || settings.format !== EXPORT_SETTINGS_FORMAT) {
    const got = isObject(settings) ? `format ${describe(settings.format)}` : describe(settings);
    throw fail(
      'BAD_ARTIFACT',
      'export.badFormat',
      { file: SETTINGS_FILE, format: EXPORT_SETTINGS_FORMAT, got },
      'bad import',
    );
  }
  const specs = manifestOf(modelJson);
  const needed = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (needed !== weightsBin.byteLength) {
    throw fail(
      'BAD_ARTIFACT',
      'export.weightBytes',
      { needed, weightsBinByteCount: weightsBin.byteLength },
      'bad import',
    );
  }
  let at = 0;
  const weights = specs.map((s) => {
    const bytes = 4 * s.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(bytes / 4);
    new Uint8Array(values.buffer).set(weightsBin.subarray(at, at + bytes));
    at += bytes;
    return { name: s.name, shape: s.shape, dtype: 'float32' as const, data: encodeFloat32(values) };
  });
  const { format: _f, artifactFormat, preprocessing: _p, ...rest } = settings;
  void _f;
  void _p;
  return validateArtifact({
    ...JSON.parse(JSON.stringify(rest)),
    format: artifactFormat,
    topology: JSON.parse(JSON.stringify(modelJson.modelTopology)),
    weights,
  });
}
