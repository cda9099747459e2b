'use strict';
// Resolved from this folder, so it is the nested TypeScript 5, never the project's TypeScript 7.
module.exports = require('typescript');
