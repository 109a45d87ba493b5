import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { waitFor } from '../helpers/wait.ts';

// Issue 14, item 1: a broken upload once reached an `error` event nobody listened to, and the process died.

const AUTH = { authorization: 'Bearer test-admin-token' };
const MULTIPART = { ...AUTH, 'content-type': 'multipart/form-data; boundary=b' };
const part = (name: string) => `--b\r\nContent-Disposition: form-data; name="${name}"; filename="a.jsonl"\r\n\r\n`;

describe('broken uploads to POST /v1/files, in a relay process', () => {
  let dataDir: string;
  let relay: ChildRelay;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-upload-'));
    relay = await spawnRelay({ dataDir, configYaml: 'sources: []\n' });
  });
  after(async () => {
    relay.child.kill('SIGKILL');
    await relay.exited;
    await rm(dataDir, { recursive: true, force: true });
  });

  const filesLeft = () => readdir(join(dataDir, 'files')).catch(() => [] as string[]);
  const stillUp = async () => {
    assert.equal(relay.child.exitCode, null, `the relay exited: ${relay.output().slice(-2000)}`);
    assert.equal((await fetch(`${relay.url}/healthz`)).status, 200);
  };

  for (const [what, body] of [
    ['the file part ends without its closing boundary', `${part('file')}abc`],
    ['a part the relay skips ends without its closing boundary', `${part('other')}abc`],
    ['the body stops inside the part headers', '--b\r\nContent-Disposition: form-da'],
  ]) {
    it(`answers a coded 400 and keeps no file when ${what}`, async () => {
      const res = await fetch(`${relay.url}/v1/files`, { method: 'POST', headers: MULTIPART, body });
      assert.equal(res.status, 400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'bad_request');
      assert.match(error.message, /multipart/);
      await stillUp();
      assert.deepEqual(await filesLeft(), []);
    });
  }

  it('survives a client that hangs up in the middle of the file, and removes the partial file', async () => {
    const url = new URL(relay.url);
    const socket = connect(Number(url.port), url.hostname);
    await once(socket, 'connect');
    const head = `${part('file')}${'x'.repeat(64 * 1024)}`;
    socket.write(
      `POST /v1/files HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: ${AUTH.authorization}\r\n` +
        `content-type: multipart/form-data; boundary=b\r\ncontent-length: ${10 * 1024 * 1024}\r\n\r\n${head}`,
    );
    // The relay has started writing the file once its temporary name is in the folder.
    await waitFor('the upload to start writing', async () => (await filesLeft()).length > 0);
    socket.destroy();
    await waitFor('the partial file to be removed', async () => (await filesLeft()).length === 0);
    await stillUp();
  });

  it('still takes a whole upload afterwards', async () => {
    const line = '{"custom_id":"a"}\n';
    const body = `${part('file')}${line}\r\n--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--b--\r\n`;
    const res = await fetch(`${relay.url}/v1/files`, { method: 'POST', headers: MULTIPART, body });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { bytes: number }).bytes, Buffer.byteLength(line));
  });
});
