#!/usr/bin/env node
// Compiles every Solidity source under contracts/src and contracts/test with the pinned solc
// (npm `solc`, wasm, offline) through standard JSON, and writes one artifact per contract,
// interface and library to contracts/artifacts/<Name>.json.
//
//   node contracts/build.mjs           write the artifacts
//   node contracts/build.mjs --check   recompile and fail if any artifact differs, is missing or is stale
//
// The artifacts are committed; Rust (crates/contracts) reads them, so `cargo test` needs no node.
// Settings are fixed here and recorded in every artifact. Metadata carries no source hash
// (bytecodeHash "none"), so the same sources give the same bytes on any machine.

import { createRequire } from "node:module";
import { readFileSync, writeFileSync, readdirSync, mkdirSync, existsSync, statSync, unlinkSync } from "node:fs";
import { join, relative, dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = dirname(fileURLToPath(import.meta.url));
const artifactsDir = join(root, "artifacts");
const sourceDirs = ["src", "test"];

// The compiler version is pinned in package.json (exact) and package-lock.json; refuse any other.
const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies.solc;
const solc = require("solc");
const version = solc.version();
if (!version.startsWith(`${pinned}+`)) {
  fail(`solc ${version} is installed, package.json pins ${pinned}: run \`npm ci\` in contracts/`);
}

const settings = {
  // Osaka: the target chains run it (EIP-7951 P256VERIFY exists only from Osaka; the EIP-2537
  // BLS12-381 precompiles from Prague), and the harness runs SpecId::OSAKA.
  evmVersion: "osaka",
  optimizer: { enabled: true, runs: 200 },
  viaIR: true,
  metadata: { bytecodeHash: "none" },
  remappings: [],
  outputSelection: {
    "*": {
      "*": [
        "abi",
        "evm.bytecode.object",
        "evm.bytecode.linkReferences",
        "evm.deployedBytecode.object",
        "evm.deployedBytecode.immutableReferences",
        "evm.methodIdentifiers",
      ],
    },
  },
};

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}

function solidityFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return solidityFiles(path);
      return name.endsWith(".sol") ? [path] : [];
    });
}

function compile() {
  const sources = {};
  for (const dir of sourceDirs) {
    for (const path of solidityFiles(join(root, dir))) {
      // Source names are relative to contracts/ with forward slashes, whatever the OS.
      sources[relative(root, path).split(sep).join("/")] = { content: readFileSync(path, "utf8") };
    }
  }
  const input = { language: "Solidity", sources, settings };
  // Every import must be one of the sources above: nothing is read from elsewhere.
  const findImports = (path) => ({ error: `import outside contracts/src and contracts/test: ${path}` });
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  const diagnostics = output.errors ?? [];
  for (const d of diagnostics) console.error(d.formattedMessage ?? d.message);
  // Warnings fail the build too: the sources stay warning-free.
  if (diagnostics.length > 0) fail(`${diagnostics.length} compiler diagnostic(s)`);

  const artifacts = new Map();
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [contractName, out] of Object.entries(contracts)) {
      if (artifacts.has(`${contractName}.json`)) {
        fail(`two sources define ${contractName}; artifact names must be unique`);
      }
      if (Object.keys(out.evm.bytecode.linkReferences ?? {}).length > 0) {
        fail(`${contractName} needs linked libraries; use internal library functions only`);
      }
      const artifact = {
        contractName,
        sourceName,
        compiler: { version, settings: { ...settings, outputSelection: undefined } },
        abi: out.abi,
        bytecode: `0x${out.evm.bytecode.object}`,
        deployedBytecode: `0x${out.evm.deployedBytecode.object}`,
        // Where the constructor writes each immutable into the runtime code (solc's AST id ->
        // byte ranges): `lsv verify-deployment` compares a deployed runtime with these masked.
        immutableReferences: out.evm.deployedBytecode.immutableReferences ?? {},
        methodIdentifiers: out.evm.methodIdentifiers,
      };
      artifacts.set(`${contractName}.json`, `${JSON.stringify(artifact, null, 2)}\n`);
    }
  }
  return { artifacts, sourceCount: Object.keys(sources).length };
}

const check = process.argv.includes("--check");
const started = Date.now();
const { artifacts, sourceCount } = compile();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
const existing = existsSync(artifactsDir)
  ? readdirSync(artifactsDir).filter((name) => name.endsWith(".json")).sort()
  : [];

if (check) {
  const problems = [];
  for (const [name, content] of artifacts) {
    const path = join(artifactsDir, name);
    if (!existsSync(path)) problems.push(`missing: artifacts/${name}`);
    else if (readFileSync(path, "utf8") !== content) problems.push(`differs: artifacts/${name}`);
  }
  for (const name of existing) {
    if (!artifacts.has(name)) problems.push(`stale (no source defines it): artifacts/${name}`);
  }
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    fail("artifacts are out of date: run `node contracts/build.mjs` and commit contracts/artifacts");
  }
  console.log(`artifacts up to date: ${artifacts.size} from ${sourceCount} sources, solc ${version} (${seconds} s)`);
} else {
  mkdirSync(artifactsDir, { recursive: true });
  for (const [name, content] of artifacts) writeFileSync(join(artifactsDir, name), content);
  // The directory is generated whole: an artifact no source defines any more is removed.
  for (const name of existing.filter((name) => !artifacts.has(name))) {
    unlinkSync(join(artifactsDir, name));
    console.log(`removed stale artifacts/${name}`);
  }
  console.log(`wrote ${artifacts.size} artifacts from ${sourceCount} sources, solc ${version} (${seconds} s)`);
}
