// Tiny SVG helpers: elements built with presentation attributes only (the CSP allows no inline styles).
const NS = "http://www.w3.org/2000/svg";

export function svg(tag, attributes = {}, text = "") {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== "") element.textContent = text;
  return element;
}
