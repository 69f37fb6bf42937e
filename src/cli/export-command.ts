/**
 * `lstm-forecast export` and `lstm-forecast import`: a stored model to and from
 * a standard TensorFlow.js layers model (core/model/export.ts), on files.
 *
 * export reads the artifact from a JSON file (e.g. a file node wrote
 * lstm-train's msg.artifact or lstm-predict's export) or from a Node-RED
 * user directory's localfilesystem context (`<userDir>/context`, the model name
 * as the key; read-only, so it is safe while Node-RED runs), and writes
 * model.json, weights.bin and forecast-settings.json into a directory. import
 * reads those three files back into an artifact JSON file, which a flow stores
 * with lstm-train (msg.artifact).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ForecastError } from '../core/base/errors';
import { ARTIFACT_FORMAT } from '../core/model/artifact';
import { MODEL_FILE, SETTINGS_FILE, WEIGHTS_FILE, exportArtifact, importExported } from '../core/model/export';

export const EXPORT_SYNOPSIS = `  lstm-forecast export (--artifact FILE | --context DIR --name NAME [--flow ID | --global]) --out DIR
  lstm-forecast import --dir DIR --out FILE`;

export const EXPORT_HELP = `export: writes a stored model as a TensorFlow.js layers model (DIR/${MODEL_FILE} +
DIR/${WEIGHTS_FILE}, loadable with tf.loadLayersModel) and DIR/${SETTINGS_FILE}
(window settings, scaler, report, and how inputs and outputs are scaled).
  --artifact FILE       an artifact JSON file (lstm-train's msg.artifact)
  --context DIR         a localfilesystem context directory (<userDir>/context)
  --name NAME           the model name (its key in the context)
  --flow ID | --global  where to look when the name is in several flows
import: reads those three files back into an artifact JSON file, for lstm-train
to store (msg.artifact).
  --dir DIR             the directory export wrote
  --out FILE            the artifact JSON to write`;

/** A usage error of export/import: exit code 2. */
export class ExportUsageError extends Error {}

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const OPTIONS = {
  artifact: { type: 'string' },
  context: { type: 'string' },
  name: { type: 'string' },
  flow: { type: 'string' },
  global: { type: 'boolean' },
  out: { type: 'string' },
  dir: { type: 'string' },
} as const;

/** Largest JSON file read (a context file holds every key of a flow). */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

function readJson(file: string): unknown {
  const size = statSync(file).size;
  if (size > MAX_FILE_BYTES) {
    throw new ForecastError('BAD_INPUT', `${file} has ${size} bytes, more than the ${MAX_FILE_BYTES} read`);
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ForecastError('BAD_INPUT', `${file} is not JSON: ${(e as Error).message}`);
  }
}

function isArtifact(x: unknown): boolean {
  return x !== null && typeof x === 'object' && (x as { format?: unknown }).format === ARTIFACT_FORMAT;
}

/**
 * The artifact stored under `name` in a localfilesystem context directory:
 * `<dir>/global/global.json` (global scope) and `<dir>/<flowId>/flow.json`
 * (flow scope).
 */
function artifactInContext(dir: string, name: string, flow: string | undefined, global: boolean): unknown {
  if (!existsSync(dir)) throw new ForecastError('BAD_INPUT', `context directory ${dir} does not exist`);
  const places = global
    ? ['global']
    : flow
      ? [flow]
      : readdirSync(dir).filter((d) => statSync(path.join(dir, d)).isDirectory());
  const found: { where: string; value: unknown }[] = [];
  for (const place of places) {
    const file = path.join(dir, place, place === 'global' ? 'global.json' : 'flow.json');
    if (!existsSync(file)) continue;
    const values = readJson(file) as Record<string, unknown>;
    if (values && typeof values === 'object' && isArtifact(values[name])) {
      found.push({ where: place === 'global' ? 'global' : `flow ${place}`, value: values[name] });
    }
  }
  if (found.length === 0) {
    throw new ForecastError('BAD_INPUT', `no model '${name}' in the context files under ${dir}`);
  }
  if (found.length > 1) {
    const where = found.map((f) => f.where).join(', ');
    throw new ExportUsageError(`model '${name}' is in ${where}: choose one with --flow ID or --global`);
  }
  return found[0].value;
}

function runExport(v: Record<string, string | boolean | undefined>, io: Io): void {
  const out = v.out as string | undefined;
  if (!out) throw new ExportUsageError('export needs --out DIR');
  let artifact: unknown;
  if (typeof v.artifact === 'string') {
    artifact = readJson(v.artifact);
  } else if (typeof v.context === 'string') {
    if (typeof v.name !== 'string') throw new ExportUsageError('export --context needs --name NAME');
    artifact = artifactInContext(v.context, v.name, v.flow as string | undefined, v.global === true);
  } else {
    throw new ExportUsageError('export needs --artifact FILE or --context DIR --name NAME');
  }
  const { modelJson, weightsBin, settings } = exportArtifact(artifact);
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, MODEL_FILE), JSON.stringify(modelJson, null, 2));
  writeFileSync(path.join(out, WEIGHTS_FILE), weightsBin);
  writeFileSync(path.join(out, SETTINGS_FILE), JSON.stringify(settings, null, 2));
  io.stdout(
    `exported model '${settings.name}' v${settings.version} (${settings.model.type}) to ${out}: ` +
      `${MODEL_FILE}, ${WEIGHTS_FILE} (${weightsBin.byteLength} bytes), ${SETTINGS_FILE}\n`,
  );
}

function runImport(v: Record<string, string | boolean | undefined>, io: Io): void {
  const dir = v.dir as string | undefined;
  const out = v.out as string | undefined;
  if (!dir || !out) throw new ExportUsageError('import needs --dir DIR and --out FILE');
  const modelJson = readJson(path.join(dir, MODEL_FILE)) as { weightsManifest?: { paths?: unknown }[] };
  // The bytes of every manifest path, in manifest order (export writes one).
  const paths = Array.isArray(modelJson?.weightsManifest)
    ? modelJson.weightsManifest.flatMap((g) => (Array.isArray(g?.paths) ? g.paths.map(String) : []))
    : [];
  const parts = (paths.length ? paths : [WEIGHTS_FILE]).map((p) => {
    const file = path.join(dir, path.basename(p));
    if (statSync(file).size > MAX_FILE_BYTES) throw new ForecastError('BAD_INPUT', `${file} is too large`);
    return readFileSync(file);
  });
  const artifact = importExported(
    modelJson,
    new Uint8Array(Buffer.concat(parts)),
    readJson(path.join(dir, SETTINGS_FILE)),
  );
  writeFileSync(out, JSON.stringify(artifact));
  io.stdout(`imported model '${artifact.name}' v${artifact.version} (${artifact.model.type}) into ${out}\n`);
}

/** Runs `export` or `import` with its arguments; resolves to the exit code. */
export function exportCommand(command: 'export' | 'import', argv: string[], io: Io): number {
  try {
    const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
    if (command === 'export') runExport(values, io);
    else runImport(values, io);
    return 0;
  } catch (e) {
    const usage = e instanceof ExportUsageError || String((e as { code?: string }).code).startsWith('ERR_PARSE_ARGS');
    io.stderr(`lstm-forecast ${command}: ${(e as Error).message}\n`);
    if (usage) {
      io.stderr(`Run 'lstm-forecast --help' for usage.\n`);
      return 2;
    }
    return 1;
  }
}
