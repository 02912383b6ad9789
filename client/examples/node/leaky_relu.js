// Rectifier from Node.js: @grpc/grpc-js with rectifier.proto loaded at run time by @grpc/proto-loader.
// One leaky_relu call on float32 values, then one ApplyStream with two requests.
// Usage: npm ci && node leaky_relu.js [ADDRESS]   (default 127.0.0.1:50051)
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = process.env.RECTIFIER_PROTO_DIR || path.join(__dirname, '..', '..', '..', 'proto');
const definition = protoLoader.loadSync('rectifier/v1/rectifier.proto', {
  includeDirs: [PROTO_DIR], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
});
const v1 = grpc.loadPackageDefinition(definition).rectifier.v1;

// Float32Array <-> rectifier.v1.Tensor (little-endian bytes, as on every machine Node runs on here).
function toTensor(values, shape) {
  const array = Float32Array.from(values);
  return { dtype: 'DATA_TYPE_FLOAT32', shape, data: Buffer.from(array.buffer) };
}
function fromTensor(tensor) {
  const copy = Buffer.from(tensor.data);  // Aligned copy for the typed array.
  return Array.from(new Float32Array(copy.buffer, copy.byteOffset, copy.length / 4));
}

function apply(client, request) {
  return new Promise((resolve, reject) => {
    client.Apply(request, { deadline: Date.now() + 10000 }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

function applyStream(client, requests) {
  return new Promise((resolve, reject) => {
    const responses = [];
    const call = client.ApplyStream({ deadline: Date.now() + 10000 });
    call.on('data', (response) => responses.push(response));
    call.on('error', reject);
    call.on('end', () => resolve(responses));
    for (const request of requests) call.write(request);
    call.end();
  });
}

async function main() {
  const address = process.argv[2] || '127.0.0.1:50051';
  const client = new v1.ActivationService(address, grpc.credentials.createInsecure());

  const response = await apply(client, {
    activation: { leaky_relu: { negative_slope: 0.2 } },
    input: toTensor([-2, -0.5, 0, 0.5, 2], [5]),
  });
  console.log('leaky_relu', JSON.stringify(fromTensor(response.output)));

  const responses = await applyStream(client, [
    { request_id: 'a', model: 'relu6', input: toTensor([-1, 3, 9], [3]) },
    { request_id: 'b', activation: { hardtanh: { min_val: -2, max_val: 2 } }, input: toTensor([-5, 1, 5], [3]) },
  ]);
  responses.sort((x, y) => x.request_id.localeCompare(y.request_id));
  for (const r of responses) {
    console.log('stream', r.request_id, r.error ? `failed: ${r.error.message}` : JSON.stringify(fromTensor(r.output)));
  }
  client.close();
}

main().catch((error) => {
  console.error(`error: ${error.code} ${error.details || error.message}`);
  process.exit(1);
});
