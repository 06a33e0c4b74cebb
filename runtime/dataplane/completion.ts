/**
 * How every hop of the request path hears back: replica -> router -> executor ->
 * invocation -> HTTP or socket.io. One shape, an object rather than callbacks, so
 * the hot path allocates no promise and no closure per call.
 */
export interface Completion<T, E extends Error = Error> {
  done(result: T): void;
  failed(error: E): void;
}
