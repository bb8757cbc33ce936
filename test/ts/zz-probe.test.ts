import { expect } from "chai";
import { network } from "hardhat";
import { deployBulkhead, now, pinNextBlock, openPosition, ETH, USD, WAD, advance, setPrice } from "./fixture.js";

const connection = await network.create();
const { networkHelpers } = connection;
describe("probe", () => {
  it("eth_call timestamp", async () => {
    const s = await networkHelpers.loadFixture(deployBulkhead);
    const id = await openPosition(s, s.actors.alice, ETH, true, WAD, 600n * USD);
    console.log("latest", await now(s));
    await advance(s, 1000n);
    console.log("latest", await now(s), "borrowIndex", await s.engine.borrowIndex(ETH, true));
    const t = await pinNextBlock(s, 100n);
    console.log("pinned", t, "borrowIndex", await s.engine.borrowIndex(ETH, true));
    await setPrice(s, ETH, 3000n*WAD);
    console.log("latest", await now(s), "borrowIndex", await s.engine.borrowIndex(ETH, true));
    expect(id).to.equal(1n);
  });
});
