// Replaced by the Insights screen.
export default function Insights() {
  return null;
}
