/** The verification code: a short number both people can read aloud to confirm that no one sits
 * in the middle of their encrypted call.
 *
 * Each browser's DTLS certificate fingerprint is in its SDP (`a=fingerprint:`). The DTLS
 * handshake only succeeds with the certificates those lines name, so if both screens show the
 * same code, both browsers saw the same two fingerprints: nobody swapped in their own
 * certificate on the way (the signalling server included). The code is the SHA-256 of the two
 * fingerprint sets in sorted order, so it is the same on both sides, shown as 3 groups of 4
 * digits. */

/** The fingerprint lines of an SDP, normalised ("sha-256 AB:CD:…"), without repeats. */
export function fingerprintsOf(sdp) {
  const found = new Set();
  for (const line of String(sdp || "").split(/\r?\n/)) {
    const match = /^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$/.exec(line);
    if (match) {
      found.add(`${match[1].toLowerCase()} ${match[2].toUpperCase()}`);
    }
  }
  return [...found].sort();
}

/** "123456789012" → "1234 5678 9012". */
export function groupDigits(digits) {
  return digits.replace(/(\d{4})(?=\d)/g, "$1 ");
}

/** The code for a call from the local and the remote description's SDP, or null while either
 * has no fingerprint. */
export async function verificationCode(localSdp, remoteSdp) {
  const local = fingerprintsOf(localSdp);
  const remote = fingerprintsOf(remoteSdp);
  if (!local.length || !remote.length || !(window.crypto && crypto.subtle)) {
    return null;
  }
  const sides = [local.join(","), remote.join(",")].sort();
  const bytes = new TextEncoder().encode(`interKanect verification v1\n${sides.join("\n")}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let number = 0n;
  for (const byte of digest.slice(0, 8)) {
    number = (number << 8n) | BigInt(byte);
  }
  return groupDigits(String(number % 10n ** 12n).padStart(12, "0"));
}
