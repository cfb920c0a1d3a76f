// ref_render.js - render template cases with the reference engines
// (npm handlebars and mustache, pinned in tests/tmpl/node/package.json).
//
//   node ref_render.js < cases.jsonl > results.jsonl
//
// Same case and result format as tmpl_batch.c; "mustachio" has no
// reference implementation and is answered {"skip": true}.
'use strict';
const path = require('path');
const readline = require('readline');
const mods = path.join(__dirname, 'node', 'node_modules');
const Handlebars = require(path.join(mods, 'handlebars'));
const Mustache = require(path.join(mods, 'mustache'));

const hbsUtils = require(path.join(mods, 'handlebars', 'dist', 'cjs',
  'handlebars', 'utils'));
const mustacheEscape = Mustache.escape;
const hbsEscape = hbsUtils.escapeExpression;

// Handlebars without escaping: handlebars.js's own noEscape option joins
// the raw values with +, so two adjacent numbers or booleans are added
// (1 then true gives "2"); the reference for "no escaping" is therefore
// its escaped path with String() in place of the escape.
function hbsNoEscape(s) {
  if (s == null) return '';
  if (s && s.toHTML) return s.toHTML();
  return '' + s;
}

function renderOne(c) {
  const esc = c.escape || 'html';
  if (c.dialect === 'handlebars') {
    hbsUtils.escapeExpression = esc === 'none' ? hbsNoEscape : hbsEscape;
    try {
      const tpl = Handlebars.compile(c.template, { strict: !!c.strict });
      return tpl(c.data, { partials: c.partials || {} });
    } finally {
      hbsUtils.escapeExpression = hbsEscape;
    }
  }
  if (c.dialect === 'mustache') {
    Mustache.escape = esc === 'none' ? (s) => String(s) : mustacheEscape;
    try {
      return Mustache.render(c.template, c.data, c.partials || {});
    } finally {
      Mustache.escape = mustacheEscape;
    }
  }
  return undefined;
}

const rl = readline.createInterface({ input: process.stdin });
const out = [];
rl.on('line', (line) => {
  let res;
  try {
    const c = JSON.parse(line);
    const r = renderOne(c);
    res = r === undefined ? { skip: true } : { out: r };
  } catch (e) {
    res = { error: String(e && e.message ? e.message : e) };
  }
  out.push(JSON.stringify(res));
});
rl.on('close', () => {
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
});
