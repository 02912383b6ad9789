// Open Inference Protocol test with a real third-party client: @grpc/grpc-js and @grpc/proto-loader load
// proto/inference/grpc_service.proto straight from the source tree, talk to a real rectifier-server
// process, and compare every result with PyTorch's (expected.json, made by generate_expected.py).
//
// Usage: node oip_client_test.js <rectifier-server binary> <repository root>
'use strict';

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [serverBinary, repoRoot] = process.argv.slice(2);
if (!serverBinary || !repoRoot) {
  console.error('usage: node oip_client_test.js <rectifier-server binary> <repository root>');
  process.exit(2);
}

// Smooth activations may differ from PyTorch in the last bits (README, "Exactness"): both sides have
// errors of their own (PyTorch's float32 gelu(-3) is ~370 ulp from the true value, Rectifier's within 1).
// The loosest bound of tests/kernels/pytorch_parity.py: 8 ulp, or an absolute 16 eps.
const EPSILON = { FP32: 2 ** -23, FP64: 2 ** -52 };
const TOLERANCE_ULPS = 8;
const TOLERANCE_ABSOLUTE_EPS = 16;
const STARTUP_TIMEOUT_MS = 60000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function unary(client, method, request, metadata = new grpc.Metadata()) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: Date.now() + 10000 }, (error, response) =>
      error ? reject(error) : resolve(response));
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const ELEMENT = {
  FP32: { size: 4, read: (b, i) => b.readFloatLE(i * 4), write: (b, v, i) => b.writeFloatLE(v, i * 4) },
  FP64: { size: 8, read: (b, i) => b.readDoubleLE(i * 8), write: (b, v, i) => b.writeDoubleLE(v, i * 8) },
  INT8: { size: 1, read: (b, i) => b.readInt8(i), write: (b, v, i) => b.writeInt8(v, i) },
};
const TYPED_FIELD = { FP32: 'fp32_contents', FP64: 'fp64_contents', INT8: 'int_contents' };

function rawBytes(datatype, values) {
  const element = ELEMENT[datatype];
  const buffer = Buffer.alloc(values.length * element.size);
  values.forEach((v, i) => element.write(buffer, v, i));
  return buffer;
}

function parameter({ kind, value }) {
  return { [kind]: value };
}

function inferRequest(c) {
  const request = {
    model_name: c.model,
    id: `node-${c.model}`,
    parameters: Object.fromEntries(Object.entries(c.parameters).map(([k, v]) => [k, parameter(v)])),
    inputs: [{ name: 'input', datatype: c.datatype, shape: c.shape }],
    outputs: [{ name: 'output' }],
    raw_input_contents: [],
  };
  if (c.contents === 'raw') {
    request.raw_input_contents.push(rawBytes(c.datatype, c.input));
  } else {
    request.inputs[0].contents = { [TYPED_FIELD[c.datatype]]: c.input };
  }
  if (c.weight) {
    request.inputs.push({ name: 'weight', datatype: 'FP64', shape: [c.weight.length] });
    request.raw_input_contents.push(rawBytes('FP64', c.weight));
  }
  return request;
}

function outputValues(c, response) {
  const output = response.outputs[0];
  if (c.contents === 'typed') {
    assert.equal(response.raw_output_contents.length, 0, 'typed contents in, typed contents out');
    return output.contents[TYPED_FIELD[c.out_datatype]];
  }
  const bytes = response.raw_output_contents[0];
  const element = ELEMENT[c.out_datatype];
  assert.equal(bytes.length, c.output.length * element.size);
  return Array.from({ length: c.output.length }, (_, i) => element.read(bytes, i));
}

function checkValues(c, got) {
  assert.equal(got.length, c.output.length);
  const eps = EPSILON[c.out_datatype];
  got.forEach((value, i) => {
    const want = c.output[i];
    const where = `${c.model} ${c.datatype} ${c.contents} element ${i}: got ${value}, PyTorch ${want}`;
    if (c.exact) {
      assert.ok(Object.is(value, want), where);  // Bit-exact, the sign of zero included.
    } else {
      const difference = Math.abs(value - want);
      assert.ok(difference <= TOLERANCE_ABSOLUTE_EPS * eps || difference <= TOLERANCE_ULPS * eps * Math.abs(want),
                where);
    }
  });
}

async function main() {
  const protoPath = path.join(repoRoot, 'proto', 'inference', 'grpc_service.proto');
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: Number, enums: String, defaults: true });
  const inference = grpc.loadPackageDefinition(definition).inference;
  const expected = JSON.parse(fs.readFileSync(path.join(__dirname, 'expected.json'), 'utf8'));

  const port = await freePort();
  const server = childProcess.spawn(serverBinary, ['--address', `127.0.0.1:${port}`, '--threads', '2',
                                                   '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
  let exited = null;
  server.on('exit', (code, signal) => { exited = { code, signal }; });
  const client = new inference.GRPCInferenceService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    // The server answers once its kernels are warm.
    const started = Date.now();
    for (;;) {
      assert.equal(exited, null, 'rectifier-server exited during start-up');
      try {
        if ((await unary(client, 'ServerReady', {})).ready) break;
      } catch (error) {
        if (Date.now() - started > STARTUP_TIMEOUT_MS) throw error;
      }
      await sleep(100);
    }

    assert.deepEqual(await unary(client, 'ServerLive', {}), { live: true });
    const serverMetadata = await unary(client, 'ServerMetadata', {});
    assert.equal(serverMetadata.name, 'rectifier');
    assert.deepEqual(serverMetadata.extensions, ['parameters']);
    assert.deepEqual(await unary(client, 'ModelReady', { name: 'gelu', version: '1' }), { ready: true });
    const modelMetadata = await unary(client, 'ModelMetadata', { name: 'leaky_relu' });
    assert.equal(modelMetadata.name, 'leaky_relu');
    assert.deepEqual(modelMetadata.versions, ['1']);
    assert.deepEqual(modelMetadata.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1] }]);
    assert.deepEqual(modelMetadata.outputs, [{ name: 'output', datatype: 'FP32', shape: [-1] }]);

    for (const c of expected.cases) {
      const response = await unary(client, 'ModelInfer', inferRequest(c));
      assert.equal(response.model_name, c.model);
      assert.equal(response.model_version, '1');
      assert.equal(response.id, `node-${c.model}`);
      assert.equal(response.outputs.length, 1);
      assert.equal(response.outputs[0].name, 'output');
      assert.equal(response.outputs[0].datatype, c.out_datatype);
      assert.deepEqual(response.outputs[0].shape, c.out_shape);
      checkValues(c, outputValues(c, response));
    }

    await assert.rejects(unary(client, 'ModelInfer', { model_name: 'nope', inputs: [] }),
                         (error) => error.code === grpc.status.NOT_FOUND);
    await assert.rejects(unary(client, 'ModelInfer', inferRequest({ ...expected.cases[0], shape: [5] })),
                         (error) => error.code === grpc.status.INVALID_ARGUMENT &&
                                    error.details.includes('raw_input_contents[0]'));
    await assert.rejects(unary(client, 'ModelMetadata', { name: 'relu', version: '3' }),
                         (error) => error.code === grpc.status.NOT_FOUND);
    console.log(`oip node client: ${expected.cases.length} inference cases match PyTorch ${expected.torch}`);
  } finally {
    client.close();
    if (exited === null) {
      const exit = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
      server.kill('SIGTERM');  // By PID: only the process this test started.
      exited = await exit;
    }
  }
  assert.deepEqual(exited, { code: 0, signal: null }, 'rectifier-server exits 0 on SIGTERM');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
