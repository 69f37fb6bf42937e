'use strict';
// Error texts through the real runtime: a node's done(err) text comes from its catalogue (RED._ with the
// error's id and values), in English the same words as before, and in another language translated with the
// specific values in it; an id the language lacks falls back to English.
const assert = require('assert');
const { i18n } = require('@node-red/util');
const { helper, startRuntime, stopRuntime, expectError, lastStatus } = require('../helpers/runtime');
const windowerNode = require('../../nodes/sequence-windower.js');
const predictNode = require('../../nodes/lstm-predict.js');
const trainNode = require('../../nodes/lstm-train.js');
const { co2Dataset } = require('../helpers/co2-fixture');

const DE = {
  'sequence-windower': {
    errors: {
      windowerNode: {
        badTimestamp: 'erwartet: msg.timestamp in Epoch-ms oder als ISO-8601-Text, bekommen: __got__',
      },
    },
  },
};

let run = 0;
const flow = (type, props = {}) => [
  { id: 'f1', type: 'tab', label: 'errors' },
  { id: `n${++run}`, z: 'f1', type, name: 'n', window: 3, horizon: 1, wires: [[], []], ...props },
];

describe('error texts from the catalogues (RED._ by message id)', function () {
  let language;
  afterEach(async function () {
    await stopRuntime();
    if (language) await i18n.i.changeLanguage(language);
    language = undefined;
  });

  /** Switches Node-RED's i18n to German with a catalogue that holds one of the windower's error texts. */
  async function german() {
    language = i18n.i.language;
    for (const [node, section] of Object.entries(DE)) {
      i18n.i.addResourceBundle('de', `pack/${node}`, { [node]: section }, true, true);
    }
    await i18n.i.changeLanguage('de');
  }

  it("gives done(err) the catalogue's English text with the values, word for word as before", async function () {
    await startRuntime(windowerNode, flow('sequence-windower'));
    const w = helper.getNode(`n${run}`);
    const err = await expectError(w, { payload: 1, timestamp: 'yesterday' });
    assert.strictEqual(err.message, 'expected msg.timestamp as epoch ms or an ISO 8601 string, got "yesterday"');
    assert.strictEqual(err.code, 'BAD_TIMESTAMP');
    assert.strictEqual(lastStatus(w).text, 'bad timestamp');
  });

  it('translates the text into the runtime language, with the specific values in it', async function () {
    await startRuntime(windowerNode, flow('sequence-windower'));
    await german();
    const w = helper.getNode(`n${run}`);
    const err = await expectError(w, { payload: 1, timestamp: 'yesterday' });
    assert.strictEqual(
      err.message,
      'erwartet: msg.timestamp in Epoch-ms oder als ISO-8601-Text, bekommen: "yesterday"',
    );
    assert.match(err.stack.split('\n')[0], /bekommen: "yesterday"$/, 'the stack (a catch node shows it) agrees');
    assert.strictEqual(err.code, 'BAD_TIMESTAMP', 'the code stays');
  });

  it('falls back to English for a text the language lacks, and bounds a translated text to 1,000 characters', async function () {
    await startRuntime(windowerNode, flow('sequence-windower', { mode: 'batch' }));
    await german();
    const w = helper.getNode(`n${run}`);
    const missing = await expectError(w, { payload: 'x'.repeat(5) });
    assert.match(missing.message, /^batch mode: expected msg.payload as an array of readings/);
    const long = await expectError(w, { payload: [1], timestamp: 'y'.repeat(5000) });
    assert.ok(long.message.length <= 1000, `${long.message.length} characters`);
    assert.match(long.message, /^erwartet: msg.timestamp/);
  });

  it("lstm-predict: a message without a stored model gets the catalogue's text (English and German)", async function () {
    await startRuntime(predictNode, flow('lstm-predict', { model: 'm' }));
    const p = helper.getNode(`n${run}`);
    const en = await expectError(p, { payload: 5 });
    assert.match(en.message, /^no model 'm' in flow context/);
    i18n.i.addResourceBundle(
      'de',
      'pack/lstm-predict',
      { 'lstm-predict': { errors: { predictNode: { noModel: "kein Modell '__name__' in __location__" } } } },
      true,
      true,
    );
    await german();
    const de = await expectError(p, { payload: 5 });
    assert.strictEqual(de.message, "kein Modell 'm' in flow context (store 'default')");
  });

  it('lstm-train: an error of the training worker (done after the queue) is translated too', async function () {
    await startRuntime(trainNode, flow('lstm-train', { model: 'm', epochs: 1, wires: [[], [], []] }));
    const t = helper.getNode(`n${run}`);
    const data = co2Dataset(3, 1, 8); // 5 windows: too few to split
    const payload = { type: 'dataset', count: data.inputs.length, timestamps: [], ...data };
    i18n.i.addResourceBundle(
      'de',
      'pack/lstm-train',
      { 'lstm-train': { errors: { split: { tooFewWindowsSplit: 'zu wenige Fenster: __windows__' } } } },
      true,
      true,
    );
    await german();
    const err = await expectError(t, { payload });
    assert.strictEqual(err.message, 'zu wenige Fenster: 5');
  });
});
