// Inline SVG built with DOM APIs (no library, no markup strings): the endpoint chart and the workflow
// graph use these.
const NS = 'http://www.w3.org/2000/svg';

/** s('rect', {x, y, class}, ...children): like h() in dom.js, for SVG elements. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An <svg> that scales to its container's width (never wider), with a title for screen readers. */
export function svgRoot(width, height, title, ...children) {
  return s(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': title,
      class: 'chart',
      preserveAspectRatio: 'xMinYMin meet',
    },
    s('title', {}, title),
    ...children,
  );
}
