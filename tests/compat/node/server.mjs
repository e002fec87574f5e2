// A user endpoint built with the official, unmodified trigger.dev v2 SDK.
//
// kongflow's compatibility tests start this file with `node server.mjs` and point
// the kongflow server at it. Configuration comes from the environment:
//
//   PORT                 port to listen on, on 127.0.0.1 (0 = let the OS choose)
//   TRIGGER_ENDPOINT_ID  the TriggerClient id (default "compat-app")
//   TRIGGER_API_KEY      the environment's secret key (tr_dev_…)
//   TRIGGER_API_URL      base URL of the server the SDK calls while running jobs
//   COMPAT_EXIT_ON_STDIN_CLOSE
//                        when "1", exit as soon as stdin closes; the Python
//                        harness holds stdin open, so the endpoint never outlives it
//
// Once the HTTP server listens, exactly one line `READY <port>` goes to stdout.

import express from "express";
import { createMiddleware } from "@trigger.dev/express";
import {
  TriggerClient,
  cronTrigger,
  eventTrigger,
  intervalTrigger,
  invokeTrigger,
} from "@trigger.dev/sdk";
import { z } from "zod";

const client = new TriggerClient({
  id: process.env.TRIGGER_ENDPOINT_ID || "compat-app",
  apiKey: process.env.TRIGGER_API_KEY,
  apiUrl: process.env.TRIGGER_API_URL,
});

// An event trigger with a payload filter and an example payload.
client.defineJob({
  id: "event-filter",
  name: "Paid orders over 100",
  version: "1.0.0",
  trigger: eventTrigger({
    name: "order.created",
    filter: { status: ["paid"], amount: [{ $gt: 100 }] },
    examples: [{ id: "paid", name: "Paid order", payload: { status: "paid", amount: 250 } }],
  }),
  run: async (payload, io) => {
    const recorded = await io.runTask("record", async () => ({ ok: true, amount: payload.amount }));
    return recorded;
  },
});

// How many times the "flaky" task body ran, per run id. It fails twice, then works.
const flakyAttempts = new Map();

// Several tasks, a wait between the second and third, and a task that is retried.
client.defineJob({
  id: "three-tasks",
  name: "Three tasks, a wait and a retried task",
  version: "1.0.0",
  trigger: eventTrigger({ name: "tasks.run" }),
  run: async (payload, io, ctx) => {
    const one = await io.runTask("one", async () => ({ step: 1 }));
    const two = await io.runTask("two", async () => ({ step: 2, previous: one.step }));
    await io.wait("pause", 2);
    const three = await io.runTask("three", async () => ({ step: 3, previous: two.step }));
    const flaky = await io.runTask(
      "flaky",
      async () => {
        const attempt = (flakyAttempts.get(ctx.run.id) ?? 0) + 1;
        flakyAttempts.set(ctx.run.id, attempt);
        if (attempt < 3) {
          throw new Error(`flaky attempt ${attempt} failed`);
        }
        return { step: "flaky", attempt };
      },
      { retry: { limit: 3, minTimeoutInMs: 100, maxTimeoutInMs: 200, factor: 1 } }
    );
    return { one, two, three, flaky };
  },
});

// A cron schedule sharing a named concurrency limit.
const sharedLimit = client.defineConcurrencyLimit({ id: "shared-limit", limit: 2 });

// Yearly, so that no tick lands in the middle of a test (tests fire ticks themselves).
client.defineJob({
  id: "cron-job",
  name: "Once a year",
  version: "1.0.0",
  trigger: cronTrigger({ cron: "0 4 1 1 *" }),
  concurrencyLimit: sharedLimit,
  run: async (payload, io) => {
    await io.logger.info("cron tick", { ts: payload.ts });
    return { ts: payload.ts };
  },
});

// An interval schedule.
client.defineJob({
  id: "interval-job",
  name: "Every five minutes (interval)",
  version: "1.0.0",
  trigger: intervalTrigger({ seconds: 300 }),
  run: async (payload, io) => {
    await io.logger.info("interval tick", { ts: payload.ts });
    return { ts: payload.ts, lastTimestamp: payload.lastTimestamp ?? null };
  },
});

// Only runs when invoked, with a validated payload.
client.defineJob({
  id: "invoke-job",
  name: "Greets whoever invokes it",
  version: "1.0.0",
  trigger: invokeTrigger({ schema: z.object({ name: z.string() }) }),
  run: async (payload) => {
    return { greeting: `Hello, ${payload.name}!` };
  },
});

// Listed in the index, but disabled.
client.defineJob({
  id: "disabled-job",
  name: "Disabled",
  version: "0.0.1",
  enabled: false,
  trigger: eventTrigger({ name: "never.happens" }),
  run: async () => {
    throw new Error("a disabled job must never run");
  },
});

// Sends an event that matches the filter of "event-filter".
client.defineJob({
  id: "send-event-job",
  name: "Sends a paid order event",
  version: "1.0.0",
  trigger: eventTrigger({ name: "send.event" }),
  run: async (payload, io) => {
    const sent = await io.sendEvent("send", {
      name: "order.created",
      payload: { status: "paid", amount: 500 },
    });
    return { eventId: sent.id };
  },
});

// Waits for the approval of its order (io.waitForEvent), then reports who gave it.
client.defineJob({
  id: "wait-for-event-job",
  name: "Waits for an approval event",
  version: "1.0.0",
  trigger: eventTrigger({ name: "approval.requested" }),
  run: async (payload, io) => {
    const approval = await io.waitForEvent(
      "wait-evt",
      { name: "approval.granted", filter: { orderId: [payload.orderId] } },
      { timeoutInSeconds: 60 }
    );
    return { by: approval.payload.by, eventId: approval.id, name: approval.name };
  },
});

// A schedule registered at run time: each registration runs "digest-job".
const digestSchedule = client.defineDynamicSchedule({ id: "digest" });

client.defineJob({
  id: "digest-job",
  name: "Runs on each registration of the digest schedule",
  version: "1.0.0",
  trigger: digestSchedule,
  run: async (payload, io, ctx) => ({ ts: payload.ts, source: ctx.source ?? null }),
});

client.defineJob({
  id: "subscribe-digest-job",
  name: "Registers a user's digest schedule",
  version: "1.0.0",
  trigger: eventTrigger({ name: "digest.subscribe" }),
  run: async (payload) =>
    digestSchedule.register(payload.userId, {
      type: "interval",
      options: { seconds: 3600 },
      metadata: { plan: "pro" },
    }),
});

// How many times the "slow" task body ran, per run id (must stay 1 however often
// the run is executed).
const slowBodyRuns = new Map();

// A task that takes a few seconds, so a test can stop the worker while it runs.
client.defineJob({
  id: "slow-job",
  name: "A slow task, then a quick one",
  version: "1.0.0",
  trigger: eventTrigger({ name: "slow.run" }),
  run: async (payload, io, ctx) => {
    const slow = await io.runTask("slow", async () => {
      slowBodyRuns.set(ctx.run.id, (slowBodyRuns.get(ctx.run.id) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, payload.ms ?? 3000));
      return { slept: payload.ms ?? 3000 };
    });
    const quick = await io.runTask("quick", async () => ({
      after: slow.slept,
      slowBodyRuns: slowBodyRuns.get(ctx.run.id) ?? 0,
    }));
    return { slow, quick };
  },
});

const app = express();
// The adapter must come before any body parser: it streams the raw request body.
app.use(createMiddleware(client, "/api/trigger"));

const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}

process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

if (process.env.COMPAT_EXIT_ON_STDIN_CLOSE === "1") {
  process.stdin.on("end", shutdown);
  process.stdin.on("close", shutdown);
  process.stdin.resume();
}
