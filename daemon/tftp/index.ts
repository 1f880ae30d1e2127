export { tftpGet, type TftpOptions, type TftpResult } from './client.js';
