/**
 * The worker entry piscina loads for every actor thread. It is deliberately thin: the protocol
 * handling lives in src/runtime/host/ so it is typed and testable on its own. A dead worker is
 * detected by the main thread (a rejected task), never reported from here.
 *
 *   main thread ── HostRequest (open | batch | probe | cancel-listings | close) ──▶ handleRequest ──▶ backend
 *               ◀── HostReply {ok, results[], seconds} ─────────
 */
import { handleRequest } from '../src/runtime/host/actor-host.js';

export default handleRequest;
