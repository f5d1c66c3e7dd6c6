import { domainToASCII } from 'node:url';

/**
 * One canonical identity per mailbox (SPEC §2): Unicode NFC, lower-case, the domain in its
 * IDNA ASCII form (node's WHATWG/UTS #46 implementation, not a hand-written one). It is the
 * key for storage, comparison, duplicate detection and file names, so `bücher.example` and
 * `xn--bcher-kva.example`, or an NFC and an NFD spelling, are one guest.
 */
export interface Address {
  /** As typed, in NFC: what lists and emails show. */
  display: string;
  /** The identity: NFC, lower-case, ASCII domain. */
  key: string;
  /** For the SMTP envelope: the local part as typed, the ASCII domain. */
  ascii: string;
}

/** Unicode general category Cf: zero-width spaces and joiners, soft hyphen, BOM, bidi controls… */
const FORMAT_CHAR = /\p{Cf}/u;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/** `U+200B`: how a refused invisible character is named in a message. */
export function codePointName(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why the address cannot have an identity (an invisible character, a domain IDNA refuses), or undefined. */
export function identityProblem(text: string): string | undefined {
  const format = text.match(FORMAT_CHAR);
  if (format) return `it contains the invisible character ${codePointName(format[0])}`;
  const at = text.lastIndexOf('@');
  if (at < 0) return undefined; // the shape check says what is wrong
  const domain = text.slice(at + 1);
  if ((!PRINTABLE_ASCII.test(domain) || /(^|\.)xn--/i.test(domain)) && domainToASCII(domain.normalize('NFC')) === '') {
    return 'its domain is not a valid internationalised domain name';
  }
  return undefined;
}

/**
 * The address's parts. Call `identityProblem` first: for a refused address the key is only
 * a best effort (it is still stable, so a lookup of a bad `--as` value finds nobody).
 */
export function address(text: string): Address {
  // Plain ASCII (IDNA maps an ASCII domain to its lower case): a bulk run makes 100,000 of these.
  if (PRINTABLE_ASCII.test(text)) return { display: text, key: text.toLowerCase(), ascii: text };
  const display = text.normalize('NFC');
  const at = display.lastIndexOf('@');
  if (at < 0) return { display, key: display.toLowerCase().normalize('NFC'), ascii: display };
  const local = display.slice(0, at);
  const domain = display.slice(at + 1);
  const asciiDomain = domainToASCII(domain) || domain.toLowerCase();
  return {
    display,
    key: `${local.toLowerCase().normalize('NFC')}@${asciiDomain}`,
    ascii: `${local}@${asciiDomain}`,
  };
}

/** The canonical identity of an address. */
export function addressKey(text: string): string {
  return address(text).key;
}
