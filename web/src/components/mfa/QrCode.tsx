// A QR code drawn as one SVG path from the `qrcode` package's module matrix:
// sharp at any size, no canvas, no inline markup. Dark on white with its quiet
// zone whatever the colour scheme, since that is what cameras read. Only the
// set-up screen imports it, so the library stays out of the sign-in chunk.

import { useMemo } from "react";
import { create } from "qrcode";

const QUIET_ZONE = 4;

export function QrCode({ value, label }: { value: string; label: string }) {
  const { size, path } = useMemo(() => {
    const { modules } = create(value, { errorCorrectionLevel: "M" });
    let d = "";
    for (let row = 0; row < modules.size; row++) {
      for (let col = 0; col < modules.size; col++) {
        if (modules.data[row * modules.size + col]) d += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
      }
    }
    return { size: modules.size + 2 * QUIET_ZONE, path: d };
  }, [value]);
  return (
    <svg
      className="mfa-qr"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={label}
      shapeRendering="crispEdges"
      xmlns="http://www.w3.org/2000/svg"
    >
      <rect width={size} height={size} fill="#ffffff" />
      <path d={path} fill="#000000" />
    </svg>
  );
}
