/**
 * What `npm run verify` submits to the explorers, and an offline proof that it is right.
 *
 * The targets are every contract the deployment created: those Ignition deployed (exact constructor arguments and
 * creation transactions from its journal: the engine and its order and liquidation modules among them) plus the
 * position-vault implementation, which the engine creates in its constructor. Existing contracts a testnet deployment binds to (token, feeds) are not ours to verify.
 *
 * `preflight` checks each target against the chain without any explorer: the creation transaction's input must be
 * exactly the artifact's bytecode followed by the ABI-encoded constructor arguments, and the vault implementation's
 * runtime code must be the artifact's with its immutables filled in. A target that passes is what an explorer
 * would accept, provided it compiles the same sources with the same settings (which hardhat-verify sends it).
 */
import type { VerifyInfo } from "@nomicfoundation/ignition-core";
import { getVerificationInformation } from "@nomicfoundation/ignition-core";
import { AbiCoder, Interface, type Provider } from "ethers";
import type { ArtifactManager } from "hardhat/types/artifacts";

import type { DeploymentRecord } from "./record.js";

export interface VerifyTarget {
  address: string;
  /** Fully qualified name, `<source>:<contract>`. */
  contract: string;
  constructorArgs: unknown[];
  libraries: Record<string, string>;
  creationTxHash?: string;
}

const VAULT_FQN = "contracts/PositionVault.sol:PositionVault";

/** The contracts to verify, from the Ignition journal in `journalDir` and the record. */
export async function verificationTargets(journalDir: string, record: DeploymentRecord): Promise<VerifyTarget[]> {
  const targets: VerifyTarget[] = [];
  for await (const info of getVerificationInformation(journalDir)) {
    if (typeof info === "string")
      throw new Error(
        `the journal has no artifact for ${info}; cannot verify it. Run \`npx hardhat build --no-tests\` at the ` +
          `commit that was deployed, then \`npm run verify\` again`,
      );
    targets.push(toTarget(info));
  }
  // The engine's code is split over three contracts: its two modules are verified like the engine, and a journal
  // without them is not the recorded deployment.
  for (const key of ["engine", "orderModule", "liquidationModule"] as const) {
    const { address, abi } = record.contracts[key];
    if (!targets.some((t) => t.address.toLowerCase() === address.toLowerCase()))
      throw new Error(
        `the Ignition journal did not deploy the recorded ${key} (${abi} at ${address}): it belongs to another ` +
          `deployment. Re-run \`npm run deploy\` for this network, then \`npm run verify\``,
      );
  }
  const engine = targets.find((t) => t.address === record.contracts.engine.address);
  targets.push({
    address: record.contracts.vaultImplementation.address,
    contract: VAULT_FQN,
    constructorArgs: [record.contracts.asset.address],
    libraries: {},
    ...(engine?.creationTxHash === undefined ? {} : { creationTxHash: engine.creationTxHash }),
  });
  return targets;
}

function toTarget(info: VerifyInfo): VerifyTarget {
  return {
    address: info.address,
    contract: info.contract,
    constructorArgs: info.constructorArgs,
    libraries: info.libraries,
    ...(info.creationTxHash === undefined ? {} : { creationTxHash: info.creationTxHash }),
  };
}

export interface PreflightResult {
  target: VerifyTarget;
  ok: boolean;
  detail: string;
}

/** Checks a target against the chain and the local artifacts; see the file comment. */
export async function preflight(
  provider: Provider,
  artifacts: ArtifactManager,
  target: VerifyTarget,
): Promise<PreflightResult> {
  const fail = (detail: string): PreflightResult => ({ target, ok: false, detail });
  const artifact = await artifacts.readArtifact(target.contract);
  if (Object.keys(artifact.linkReferences).length > 0) return fail("linked libraries are not expected here");
  const encodedArgs = new Interface(artifact.abi).encodeDeploy(target.constructorArgs).slice(2);

  if (target.contract !== VAULT_FQN) {
    if (target.creationTxHash === undefined) return fail("no creation transaction recorded");
    const tx = await provider.getTransaction(target.creationTxHash);
    if (tx === null) return fail(`creation transaction ${target.creationTxHash} not found`);
    if (tx.data !== `${artifact.bytecode}${encodedArgs}`) {
      return fail("the creation input is not the artifact's bytecode + these arguments (recompiled since deploying?)");
    }
    return { target, ok: true, detail: `creation input matches (${encodedArgs.length / 2} bytes of arguments)` };
  }

  // Created by the engine: compare runtime code, immutables masked, and check the asset immutable.
  const onChain = (await provider.getCode(target.address)).slice(2);
  let expected = artifact.deployedBytecode.slice(2);
  if (onChain.length !== expected.length) return fail("runtime code length differs from the artifact's");
  const references = (artifact as { immutableReferences?: Record<string, { start: number; length: number }[]> })
    .immutableReferences;
  const immutables: string[] = [];
  for (const slots of Object.values(references ?? {})) {
    for (const { start, length } of slots) {
      const value = onChain.slice(start * 2, (start + length) * 2);
      immutables.push(value);
      expected = expected.slice(0, start * 2) + value + expected.slice((start + length) * 2);
    }
  }
  if (onChain !== expected) return fail("runtime code differs from the artifact's (recompiled since deploying?)");
  const asset = AbiCoder.defaultAbiCoder().encode(["address"], target.constructorArgs).slice(2);
  if (!immutables.includes(asset)) return fail("the vault's ASSET immutable is not the recorded asset");
  return { target, ok: true, detail: "runtime code matches, immutables filled in" };
}
