// Validates Amazon States Language definitions with asl-validator (pinned in package.json), all in one
// process: reads {"name": definition, ...} as JSON on stdin and writes {"name": ["error", ...], ...}
// (an empty list for a valid definition).
"use strict";
const aslValidator = require("asl-validator");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = {};
  for (const [name, definition] of Object.entries(JSON.parse(input))) {
    const { isValid, errors } = aslValidator(definition);
    results[name] = isValid ? [] : errors.map((e) => `${e["Error code"]}: ${e["Message"]}`);
  }
  process.stdout.write(JSON.stringify(results));
});
