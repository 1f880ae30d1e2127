export { basicAuthorization } from './basic.js';
export { parseChallenges, type Challenge } from './challenge.js';
export { computeDigest, digestAuthorization, readDigestChallenge, strongestDigest, type DigestChallenge, type DigestInput } from './digest.js';
export { FetchError } from './errors.js';
export { Fetcher, userAgent, type CredentialContext, type CredentialSource, type Credentials, type CredentialsCallback, type FetcherOptions, type FetchRequest, type FetchResult, type Method } from './fetcher.js';
export { DEFAULT_TIMEOUTS, type Timeouts } from './transport.js';
export { displayUrl } from './url.js';
