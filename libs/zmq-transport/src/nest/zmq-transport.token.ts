/** The transport id of ZmqServer (what Nest hooks and `@Transport`-aware code compare against). */
export const ZMQ_TRANSPORT = Symbol('ZMQ_TRANSPORT');
