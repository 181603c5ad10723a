/**
 * The two functions an event can reach in the drill. Which one receives an event is decided the
 * way the deployment decides, by the routing rules of lib/delivery.ts (see ./deployment.ts).
 */
export type Responder = 'isolation' | 'credentials';
