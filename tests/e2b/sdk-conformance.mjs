// sdk-conformance.mjs: E2B's own JavaScript SDK against the loopback server
//
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Usage: node sdk-conformance.mjs SERVER_EXECUTABLE SDK_PREFIX
// Starts the test server, points the SDK at it with E2B_API_URL,
// E2B_SANDBOX_URL and E2B_DOMAIN (not E2B_DEBUG, which would skip the
// control plane) and prints TAP.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import path from 'node:path';
import assert from 'node:assert/strict';

const [serverExe, sdkPrefix] = process.argv.slice(2);
const require = createRequire(path.join(sdkPrefix, 'package.json'));
const { Sandbox } = require('e2b');

const server = spawn(serverExe, ['--watch-stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
let banner = '';
for await (const chunk of server.stdout) {
  banner += chunk;
  if (banner.includes('E2B_API_KEY='))
    break;
}
for (const line of banner.trim().split('\n')) {
  const [key, ...value] = line.split('=');
  process.env[key] = value.join('=');
}
delete process.env.E2B_DEBUG;

const steps = [];
const step = (name, fn) => steps.push({ name, fn });
let sandbox;

step('create sends templateID and metadata', async () => {
  sandbox = await Sandbox.create('base', { metadata: { tesseraProjectId: 'conformance' } });
  assert.match(sandbox.sandboxId, /^[a-z0-9]{20}$/);
});
step('list filters by metadata', async () => {
  const paginator = Sandbox.list({ query: { metadata: { tesseraProjectId: 'conformance' } } });
  const items = await paginator.nextItems();
  assert.equal(items.length, 1);
  assert.equal(items[0].sandboxId, sandbox.sandboxId);
  const none = await Sandbox.list({ query: { metadata: { tesseraProjectId: 'other' } } }).nextItems();
  assert.equal(none.length, 0);
});
step('write one file', async () => {
  const info = await sandbox.files.write('/home/user/hello.txt', 'Hello from the SDK\n');
  assert.equal(info.path, '/home/user/hello.txt');
});
step('write several files in one request', async () => {
  const infos = await sandbox.files.write([
    { path: 'app/index.html', data: '<h1>Hi</h1>' },
    { path: '/home/user/app/js/main.js', data: 'console.log(1)' },
  ]);
  assert.equal(infos.length, 2);
  assert.deepEqual(infos.map((i) => i.path).sort(),
                   ['/home/user/app/index.html', '/home/user/app/js/main.js']);
});
step('read a file back', async () => {
  assert.equal(await sandbox.files.read('app/index.html'), '<h1>Hi</h1>');
  const bytes = await sandbox.files.read('app/index.html', { format: 'bytes' });
  assert.equal(bytes.length, 11);
});
step('list a folder and check existence', async () => {
  const entries = await sandbox.files.list('/home/user/app');
  assert.deepEqual(entries.map((e) => e.name).sort(), ['index.html', 'js']);
  assert.equal(await sandbox.files.exists('/home/user/nope'), false);
  assert.equal(await sandbox.files.exists('/home/user/hello.txt'), true);
});
step('make a folder, rename and remove files', async () => {
  assert.equal(await sandbox.files.makeDir('/home/user/made'), true);
  assert.equal(await sandbox.files.makeDir('/home/user/made'), false);
  const moved = await sandbox.files.rename('/home/user/app/index.html', '/home/user/made/index.html');
  assert.equal(moved.path, '/home/user/made/index.html');
  await sandbox.files.remove('/home/user/made');
  assert.equal(await sandbox.files.exists('/home/user/made'), false);
  const info = await sandbox.files.getInfo('/home/user/app/js/main.js');
  assert.equal(info.type, 'file');
  assert.equal(info.size, 14);
});
step('run a command with environment and folder', async () => {
  const result = await sandbox.commands.run('echo "$GREETING" && pwd', { envs: { GREETING: 'hi there' }, cwd: '/home/user/app' });
  assert.equal(result.stdout.split('\n')[0], 'hi there');
  assert.match(result.stdout.split('\n')[1], /\/app$/);
});
step('run a command and read its output', async () => {
  const result = await sandbox.commands.run('cat hello.txt && echo oops >&2 && pwd');
  assert.equal(result.exitCode, 0);
  assert.match(result.stdout, /^Hello from the SDK\n/);
  assert.equal(result.stderr, 'oops\n');
});
step('a failing command reports its exit code', async () => {
  await assert.rejects(sandbox.commands.run('exit 3'), (err) => err.exitCode === 3);
});
step('a background command can be listed and killed', async () => {
  const handle = await sandbox.commands.run('sleep 600', { background: true, timeoutMs: 0 });
  const listed = await sandbox.commands.list();
  assert.ok(listed.some((p) => p.pid === handle.pid));
  assert.equal(await sandbox.commands.kill(handle.pid), true);
  await assert.rejects(handle.wait());
  assert.equal(await sandbox.commands.kill(handle.pid), false);
});
step('getHost names the port and the sandbox', async () => {
  assert.equal(sandbox.getHost(3000), `3000-${sandbox.sandboxId}.e2b.test`);
});
step('setTimeout and getInfo', async () => {
  await sandbox.setTimeout(600_000);
  const info = await sandbox.getInfo();
  assert.equal(info.sandboxId, sandbox.sandboxId);
  assert.equal(info.metadata.tesseraProjectId, 'conformance');
});
step('pause, and pause again', async () => {
  assert.equal(await sandbox.pause(), true);
  assert.equal(await sandbox.pause(), false);
  assert.equal((await sandbox.getInfo()).state, 'paused');
});
step('connect resumes a paused sandbox with its files', async () => {
  const again = await Sandbox.connect(sandbox.sandboxId);
  assert.equal(again.sandboxId, sandbox.sandboxId);
  assert.equal((await again.getInfo()).state, 'running');
  assert.equal(await again.files.read('/home/user/hello.txt'), 'Hello from the SDK\n');
});
step('kill', async () => {
  await sandbox.kill();
  assert.equal(await sandbox.isRunning(), false);
  assert.equal(await Sandbox.kill(sandbox.sandboxId), false);
});

console.log(`1..${steps.length}`);
let failed = 0;
for (const [i, { name, fn }] of steps.entries()) {
  try {
    await fn();
    console.log(`ok ${i + 1} - ${name}`);
  } catch (err) {
    failed++;
    console.log(`not ok ${i + 1} - ${name}`);
    for (const line of String(err && err.stack || err).split('\n'))
      console.log(`# ${line}`);
  }
}
server.stdin.end();
await once(server, 'exit');
process.exit(failed ? 1 : 0);
