/** An index name, as runtime/retrieval/index-files.ts accepts it. */
export const INDEX_NAME = /^[A-Za-z0-9_-]{1,64}$/;
