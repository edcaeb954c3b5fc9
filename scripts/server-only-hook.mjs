// server.ts runs outside Next's bundler, where `import "server-only"` would throw (that package
// only resolves to an empty module under the "react-server" condition). Map it to an empty module.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(
      'export async function resolve(s, c, n) { return s === "server-only" ? { url: "data:text/javascript,", shortCircuit: true } : n(s, c); }',
    ),
);
