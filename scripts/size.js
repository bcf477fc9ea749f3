#!/usr/bin/env node
'use strict';
/**
 * What a bare install costs a user: packs the package, installs the tarball
 * with production dependencies only (no optional peer) into a temporary
 * project, and prints its size on disk, its package count and the median
 * time of `require('switchyard-channels')` over several fresh node processes.
 *
 *   npm run size                   # 9 require runs
 *   npm run size -- --runs 21      # more runs
 *   npm run size -- --tarball x.tgz  # measure a tarball packed already
 *
 * Installs from the npm cache when it can (--prefer-offline).
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const TARGET_MB = 10;
const TARGET_MS = 80;

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : process.argv[at + 1];
}

function sh(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** Bytes allocated on disk (blocks) and apparent bytes of everything under `dir`. */
function diskUsage(dir) {
  let disk = 0;
  let apparent = 0;
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      const stat = fs.lstatSync(full);
      disk += stat.blocks * 512;
      if (entry.isDirectory()) walk(full);
      else apparent += stat.size;
    }
  };
  walk(dir);
  return { disk, apparent };
}

/** Installed packages: every folder with a package.json directly under a node_modules (scoped ones included). */
function countPackages(nodeModules) {
  let count = 0;
  for (const entry of fs.readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? fs.readdirSync(path.join(nodeModules, entry.name)).map((n) => path.join(nodeModules, entry.name, n))
      : [path.join(nodeModules, entry.name)];
    for (const dir of dirs) {
      if (!fs.existsSync(path.join(dir, 'package.json'))) continue;
      count += 1;
      const nested = path.join(dir, 'node_modules');
      if (fs.existsSync(nested)) count += countPackages(nested);
    }
  }
  return count;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const PROBE = `
const cpu = process.cpuUsage();
const started = process.hrtime.bigint();
require('switchyard-channels');
const wall = Number(process.hrtime.bigint() - started) / 1e6;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ wall, cpu: (used.user + used.system) / 1000 }));`;

function main() {
  const runs = Number(option('--runs', '9'));
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-size-'));
  try {
    let tarball = option('--tarball', undefined);
    if (tarball === undefined) {
      process.stderr.write('size: npm pack (builds dist/)...\n');
      const packed = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], ROOT));
      tarball = path.join(work, packed[0].filename);
    } else {
      tarball = path.resolve(tarball);
    }
    const project = path.join(work, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'size-probe', version: '1.0.0', private: true }));
    process.stderr.write('size: npm install --omit=dev...\n');
    sh('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);

    const nodeModules = path.join(project, 'node_modules');
    const { disk, apparent } = diskUsage(nodeModules);
    const packages = countPackages(nodeModules);
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(JSON.parse(sh(process.execPath, ['-e', PROBE], project)));
    const wall = median(samples.map((s) => s.wall));
    const cpu = median(samples.map((s) => s.cpu));

    const mb = (bytes) => (bytes / 1e6).toFixed(1);
    const verdict = (ok) => (ok ? 'ok' : 'OVER');
    console.log(`switchyard-channels bare install (npm install --omit=dev, node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`);
    console.log(`  packages:       ${packages} (switchyard-channels included)`);
    console.log(`  on disk:        ${mb(disk)} MB (${mb(apparent)} MB of file contents)  target < ${TARGET_MB} MB: ${verdict(disk < TARGET_MB * 1e6)}`);
    console.log(`  require():      median ${wall.toFixed(1)} ms wall, ${cpu.toFixed(1)} ms CPU over ${runs} fresh processes  target < ${TARGET_MS} ms: ${verdict(wall < TARGET_MS)}`);
    console.log(`                  (runs, wall ms: ${samples.map((s) => s.wall.toFixed(0)).join(' ')})`);
  } finally {
    if (!process.argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
    else console.log(`  kept: ${work}`);
  }
}

main();
