/**
 * A JSON-RPC proxy in front of a test node that makes it look like a public endpoint: only the standard namespaces
 * (`eth_`, `net_`, `web3_`) are served, anything else gets "method not found" as Infura or Alchemy would answer.
 * It records every method asked for, and lets a test hold back a transaction to interrupt a deployment at an exact
 * point: either the transaction never reaches the node, or it does but the sender never hears back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

const STANDARD = /^(eth|net|web3)_/;
const SENDS = new Set(["eth_sendRawTransaction", "eth_sendTransaction"]);

interface RpcRequest {
  jsonrpc: "2.0";
  id: number | string | null;
  method: string;
  params?: unknown[];
}

/** What to do with the n-th transaction (1-based, counted since the last `onSend` call). */
export type SendAction = "forward" | "drop" | "forward-silently";

export interface RpcProxy {
  url: string;
  /** Every method asked for, in order. */
  methods: string[];
  /** Non-standard methods refused. */
  refused: string[];
  /** Decides the fate of each transaction from now on; the promise of `held` resolves when one is held back. */
  onSend(decide: (n: number) => SendAction): { held: Promise<void> };
  close(): Promise<void>;
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const methods: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  let decide: (n: number) => SendAction = () => "forward";
  let sends = 0;
  let onHeld: () => void = () => undefined;

  const forward = async (request: RpcRequest): Promise<unknown> => {
    const response = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    return response.json();
  };

  /** The response to one request, or `undefined` to never answer. */
  const handle = async (request: RpcRequest): Promise<unknown> => {
    methods.push(request.method);
    if (!STANDARD.test(request.method)) {
      refused.push(request.method);
      return {
        jsonrpc: "2.0",
        id: request.id,
        error: { code: -32601, message: `the method ${request.method} does not exist/is not available` },
      };
    }
    if (SENDS.has(request.method)) {
      const action = decide(++sends);
      if (action === "drop") {
        onHeld();
        return undefined;
      }
      if (action === "forward-silently") {
        await forward(request);
        onHeld();
        return undefined;
      }
    }
    return forward(request);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      void (async () => {
        const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
        const answers = Array.isArray(parsed) ? await Promise.all(parsed.map(handle)) : [await handle(parsed)];
        if (answers.some((a) => a === undefined)) return; // Held back: the caller waits until it is killed.
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(Array.isArray(parsed) ? answers : answers[0]));
      })().catch((error: unknown) => {
        res.statusCode = 502;
        res.end(String(error));
      });
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");

  return {
    url: `http://127.0.0.1:${address.port}`,
    methods,
    refused,
    onSend(next) {
      sends = 0;
      decide = next;
      return { held: new Promise<void>((resolve) => (onHeld = resolve)) };
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
