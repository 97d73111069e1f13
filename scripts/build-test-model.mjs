#!/usr/bin/env node
// Generates public/models/mnemo-test-32d/: a tiny but real ONNX sentence-embedding
// model for tests, in exactly the shipped model's layout and graph (it reuses
// writeModelFolder), so tests exercise the same tokenizer/ONNX/pooling path
// without the 5 MB default model.
//
// Weights are deterministic (seeded PRNG): every word gets a random unit-ish
// vector, and each synonym group shares a centre with small per-word noise, so
// that tests can assert "car" is nearer "automobile" than "banana".
//
//   node scripts/build-test-model.mjs

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SPECIAL_TOKENS, writeModelFolder } from './build-static-model.mjs';

const MODEL_ID = 'mnemo-test-32d';
const DIMS = 32;
const SEED = 0x6d6e656d; // "mnem"
const SYNONYM_NOISE = 0.25;

const SYNONYM_GROUPS = [
  ['car', 'automobile', 'vehicle'],
  ['happy', 'glad', 'joyful'],
  ['big', 'large', 'huge'],
  ['doctor', 'physician'],
  ['buy', 'purchase'],
  ['fast', 'quick', 'rapid'],
  ['begin', 'start', 'commence'],
  ['small', 'little', 'tiny'],
  ['house', 'home'],
  ['medicine', 'pills', 'medication'],
];

// Common words of chat text; duplicates of synonym words are dropped below.
const COMMON_WORDS = `
the a an and or but if then so because of to in on at by for with from about as into
over after before under between through during without again also just only very really
i you he she it we they me him her us them my your his its our their mine yours
this that these those here there what which who whom whose when where why how
is am are was were be been being have has had do does did will would can could
shall should may might must not no yes ok okay please thanks thank sorry hello hi hey bye
all any some many much more most few less each every other another same such own
one two three four five six seven ten hundred thousand first second last next
time day week month year today tomorrow yesterday morning evening night hour minute
people person man woman child friend family mother father brother sister son daughter
work job office meeting project team boss email message call phone computer code bug
idea question answer problem help reason plan task list note file page book word
name place city country street road world water food coffee tea lunch dinner breakfast
money price cost bank market stock shares report news story
banana apple orange bread cheese pizza chicken rice salad fruit
good bad new old great best better worse right wrong true false easy hard
long short high low young early late hot cold warm nice fine sure ready
know think want need like love hate see look watch hear say tell ask give take get make
go come leave stay find keep put use try call feel seem become show move live
run walk talk write read send open close pay play eat drink sleep wait learn teach
remember forget understand believe hope wish meet win lose change turn build fix
doctor hospital sick ill pain health prescribed gave fell rose
weather rain snow sun wind trip travel flight train bus airport hotel holiday mountains beach
music movie song game sport football dog cat bird tree garden flower
school class student teacher exam lesson university
`;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussianVector(rand, dims) {
  const v = new Float64Array(dims);
  for (let d = 0; d < dims; d++) {
    // Box–Muller; 1 - rand() keeps log away from 0.
    v[d] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  }
  return v;
}

function normalise(v) {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function build() {
  const rand = mulberry32(SEED);
  const synonymWords = SYNONYM_GROUPS.flat();
  const words = [...new Set([...synonymWords, ...COMMON_WORDS.split(/\s+/).filter(Boolean)])];
  const vectors = new Map();
  for (const group of SYNONYM_GROUPS) {
    const centre = normalise(gaussianVector(rand, DIMS));
    for (const w of group) {
      const noise = normalise(gaussianVector(rand, DIMS));
      vectors.set(w, normalise(centre.map((x, d) => x + SYNONYM_NOISE * noise[d])));
    }
  }
  for (const w of words) if (!vectors.has(w)) vectors.set(w, normalise(gaussianVector(rand, DIMS)));

  const base = SPECIAL_TOKENS.length;
  const matrix = new Float32Array((base + words.length) * DIMS);
  words.forEach((w, i) => matrix.set(vectors.get(w), (base + i) * DIMS));

  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const { onnxBytes } = writeModelFolder({
    dir: join(repoRoot, 'public', 'models', MODEL_ID),
    words,
    matrix,
    dims: DIMS,
    maxTokens: 512,
    name: MODEL_ID,
  });
  console.log(`${MODEL_ID}: ${words.length} words × ${DIMS} dims, model.onnx ${onnxBytes} bytes`);
}

build();
