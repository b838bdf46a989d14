// A tiny test runner whose output matches cmocka's summary lines, so that
// scripts/run_tests.sh adds the counts into the final line.

export class Skip extends Error {}

export function skip(why) {
  throw new Skip(why);
}

export function assert(cond, msg) {
  if (!cond) throw new Error("assertion failed: " + msg);
}

export function assertEqual(got, want, msg) {
  if (got !== want) {
    throw new Error("assertion failed: " + msg + ": got " + JSON.stringify(got) +
                    ", want " + JSON.stringify(want));
  }
}

/** Run tests ([name, fn] in order); print cmocka-style lines; exit code. */
export async function run(group, tests, { setup, teardown } = {}) {
  let passed = 0;
  let skipped = 0;
  const failed = [];
  console.log("[==========] Running " + tests.length + " test(s) of " + group + ".");
  let ctx = {};
  try {
    if (setup) ctx = await setup();
  } catch (e) {
    console.log("[  ERROR   ] setup: " + (e.stack || e));
    console.log("[  FAILED  ] " + tests.length + " test(s), listed below:");
    return 1;
  }
  for (const [name, fn] of tests) {
    console.log("[ RUN      ] " + name);
    const t0 = Date.now();
    try {
      await fn(ctx);
      passed++;
      console.log("[       OK ] " + name + " (" + (Date.now() - t0) + " ms)");
    } catch (e) {
      if (e instanceof Skip) {
        skipped++;
        console.log("SKIP: " + name + ": " + e.message);
        console.log("[  SKIPPED ] " + name);
      } else {
        failed.push(name);
        console.log("[  ERROR   ] " + name + ": " + (e.stack || e));
        console.log("[  FAILED  ] " + name);
      }
    }
  }
  try {
    if (teardown) await teardown(ctx);
  } catch (e) {
    console.log("[  ERROR   ] teardown: " + (e.stack || e));
  }
  console.log("[==========] " + tests.length + " test(s) run.");
  console.log("[  PASSED  ] " + passed + " test(s).");
  if (skipped) console.log("[  SKIPPED ] " + skipped + " test(s).");
  if (failed.length) {
    console.log("[  FAILED  ] " + failed.length + " test(s), listed below:");
    for (const f of failed) console.log("[  FAILED  ] " + f);
  }
  return failed.length ? 1 : 0;
}
