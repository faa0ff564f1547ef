#!/usr/bin/env node
// The installed CLI runs the compiled JavaScript in dist/ (npm run build).
import '../dist/src/cli/bin.js';
