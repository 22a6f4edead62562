import QRCode from 'qrcode';

/** A QR code image of a URL, as a data: URL (the content-security policy allows `img-src data:`). */
export function qrDataUrl(url: string): Promise<string> {
  return QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, width: 280 });
}
