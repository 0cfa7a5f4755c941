// crosscheck.mjs: compare usdtpay-chain with independent implementations.
//
// Copyright 2026 UsdtPay developers
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Usage: node crosscheck.mjs PATH/TO/usdtpay-chain
//
// Random private keys, messages, byte strings, RLP trees and transactions
// (legacy EIP-155 and EIP-1559) go through our tool and through ethers v6;
// addresses and hashes also through Foundry's cast. Every output must agree
// byte for byte. The npm packages come from build-aux/install-npm-deps:
// $USDTPAY_NPM_DIR or ~/.cache/usdtpay/npm. Missing packages fail the test.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

const tool = process.argv[2];
if (!tool || !existsSync(tool)) {
  console.error(`crosscheck: usdtpay-chain not found at ${tool}`);
  process.exit(1);
}

const npmDir = process.env.USDTPAY_NPM_DIR || join(homedir(), '.cache', 'usdtpay', 'npm');
const require = createRequire(join(npmDir, 'package.json'));
let ethers;
try {
  ethers = require('ethers');
} catch (e) {
  console.error(`crosscheck: the npm package ethers is missing under ${npmDir}/node_modules.\n` +
                'Run build-aux/install-npm-deps first (it honours USDTPAY_NPM_DIR).');
  process.exit(1);
}
const cast = join(npmDir, 'node_modules', '@foundry-rs', 'cast-linux-amd64', 'bin', 'cast');
if (!existsSync(cast)) {
  console.error(`crosscheck: cast is missing at ${cast}; run build-aux/install-npm-deps first.`);
  process.exit(1);
}

const rounds = Number(process.env.USDTPAY_CROSSCHECK_ROUNDS || 25);
let checks = 0;
let failures = 0;

function run(...args) {
  return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function runCast(...args) {
  return execFileSync(cast, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// Our tool must refuse: non-zero exit, nothing on stdout, a message on stderr.
function refuses(what, ...args) {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  checks++;
  if (r.status === 0 || r.stdout !== '' || r.stderr === '') {
    failures++;
    console.error(`FAIL ${what}: expected a refusal, got status ${r.status} stdout ${JSON.stringify(r.stdout)}`);
  }
}

function same(what, ours, theirs, context) {
  checks++;
  if (ours !== theirs) {
    failures++;
    console.error(`FAIL ${what}\n  ours:   ${ours}\n  theirs: ${theirs}\n  input:  ${JSON.stringify(context)}`);
  }
}

function hex(n) {
  return ethers.hexlify(randomBytes(n));
}

// A random quantity of up to `bits` bits, as a BigInt.
function randomQuantity(bits) {
  const nbytes = randomInt(0, Math.ceil(bits / 8) + 1);
  if (nbytes === 0) return 0n;
  return BigInt(ethers.hexlify(randomBytes(nbytes)));
}

function q(n) {
  return '0x' + n.toString(16);
}

const alphabet = ['a', 'Z', '0', ' ', '\n', '"', '\\', '€', 'ü', '✓', '日本', ':', '{', '}', '\t'];
function randomMessage() {
  let s = '';
  const n = randomInt(0, 80);
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  // "-" alone means standard input to the tool.
  return s === '-' ? '--' : s;
}

function randomRlpTree(depth) {
  if (depth > 3 || randomInt(3) > 0) {
    // Lengths around the 1-byte, 55/56 and 256 boundaries.
    const lengths = [0, 1, 1, 2, 55, 56, 57, 255, 256, 300];
    const len = lengths[randomInt(lengths.length)];
    return hex(len);
  }
  const n = randomInt(0, 6);
  const list = [];
  for (let i = 0; i < n; i++) list.push(randomRlpTree(depth + 1));
  return list;
}

// Fixed cases: empty input, the EIP-155 example, a key from standard input.
same('keccak of nothing', run('keccak', ''), ethers.keccak256('0x'), '');
same('keccak of 0x', run('keccak', '0x'), ethers.keccak256('0x'), '0x');
{
  const eip155 = {
    type: 'legacy', chainId: '0x1', nonce: '0x9', gasPrice: '0x4a817c800', gasLimit: '0x5208',
    to: '0x3535353535353535353535353535353535353535', value: '0xde0b6b3a7640000', data: '0x',
    privateKey: '0x' + '46'.repeat(32),
  };
  same('EIP-155 example', run('sign-tx', JSON.stringify(eip155)),
       '0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83',
       eip155);
  const piped = execFileSync(tool, ['address', '-'], { input: '46'.repeat(32) + '\n', encoding: 'utf8' }).trim();
  same('address from stdin', piped, new ethers.Wallet('0x' + '46'.repeat(32)).address, 'stdin');
}

for (let round = 0; round < rounds; round++) {
  const wallet = new ethers.Wallet(hex(32));
  const pk = wallet.privateKey;

  // Keys and addresses, with and without 0x
  same('address', run('address', pk), wallet.address, pk);
  same('address (no 0x)', run('address', pk.slice(2)), wallet.address, pk);
  same('address (cast)', run('address', pk), runCast('wallet', 'address', '--private-key', pk), pk);
  same('checksum', run('checksum', wallet.address.toLowerCase()), ethers.getAddress(wallet.address.toLowerCase()), wallet.address);
  same('checksum (cast)', run('checksum', wallet.address.toLowerCase().slice(2)),
       runCast('to-check-sum-address', wallet.address.toLowerCase()), wallet.address);

  // A mixed-case address with one letter's case flipped: both refuse.
  const letters = [...wallet.address.slice(2)].map((c, i) => [c, i]).filter(([c]) => /[a-fA-F]/.test(c));
  if (letters.length >= 2) {
    const [c, i] = letters[randomInt(letters.length)];
    const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
    const body = wallet.address.slice(2);
    const bad = '0x' + body.slice(0, i) + flipped + body.slice(i + 1);
    const mixed = /[a-f]/.test(bad.slice(2)) && /[A-F]/.test(bad.slice(2));
    if (mixed) {
      let ethersRefuses = false;
      try { ethers.getAddress(bad); } catch { ethersRefuses = true; }
      same('ethers refuses a bad checksum', String(ethersRefuses), 'true', bad);
      refuses('checksum of ' + bad, 'checksum', bad);
    }
  }

  // Keccak of random bytes around the 136-byte block
  const data = hex([0, 1, 135, 136, 137, randomInt(0, 500)][randomInt(6)]);
  same('keccak', run('keccak', data), ethers.keccak256(data), data);
  if (round % 5 === 0)
    same('keccak (cast)', run('keccak', data), runCast('keccak', data), data);

  // EIP-191 personal messages: RFC 6979 makes both signatures identical.
  const message = round === 0 ? '' : randomMessage();
  const theirSig = wallet.signMessageSync(message);
  same('sign-message', run('sign-message', pk, message), theirSig, message);
  same('recover', run('recover', message, theirSig), wallet.address, message);
  same('recover (v as 0/1)', run('recover', message, theirSig.slice(0, 130) + (theirSig.endsWith('1b') ? '00' : '01')),
       wallet.address, message);

  // RLP trees
  const tree = randomRlpTree(0);
  const encoded = ethers.encodeRlp(tree);
  same('rlp-encode', run('rlp-encode', JSON.stringify(tree)), encoded, tree);
  same('rlp-decode', run('rlp-decode', encoded), JSON.stringify(ethers.decodeRlp(encoded)), encoded);

  // Transactions of both types, with and without a recipient and data
  for (const type of ['legacy', 'eip1559']) {
    const fields = {
      type: type === 'legacy' ? 0 : 2,
      chainId: BigInt(randomInt(1, 2 ** 32)),
      nonce: Number(randomQuantity(40)),
      gasLimit: randomQuantity(64),
      to: randomInt(4) === 0 ? null : ethers.getAddress(hex(20)),
      value: randomQuantity(200),
      data: hex(randomInt(0, 3) === 0 ? 0 : randomInt(1, 120)),
    };
    const json = {
      type, chainId: q(fields.chainId), nonce: q(BigInt(fields.nonce)), gasLimit: q(fields.gasLimit),
      value: q(fields.value), data: fields.data, privateKey: pk,
    };
    if (fields.to !== null) json.to = fields.to;
    if (type === 'legacy') {
      fields.gasPrice = randomQuantity(80);
      json.gasPrice = q(fields.gasPrice);
    } else {
      fields.maxPriorityFeePerGas = randomQuantity(64);
      fields.maxFeePerGas = fields.maxPriorityFeePerGas + randomQuantity(64);
      json.maxFeePerGas = q(fields.maxFeePerGas);
      json.maxPriorityFeePerGas = q(fields.maxPriorityFeePerGas);
    }
    const tx = ethers.Transaction.from(fields);
    tx.signature = wallet.signingKey.sign(tx.unsignedHash);
    const ours = run('sign-tx', JSON.stringify(json));
    same(`sign-tx ${type}`, ours, tx.serialized, json);
    // ethers parses ours and recovers our key's address from it
    same(`sign-tx ${type} sender`, ethers.Transaction.from(ours).from, wallet.address, json);
  }
}

// Refusals of non-canonical RLP
for (const bad of ['0x8105', '0xb80100', '0xc0c0', '0x83646f', '0xf800', '0xb90038' + '00'.repeat(56)])
  refuses('rlp-decode ' + bad, 'rlp-decode', bad);

console.log(`crosscheck: ${checks} checks over ${rounds} rounds, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
