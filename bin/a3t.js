#!/usr/bin/env node
// The a3t command: runs the compiled CLI (npm ci builds dist/ through the prepare script).
import '../dist/cli/main.js';
