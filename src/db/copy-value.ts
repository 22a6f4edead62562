import rfdc from 'rfdc';

/**
 * A deep copy of a value read from the database or a cache (plain objects, arrays, Dates, bytes),
 * so no caller can change what the next one sees. rfdc instead of structuredClone: the same copy of
 * these values in about a fifth of the time (structuredClone goes through V8's serializer), and the
 * memo and the client cache copy on every read — dozens of times per login.
 */
export const copyValue: <T>(value: T) => T = rfdc();
