/** The parameter files: units, validation messages, the shipped files, and which file a network uses. */
import path from "node:path";

import { expect } from "chai";
import { ZeroAddress } from "ethers";
import type { HardhatConfig } from "hardhat/types/config";

import {
  DEPLOYER,
  parameterFileFor,
  ParameterError,
  parseParameters,
  readParameterFile,
} from "../../../deploy/lib/parameters.js";
import { REAL_GENESIS } from "../../../deploy/lib/chains.js";
import { checkParameters, journalDirFor, type ChainContext } from "../../../deploy/lib/deploy.js";
import { recordFile } from "../../../deploy/lib/record.js";
import { InvalidDeploymentError } from "../../../sdk/src/errors/sdk.js";
import {
  GLOBAL_PARAM_FIELDS,
  GLOBAL_PARAM_SPECS,
  LP_PARAM_FIELDS,
  LP_PARAM_SPECS,
  MARKET_PARAM_FIELDS,
  MARKET_PARAM_SPECS,
} from "../../../sdk/src/params.js";
import { parseDeploymentRecord, RECORD_VERSION } from "../../../sdk/src/record.js";
import { parseRatePerSecond, parseRatio, parseUsd, WAD } from "../../../sdk/src/units.js";
import { ROOT } from "./support/processes.js";

const local = (): Record<string, unknown> =>
  readParameterFile(path.join(ROOT, "deploy", "parameters", "local.json")) as Record<string, unknown>;
const sepolia = (): Record<string, unknown> =>
  readParameterFile(path.join(ROOT, "deploy", "parameters", "sepolia.json")) as Record<string, unknown>;

function problemsOf(json: unknown, decimals = 6n): string[] {
  try {
    parseParameters(json, "test.json", decimals);
  } catch (error) {
    if (error instanceof ParameterError) return error.problems;
    throw error;
  }
  throw new Error("expected the parameters to be rejected");
}

describe("deployment parameters", function () {
  it("converts human units exactly, never rounding in the caller's favour", function () {
    expect(parseRatio("10%")).to.equal(WAD / 10n);
    expect(parseRatio("0.5%")).to.equal(WAD / 200n);
    expect(parseRatio("900%")).to.equal(9n * WAD);
    expect(parseRatio("123")).to.equal(123n);
    // As in the Solidity tests: 10 % a year, in WAD per second, rounded down.
    expect(parseRatePerSecond("10%/year")).to.equal(WAD / 10n / (365n * 86_400n));
    expect(parseUsd("10 USD", 6n)).to.equal(10_000_000n);
    expect(parseUsd("1.5 USD", 6n)).to.equal(1_500_000n);
    expect(parseUsd("50000000 USD", 18n)).to.equal(50_000_000n * WAD);
    expect(() => parseUsd("0.0000001 USD", 6n)).to.throw("more than 6 decimals");
    expect(() => parseRatio("ten%")).to.throw("not a non-negative decimal");
    expect(() => parseRatio(1.5)).to.throw("not a non-negative safe integer");
  });

  it("reads the shipped local file: mocks, deployer governance, funded accounts", function () {
    const params = parseParameters(local(), "local.json", 6n);
    expect(params.kind).to.equal("local");
    expect(params.asset).to.deep.equal({ mock: "TestStablecoin" });
    expect(params.timelock).to.equal(null);
    expect(params.markets.map((m) => [m.name, m.feed])).to.deep.equal([
      ["ETH-USD", { mockAnswer: 3_000n * 10n ** 8n }],
      ["BTC-USD", { mockAnswer: 60_000n * 10n ** 8n }],
    ]);
    expect(params.global).to.deep.equal({
      minCollateral: 10_000_000n,
      keeperReserve: 5_000_000n,
      maxUtilization: 5n * WAD,
      liquidationGracePeriod: 600n,
      minNotional: 10_000_000n,
      maxExecutionDelay: 60n,
      minExecutionFee: 100_000n,
    });
    expect(params.lp).to.deep.equal({
      lpDelay: 60n,
      lpSettle: 1n,
      lpResume: 60n,
      minRequest: 10_000_000n,
      executionFee: 500_000n,
    });
    for (const market of params.markets) {
      expect(market.params.maxProfitNotionalRatio).to.equal(WAD);
      expect(market.params.borrowRateLong).to.equal(WAD / 10n / (365n * 86_400n));
      // An order waits at most the heartbeat plus a minute for its round.
      expect(market.params.maxOrderWait).to.equal(market.params.heartbeat + 60n);
    }
    expect(params.funding).to.deep.equal({ accounts: 10, amount: 100_000_000_000n, poolSeed: 1_000_000_000_000n });
  });

  it("reads the shipped Sepolia file: existing token and feeds, a timelock, no mocks", function () {
    const params = parseParameters(sepolia(), "sepolia.json", 6n);
    expect(params.kind).to.equal("testnet");
    expect(params.chainId).to.equal(11155111);
    expect(params.asset).to.deep.equal({ address: "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238" });
    expect(params.timelock).to.deep.equal({ minDelay: 3_600n, proposers: [DEPLOYER], executors: [ZeroAddress] });
    expect(params.markets.every((m) => "address" in m.feed)).to.equal(true);
    expect(params.funding).to.equal(null);
    expect(params.global.minNotional).to.equal(10_000_000n);
    expect(params.lp).to.deep.equal({
      lpDelay: 300n,
      lpSettle: 12n,
      lpResume: 300n,
      minRequest: 10_000_000n,
      executionFee: 1_000_000n,
    });
    expect(params.markets.map((m) => m.params.maxProfitNotionalRatio)).to.deep.equal([WAD, WAD]);
    // Orders: a 75-minute heartbeat plus a minute of wait, a one-minute window, a 0.1 USD minimum fee.
    expect(params.markets.map((m) => [m.params.heartbeat, m.params.maxOrderWait])).to.deep.equal([
      [4_500n, 4_560n],
      [4_500n, 4_560n],
    ]);
    expect([params.global.maxExecutionDelay, params.global.minExecutionFee]).to.deep.equal([60n, 100_000n]);
  });

  it("reads the shipped Sepolia rehearsal file: Sepolia's parameters, mocks, funding and a seeded pool", function () {
    const rehearsal = readParameterFile(path.join(ROOT, "deploy", "parameters", "sepolia-rehearsal.json"));
    const params = parseParameters(rehearsal, "sepolia-rehearsal.json", 6n);
    const real = parseParameters(sepolia(), "sepolia.json", 6n);
    expect(params.kind).to.equal("rehearsal");
    expect(params.chainId).to.equal(11155111);
    expect(params.asset).to.deep.equal({ mock: "TestStablecoin" });
    expect(params.global).to.deep.equal(real.global);
    expect(params.lp).to.deep.equal(real.lp);
    expect(params.markets.map((m) => m.params)).to.deep.equal(real.markets.map((m) => m.params));
    expect(params.timelock?.minDelay).to.equal(real.timelock?.minDelay);
    expect(params.funding?.poolSeed).to.equal(1_000_000n * 10n ** 6n);
    const { chainId: _omitted, ...unpinned } = rehearsal;
    expect(problemsOf(unpinned)).to.deep.equal([
      "chainId: a rehearsal names the chain id of the testnet it rehearses (e.g. 11155111)",
    ]);
  });

  it("lists every problem of a file at once, each with where it is", function () {
    const json = sepolia();
    const markets = json.markets as Record<string, unknown>[];
    json.asset = "TestStablecoin";
    json.governance = "deployer";
    json.colour = "blue";
    json.funding = { accounts: 2, amount: "1 USD" };
    markets[1] = { ...markets[1], heartbeat: 30, openFeeRatio: "2%" };
    markets.push({ ...markets[0] }, { ...markets[0], name: "SOL-USD", feed: { mockPrice: "150" } });
    const problems = problemsOf(json);
    expect(problems).to.include("colour: unknown field");
    expect(problems).to.include("asset: the open-mint TestStablecoin is for local chains and rehearsals only");
    expect(problems).to.include("governance: a testnet is governed by a timelock, not the deployer");
    expect(problems).to.include(
      "funding: a testnet token cannot be minted: only funding.poolSeed, paid from the deployer's tokens",
    );
    expect(problems).to.include(
      "markets[3].feed: mock feeds are for local chains and rehearsals only; give the feed's address",
    );
    expect(problems).to.include("markets[1].heartbeat: 30 is outside the contract's bounds [60, 172800]");
    expect(problems).to.include(
      "markets[1].openFeeRatio: 20000000000000000 is outside the contract's bounds [0, 10000000000000000]",
    );
    expect(problems).to.include('markets: "ETH-USD" is listed twice');
  });

  it("rejects a maintenance margin that is not below the initial margin", function () {
    const json = local();
    (json.markets as Record<string, unknown>[])[0]!.mmr = "10%";
    expect(problemsOf(json)).to.deep.equal([
      "markets[0].mmr: 100000000000000000 is outside the contract's bounds [5000000000000000, 99999999999999999]",
    ]);
  });

  it("checks the LP parameters and the new market and global fields against RiskBounds", function () {
    const json = local();
    const lp = json.lp as Record<string, unknown>;
    lp.lpDelay = 30;
    lp.lpSettle = 0;
    lp.minRequest = "5 USD";
    lp.executionFee = "6 USD";
    const global = json.global as Record<string, unknown>;
    global.minNotional = "9 USD";
    global.keeperReserve = "0.05 USD";
    const market = (json.markets as Record<string, unknown>[])[0]!;
    market.maxProfitNotionalRatio = "101%";
    market.borrowRateShort = "0%/year";
    (json.funding as Record<string, unknown>).poolSeed = "4 USD";
    expect(problemsOf(json)).to.have.members([
      "global.keeperReserve: 50000 is outside the contract's bounds [100000, 1000000000]",
      "global.minNotional: 9000000 is outside the contract's bounds [10000000, 10000000000000]",
      "lp.lpDelay: 30 is outside the contract's bounds [60, 86400]",
      "lp.lpSettle: 0 is outside the contract's bounds [1, 3600]",
      // The fee comes out of the request: below minRequest.
      "lp.executionFee: 6000000 is outside the contract's bounds [0, 4999999]",
      "markets[0].maxProfitNotionalRatio: 1010000000000000000 is outside the contract's bounds " +
        "[10000000000000000, 1000000000000000000]",
      "markets[0].borrowRateShort: 0 is outside the contract's bounds [317097919, 31709791983]",
      "funding.poolSeed: 4000000 is below lp.minRequest (5000000): the seed is a deposit request (0: no seed)",
    ]);
    const { lp: _lp, ...withoutLp } = local();
    expect(problemsOf(withoutLp)).to.deep.equal(["lp: Invalid input: expected object, received undefined"]);
  });

  it("checks the order parameters against RiskBounds: a wait of at least the heartbeat, a bounded window and fee", function () {
    const json = local();
    const global = json.global as Record<string, unknown>;
    const [eth, btc] = json.markets as Record<string, unknown>[];
    global.maxExecutionDelay = 14;
    global.minExecutionFee = "100.1 USD";
    // An order must be able to wait for the feed's next heartbeat round: at least the heartbeat, at most 2 days + 1 h.
    eth!.maxOrderWait = 86_399;
    btc!.heartbeat = 30;
    btc!.maxOrderWait = 59;
    expect(problemsOf(json)).to.have.members([
      "global.maxExecutionDelay: 14 is outside the contract's bounds [15, 300]",
      "global.minExecutionFee: 100100000 is outside the contract's bounds [0, 100000000]",
      "markets[0].maxOrderWait: 86399 is outside the contract's bounds [86400, 176400]",
      "markets[1].heartbeat: 30 is outside the contract's bounds [60, 172800]",
      "markets[1].maxOrderWait: 59 is outside the contract's bounds [60, 176400]",
    ]);
    global.maxExecutionDelay = 301;
    global.minExecutionFee = "0 USD";
    eth!.maxOrderWait = 176_401;
    btc!.heartbeat = 86_400;
    btc!.maxOrderWait = 86_400;
    expect(problemsOf(json)).to.have.members([
      "global.maxExecutionDelay: 301 is outside the contract's bounds [15, 300]",
      "markets[0].maxOrderWait: 176401 is outside the contract's bounds [86400, 176400]",
    ]);
    // A heartbeat that does not parse is reported once; the wait is checked against the heartbeat's own minimum.
    btc!.heartbeat = "a day";
    global.maxExecutionDelay = 300;
    eth!.maxOrderWait = 176_400;
    expect(problemsOf(json)).to.deep.equal([
      'markets[1].heartbeat: "a day" is not an integer (use a number or a string of digits)',
    ]);
    const { maxOrderWait: _wait, ...withoutWait } = eth!;
    expect(problemsOf({ ...local(), markets: [withoutWait] })).to.deep.equal(["markets[0].maxOrderWait: missing"]);
  });

  it("takes every market field from the ABI, each with a unit and a bound mirrored from RiskBounds", function () {
    const artifact = readParameterFile(path.join(ROOT, "artifacts", "contracts", "RiskConfig.sol", "RiskConfig.json"));
    const abi = artifact.abi as { type: string; name?: string; outputs?: { components?: { name: string }[] }[] }[];
    const struct = (name: string): string[] =>
      abi
        .find((item) => item.type === "function" && item.name === name)
        ?.outputs?.[0]?.components?.map((c) => c.name) ?? [];
    expect(["feed", ...MARKET_PARAM_FIELDS]).to.deep.equal(struct("marketParams"));
    expect([...GLOBAL_PARAM_FIELDS]).to.deep.equal(struct("globalParams"));
    expect([...LP_PARAM_FIELDS]).to.deep.equal(struct("lpParams"));
    for (const field of MARKET_PARAM_FIELDS) expect(MARKET_PARAM_SPECS[field], field).to.not.equal(undefined);
    for (const field of GLOBAL_PARAM_FIELDS) expect(GLOBAL_PARAM_SPECS[field], field).to.not.equal(undefined);
    for (const field of LP_PARAM_FIELDS) expect(LP_PARAM_SPECS[field], field).to.not.equal(undefined);
  });

  it("the deployment record has one versioned schema: an unknown version is refused with what to do", function () {
    expect(() => parseDeploymentRecord({ version: 1, chainId: 1 }, "deployments/1.json")).to.throw(
      /deployments\/1\.json has record version 1; this version of the tooling reads version 4\. Re-run `npm run deploy/,
    );
    expect(() => parseDeploymentRecord({ version: RECORD_VERSION, chainId: 1, extra: true }, "x.json")).to.throw(
      InvalidDeploymentError,
      /extra: unknown field/,
    );
  });

  it("a rehearsal writes its record and journal under deploy/rehearsal/, never where the real deployment's go", function () {
    const saved = { ...process.env };
    delete process.env.BULKHEAD_DEPLOYMENTS_DIR;
    delete process.env.BULKHEAD_IGNITION_DIR;
    const config = { paths: { root: ROOT, ignition: path.join(ROOT, "deploy") } } as unknown as HardhatConfig;
    try {
      delete process.env.BULKHEAD_REHEARSAL;
      expect(recordFile(ROOT, 11155111)).to.equal(path.join(ROOT, "deployments", "11155111.json"));
      expect(journalDirFor(config, 11155111)).to.equal(path.join(ROOT, "deploy", "deployments", "chain-11155111"));
      process.env.BULKHEAD_REHEARSAL = "1";
      expect(recordFile(ROOT, 11155111)).to.equal(
        path.join(ROOT, "deploy", "rehearsal", "deployments", "11155111.json"),
      );
      expect(journalDirFor(config, 11155111)).to.equal(
        path.join(ROOT, "deploy", "rehearsal", "ignition", "chain-11155111"),
      );
    } finally {
      for (const key of ["BULKHEAD_REHEARSAL", "BULKHEAD_DEPLOYMENTS_DIR", "BULKHEAD_IGNITION_DIR"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it("refuses a rehearsal file without BULKHEAD_REHEARSAL=1, on the real network's genesis, and on an unknown chain", async function () {
    const rehearsal = readParameterFile(path.join(ROOT, "deploy", "parameters", "sepolia-rehearsal.json"));
    // A rehearsal file names only mocks: nothing is read from the chain but its id and genesis.
    const chain = (chainId: number, genesisHash: string): ChainContext => ({
      chainId,
      networkName: "sepolia",
      deployer: ZeroAddress,
      accounts: [],
      genesisHash,
      provider: undefined as unknown as ChainContext["provider"],
    });
    const fake = `0x${"ab".repeat(32)}`;
    const refusal = async (context: ChainContext, json: Record<string, unknown> = rehearsal): Promise<string> => {
      try {
        await checkParameters(json, "sepolia-rehearsal.json", context);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error("expected a refusal");
    };
    const saved = process.env.BULKHEAD_REHEARSAL;
    try {
      delete process.env.BULKHEAD_REHEARSAL;
      expect(await refusal(chain(11155111, fake))).to.include("with BULKHEAD_REHEARSAL=1 set");
      process.env.BULKHEAD_REHEARSAL = "1";
      expect((await checkParameters(rehearsal, "sepolia-rehearsal.json", chain(11155111, fake))).kind).to.equal(
        "rehearsal",
      );
      expect(await refusal(chain(11155111, REAL_GENESIS[11155111]!))).to.include("is the real chain 11155111");
      expect(await refusal(chain(17000, fake), { ...rehearsal, chainId: 17000 })).to.include(
        "its genesis hash is not known",
      );
      expect(await refusal(chain(31337, fake), local())).to.include("BULKHEAD_REHEARSAL=1 is set, but");
    } finally {
      if (saved === undefined) delete process.env.BULKHEAD_REHEARSAL;
      else process.env.BULKHEAD_REHEARSAL = saved;
    }
  });

  it("finds the file for a network", function () {
    const dir = path.join(ROOT, "deploy", "parameters");
    const saved = process.env.BULKHEAD_DEPLOY_PARAMETERS;
    delete process.env.BULKHEAD_DEPLOY_PARAMETERS;
    try {
      expect(parameterFileFor(ROOT, "sepolia", 11155111)).to.equal(path.join(dir, "sepolia.json"));
      expect(parameterFileFor(ROOT, "localhost", 31337)).to.equal(path.join(dir, "local.json"));
      expect(parameterFileFor(ROOT, "default", 31337)).to.equal(path.join(dir, "local.json"));
      expect(() => parameterFileFor(ROOT, "holesky", 17000)).to.throw("create deploy/parameters/holesky.json");
      process.env.BULKHEAD_DEPLOY_PARAMETERS = "elsewhere.json";
      expect(parameterFileFor(ROOT, "sepolia", 11155111)).to.equal(path.join(ROOT, "elsewhere.json"));
    } finally {
      if (saved === undefined) delete process.env.BULKHEAD_DEPLOY_PARAMETERS;
      else process.env.BULKHEAD_DEPLOY_PARAMETERS = saved;
    }
  });
});
