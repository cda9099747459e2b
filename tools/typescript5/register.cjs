'use strict';
// typescript-eslint loads the compiler with require('typescript'). In this project that name is
// TypeScript 7 (native compiler, no JavaScript API), so inside the ESLint process only, every
// require('typescript') is pointed at the TypeScript 5 nested in this folder. The project's own
// `tsc` (build, typecheck) stays TypeScript 7.
const Module = require('node:module');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  // Resolved as if this file asked: from ./node_modules/typescript (also 'typescript/lib/...').
  const typescript5 = request === 'typescript' || request.startsWith('typescript/');
  return resolveFilename.call(this, request, typescript5 ? module : parent, ...rest);
};
