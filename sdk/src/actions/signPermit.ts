import { parseSignature, type Account, type Address, type Hex, type SignTypedDataErrorType } from "viem";
import { readContract, signTypedData } from "viem/actions";

import { PermitNotSupportedError } from "../errors/sdk.js";
import { settlementTokenAbi } from "../abis.js";
import { accountOf, addressOfAccount, type WriteClient } from "../internal/client.js";

export interface SignPermitParameters {
  /** An EIP-2612 token that exposes its EIP-712 domain (ERC-5267), like the settlement asset of the demo. */
  token: Address;
  spender: Address;
  value: bigint;
  /** Unix time after which the permit is void. */
  deadline: bigint;
  /** Signer; defaults to the client's account. */
  account?: Account | Address | undefined;
}

export interface SignPermitReturnType {
  owner: Address;
  spender: Address;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
  signature: Hex;
  v: number;
  r: Hex;
  s: Hex;
}

export type SignPermitErrorType = PermitNotSupportedError | SignTypedDataErrorType;

/**
 * Signs an EIP-2612 permit (off-chain, no gas). Anyone can then submit it with the token's `permit`, so the owner
 * needs no approval transaction of their own.
 */
export async function signPermit(
  client: WriteClient,
  { token, spender, value, deadline, account: accountParameter }: SignPermitParameters,
): Promise<SignPermitReturnType> {
  const account = accountOf(client, accountParameter, "signPermit");
  const owner = addressOfAccount(account);
  let domain: { name: string; version: string; chainId: bigint; verifyingContract: Address };
  let nonce: bigint;
  try {
    const [, name, version, chainId, verifyingContract] = await readContract(client, {
      address: token,
      abi: settlementTokenAbi,
      functionName: "eip712Domain",
    });
    domain = { name, version, chainId, verifyingContract };
    nonce = await readContract(client, {
      address: token,
      abi: settlementTokenAbi,
      functionName: "nonces",
      args: [owner],
    });
  } catch (cause) {
    throw new PermitNotSupportedError(token, { cause });
  }
  const signature = await signTypedData(client, {
    account,
    domain: { ...domain, chainId: Number(domain.chainId) },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner, spender, value, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { owner, spender, value, nonce, deadline, signature, r, s, v: Number(v ?? BigInt(yParity + 27)) };
}
