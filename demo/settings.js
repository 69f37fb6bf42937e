/**
 * Node-RED settings for the demo (`npm start`, scripts/start.js).
 *
 * scripts/start.js passes --userDir and --port and sets the DEMO_* environment
 * variables the flow reads (DEMO_DATA_FILE, DEMO_RATE_MS, DEMO_HISTORY_ROWS).
 * The pack is loaded from <userDir>/node_modules/@lstm-forecast/node-red-lstm-forecast,
 * a link to this repository that start.js creates; FlowFuse Dashboard 2 is found
 * in the repository's node_modules, which Node-RED scans beside its own install.
 */
'use strict';

module.exports = {
  flowFile: 'flows.json',
  // The demo has no credentials; without a secret Node-RED would warn on every start.
  credentialSecret: false,
  // Listen on this machine only unless HOST says otherwise (the editor has no login).
  uiHost: process.env.HOST || '127.0.0.1',

  // `default` is kept in memory (the trained model lives in flow context);
  // `file` persists to <userDir>/context for anyone who wants to keep a model across restarts.
  contextStorage: {
    default: { module: 'memory' },
    file: { module: 'localfilesystem' },
  },

  functionExternalModules: false,
  functionTimeout: 0,
  exportGlobalContextKeys: false,
  // The demo's replay drives the flows; keep the runtime from reporting every message.
  debugMaxLength: 1000,

  logging: {
    console: { level: process.env.DEMO_LOG_LEVEL || 'info', metrics: false, audit: false },
  },

  editorTheme: {
    // No welcome tour and no telemetry question: the editor opens straight on the flow.
    tours: false,
    projects: { enabled: false },
    codeEditor: { lib: 'monaco' },
  },
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: false, ui: false },
  runtimeState: { enabled: false, ui: false },
};
