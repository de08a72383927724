// The interview screen's two icons, drawn inline (no icon font, no emoji font
// needed); each sits beside words that say what the button does.

const common = {
  viewBox: "0 0 24 24",
  width: 18,
  height: 18,
  "aria-hidden": true,
  focusable: false,
  className: "interview-icon",
} as const;

const stroke = {
  fill: "none",
  stroke: "currentColor",
  strokeWidth: 1.8,
  strokeLinecap: "round",
  strokeLinejoin: "round",
} as const;

export function MicIcon() {
  return (
    <svg {...common}>
      <rect x="9" y="3" width="6" height="11" rx="3" {...stroke} />
      <path d="M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21M8.5 21h7" {...stroke} />
    </svg>
  );
}

export function SpeakerIcon() {
  return (
    <svg {...common}>
      <path d="M4 9.5h3.5L12 5.5v13l-4.5-4H4z" {...stroke} />
      <path d="M15.5 9a4 4 0 0 1 0 6M18 6.5a7.5 7.5 0 0 1 0 11" {...stroke} />
    </svg>
  );
}
