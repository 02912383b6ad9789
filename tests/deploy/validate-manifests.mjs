// Validates rendered Kubernetes manifests (multi-document YAML files, e.g. `kubectl kustomize` output)
// without a cluster, twice:
//   1. against the Kubernetes JSON schemas (npm kubernetes-models; the ServiceMonitor CRD's schema from
//      @kubernetes-models/prometheus-operator): types, required fields, formats, enums;
//   2. for unknown fields, which those schemas let through but an API server with strict field validation
//      (kubectl's default) rejects: every object is written out as a TypeScript constant of the model's
//      type, and `tsc` rejects any property the type does not declare (excess-property check).
// Before trusting either check, a deliberately broken Deployment must fail both.
//
// Run from a directory holding this file, package.json and `npm ci`'s node_modules:
//   node validate-manifests.mjs RENDERED.yaml...
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));

// apiVersion + kind -> the module exporting the model class and its `I<Kind>` interface.
function modelModule({ apiVersion, kind }) {
  if (apiVersion === "monitoring.coreos.com/v1") {
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;  // "v1" (core) and "group/version" alike.
}

async function schemaErrors(object) {
  const module = await import(modelModule(object)).catch(() => null);
  const Model = module?.[object.kind];
  if (!Model) return [`no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [error.message];
  }
}

// One tsc run over all objects; returns the error lines per object index.
function unknownFieldErrors(objects) {
  const dir = mkdtempSync(join(here, ".tsc-"));
  try {
    const lines = objects.map((object, i) =>
      `import type { I${object.kind} as T${i} } from "${modelModule(object)}";\n` +
      `export const object${i}: T${i} = ${JSON.stringify(object)};`);
    writeFileSync(join(dir, "objects.ts"), lines.join("\n") + "\n");
    try {
      execFileSync(process.execPath, [join(here, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict",
        "--skipLibCheck", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022",
        join(dir, "objects.ts")], { cwd: here, encoding: "utf8" });
      return objects.map(() => []);
    } catch (error) {
      const perObject = objects.map(() => []);
      for (const line of String(error.stdout).split("\n")) {
        const match = line.match(/objects\.ts\((\d+),\d+\): (.*)/);
        if (match) perObject[Math.floor((Number(match[1]) - 1) / 2)]?.push(match[2]);
        else if (line.trim()) perObject[0].push(line);
      }
      return perObject;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describe(object) {
  return `${object.kind}/${object.metadata?.name}`;
}

// Self-test objects: a probe port given as a string (a schema error) and a misspelt field (an unknown field).
function brokenDeployment(container) {
  return {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "self-test" },
    spec: {
      selector: { matchLabels: { app: "x" } },
      template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "x", image: "x", ...container }] } },
    },
  };
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error("usage: node validate-manifests.mjs RENDERED.yaml...");

  const brokenSchema = await schemaErrors(brokenDeployment({ readinessProbe: { grpc: { port: "8081" } } }));
  const [brokenTypes] = unknownFieldErrors([brokenDeployment({ livenessProbes: { grpc: { port: 8081 } } })]);
  if (!brokenSchema.some((e) => e.includes("port")) || !brokenTypes.some((e) => e.includes("livenessProbes"))) {
    throw new Error(`self-test: a broken Deployment passed (schema: ${brokenSchema}; types: ${brokenTypes})`);
  }

  const objects = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      const object = doc.toJS();
      if (object) objects.push({ file, object });
    }
  }
  const typeErrors = unknownFieldErrors(objects.map(({ object }) => object));
  let failures = 0;
  for (const [i, { file, object }] of objects.entries()) {
    const errors = [...await schemaErrors(object), ...typeErrors[i]];
    if (errors.length) {
      failures++;
      console.log(`FAIL ${file}: ${describe(object)}\n  ${errors.join("\n  ")}`);
    } else {
      console.log(`ok   ${file}: ${describe(object)} (${object.apiVersion})`);
    }
  }
  if (failures) throw new Error(`${failures} of ${objects.length} objects are invalid`);
  console.log(`${objects.length} objects valid (schemas and unknown fields)`);
}

main().catch((error) => {
  console.error(`validate-manifests: ${error.message}`);
  process.exit(1);
});
